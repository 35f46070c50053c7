"""Enrolment requests (« demande d'enrôlement »): submission, decisions, views.

Submission (public form)
    :func:`submit_enrolment` stores a complete, checked request in one unit of
    work — the supplier row (created, or reused after a rejection), its bank
    details, the enrolment (``ENRSAS`` number, status « A instruire »), the RIB
    published from staging to private storage (``uploads.publish``: the sha256
    of the file checked when it was chosen is verified, the file is not
    checked again), the history
    and the acknowledgement email (outbox) — and commits; on any failure
    nothing remains and the staged RIB is kept for a new attempt.

One enrolment per supplier
    Enforced by the database: unique SIRET and unique ANS number on
    ``supplier``, and the partial unique index ``uq_enrolment_active_supplier``
    (one non-rejected enrolment per supplier). Concurrent submissions for the
    same company therefore end with exactly one enrolment; the others get
    :data:`MSG_ONE_ENROLMENT`. A rejected request does not count.

Decisions (staff)
    :func:`approve_enrolment` and :func:`reject_enrolment` change the status
    with optimistic locking on ``Enrolment.version`` (a stale decision raises
    :class:`DecisionRefused` with :data:`MSG_DECISION_CONFLICT`). Approval
    opens the supplier's account (identifiant ``prenom.nom``, temporary password
    valid 7 days, sent by email); rejection emails its mandatory reason. Both
    add their history and emails to the caller's transaction (no commit).

What the screens show is built in :mod:`segur_app.domain.enrolment_views`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from segur_app.domain import mail, mail_templates, uploads
from segur_app.domain.accounts import audit, count_within_limit
from segur_app.domain.credentials import open_account, queue_credentials_email
from segur_app.domain.enrolment_form import MSG_CGU_REQUIRED, MSG_RIB_REQUIRED, EnrolmentData
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    Attachment,
    AttachmentKind,
    AuditEvent,
    BankDetails,
    Enrolment,
    EnrolmentStatus,
    Role,
    Supplier,
    utcnow,
)
from segur_app.domain.numbering import ENROLMENT_SERIES, next_number

AUDIT_SUBMISSION_ATTEMPT = "enrolment_submission_attempt"
AUDIT_SUBMISSION_THROTTLED = "enrolment_submission_throttled"
AUDIT_BOT_SUSPECTED = "enrolment_bot_suspected"
AUDIT_RIB_STAGED = "enrolment_rib_staged"
AUDIT_SUBMITTED = "enrolment_submitted"
AUDIT_APPROVED = "enrolment_approved"
AUDIT_REJECTED = "enrolment_rejected"
AUDIT_ACCOUNT_CREATED = "account_created"

SUBMISSIONS_PER_ADDRESS = 10
RIB_UPLOADS_PER_ADDRESS = 30
ABUSE_WINDOW = timedelta(hours=1)
MIN_FILL_SECONDS = 3.0
# The public forms' anti-robot field (components.forms.anti_robot_field): a
# person never sees it, a robot that fills every input does.
HONEYPOT_NAME = "site_internet"
MAX_REASON_LENGTH = 2000
PENDING_STATUSES: tuple[str, ...] = (
    EnrolmentStatus.SUBMITTED.value,
    EnrolmentStatus.IN_REVIEW.value,
)
# What the supplier is shown (staff see EnrolmentStatus labels).
SUPPLIER_STATUS_LABELS: dict[str, str] = {
    EnrolmentStatus.SUBMITTED.value: "En cours",
    EnrolmentStatus.IN_REVIEW.value: "En cours",
    EnrolmentStatus.APPROVED.value: EnrolmentStatus.APPROVED.label,
    EnrolmentStatus.REJECTED.value: EnrolmentStatus.REJECTED.label,
}

MSG_ONE_ENROLMENT = (
    "Un fournisseur SAS ne peut faire qu'un seul enrôlement : une demande d'enrôlement "
    "existe déjà pour ce SIRET ou ce N° unique de référencement (ANS). Pour la suivre, "
    "connectez-vous à votre espace personnel (« Suivi des demandes d'enrôlement ») ou, "
    "si vous n'avez pas encore reçu vos identifiants, contactez l'assistance."
)
MSG_SIRET_TAKEN = "Une demande d'enrôlement existe déjà pour ce SIRET."
MSG_ANS_TAKEN = "Une demande d'enrôlement existe déjà pour ce N° unique de référencement (ANS)."
MSG_ANS_OTHER_SIRET = (
    "Ce N° unique de référencement (ANS) est déjà associé à un autre SIRET : "
    "contactez l'assistance."
)
MSG_SUBMISSION_FAILED = (
    "Votre demande n'a pas pu être enregistrée. Aucune donnée n'a été conservée : "
    "veuillez réessayer dans quelques instants."
)
MSG_AUTOMATED = (
    "Votre demande n'a pas pu être envoyée. Vérifiez le formulaire puis réessayez "
    "dans quelques instants."
)
MSG_THROTTLED = (
    "Trop de demandes ont été envoyées depuis votre poste. Veuillez réessayer dans "
    "une heure ou contacter l'assistance."
)
MSG_NOT_FOUND = "Cette demande d'enrôlement n'existe pas."
MSG_DECISION_CONFLICT = (
    "Cette demande d'enrôlement a été modifiée entre-temps (décision déjà prise par "
    "un autre agent ?). La liste a été actualisée : vérifiez la demande avant de décider."
)
MSG_REASON_REQUIRED = "Le motif du rejet est obligatoire."
MSG_REASON_TOO_LONG = f"Le motif du rejet ne doit pas dépasser {MAX_REASON_LENGTH} caractères."


class EnrolmentRefused(Exception):
    """The request cannot be stored; ``message`` (French) and per-field errors."""

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class DecisionRefused(Exception):
    """A staff decision that cannot be applied; ``message`` is French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _history(
    session: Session,
    enrolment: Enrolment,
    action: str,
    *,
    old_status: str | None,
    actor_user_id: int | None,
    client_address: str | None,
    now: datetime,
    **details,
) -> None:
    session.add(
        AuditEvent(
            action=action,
            enrolment_id=enrolment.id,
            actor_user_id=actor_user_id,
            client_address=client_address,
            occurred_at=now,
            old_status=old_status,
            new_status=enrolment.status,
            details=json.dumps(details, ensure_ascii=False) if details else None,
        )
    )


