"""Actualités: published news items as suppliers see them on their home page, and
the staff's list of every item (filters, sorts and keyset pages: the machinery
of the other staff lists, ``paging.py`` and ``list_query.news_filters_from``)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain import paging, storage, uploads
from segur_app.domain.accounts.events import audit
from segur_app.domain.models import (
    Attachment,
    AttachmentKind,
    NewsCategory,
    NewsItem,
    NewsState,
    Role,
    utcnow,
)
from segur_app.domain.paging import Key, Window

if TYPE_CHECKING:
    from segur_app.domain.uploads import StagedDocument

SUPPLIER_CATEGORY = NewsCategory.SUPPLIER.value
ATTACHMENT_UPLOAD = uploads.UploadPolicy.for_kind(AttachmentKind.NEWS)
"""What a news item's optional attachment accepts (PDF, PNG, JPEG of 4 Mo at most)."""
EXCERPT_LENGTH = 280


@dataclass(frozen=True)
class NewsView:
    """What the UI displays of a news item (plain values, no ORM object)."""

    id: int
    title: str
    body: str
    excerpt: str
    category: str
    published_on: str  # dd/mm/yyyy
    attachment_id: int | None
    attachment_name: str | None


def categories_for(role: str) -> list[str] | None:
    """Categories a role may read (None = every category, for staff)."""
    return None if role == Role.STAFF.value else [SUPPLIER_CATEGORY]


def excerpt(text: str, length: int = EXCERPT_LENGTH) -> str:
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0] + "…"


def _visible(role: str, today: date):
    conditions = [NewsItem.is_published, NewsItem.publication_date <= today]
    categories = categories_for(role)
    if categories is not None:
        conditions.append(NewsItem.category.in_(categories))
    return conditions


def _view(item: NewsItem, attachment: Attachment | None) -> NewsView:
    return NewsView(
        id=item.id,
        title=item.title,
        body=item.body,
        excerpt=excerpt(item.body),
        category=item.category,
        published_on=item.publication_date.strftime("%d/%m/%Y"),
        attachment_id=attachment.id if attachment else None,
        attachment_name=attachment.original_name if attachment else None,
    )


def _first_attachments(session: Session, news_ids: list[int]) -> dict[int, Attachment]:
    if not news_ids:
        return {}
    rows = session.exec(
        select(Attachment).where(Attachment.news_id.in_(news_ids)).order_by(Attachment.id)
    ).all()
    found: dict[int, Attachment] = {}
    for row in rows:
        found.setdefault(row.news_id, row)
    return found


