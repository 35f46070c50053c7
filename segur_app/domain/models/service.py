"""Assistance tickets, the mail outbox, news, the audit trail, list counters and
number series."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from segur_app.domain.models.base import timestamp_column, utcnow
from segur_app.domain.models.enums import (
    EmailStatus,
    NewsCategory,
    TicketCategory,
    TicketStatus,
)


class AssistanceTicket(SQLModel, table=True):
    """« Contacter l'assistance »: a question to the ASP support (ASSSAS number)."""

    __tablename__ = "assistance_ticket"
    __table_args__ = (
        sa.UniqueConstraint("number"),
        TicketCategory.check("category"),
        TicketStatus.check("status"),
        # Staff list: open tickets first, oldest first.
        sa.Index("ix_assistance_ticket_status_created", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=16, description="ASSSAS + 6 chiffres")
    category: str = Field(max_length=16)
    message: str = Field(sa_type=sa.Text)
    contact_email: str = Field(max_length=254)
    contact_name: str = Field(default="", max_length=240)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    status: str = Field(default=TicketStatus.OPEN.value, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    answered_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    answer: str | None = Field(default=None, sa_type=sa.Text)
    answered_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class ListCounter(SQLModel, table=True):
    """Rows of a staff list per group, kept exact by database triggers (counters_ddl.py).

    ``funding_request``: per kind, status and ``instruction_started``, with the
    sum of the amounts; ``enrolment``: per status (kind "", started false).
    Never written by the application.
    """

    __tablename__ = "list_counter"

    list_name: str = Field(primary_key=True, max_length=16)
    kind: str = Field(primary_key=True, max_length=8)
    status: str = Field(primary_key=True, max_length=16)
    started: bool = Field(primary_key=True)
    row_count: int = Field(default=0, sa_type=sa.BigInteger)
    amount_total: int = Field(default=0, sa_type=sa.BigInteger)


class NumberSeries(SQLModel, table=True):
    """Counters behind dossier/enrolment numbers (FINSAS000001, ENRSAS000001).

    Incremented with a single ``UPDATE … RETURNING``: the row lock serialises
    concurrent deposits, so two dossiers never get the same number.
    """

    __tablename__ = "number_series"

    name: str = Field(primary_key=True, max_length=16)
    last_value: int = 0


class EmailMessage(SQLModel, table=True):
    """Outbox row: written in the transaction of the event, delivered later."""

    __tablename__ = "email_message"
    __table_args__ = (
        EmailStatus.check("status"),
        sa.Index("ix_email_message_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    template: str = Field(max_length=64, description="Which automatic email this is")
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=255)
    body_text: str = Field(sa_type=sa.Text)
    body_html: str | None = Field(default=None, sa_type=sa.Text)

    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    funding_request_id: int | None = Field(
        default=None, foreign_key="funding_request.id", index=True
    )
    enrolment_id: int | None = Field(default=None, foreign_key="enrolment.id", index=True)

    status: str = Field(default=EmailStatus.PENDING.value, max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    sent_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class NewsItem(SQLModel, table=True):
    """Actualité shown on the suppliers' home page."""

    __tablename__ = "news_item"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    body: str = Field(sa_type=sa.Text)
    category: str = Field(default=NewsCategory.SUPPLIER.value, max_length=64)
    publication_date: date = Field(index=True)
    is_published: bool = Field(default=False, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class AuditEvent(SQLModel, table=True):
    """Append-only history: status changes, control decisions, logins, emails."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column(index=True))
    action: str = Field(max_length=64, index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    client_address: str | None = Field(default=None, max_length=64)

    funding_request_id: int | None = Field(
        default=None, foreign_key="funding_request.id", index=True
    )
    enrolment_id: int | None = Field(default=None, foreign_key="enrolment.id", index=True)
    subject_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    old_status: str | None = Field(default=None, max_length=16)
    new_status: str | None = Field(default=None, max_length=16)
    details: str | None = Field(default=None, sa_type=sa.Text)
