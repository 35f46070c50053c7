"""The staff assistance and news lists on the shared staff-list machinery:
filters from the URL (``list_query``), keyset pages with page numbers
(``paging``), the same links as the funding list — in the domain and through
their states (no browser).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain import news
from segur_app.domain.assistance.staff_list import TicketFilters
from segur_app.domain.assistance import staff_list as ticket_list, tickets, views
from segur_app.domain.models import (
    AssistanceTicket,
    NewsCategory,
    NewsItem,
    NewsState,
    TicketCategory,
    TicketStatus,
)
from segur_app.domain.news import NewsFilters
from segur_app.domain.paging import Window
from segur_app.list_query import (
    TICKET_FILTER_PARAMS,
    form_query,
    news_filters_from,
    page_links,
    ticket_filters_from,
)
from segur_app.state.assistance import StaffAssistanceState
from segur_app.state.staff_news import StaffNewsState
from tests.state_harness import Tab, point_app_at, redirect_target, scenario, seed_people

START = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
CATEGORIES = [TicketCategory.LOGIN, TicketCategory.ADVANCE, TicketCategory.OTHER]
STATUSES = [TicketStatus.OPEN, TicketStatus.ANSWERED, TicketStatus.CLOSED]
OPEN, CLOSED = TicketStatus.OPEN.value, TicketStatus.CLOSED.value
ADVANCE = TicketCategory.ADVANCE.value


def add_tickets(db, count: int, *, first: int = 1) -> list[AssistanceTicket]:
    """``count`` tickets, one hour apart; status and category in turn."""
    rows = [
        AssistanceTicket(
            number=f"ASSSAS{n:06d}", category=CATEGORIES[n % 3].value,
            message=f"Question {n}", contact_email=f"contact{n}@exemple.fr",
            contact_name=f"Contact Numéro{n}", status=STATUSES[n % 3].value,
            created_at=START + timedelta(hours=n),
        )
        for n in range(first, first + count)
    ]
    db.add_all(rows)
    db.commit()
    return rows


def add_news(db, count: int) -> list[NewsItem]:
    items = [
        NewsItem(title=f"Actualité {n:02d}", body="Texte.",
                 category=(NewsCategory.SUPPLIER if n % 2 else NewsCategory.ASP).value,
                 publication_date=date(2024, 1, 1) + timedelta(days=n), is_published=n % 3 != 0)
        for n in range(count)
    ]
    db.add_all(items)
    db.commit()
    return items


def _walk(read, pages: int) -> list[list[str]]:
    return [read(Window(page=n)) for n in range(1, pages + 1)]


# ---------------------------------------------------------------------------
# Domain
# ---------------------------------------------------------------------------


def test_ticket_list_open_first_filters_and_search(db):
    add_tickets(db, 12)
    page = ticket_list.ticket_page(db)
    statuses = [r.status for r in page.rows]
    assert page.total == 12 and page.pages == 2 and views.open_count(db) == 4
    assert statuses[:4] == [TicketStatus.OPEN.value] * 4  # open first, oldest first
    assert [r.number for r in page.rows[:4]] == ["ASSSAS000003", "ASSSAS000006",
                                                  "ASSSAS000009", "ASSSAS000012"]

    def numbers(**filters) -> list[str]:
        return [r.number for r in ticket_list.ticket_page(
            db, filters=TicketFilters(**filters)).rows]

    assert numbers(status=TicketStatus.CLOSED.value, sort="numero") == [
        "ASSSAS000002", "ASSSAS000005", "ASSSAS000008", "ASSSAS000011"]
    assert numbers(category=TicketCategory.ADVANCE.value, status=TicketStatus.ANSWERED.value,
                   sort="depot_desc") == ["ASSSAS000010", "ASSSAS000007", "ASSSAS000004",
                                          "ASSSAS000001"]
    assert numbers(category=TicketCategory.ADVANCE.value, status=TicketStatus.OPEN.value) == []
    assert numbers(search="asssas000007") == ["ASSSAS000007"]  # a whole number
    assert numbers(search="0001", sort="numero") == ["ASSSAS000001", "ASSSAS000010",
                                                     "ASSSAS000011", "ASSSAS000012"]  # part
    assert numbers(search="CONTACT5@") == ["ASSSAS000005"]  # the contact's address
    assert numbers(search="numéro11") == ["ASSSAS000011"]  # the contact's name
    assert numbers(search="100%_") == []  # wildcards typed are literal
    # Unknown values are no filter (a hand-edited URL), an unknown sort the default one.
    assert numbers(status="bogus", category="bogus", sort="bogus") == numbers()


@pytest.mark.parametrize("sort", list(ticket_list.SORTS))
def test_ticket_keyset_pages_are_the_numbered_pages(db, sort):
    add_tickets(db, 25)
    filters = TicketFilters(sort=sort)

    def read(window: Window) -> list[str]:
        return [r.number for r in ticket_list.ticket_page(db, filters=filters, window=window,
                                                          page_size=10).rows]

    numbered = _walk(read, 3)
    assert sorted(sum(numbered, [])) == [f"ASSSAS{n:06d}" for n in range(1, 26)]
    first = ticket_list.ticket_page(db, filters=filters, page_size=10)
    ids = [r.id for r in first.rows]
    second = ticket_list.ticket_page(db, filters=filters, page_size=10,
                                    window=Window(page=2, after=ids[-1]))
    assert [r.number for r in second.rows] == numbered[1] and second.page == 2
    back = ticket_list.ticket_page(db, filters=filters, page_size=10,
                                  window=Window(page=1, before=second.rows[0].id))
    assert [r.number for r in back.rows] == numbered[0] and back.page == 1
    # A page beyond the last one shows the last one.
    assert ticket_list.ticket_page(db, filters=filters, page_size=10,
                                  window=Window(page=9)).page == 3


def test_news_staff_list_filters_sorts_and_pages(db):
    items = add_news(db, 25)
    page = news.staff_page(db)
    assert page.total == 25 and page.pages == 2 and len(page.rows) == 20
    assert page.rows[0].title == "Actualité 24"  # newest first
    assert {(r.is_published, r.state_label) for r in page.rows} == {
        (True, NewsState.PUBLISHED.label), (False, NewsState.DRAFT.label)}

    def titles(window: Window = Window(), **filters) -> list[str]:
        return [r.title for r in news.staff_page(db, filters=NewsFilters(**filters),
                                                 window=window, page_size=5).rows]

    drafts = [i.title for i in reversed(items) if not i.is_published]
    assert titles(status=NewsState.DRAFT.value) == drafts[:5]
    assert titles(status=NewsState.DRAFT.value, window=Window(page=2)) == drafts[5:]
    asp = [i.title for i in items if i.category == NewsCategory.ASP.value]
    assert titles(category=NewsCategory.ASP.value, sort="date_asc") == asp[:5]
    assert titles(sort="titre") == [f"Actualité {n:02d}" for n in range(5)]
    first = news.staff_page(db, page_size=5)
    after = news.staff_page(db, page_size=5, window=Window(page=2, after=first.rows[-1].id))
    assert [r.title for r in after.rows] == titles(window=Window(page=2))


def test_list_query_reads_and_writes_the_ticket_and_news_filters():
    params = {routes.PARAM_STATUS: OPEN, routes.PARAM_CATEGORY: ADVANCE,
              routes.PARAM_SEARCH: "x" * 300, routes.PARAM_SORT: "numero",
              routes.PARAM_KIND: "advance"}
    assert ticket_filters_from(params) == TicketFilters(OPEN, ADVANCE, "x" * 100, "numero")
    assert ticket_filters_from({}) == TicketFilters(sort=ticket_list.DEFAULT_SORT)
    assert news_filters_from({routes.PARAM_STATUS: NewsState.DRAFT.value}) == NewsFilters(
        status=NewsState.DRAFT.value, sort=news.STAFF_DEFAULT_SORT)
    # « Filtrer »: the list's own parameters only, empty ones dropped.
    assert form_query({**params, routes.PARAM_SEARCH: " ", routes.PARAM_SORT: ""},
                      names=TICKET_FILTER_PARAMS) == f"statut={OPEN}&categorie={ADVANCE}"
    links = page_links(routes.STAFF_ASSISTANCE, params, page=2, pages=3, first_id=11,
                       last_id=20, names=TICKET_FILTER_PARAMS)
    assert links.next.startswith(routes.STAFF_ASSISTANCE + f"?statut={OPEN}&categorie={ADVANCE}&")
    assert links.next.endswith("&page=3&apres=20") and links.previous.endswith("&page=1&avant=11")
    assert links.last.endswith("&page=3") and links.first.endswith("&page=1")
    assert routes.PARAM_KIND + "=" not in links.next  # not a parameter of this list


# ---------------------------------------------------------------------------
# States
# ---------------------------------------------------------------------------


@pytest.fixture
def people(db, engine, tmp_path, monkeypatch):
    point_app_at(monkeypatch, engine, tmp_path / "storage")
    yield seed_people(db, tmp_path / "storage", deposit=False)
    get_settings.cache_clear()


@scenario
async def test_staff_assistance_state_filters_and_walks_the_pages(db, people):
    add_tickets(db, 25)
    tab = Tab(token=people.staff, path=routes.STAFF_ASSISTANCE)
    await tab.run(StaffAssistanceState.load)
    state = await tab.state(StaffAssistanceState)
    assert (state.page, state.pages, state.total, state.open_tickets) == (1, 3, 25, 8)
    numbered = [[r.number for r in ticket_list.ticket_page(db, window=Window(page=n)).rows]
                for n in (1, 2, 3)]
    assert [t.number for t in state.tickets] == numbered[0]

    async def follow(href: str) -> list[str]:
        tab.follow(href)
        await tab.run(StaffAssistanceState.load)
        return [t.number for t in state.tickets]

    assert routes.PARAM_AFTER in state.next_href
    assert await follow(state.next_href) == numbered[1] and state.page == 2
    assert await follow(state.last_href) == numbered[2] and state.page == 3
    assert await follow(state.previous_href) == numbered[1]
    assert await follow(state.first_href) == numbered[0]

    # « Filtrer » puts the filters in the URL; the page reads them from there.
    target = redirect_target(await tab.run(StaffAssistanceState.apply_filters, {
        routes.PARAM_STATUS: TicketStatus.CLOSED.value, routes.PARAM_CATEGORY: "",
        routes.PARAM_SEARCH: " contact ", routes.PARAM_SORT: "numero"}))
    assert target == f"{routes.STAFF_ASSISTANCE}?statut={CLOSED}&q=contact&tri=numero"
    shown = await follow(target)
    assert shown == [f"ASSSAS{n:06d}" for n in range(2, 26, 3)][:10]
    assert (state.status, state.search, state.sort, state.total) == (CLOSED, "contact",
                                                                     "numero", 8)
    assert state.query == f"statut={CLOSED}&q=contact&tri=numero"
    assert f"statut={CLOSED}" in state.next_href or state.pages == 1

    # Closing a ticket reloads the same filtered page.
    await tab.run(StaffAssistanceState.close, state.tickets[0].id)
    assert state.error == tickets.MSG_ALREADY_CLOSED and state.status == CLOSED
    open_one = db.exec(select(AssistanceTicket).where(
        AssistanceTicket.status == TicketStatus.OPEN.value)).first()
    await tab.run(StaffAssistanceState.close, open_one.id)
    assert state.message == f"La demande {open_one.number} a été close."
    assert state.total == 9 and state.open_tickets == 7


@scenario
async def test_staff_news_state_filters_and_pages(db, people):
    add_news(db, 30)
    tab = Tab(token=people.staff, path=routes.STAFF_NEWS)
    await tab.run(StaffNewsState.load)
    state = await tab.state(StaffNewsState)
    everything = news.staff_page(db)
    assert (state.total, state.page, state.pages) == (everything.total, 1, 2)
    assert [r.id for r in state.rows] == [r.id for r in everything.rows]

    tab.follow(state.next_href)
    await tab.run(StaffNewsState.load)
    assert state.page == 2 and [r.id for r in state.rows] == [
        r.id for r in news.staff_page(db, window=Window(page=2)).rows]

    target = redirect_target(await tab.run(StaffNewsState.apply_filters, {
        routes.PARAM_STATUS: NewsState.DRAFT.value, routes.PARAM_SORT: "date_asc",
        "title": "not a filter"}))
    assert target == f"{routes.STAFF_NEWS}?statut={NewsState.DRAFT.value}&tri=date_asc"
    tab.follow(target)
    await tab.run(StaffNewsState.load)
    drafts = len(db.exec(select(NewsItem).where(NewsItem.is_published.is_(False))).all())
    assert state.total == drafts and state.pages == 1
    assert not any(r.is_published for r in state.rows)
    assert (state.status, state.sort) == (NewsState.DRAFT.value, "date_asc")

    # Publishing from the filtered list reloads it with its filters.
    await tab.run(StaffNewsState.toggle_published, state.rows[0].id, True)
    assert state.message == "Actualité publiée." and state.total == drafts - 1