# ---------------------------------------------------------------------------
# Abuse resistance of the public form
# ---------------------------------------------------------------------------


def looks_automated(*, honeypot: str, elapsed_seconds: float | None) -> bool:
    """The hidden field was filled, or the form was sent implausibly fast."""
    return bool(honeypot.strip()) or elapsed_seconds is None or elapsed_seconds < MIN_FILL_SECONDS


def register_submission_attempt(
    session: Session, *, client_address: str | None, now: datetime | None = None
) -> bool:
    """Count one sending of the form; False (and recorded) past the per-address limit."""
    now = now or utcnow()
    allowed = count_within_limit(session, window=ABUSE_WINDOW, action=AUDIT_SUBMISSION_ATTEMPT,
                            limit=SUBMISSIONS_PER_ADDRESS, client_address=client_address, now=now)
    if not allowed:
        audit(session, AUDIT_SUBMISSION_THROTTLED, client_address=client_address, now=now)
    return allowed


def register_rib_upload(
    session: Session, *, client_address: str | None, now: datetime | None = None
) -> bool:
    """Count one RIB staged from the public form; False past the per-address limit."""
    return count_within_limit(session, window=ABUSE_WINDOW, action=AUDIT_RIB_STAGED, limit=RIB_UPLOADS_PER_ADDRESS,
                         client_address=client_address, now=now or utcnow())


def record_automated_attempt(
    session: Session, *, client_address: str | None, reason: str, now: datetime | None = None
) -> None:
    audit(session, AUDIT_BOT_SUSPECTED, client_address=client_address, now=now, reason=reason)


# ---------------------------------------------------------------------------
# One enrolment per supplier
# ---------------------------------------------------------------------------


