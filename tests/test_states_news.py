"""Staff « Actualités » driven without a browser: new item with its errors,
attachment, edit (replacing the attachment), publish / unpublish. Guards are
in tests/test_authorisation_matrix.py.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain import news
from segur_app.domain.models import Attachment, NewsItem
from segur_app.state.home import HomeState
from segur_app.state.staff_news import StaffNewsState
from tests.document_samples import elf_executable, valid_pdf
from tests.state_harness import Tab, fresh, point_app_at, scenario, seed_people, upload
from tests.storage_helpers import final_keys, staged_names

FORM = {"title": "Nouvelle version du guide", "body": "Le guide utilisateur a été mis à jour.",
        "category": news.SUPPLIER_CATEGORY, "publication_date": "2024-03-01"}


@pytest.fixture
def people(db, engine, tmp_path, monkeypatch):
    point_app_at(monkeypatch, engine, tmp_path / "storage")
    yield seed_people(db, tmp_path / "storage", deposit=False)
    get_settings.cache_clear()


async def _page(people) -> tuple[Tab, StaffNewsState]:
    tab = Tab(token=people.staff, path=routes.STAFF_NEWS)
    await tab.run(StaffNewsState.load)
    return tab, await tab.state(StaffNewsState)


def _items(db) -> list[NewsItem]:
    fresh(db)  # see what the handlers committed
    return list(db.exec(select(NewsItem).order_by(NewsItem.id)))


def _attachments(db, item_id: int) -> list[Attachment]:
    return list(db.exec(select(Attachment).where(Attachment.news_id == item_id)))


@scenario
async def test_a_new_item_is_checked_then_saved_unpublished(db, people):
    tab, page = await _page(people)
    before = _items(db)
    assert [row.title for row in page.rows] == [item.title for item in before]
    assert page.editing_id == 0 and page.publication_date == date.today().isoformat()

    key = page.form_key
    await tab.run(StaffNewsState.save, {"title": " ", "body": "", "category": "AUTRE",
                                        "publication_date": "01/03/2024"})
    assert page.errors == {"title": news.MSG_TITLE_REQUIRED, "body": news.MSG_BODY_REQUIRED,
                           "category": news.MSG_CATEGORY, "publication_date": news.MSG_DATE}
    assert page.message == "" and page.form_key > key and page.publication_date == ""
    await tab.run(StaffNewsState.save, {**FORM, "body": ""})
    assert page.errors == {"body": news.MSG_BODY_REQUIRED}
    assert page.title == FORM["title"]  # what was typed is shown again
    assert _items(db) == before

    await tab.run(StaffNewsState.stage_file, [upload(elf_executable(), "guide.pdf")])
    assert page.file_name == "" and page.file_error
    await tab.run(StaffNewsState.stage_file, [upload(valid_pdf(), "guide v2.pdf")])
    assert (page.file_name, page.file_error) == ("guide v2.pdf", "")

    await tab.run(StaffNewsState.save, FORM)
    assert page.message == "Actualité enregistrée." and page.errors == {}
    assert (page.editing_id, page.title, page.file_name) == (0, "", "")
    [created] = [item for item in _items(db) if item not in before]
    assert (created.title, created.category, created.publication_date, created.is_published) == (
        FORM["title"], news.SUPPLIER_CATEGORY, date(2024, 3, 1), False)
    assert [a.original_name for a in _attachments(db, created.id)] == ["guide v2.pdf"]
    assert created.title in [row.title for row in page.rows]
    assert staged_names(get_settings().storage_dir) == set()


@scenario
async def test_an_item_is_edited_and_its_attachment_replaced(db, people):
    tab, page = await _page(people)
    [demo_item] = _items(db)
    [old] = _attachments(db, demo_item.id)
    old_key, storage = old.storage_key, get_settings().storage_dir
    assert old_key in final_keys(storage)

    await tab.run(StaffNewsState.edit, 999_999)  # vanished: nothing changes
    assert page.editing_id == 0
    await tab.run(StaffNewsState.edit, demo_item.id)
    assert (page.editing_id, page.title, page.category) == (
        demo_item.id, demo_item.title, demo_item.category)
    assert page.publication_date == demo_item.publication_date.isoformat()

    await tab.run(StaffNewsState.stage_file, [upload(valid_pdf(), "remplacement.pdf")])
    await tab.run(StaffNewsState.save, {**FORM, "title": "TEST SAS (corrigé)",
                                        "publication_date": page.publication_date})
    assert page.message == "Actualité enregistrée." and page.editing_id == 0
    [item] = _items(db)
    assert (item.id, item.title, item.body) == (demo_item.id, "TEST SAS (corrigé)", FORM["body"])
    [new] = _attachments(db, item.id)
    assert new.original_name == "remplacement.pdf"
    assert old_key not in final_keys(storage) and new.storage_key in final_keys(storage)

    # « Nouvelle actualité » leaves the edit; a file chosen then is discarded.
    await tab.run(StaffNewsState.edit, item.id)
    await tab.run(StaffNewsState.stage_file, [upload(valid_pdf(), "brouillon.pdf")])
    await tab.run(StaffNewsState.new)
    assert (page.editing_id, page.title, page.file_name) == (0, "", "")
    assert staged_names(storage) == set()


@scenario
async def test_publishing_shows_the_item_to_suppliers_and_unpublishing_hides_it(db, people):
    tab, page = await _page(people)
    await tab.run(StaffNewsState.save, FORM)
    created = next(item for item in _items(db) if item.title == FORM["title"])

    async def supplier_titles() -> list[str]:
        home = Tab(token=people.owner, path=routes.PRIVATE_HOME, tab_token="tab-supplier")
        await home.run(HomeState.load)
        return [item.title for item in (await home.state(HomeState)).news]

    assert FORM["title"] not in await supplier_titles()
    await tab.run(StaffNewsState.toggle_published, created.id, True)
    assert page.message == "Actualité publiée."
    assert next(r for r in page.rows if r.id == created.id).is_published
    assert next(i for i in _items(db) if i.id == created.id).is_published is True
    assert FORM["title"] in await supplier_titles()

    await tab.run(StaffNewsState.toggle_published, created.id, False)
    assert page.message == "Actualité retirée de la publication."
    assert next(i for i in _items(db) if i.id == created.id).is_published is False
    assert FORM["title"] not in await supplier_titles()

    # Removed meanwhile by another agent: said on the page, nothing else happens.
    await tab.run(StaffNewsState.toggle_published, 999_999, True)
    assert page.errors == {"form": news.MSG_NOT_FOUND}


@scenario
async def test_a_refused_action_does_not_keep_the_previous_success_message(db, people):
    """After a successful « Enregistrer », a refused one must not leave the
    banner « Actualité enregistrée. » above the form in error (nor a refused
    « Publier » the banner « Actualité publiée. »): the agent would read that
    this submission succeeded. Other staff states clear their message first
    (DossierState._apply, StaffEnrolmentsState._decide, StaffAssistanceState)."""
    tab, page = await _page(people)
    await tab.run(StaffNewsState.save, FORM)
    assert page.message == "Actualité enregistrée."
    await tab.run(StaffNewsState.save, {**FORM, "title": "Deuxième actualité", "body": ""})
    assert page.errors == {"body": news.MSG_BODY_REQUIRED}
    assert page.message == ""

    created = next(item for item in _items(db) if item.title == FORM["title"])
    await tab.run(StaffNewsState.toggle_published, created.id, True)
    assert page.message == "Actualité publiée."
    await tab.run(StaffNewsState.toggle_published, 999_999, True)  # vanished meanwhile
    assert page.errors == {"form": news.MSG_NOT_FOUND}
    assert page.message == ""


@scenario
async def test_the_private_home_reads_the_news_once_per_few_seconds(db, people, monkeypatch):
    """HomeState.load on every visit of the private home: the page of news is read
    from the database once, then from the process for ``ttl`` seconds; what
    another worker publishes shows once they are past."""
    reads = []
    real = news.list_published
    monkeypatch.setattr(news, "list_published",
                        lambda *a, **kw: reads.append(kw["role"]) or real(*a, **kw))
    now = [1000.0]
    monkeypatch.setattr(news, "published_pages", news.PublishedPages(ttl=5.0,
                                                                     clock=lambda: now[0]))

    async def visit() -> list[str]:
        home = Tab(token=people.owner, path=routes.PRIVATE_HOME, tab_token="tab-home")
        await home.run(HomeState.load)
        return [item.title for item in (await home.state(HomeState)).news]

    first = await visit()
    assert await visit() == first and len(reads) == 1
    # Published by another worker (straight into the database: no forget here).
    demo_item = _items(db)[0]
    db.add(NewsItem(title="Publiée ailleurs", body="…", category=demo_item.category,
                    publication_date=demo_item.publication_date, is_published=True,
                    created_by_id=demo_item.created_by_id))
    db.commit()
    assert "Publiée ailleurs" not in await visit() and len(reads) == 1
    now[0] += 5.1
    assert "Publiée ailleurs" in await visit() and len(reads) == 2


@scenario
async def test_back_on_the_private_home_the_same_news_are_not_sent_again(db, people, monkeypatch):
    """A dirty var is sent to the tab after the event: HomeState.load assigns the
    news only when they changed (a new item, another page), not on every visit."""
    now = [1000.0]
    monkeypatch.setattr(news, "published_pages", news.PublishedPages(ttl=5.0,
                                                                     clock=lambda: now[0]))
    home = Tab(token=people.owner, path=routes.PRIVATE_HOME, tab_token="tab-back")
    await home.run(HomeState.load)
    state = await home.state(HomeState)
    assert state.news and "news" in state.dirty_vars
    state.dirty_vars.clear()

    await home.run(HomeState.load)
    assert state.dirty_vars == set()  # nothing of the home page is sent again

    demo_item = _items(db)[0]
    db.add(NewsItem(title="Nouvelle actualité", body="…", category=demo_item.category,
                    publication_date=date.today(), is_published=True,
                    created_by_id=demo_item.created_by_id))
    db.commit()
    now[0] += 5.1
    await home.run(HomeState.load)
    assert "news" in state.dirty_vars
    assert "Nouvelle actualité" in [item.title for item in state.news]
