"""Funding requests, their pieces (attachments), generated documents, correction
requests and staff notes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from segur_app.domain.models.base import company_sort_column, timestamp_column, utcnow
from segur_app.domain.models.enums import (
    AttachmentKind,
    ControlStatus,
    CorrectionReason,
    FundingKind,
    FundingStatus,
    GeneratedDocumentKind,
    ReviewStatus,
    ScanResult,
)


# --------------------------------------------------------------------------


class FundingRequest(SQLModel, table=True):
    __tablename__ = "funding_request"
    __table_args__ = (
        sa.UniqueConstraint("dossier_number"),
        sa.UniqueConstraint("supplier_id", "kind"),
        FundingKind.check("kind"),
        FundingStatus.check("status"),
        ControlStatus.check("info_control"),
        ControlStatus.check("bank_control"),
        sa.CheckConstraint("amount >= 0", name="amount_positive"),
        # Staff lists filter by kind/status and sort by deposit date or status
        # (keys end with the id: keyset pagination).
        sa.Index("ix_funding_request_deposited", "deposited_at", "id"),
        sa.Index("ix_funding_request_kind_status_deposited", "kind", "status", "deposited_at",
                 "id"),
        sa.Index("ix_funding_request_status_deposited", "status", "deposited_at", "id"),
        # Sort by company name; kind and status make it covering: a page by its number
        # filtered by them is an OFFSET along this index alone.
        sa.Index("ix_funding_request_company_sort", "company_sort", "id", "kind", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_number: str = Field(max_length=16, description="FINSAS + 6 chiffres")
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    kind: str = Field(max_length=8)
    status: str = Field(default=FundingStatus.IN_PROGRESS.value, max_length=16)
    deposited_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    status_changed_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    deposited_by_id: int | None = Field(default=None, foreign_key="user_account.id")

    amount: int = Field(description="Montant en euros")
    vat_label: str = Field(default="HT - 0%", max_length=32, description="Taux de TVA")

    # Snapshot of the bank details at deposit time (the block "Coordonnées bancaires").
    iban: str = Field(default="", max_length=34)
    bic: str = Field(default="", max_length=11)
    bank_holder: str = Field(default="", max_length=255)
    bank_domiciliation: str = Field(default="", max_length=255)

    # Instruction (staff review)
    info_control: str = Field(default=ControlStatus.PENDING.value, max_length=16)
    info_control_comment: str | None = Field(default=None, sa_type=sa.Text)
    bank_control: str = Field(default=ControlStatus.PENDING.value, max_length=16)
    bank_control_comment: str | None = Field(default=None, sa_type=sa.Text)
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decision_reason: str | None = Field(default=None, sa_type=sa.Text)
    # An agent recorded a block control or a piece decision (« En cours » on the
    # dashboard). Set by instruction.py under the dossier's optimistic lock.
    instruction_started: bool = Field(default=False, sa_column=sa.Column(
        sa.Boolean, nullable=False, server_default=sa.false()))
    # Optimistic locking for concurrent staff decisions.
    version: int = 1
    # The supplier's search_text, for the sort by company name (database triggers).
    company_sort: str = Field(default="", sa_column=company_sort_column())


# A funding piece is current until a correction replaces it (attachment.superseded_at).
CURRENT_PIECE = "superseded_at IS NULL"


class Attachment(SQLModel, table=True):
    """Metadata of a stored private document; the bytes live in the document store.

    A funding request has one *current* piece per kind; a piece replaced after a
    « Demande de compléments » stays (file and row) with ``superseded_at`` set,
    and its replacement points back to it (``replaces_id``): the history keeps
    every version.
    """

    __tablename__ = "attachment"
    __table_args__ = (
        sa.UniqueConstraint("storage_key"),
        sa.Index("uq_attachment_current_piece", "funding_request_id", "kind", unique=True,
                 sqlite_where=sa.text(CURRENT_PIECE), postgresql_where=sa.text(CURRENT_PIECE)),
        AttachmentKind.check("kind"),
        ReviewStatus.check("review_status"),
        ScanResult.check("scan_result"),
        CorrectionReason.check("review_reason"),
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    original_name: str = Field(max_length=255)
    size_bytes: int
    sha256: str = Field(max_length=64)
    mime_type: str = Field(max_length=64)
    storage_key: str = Field(max_length=64, description="Random name inside the document store")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    uploaded_by_id: int | None = Field(default=None, foreign_key="user_account.id")

    # Exactly one owner (checked in the services; FKs keep them consistent).
    funding_request_id: int | None = Field(
        default=None, foreign_key="funding_request.id", index=True
    )
    enrolment_id: int | None = Field(default=None, foreign_key="enrolment.id", index=True)
    news_id: int | None = Field(default=None, foreign_key="news_item.id", index=True)
    ticket_id: int | None = Field(default=None, foreign_key="assistance_ticket.id", index=True)

    review_status: str = Field(default=ReviewStatus.PENDING.value, max_length=16)
    review_comment: str | None = Field(default=None, sa_type=sa.Text)
    # The antivirus verdict when the file was staged (ScanResult value).
    scan_result: str = Field(default=ScanResult.NOT_SCANNED.value, sa_column=sa.Column(
        sa.String(16), nullable=False, server_default=ScanResult.NOT_SCANNED.value))

    # « Non conforme »: the reason chosen (CorrectionReason; free text in the comment).
    review_reason: str | None = Field(default=None, max_length=32)

    # Corrections (« Demande de compléments »): the request that asked for this
    # piece to be replaced, the piece this one replaces, when it was replaced.
    correction_id: int | None = Field(default=None, foreign_key="correction_request.id",
                                      index=True)
    replaces_id: int | None = Field(default=None, foreign_key="attachment.id")
    superseded_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class GeneratedDocument(SQLModel, table=True):
    """A document the portal generated for a dossier (deposit receipt, decision letter).

    Its file is an ``attachment`` row like every stored document (kind « autre »,
    no owner column set: it is not one of the dossier's pieces); the dossier it
    belongs to is recorded here, and ``documents.can_read`` reads it. One
    document of each kind per dossier.
    """

    __tablename__ = "generated_document"
    __table_args__ = (
        sa.UniqueConstraint("attachment_id"),
        sa.UniqueConstraint("funding_request_id", "kind"),
        sa.UniqueConstraint("enrolment_id", "kind"),
        GeneratedDocumentKind.check("kind"),
        sa.CheckConstraint("(funding_request_id IS NULL) <> (enrolment_id IS NULL)",
                           name="one_dossier"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    attachment_id: int = Field(foreign_key="attachment.id")
    # The unique constraints above index these columns (lookups by dossier).
    funding_request_id: int | None = Field(default=None, foreign_key="funding_request.id")
    enrolment_id: int | None = Field(default=None, foreign_key="enrolment.id")
    generated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


# Open correction requests (the reminder sweep and the « Délai dépassé » flag).
CORRECTION_OPEN = "answered_at IS NULL AND closed_at IS NULL"


class CorrectionRequest(SQLModel, table=True):
    """« Demande de compléments »: staff ask the supplier to replace some pieces
    (those whose ``attachment.correction_id`` is this request) before ``due_at``.

    At most one open request per dossier (partial unique index). The reminder
    sent 7 days before ``due_at`` is claimed by setting ``reminder_sent_at`` in
    a conditional UPDATE (``funding.correction_mails.send_due_reminders``):
    whatever the number of workers, each reminder is queued exactly once.
    """

    __tablename__ = "correction_request"
    __table_args__ = (
        sa.Index("uq_correction_request_open", "funding_request_id", unique=True,
                 sqlite_where=sa.text(CORRECTION_OPEN),
                 postgresql_where=sa.text(CORRECTION_OPEN)),
        sa.Index("ix_correction_request_open_due", "due_at",
                 sqlite_where=sa.text(CORRECTION_OPEN),
                 postgresql_where=sa.text(CORRECTION_OPEN)),
    )

    id: int | None = Field(default=None, primary_key=True)
    funding_request_id: int = Field(foreign_key="funding_request.id", index=True)
    requested_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    requested_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    message: str | None = Field(default=None, sa_type=sa.Text)
    due_at: datetime = Field(sa_column=timestamp_column())
    reminder_sent_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    answered_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    supplier_comment: str | None = Field(default=None, sa_type=sa.Text)
    # The dossier was decided (rejected past the deadline) while the request was open.
    closed_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class StaffNote(SQLModel, table=True):
    """Private note of an ASP agent on a dossier (never shown to suppliers)."""

    __tablename__ = "staff_note"

    id: int | None = Field(default=None, primary_key=True)
    funding_request_id: int | None = Field(
        default=None, foreign_key="funding_request.id", index=True
    )
    enrolment_id: int | None = Field(default=None, foreign_key="enrolment.id", index=True)
    author_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    text: str = Field(sa_type=sa.Text)