def list_published(
    session: Session, *, role: str, page: int = 1, page_size: int = 5, today: date | None = None
) -> tuple[list[NewsView], int]:
    """One page of visible news, newest first, and the total count."""
    today = today or date.today()
    conditions = _visible(role, today)
    total = session.exec(select(sa.func.count()).select_from(NewsItem).where(*conditions)).one()
    page = max(1, page)
    items = session.exec(
        select(NewsItem)
        .where(*conditions)
        .order_by(NewsItem.publication_date.desc(), NewsItem.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    attachments = _first_attachments(session, [i.id for i in items])
    return [_view(i, attachments.get(i.id)) for i in items], total


class PublishedPages:
    """The pages of published news each role sees, kept ``ttl`` seconds in the
    process: the private home reads its page on every visit (``HomeState.load``),
    while news change a few times a month. A save or a (un)publication in this
    process forgets every page at once (:func:`save_news`, :func:`set_published`);
    another worker's shows here within ``ttl`` seconds. A page read while a change
    was being saved is not kept (the generation it was read under is gone)."""

    def __init__(self, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic):
        self.ttl, self._clock = ttl, clock
        self._lock = threading.Lock()
        self._generation = 0
        self._pages: dict[tuple, tuple[float, tuple[NewsView, ...], int]] = {}

    def key(self, *, role: str, page: int, page_size: int, today: date | None = None) -> tuple:
        """What a page depends on (the day: a news item shows from its date)."""
        with self._lock:
            return (self._generation, role, page, page_size, today or date.today())

    def get(self, key: tuple) -> tuple[list[NewsView], int] | None:
        with self._lock:
            found = self._pages.get(key)
            if found is None or found[0] <= self._clock():
                return None
            return list(found[1]), found[2]

    def put(self, key: tuple, items: list[NewsView], total: int) -> None:
        with self._lock:
            if key[0] == self._generation:
                self._pages[key] = (self._clock() + self.ttl, tuple(items), total)

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._pages.clear()


published_pages = PublishedPages()


def get_published(
    session: Session, *, news_id: int, role: str, today: date | None = None
) -> NewsView | None:
    item = session.exec(
        select(NewsItem).where(NewsItem.id == news_id, *_visible(role, today or date.today()))
    ).first()
    if item is None:
        return None
    return _view(item, _first_attachments(session, [item.id]).get(item.id))


# ---------------------------------------------------------------------------
# Publishing (ASP staff)
# ---------------------------------------------------------------------------

CATEGORIES = tuple(c.value for c in NewsCategory)
MSG_TITLE_REQUIRED = "Le titre est obligatoire (200 caractères au plus)."
MSG_BODY_REQUIRED = "Le texte de l'actualité est obligatoire."
MSG_CATEGORY = "Choisissez une catégorie."
MSG_DATE = "La date de publication est obligatoire (jj/mm/aaaa)."
MSG_NOT_FOUND = "Actualité introuvable."


@dataclass(frozen=True)
class NewsInput:
    title: str
    body: str
    category: str
    publication_date: date | None


@dataclass(frozen=True)
class StaffNewsRow:
    id: int
    title: str
    category: str
    published_on: str
    is_published: bool
    state_label: str  # NewsState label: « Publiée » / « Brouillon »
    attachment_name: str


def news_problems(data: NewsInput) -> dict[str, str]:
    problems = {}
    if not data.title.strip() or len(data.title.strip()) > 200:
        problems["title"] = MSG_TITLE_REQUIRED
    if not data.body.strip():
        problems["body"] = MSG_BODY_REQUIRED
    if data.category not in CATEGORIES:
        problems["category"] = MSG_CATEGORY
    if data.publication_date is None:
        problems["publication_date"] = MSG_DATE
    return problems


class NewsRefused(ValueError):
    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def save_news(
    session: Session,
    *,
    news_id: int | None,
    data: NewsInput,
    staff_id: int,
    attachment: "StagedDocument | None" = None,
    remove_attachment: bool = False,
    store,
) -> int:
    """Create or update a news item (and its optional attachment) — commits."""
    from segur_app.domain import file_commit

    problems = news_problems(data)
    if problems:
        raise NewsRefused(problems)
    item = NewsItem(created_by_id=staff_id, publication_date=data.publication_date,
                    title="", body="") if news_id is None else session.get(NewsItem, news_id)
    if item is None:
        raise NewsRefused({"form": MSG_NOT_FOUND})
    item.title, item.body = data.title.strip(), data.body.strip()
    item.category, item.publication_date = data.category, data.publication_date
    item.updated_at = utcnow()
    session.add(item)
    session.flush()
    old = _first_attachments(session, [item.id]).get(item.id)
    replaced = old if old is not None and (remove_attachment or attachment is not None) else None
    if replaced is not None:
        session.delete(replaced)
        file_commit.delete_after_commit(session, [replaced.storage_key], store=store)
    try:
        if attachment is not None:
            session.add(uploads.attachment_row(
                attachment, kind=AttachmentKind.NEWS.value,
                storage_key=file_commit.publish(session, attachment, store=store),
                uploaded_by_id=staff_id, news_id=item.id,
            ))
        audit(session, "news_saved", actor_user_id=staff_id, title=item.title, news_id=item.id)
        session.flush()
        session.commit()  # then the staged copy and the replaced file are removed
        published_pages.forget()
    except storage.StorageUnavailable:
        session.rollback()
        raise NewsRefused({"form": storage.MSG_UNAVAILABLE}) from None
    except BaseException:
        session.rollback()  # the published attachment is removed, the old one kept
        raise
    return item.id


def set_published(session: Session, *, news_id: int, published: bool, staff_id: int) -> None:
    item = session.get(NewsItem, news_id)
    if item is None:
        raise NewsRefused({"form": MSG_NOT_FOUND})
    item.is_published = published
    session.add(item)
    audit(session, "news_published" if published else "news_unpublished",
          actor_user_id=staff_id, news_id=news_id, title=item.title)
    session.commit()
    published_pages.forget()


# ---------------------------------------------------------------------------
# The staff list
# ---------------------------------------------------------------------------

STAFF_PAGE_SIZE = 20
STAFF_SORTS = {
    "date_desc": Key((NewsItem.publication_date, NewsItem.id), descending=True),
    "date_asc": Key((NewsItem.publication_date, NewsItem.id)),
    "titre": Key((NewsItem.title, NewsItem.id)),
}
STAFF_DEFAULT_SORT = "date_desc"


@dataclass(frozen=True)
class NewsFilters:
    status: str = ""  # a NewsState value, "" for all
    category: str = ""  # a NewsCategory value, "" for all
    sort: str = STAFF_DEFAULT_SORT


def _staff_conditions(filters: NewsFilters) -> list:
    conditions = []
    if filters.status in {s.value for s in NewsState}:
        conditions.append(NewsItem.is_published == (filters.status == NewsState.PUBLISHED.value))
    if filters.category in CATEGORIES:
        conditions.append(NewsItem.category == filters.category)
    return conditions


def staff_page(session: Session, *, filters: NewsFilters = NewsFilters(),
               window: Window = Window(), page_size: int = STAFF_PAGE_SIZE) -> paging.RowsPage:
    """One page of every news item (drafts included) as ``StaffNewsRow`` s, filtered and
    sorted, newest first by default; its total and the page number shown."""
    found = paging.rows_page(
        session, NewsItem, conditions=_staff_conditions(filters), window=window,
        key=STAFF_SORTS.get(filters.sort, STAFF_SORTS[STAFF_DEFAULT_SORT]), page_size=page_size)
    attachments = _first_attachments(session, [i.id for i in found.rows])
    rows = [
        StaffNewsRow(
            id=i.id, title=i.title, category=i.category,
            published_on=i.publication_date.strftime("%d/%m/%Y"), is_published=i.is_published,
            state_label=(NewsState.PUBLISHED if i.is_published else NewsState.DRAFT).label,
            attachment_name=attachments[i.id].original_name if i.id in attachments else "",
        )
        for i in found.rows
    ]
    return dataclasses.replace(found, rows=rows)


def news_input_of(session: Session, news_id: int) -> NewsInput | None:
    item = session.get(NewsItem, news_id)
    if item is None:
        return None
    return NewsInput(item.title, item.body, item.category, item.publication_date)