def duplicate_errors(session: Session, *, siret: str, ans_number: str) -> dict[str, str]:
    """Field errors when this SIRET or ANS number already has a non-rejected enrolment."""
    rows = session.exec(
        select(Supplier.siret, Supplier.ans_number)
        .join(Enrolment, Enrolment.supplier_id == Supplier.id)
        .where(
            Enrolment.status != EnrolmentStatus.REJECTED.value,
            sa.or_(Supplier.siret == siret, Supplier.ans_number == ans_number),
        )
    ).all()
    errors: dict[str, str] = {}
    for row_siret, row_ans in rows:
        if row_siret == siret:
            errors["siret"] = MSG_SIRET_TAKEN
        if row_ans == ans_number:
            errors["ans_number"] = MSG_ANS_TAKEN
    return errors


def _supplier_for(session: Session, data: EnrolmentData) -> Supplier:
    """The supplier row of this request: new, or the one of a rejected request."""
    by_siret = session.exec(select(Supplier).where(Supplier.siret == data.siret)).first()
    by_ans = session.exec(select(Supplier).where(Supplier.ans_number == data.ans_number)).first()
    if by_siret is not None and by_ans is not None and by_siret.id != by_ans.id:
        raise EnrolmentRefused(MSG_ANS_OTHER_SIRET,
                               field_errors={"ans_number": MSG_ANS_OTHER_SIRET})
    supplier = by_siret or by_ans or Supplier(
        ans_number=data.ans_number, siret=data.siret, company_name=data.company_name,
        street=data.street, postal_code=data.postal_code, city=data.city,
    )
    supplier.ans_number, supplier.siret = data.ans_number, data.siret
    supplier.company_name, supplier.street = data.company_name, data.street
    supplier.postal_code, supplier.city = data.postal_code, data.city
    session.add(supplier)
    session.flush()  # unique SIRET / ANS answer here
    return supplier


def _save_bank_details(session: Session, *, supplier_id: int, data: EnrolmentData,
                       now: datetime) -> None:
    bank = session.exec(
        select(BankDetails).where(BankDetails.supplier_id == supplier_id)
    ).first() or BankDetails(supplier_id=supplier_id, iban="", bic="", holder="",
                             domiciliation="")
    bank.iban, bank.bic = data.iban, data.bic
    bank.holder, bank.domiciliation = data.holder, data.domiciliation
    bank.updated_at = now
    session.add(bank)


# ---------------------------------------------------------------------------
# Submission
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionResult:
    enrolment_id: int
    number: str
    submitted_at: datetime
    contact_email: str


RIB_UPLOAD = uploads.UploadPolicy.for_kind(AttachmentKind.RIB)
"""What the RIB field accepts (PDF, PNG, JPEG of 4 Mo at most)."""


def _publish_rib(session: Session, rib: uploads.StagedDocument, storage_dir: Path) -> str:
    """Publish the staged RIB: it must still be there and still be the file that was checked."""
    try:
        return uploads.publish(session, rib, policy=RIB_UPLOAD, storage_dir=storage_dir)
    except uploads.StagedFileMissing:
        raise EnrolmentRefused(MSG_RIB_REQUIRED, field_errors={"rib": MSG_RIB_REQUIRED}) from None
    except uploads.StagedFileAltered as altered:
        if altered.rejection is None:
            raise EnrolmentRefused(MSG_SUBMISSION_FAILED) from None
        message = altered.rejection.message
        raise EnrolmentRefused(message, field_errors={"rib": message}) from None


def _new_enrolment(session: Session, *, supplier_id: int, data: EnrolmentData,
                   now: datetime) -> Enrolment:
    enrolment = Enrolment(
        number=next_number(session, ENROLMENT_SERIES),
        supplier_id=supplier_id,
        status=EnrolmentStatus.SUBMITTED.value,
        submitted_at=now,
        status_changed_at=now,
        legal_rep_civility=data.legal_rep_civility,
        legal_rep_last_name=data.legal_rep_last_name,
        legal_rep_first_name=data.legal_rep_first_name,
        legal_rep_role=data.legal_rep_role,
        contact_last_name=data.contact_last_name,
        contact_first_name=data.contact_first_name,
        contact_email=data.contact_email,
        contact_phone=data.contact_phone,
    )
    session.add(enrolment)
    session.flush()  # one active enrolment per supplier: the partial index answers here
    return enrolment


