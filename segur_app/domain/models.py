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

import enum
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from segur_app.domain import counters_ddl, search_ddl
from segur_app.domain.search import supplier_text

# Naming convention so that constraint names are stable across backends and
# Alembic autogenerate can compare them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _ts(nullable: bool = False, index: bool = False) -> sa.Column:
    return sa.Column(sa.DateTime(timezone=True), nullable=nullable, index=index)


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry the French label shown in the UI."""

    label: str

    def __new__(cls, value: str, label: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj

    @classmethod
    def options(cls) -> list[tuple[str, str]]:
        """(value, label) pairs in declaration order: the one source of the
        option lists shown in the pages."""
        return [(member.value, member.label) for member in cls]

    @classmethod
    def values(cls) -> frozenset[str]:
        return frozenset(member.value for member in cls)

    @classmethod
    def check(cls, column: str) -> sa.CheckConstraint:
        values = ", ".join(f"'{m.value}'" for m in cls)
        return sa.CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


class Role(LabelledEnum):
    SUPPLIER = ("supplier", "Fournisseur SAS")
    STAFF = ("staff", "Agent ASP")


class EnrolmentStatus(LabelledEnum):
    """The same members and codes as :class:`FundingStatus`."""

    TO_REVIEW = ("a_instruire", "A instruire")
    IN_PROGRESS = ("en_cours", "En cours")
    VALIDATED = ("validee", "Validée")
    REJECTED = ("rejetee", "Rejetée")


class FundingKind(LabelledEnum):
    ADVANCE = ("avance", "Demande d'avance")
    BALANCE = ("solde", "Demande de solde")


class FundingStatus(LabelledEnum):
    TO_REVIEW = ("a_instruire", "A instruire")
    IN_PROGRESS = ("en_cours", "En cours")
    # Staff asked the supplier to replace pieces (CorrectionRequest); the
    # dossier goes back to « En cours » when the supplier sends them.
    AWAITING_CORRECTIONS = ("complements", "En attente de compléments")
    VALIDATED = ("validee", "Validée")
    REJECTED = ("rejetee", "Rejetée")


class ControlStatus(LabelledEnum):
    """Per-block control decision on a funding request."""

    PENDING = ("a_instruire", "A instruire")
    OK = ("ok", "Contrôle OK")
    KO = ("ko", "Contrôle KO")


class ReviewStatus(LabelledEnum):
    """Per-attachment review decision."""

    PENDING = ("a_instruire", "A instruire")
    COMPLIANT = ("conforme", "Conforme")
    NON_COMPLIANT = ("non_conforme", "Non conforme")


class ScanResult(LabelledEnum):
    """What the antivirus (clamd) said of an uploaded file (``domain/antivirus.py``)."""

    CLEAN = ("sain", "Sain")
    INFECTED = ("infecte", "Infecté")  # refused at once: never stored on a row
    ERROR = ("erreur", "Erreur d'analyse")  # clamd unavailable, SEGUR_ANTIVIRUS=optional
    NOT_SCANNED = ("non_analyse", "Non analysé")  # SEGUR_ANTIVIRUS=off, or before 0010


class CorrectionReason(LabelledEnum):
    """Why a piece is « Non conforme » (shown to the supplier in the correction request)."""

    ILLEGIBLE = ("illisible", "Document illisible")
    EXPIRED = ("expire", "Document expiré")
    WRONG_DOCUMENT = ("mauvais_document", "Mauvais document")
    MISSING_INFORMATION = ("info_manquante", "Information manquante")
    OTHER = ("autre", "Autre (préciser)")


class AttachmentKind(LabelledEnum):
    PV_MISE_EN_SERVICE = ("pv_mise_en_service", "Procès-verbal de mise en service")
    ATTESTATION_HONNEUR = (
        "attestation_honneur",
        "Attestation sur l'honneur de procuration de documents à la destination "
        "des Régulateurs et des Effecteurs",
    )
    JUSTIFICATIF_TRANSMISSION = (
        "justificatif_transmission",
        "Justificatif de transmission des données à la plateforme numérique SAS",
    )
    FACTURE = ("facture", "Copie de la facture émise au client final")
    PV_VERIFICATION = (
        "pv_verification",
        "Procès-verbal de vérification d'aptitude ou déclaration de mise en "
        "ordre de marche",
    )
    RIB = ("rib", "Relevé d'identité bancaire (RIB)")
    NEWS = ("news", "Pièce jointe d'actualité")
    ASSISTANCE = ("assistance", "Pièce jointe de demande d'assistance")
    OTHER = ("autre", "Autre document")


class TicketCategory(LabelledEnum):
    ENROLMENT = ("enrolement", "Enrôlement")
    LOGIN = ("connexion", "Connexion et identifiants")
    ADVANCE = ("avance", "Demande d'avance")
    BALANCE = ("solde", "Demande de solde")
    DOCUMENTS = ("pieces", "Pièces justificatives")
    OTHER = ("autre", "Autre")


class TicketStatus(LabelledEnum):
    OPEN = ("en_attente", "En attente de réponse")
    ANSWERED = ("repondue", "Répondue")
    CLOSED = ("close", "Close")


class NewsCategory(LabelledEnum):
    """Who reads a news item (the staff read every category)."""

    SUPPLIER = ("FOURNISSEUR", "FOURNISSEUR")
    ASP = ("ASP", "ASP")


class NewsState(LabelledEnum):
    """A news item as the staff list shows it (``NewsItem.is_published``)."""

    PUBLISHED = ("publiee", "Publiée")
    DRAFT = ("brouillon", "Brouillon")


class EmailStatus(LabelledEnum):
    PENDING = ("en_attente", "En attente")
    SENT = ("envoye", "Envoyé")
    FAILED = ("echec", "Echec")


# --------------------------------------------------------------------------
# Suppliers and accounts
# --------------------------------------------------------------------------


class SupplierBase(SQLModel):
    ans_number: str = Field(max_length=32, description="N° unique de référencement (ANS)")
    siret: str = Field(max_length=14, min_length=14)
    company_name: str = Field(max_length=255, description="Dénomination sociale")
    street: str = Field(max_length=255)
    postal_code: str = Field(max_length=10)
    city: str = Field(max_length=120)


def _supplier_text(context) -> str:
    """Column default of ``supplier.search_text`` (Core inserts too)."""
    row = context.get_current_parameters()
    return supplier_text(row["company_name"], row["siret"], row["ans_number"])


class Supplier(SupplierBase, table=True):
    __tablename__ = "supplier"
    __table_args__ = (
        sa.UniqueConstraint("ans_number"),
        sa.UniqueConstraint("siret"),
        sa.Index("ix_supplier_search_text", "search_text"),  # sort by company name
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    # Staff lists' search and sort key (search.supplier_text of the name, SIRET
    # and ANS number), trigram-indexed (search_ddl). Binary order on both
    # backends ("C" collation on PostgreSQL). Kept by the column default
    # and the ORM events below; a Core UPDATE of those fields must set it.
    search_text: str = Field(default="", sa_column=sa.Column(
        sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql"),
        nullable=False, server_default="", default=_supplier_text))

    @property
    def address(self) -> str:
        """Single-line address as the guide prints it."""
        return f"{self.street} , {self.postal_code}, {self.city}"


@sa.event.listens_for(Supplier, "before_insert")
@sa.event.listens_for(Supplier, "before_update")
def _keep_search_text(_mapper, _connection, supplier: Supplier) -> None:
    supplier.search_text = supplier_text(supplier.company_name, supplier.siret,
                                         supplier.ans_number)


class BankDetails(SQLModel, table=True):
    """Coordonnées bancaires of a supplier (one current set per supplier)."""

    __tablename__ = "bank_details"
    __table_args__ = (sa.UniqueConstraint("supplier_id"),)

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    iban: str = Field(max_length=34)
    bic: str = Field(max_length=11)
    holder: str = Field(max_length=255, description="Titulaire")
    domiciliation: str = Field(max_length=255)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        sa.UniqueConstraint("identifiant"),
        Role.check("role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    identifiant: str = Field(max_length=64)
    email: str = Field(max_length=254, index=True)
    first_name: str = Field(max_length=120)
    last_name: str = Field(max_length=120)
    role: str = Field(max_length=16)
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id", index=True)
    is_active: bool = True

    password_hash: str = Field(max_length=255)
    password_changed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    # First login: a temporary password must be replaced, then a secret question set.
    must_change_password: bool = True
    temp_password_expires_at: datetime | None = Field(
        default=None, sa_column=_ts(nullable=True)
    )
    secret_question: str | None = Field(default=None, max_length=255)
    secret_answer_hash: str | None = Field(default=None, max_length=255)

    # Failed logins and lockout are counted per identifiant in LoginThrottle.
    last_login_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def needs_secret_question(self) -> bool:
        return self.secret_answer_hash is None


class UserSession(SQLModel, table=True):
    """Server-side login session; the browser only keeps the random token."""

    __tablename__ = "user_session"
    __table_args__ = (sa.UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    client_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)


class AuthEpoch(SQLModel, table=True):
    """One row, bumped in the same transaction as any change that ends a
    session or alters what it may do (revocation, password, role, first-login
    step...): processes that cache validated sessions (domain/session_cache.py)
    compare it at every event, so a revocation is seen on the very next one."""

    __tablename__ = "auth_epoch"

    id: int = Field(default=1, primary_key=True)
    value: int = 0


class PasswordResetToken(SQLModel, table=True):
    """Single-use link sent by "J'ai oublié mon mot de passe"."""

    __tablename__ = "password_reset_token"
    __table_args__ = (sa.UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    failed_answers: int = 0


class EmailChangeToken(SQLModel, table=True):
    """« Mon compte »: a new contact address waiting for confirmation by link."""

    __tablename__ = "email_change_token"
    __table_args__ = (sa.UniqueConstraint("token_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    new_email: str = Field(max_length=254)
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


# --------------------------------------------------------------------------
# Enrolment
# --------------------------------------------------------------------------


# The staff list's default filter, literally as the partial index says it.
ENROLMENT_PENDING = "status IN ('a_instruire', 'en_cours')"


class Enrolment(SQLModel, table=True):
    """Demande d'enrôlement. At most one non-rejected enrolment per supplier."""

    __tablename__ = "enrolment"
    __table_args__ = (
        sa.UniqueConstraint("number"),
        EnrolmentStatus.check("status"),
        sa.Index(
            "uq_enrolment_active_supplier",
            "supplier_id",
            unique=True,
            sqlite_where=sa.text("status != 'rejetee'"),
            postgresql_where=sa.text("status != 'rejetee'"),
        ),
        # Staff list: every status / one status / pending (the default), by date.
        sa.Index("ix_enrolment_submitted", "submitted_at", "id"),
        sa.Index("ix_enrolment_status_submitted", "status", "submitted_at", "id"),
        sa.Index("ix_enrolment_pending_submitted", "submitted_at", "id",
                 sqlite_where=sa.text(ENROLMENT_PENDING), postgresql_where=sa.text(ENROLMENT_PENDING)),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=16, description="ENRSAS + 6 chiffres")
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    status: str = Field(default=EnrolmentStatus.TO_REVIEW.value, max_length=16)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    status_changed_at: datetime = Field(default_factory=utcnow, sa_column=_ts())

    # Représentant légal
    legal_rep_civility: str = Field(default="", max_length=8)
    legal_rep_last_name: str = Field(default="", max_length=120)
    legal_rep_first_name: str = Field(default="", max_length=120)
    legal_rep_role: str = Field(default="", max_length=120)
    # Contact for the portal account
    contact_last_name: str = Field(default="", max_length=120)
    contact_first_name: str = Field(default="", max_length=120)
    contact_email: str = Field(default="", max_length=254)
    contact_phone: str = Field(default="", max_length=20)

    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decision_reason: str | None = Field(default=None, sa_type=sa.Text)
    version: int = 1


