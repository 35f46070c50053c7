"""Actualités: published news items as suppliers see them on their home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain.models import Attachment, NewsItem, Role

SUPPLIER_CATEGORY = "FOURNISSEUR"
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


def get_published(
    session: Session, *, news_id: int, role: str, today: date | None = None
) -> NewsView | None:
    item = session.exec(
        select(NewsItem).where(NewsItem.id == news_id, *_visible(role, today or date.today()))
    ).first()
    if item is None:
        return None
    return _view(item, _first_attachments(session, [item.id]).get(item.id))
