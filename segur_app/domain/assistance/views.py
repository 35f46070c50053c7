"""What the screens show of assistance tickets: plain frozen views, no ORM object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain.dates import fr_datetime
from segur_app.domain.models import (
    AssistanceTicket,
    Attachment,
    TicketCategory,
    TicketStatus,
    UserAccount,
)

__all__ = ["TicketView", "contact_of", "open_count", "ticket_views", "user_tickets"]


@dataclass(frozen=True)
class TicketView:
    """What the screens display of a ticket (plain values, no ORM object)."""

    id: int
    number: str
    category: str
    status: str
    status_label: str
    created_on: str
    contact_email: str
    contact_name: str
    message: str
    answer: str
    answered_on: str
    closed_on: str
    attachment_id: int
    attachment_name: str


def _when(value: datetime | None) -> str:
    return "" if value is None else fr_datetime(value)


def ticket_views(session: Session, tickets: list[AssistanceTicket]) -> list[TicketView]:
    ids = [t.id for t in tickets]
    files: dict[int, Attachment] = {}
    if ids:
        for row in session.exec(select(Attachment).where(Attachment.ticket_id.in_(ids))
                                .order_by(Attachment.id)).all():
            files.setdefault(row.ticket_id, row)
    return [
        TicketView(
            id=t.id, number=t.number, category=TicketCategory(t.category).label,
            status=t.status, status_label=TicketStatus(t.status).label,
            created_on=_when(t.created_at), contact_email=t.contact_email,
            contact_name=t.contact_name, message=t.message, answer=t.answer or "",
            answered_on=_when(t.answered_at), closed_on=_when(t.closed_at),
            attachment_id=files[t.id].id if t.id in files else 0,
            attachment_name=files[t.id].original_name if t.id in files else "",
        )
        for t in tickets
    ]



def open_count(session: Session) -> int:
    return session.exec(
        select(sa.func.count()).select_from(AssistanceTicket)
        .where(AssistanceTicket.status == TicketStatus.OPEN.value)
    ).one()


def user_tickets(session: Session, *, user_id: int, limit: int = 100) -> list[TicketView]:
    """The tickets a user sent while logged in, newest first."""
    tickets = session.exec(
        select(AssistanceTicket)
        .where(AssistanceTicket.user_id == user_id)
        .order_by(AssistanceTicket.created_at.desc(), AssistanceTicket.id.desc())
        .limit(limit)
    ).all()
    return ticket_views(session, list(tickets))


def contact_of(session: Session, *, user_id: int) -> str:
    """The address a logged-in user's tickets are answered at (their account's)."""
    user = session.get(UserAccount, user_id)
    return user.email if user is not None else ""