def _rib_attachment(rib: uploads.StagedDocument, *, key: str, enrolment_id: int,
                    now: datetime) -> Attachment:
    return Attachment(
        kind=AttachmentKind.RIB.value,
        original_name=rib.original_name,
        size_bytes=rib.size_bytes,
        sha256=rib.sha256,
        mime_type=rib.mime_type,
        scan_result=rib.scan_result,
        storage_key=key,
        uploaded_at=now,
        enrolment_id=enrolment_id,
    )


def submit_enrolment(
    session: Session,
    *,
    data: EnrolmentData,
    rib: uploads.StagedDocument | None,
    cgu_accepted: bool,
    storage_dir: Path,
    assistance_url: str,
    client_address: str | None = None,
    now: datetime | None = None,
) -> SubmissionResult:
    """Store a complete request — and COMMIT (rows, RIB file and email together).

    Raises :class:`EnrolmentRefused` (nothing stored) when a rule is not met.
    """
    now = now or utcnow()
    if not cgu_accepted:
        raise EnrolmentRefused(MSG_CGU_REQUIRED, field_errors={"cgu": MSG_CGU_REQUIRED})
    duplicates = duplicate_errors(session, siret=data.siret, ans_number=data.ans_number)
    if duplicates:
        raise EnrolmentRefused(MSG_ONE_ENROLMENT, field_errors=duplicates)
    if rib is None or rib.kind != RIB_UPLOAD.kind:
        raise EnrolmentRefused(MSG_RIB_REQUIRED, field_errors={"rib": MSG_RIB_REQUIRED})
    try:
        supplier = _supplier_for(session, data)
        _save_bank_details(session, supplier_id=supplier.id, data=data, now=now)
        enrolment = _new_enrolment(session, supplier_id=supplier.id, data=data, now=now)
        key = _publish_rib(session, rib, storage_dir)
        session.add(_rib_attachment(rib, key=key, enrolment_id=enrolment.id, now=now))
        _history(session, enrolment, AUDIT_SUBMITTED, old_status=None, actor_user_id=None,
                 client_address=client_address, now=now, cgu_accepted=True,
                 cgu_accepted_at=now.isoformat(), contact_email=data.contact_email,
                 siret=data.siret, ans_number=data.ans_number)
        content = mail_templates.enrolment_acknowledgement(
            enrolment.number, assistance_url=assistance_url
        )
        mail.queue_email(
            session, template=TemplateName.ENROLMENT_ACKNOWLEDGEMENT, to=data.contact_email,
            subject=content.subject, text=content.text, html=content.html,
            enrolment_id=enrolment.id,
        )
        session.flush()
        session.commit()  # the staged RIB is discarded once it has happened
    except IntegrityError:
        session.rollback()  # the published RIB is removed (file_commit)
        duplicates = duplicate_errors(session, siret=data.siret, ans_number=data.ans_number)
        message = MSG_ONE_ENROLMENT if duplicates else MSG_SUBMISSION_FAILED
        raise EnrolmentRefused(message, field_errors=duplicates) from None
    except EnrolmentRefused:
        session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    return SubmissionResult(enrolment_id=enrolment.id, number=enrolment.number,
                            submitted_at=now, contact_email=data.contact_email)


# ---------------------------------------------------------------------------
# Decisions (staff)
# ---------------------------------------------------------------------------


def _decide(
    session: Session,
    *,
    enrolment_id: int,
    expected_version: int,
    new_status: EnrolmentStatus,
    staff_user_id: int,
    reason: str | None,
    now: datetime,
) -> tuple[Enrolment, str]:
    """Compare-and-set the status on ``version``; returns (enrolment, old status)."""
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise DecisionRefused(MSG_NOT_FOUND)
    old_status = enrolment.status
    table = Enrolment.__table__
    result = session.execute(
        sa.update(table)
        .where(
            table.c.id == enrolment_id,
            table.c.version == expected_version,
            table.c.status.in_(PENDING_STATUSES),
        )
        .values(
            status=new_status.value,
            status_changed_at=now,
            decided_by_id=staff_user_id,
            decision_reason=reason,
            version=table.c.version + 1,
        )
    )
    if result.rowcount != 1:
        raise DecisionRefused(MSG_DECISION_CONFLICT)
    session.refresh(enrolment)
    return enrolment, old_status


AUDIT_TAKEN = "enrolment_taken_in_charge"


