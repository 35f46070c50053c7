"""Database tables (SQLModel, ``table=True``) for the whole portal.

Conventions
-----------
* Enumerated values are stored as short strings guarded by CHECK constraints,
  so PostgreSQL and SQLite behave the same and migrations stay simple. The
  Python enums below are the single source of the allowed values and of their
  French labels (what the UI shows).
* Business rules that must hold under concurrency are database constraints:
  one enrolment per supplier (unless rejected), one funding request per kind
  per supplier, unique dossier / enrolment numbers, unique identifiants.
* All timestamps are timezone-aware UTC (``utcnow()``); dates shown to users
  are converted in the UI layer.
* Secrets (password hashes, token hashes) live only here and never travel to
  the browser: states copy the fields they display into plain values.
"""


from __future__ import annotations

from sqlmodel import SQLModel

from segur_app.domain import counters_ddl, search_ddl, sort_ddl
from segur_app.domain.models.base import LabelledEnum, timestamp_column, utcnow
from segur_app.domain.models.enums import (
    Role,
    EnrolmentStatus,
    FundingKind,
    FundingStatus,
    ControlStatus,
    ReviewStatus,
    ScanResult,
    CorrectionReason,
    AttachmentKind,
    TicketCategory,
    TicketStatus,
    NewsCategory,
    NewsState,
    EmailStatus,
    GeneratedDocumentKind,
)
from segur_app.domain.models.suppliers import (
    BankDetails,
    ENROLMENT_PENDING,
    Enrolment,
    Supplier,
    SupplierBase,
)
from segur_app.domain.models.accounts import (
    AuthEpoch,
    EmailChangeToken,
    LoginThrottle,
    PasswordResetToken,
    UserAccount,
    UserSession,
)
from segur_app.domain.models.funding import (
    Attachment,
    CORRECTION_OPEN,
    CURRENT_PIECE,
    CorrectionRequest,
    FundingRequest,
    GeneratedDocument,
    StaffNote,
)
from segur_app.domain.models.service import (
    AssistanceTicket,
    AuditEvent,
    EmailMessage,
    ListCounter,
    NewsItem,
    NumberSeries,
)

__all__ = [
    "LabelledEnum",
    "timestamp_column",
    "utcnow",
    "Role",
    "EnrolmentStatus",
    "FundingKind",
    "FundingStatus",
    "ControlStatus",
    "ReviewStatus",
    "ScanResult",
    "CorrectionReason",
    "AttachmentKind",
    "TicketCategory",
    "TicketStatus",
    "NewsCategory",
    "NewsState",
    "EmailStatus",
    "GeneratedDocumentKind",
    "BankDetails",
    "ENROLMENT_PENDING",
    "Enrolment",
    "Supplier",
    "SupplierBase",
    "AuthEpoch",
    "EmailChangeToken",
    "LoginThrottle",
    "PasswordResetToken",
    "UserAccount",
    "UserSession",
    "Attachment",
    "CORRECTION_OPEN",
    "CURRENT_PIECE",
    "CorrectionRequest",
    "FundingRequest",
    "GeneratedDocument",
    "StaffNote",
    "AssistanceTicket",
    "AuditEvent",
    "EmailMessage",
    "ListCounter",
    "NewsItem",
    "NumberSeries",
]

search_ddl.attach(SQLModel.metadata)
counters_ddl.attach(SQLModel.metadata)
sort_ddl.attach(SQLModel.metadata)