# --------------------------------------------------------------------------
# Funding requests (demande d'avance / demande de solde)
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
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_number: str = Field(max_length=16, description="FINSAS + 6 chiffres")
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    kind: str = Field(max_length=8)
    status: str = Field(default=FundingStatus.IN_PROGRESS.value, max_length=16)
    deposited_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    status_changed_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
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
    storage_key: str = Field(max_length=64, description="Random name inside storage_dir")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
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
    superseded_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class GeneratedDocumentKind(LabelledEnum):
    """A PDF the portal issues itself (``domain/receipts.py``, ``domain/letters.py``)."""

    DEPOSIT_RECEIPT = ("accuse_depot", "Accusé de dépôt")
    DECISION_LETTER = ("decision", "Courrier de décision")


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
    generated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


# Open correction requests (the reminder sweep and the « Délai dépassé » flag).
CORRECTION_OPEN = "answered_at IS NULL AND closed_at IS NULL"


class CorrectionRequest(SQLModel, table=True):
    """« Demande de compléments »: staff ask the supplier to replace some pieces
    (those whose ``attachment.correction_id`` is this request) before ``due_at``.

    At most one open request per dossier (partial unique index). The reminder
    sent 7 days before ``due_at`` is claimed by setting ``reminder_sent_at`` in
    a conditional UPDATE (domain/corrections.send_due_reminders): whatever the
    number of workers, each reminder is queued exactly once.
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
    requested_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    requested_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    message: str | None = Field(default=None, sa_type=sa.Text)
    due_at: datetime = Field(sa_column=_ts())
    reminder_sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    answered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    answered_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    supplier_comment: str | None = Field(default=None, sa_type=sa.Text)
    # The dossier was decided (rejected past the deadline) while the request was open.
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


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
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    answered_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    answer: str | None = Field(default=None, sa_type=sa.Text)
    answered_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class StaffNote(SQLModel, table=True):
    """Private note of an ASP agent on a dossier (never shown to suppliers)."""

    __tablename__ = "staff_note"

    id: int | None = Field(default=None, primary_key=True)
    funding_request_id: int | None = Field(
        default=None, foreign_key="funding_request.id", index=True
    )
    enrolment_id: int | None = Field(default=None, foreign_key="enrolment.id", index=True)
    author_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    text: str = Field(sa_type=sa.Text)


class LoginThrottle(SQLModel, table=True):
    """Failed logins per identifiant typed, whether an account has it or not.

    The per-account lockout (domain/throttling.py) lives here rather than on
    ``user_account`` so that an unknown identifiant is counted, locked and
    answered exactly like a real one — without creating an account. The key is
    the SHA-256 of the normalised identifiant: what people type (sometimes
    their password) is not kept in clear.
    """

    __tablename__ = "login_throttle"

    key_hash: str = Field(primary_key=True, max_length=64)
    failed_count: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True, index=True))
    locked_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


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


# --------------------------------------------------------------------------
# Mail outbox, news, audit trail
# --------------------------------------------------------------------------


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
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


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
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class AuditEvent(SQLModel, table=True):
    """Append-only history: status changes, control decisions, logins, emails."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_column=_ts(index=True))
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


search_ddl.attach(SQLModel.metadata)
counters_ddl.attach(SQLModel.metadata)