def take_in_charge(
    session: Session,
    *,
    enrolment_id: int,
    expected_version: int,
    staff_user_id: int,
    client_address: str | None = None,
    now: datetime | None = None,
) -> str:
    """« Prendre en charge »: a submitted request becomes « En cours » (caller commits)."""
    now = now or utcnow()
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.status != EnrolmentStatus.SUBMITTED.value:
        raise DecisionRefused(MSG_DECISION_CONFLICT)
    enrolment, old_status = _decide(
        session, enrolment_id=enrolment_id, expected_version=expected_version,
        new_status=EnrolmentStatus.IN_REVIEW, staff_user_id=staff_user_id, reason=None, now=now,
    )
    _history(session, enrolment, AUDIT_TAKEN, old_status=old_status,
             actor_user_id=staff_user_id, client_address=client_address, now=now)
    return f"La demande {enrolment.number} est prise en charge."


@dataclass(frozen=True)
class ApprovalResult:
    number: str
    identifiant: str
    email: str
    user_id: int


def approve_enrolment(
    session: Session,
    *,
    enrolment_id: int,
    expected_version: int,
    staff_user_id: int,
    login_url: str,
    assistance_url: str,
    client_address: str | None = None,
    now: datetime | None = None,
) -> ApprovalResult:
    """Validate the request and open the supplier's account (caller commits).

    The account's temporary password exists only in the credentials email,
    whose stored body the mail service blanks once sent.
    """
    now = now or utcnow()
    enrolment, old_status = _decide(
        session, enrolment_id=enrolment_id, expected_version=expected_version,
        new_status=EnrolmentStatus.APPROVED, staff_user_id=staff_user_id, reason=None, now=now,
    )
    account, password = open_account(
        session, first_name=enrolment.contact_first_name, last_name=enrolment.contact_last_name,
        email=enrolment.contact_email, role=Role.SUPPLIER, supplier_id=enrolment.supplier_id,
        now=now,
    )
    _history(session, enrolment, AUDIT_APPROVED, old_status=old_status,
             actor_user_id=staff_user_id, client_address=client_address, now=now)
    audit(session, AUDIT_ACCOUNT_CREATED, actor_user_id=staff_user_id,
          subject_user_id=account.id, client_address=client_address, now=now,
          identifiant=account.identifiant, enrolment=enrolment.number)
    decision = mail_templates.enrolment_decision(enrolment.number, True,
                                                 assistance_url=assistance_url)
    mail.queue_email(
        session, template=TemplateName.ENROLMENT_DECISION, to=account.email,
        subject=decision.subject, text=decision.text, html=decision.html, user_id=account.id,
        enrolment_id=enrolment.id,
    )
    queue_credentials_email(session, account=account, password=password, login_url=login_url,
                            assistance_url=assistance_url, enrolment_id=enrolment.id)
    session.flush()
    return ApprovalResult(number=enrolment.number, identifiant=account.identifiant,
                          email=account.email, user_id=account.id)


def reject_enrolment(
    session: Session,
    *,
    enrolment_id: int,
    expected_version: int,
    staff_user_id: int,
    reason: str,
    assistance_url: str,
    client_address: str | None = None,
    now: datetime | None = None,
) -> str:
    """Reject the request with its mandatory reason, emailed to the contact
    (caller commits). Returns the enrolment number."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise DecisionRefused(MSG_REASON_REQUIRED)
    if len(reason) > MAX_REASON_LENGTH:
        raise DecisionRefused(MSG_REASON_TOO_LONG)
    enrolment, old_status = _decide(
        session, enrolment_id=enrolment_id, expected_version=expected_version,
        new_status=EnrolmentStatus.REJECTED, staff_user_id=staff_user_id, reason=reason,
        now=now,
    )
    _history(session, enrolment, AUDIT_REJECTED, old_status=old_status,
             actor_user_id=staff_user_id, client_address=client_address, now=now,
             reason=reason)
    content = mail_templates.enrolment_decision(enrolment.number, False, reason,
                                                assistance_url=assistance_url)
    mail.queue_email(
        session, template=TemplateName.ENROLMENT_DECISION, to=enrolment.contact_email,
        subject=content.subject, text=content.text, html=content.html,
        enrolment_id=enrolment.id,
    )
    session.flush()
    return enrolment.number
