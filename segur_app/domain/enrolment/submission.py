"""Submitting an enrolment request (« Effectuer ma demande d'enrôlement »).

:func:`submit` stores a complete, checked request in one unit of work — the
supplier row (created, or reused after a rejection), its bank details, the
enrolment (``ENRSAS`` number, status « A instruire »), the RIB published from
staging to private storage (``uploads.publish``: the sha256 of the file checked
when it was chosen is verified, the file is not checked again), the history, the
« Accusé de dépôt » PDF (``receipts``) and the acknowledgement email (outbox,
linking to it) — and commits; on any failure nothing remains and the staged RIB
is kept for a new attempt.

One enrolment per supplier
    Enforced by the database: unique SIRET and unique ANS number on
    ``supplier``, and the partial unique index ``uq_enrolment_active_supplier``
    (one non-rejected enrolment per supplier). Concurrent submissions for the
    same company therefore end with exactly one enrolment; the others get
    :data:`~segur_app.domain.enrolment.rules.MSG_ONE_ENROLMENT`. A rejected
    request does not count.

The public form's abuse resistance (hidden field, minimum fill time, per-address
limits) is here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from segur_app.domain import generated_documents, mail, mail_templates, receipts, storage, uploads
from segur_app.domain.anti_abuse import count_sending, count_upload
from segur_app.domain.enrolment.form import MSG_CGU_REQUIRED, MSG_RIB_REQUIRED, EnrolmentData
from segur_app.domain.enrolment.rules import (
    AUDIT_RIB_STAGED,
    AUDIT_SUBMISSION_ATTEMPT,
    AUDIT_SUBMISSION_THROTTLED,
    AUDIT_SUBMITTED,
    MSG_ANS_OTHER_SIRET,
    MSG_ANS_TAKEN,
    MSG_ONE_ENROLMENT,
    MSG_SIRET_TAKEN,
    MSG_SUBMISSION_FAILED,
    RIB_UPLOADS_PER_ADDRESS,
    SUBMISSIONS_PER_ADDRESS,
    EnrolmentRefused,
    record_history,
)
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    AttachmentKind,
    BankDetails,
    Enrolment,
    EnrolmentStatus,
    Supplier,
    utcnow,
)
from segur_app.domain.numbering import ENROLMENT_SERIES, next_number

# ---------------------------------------------------------------------------
# Abuse resistance of the public form
# ---------------------------------------------------------------------------


def register_submission_attempt(
    session: Session, *, client_address: str | None, now: datetime | None = None
) -> bool:
    """Count one sending of the form; False (and recorded) past the per-address limit."""
    return count_sending(session, action=AUDIT_SUBMISSION_ATTEMPT,
                         throttled_action=AUDIT_SUBMISSION_THROTTLED,
                         limit=SUBMISSIONS_PER_ADDRESS, client_address=client_address, now=now)


def register_rib_upload(
    session: Session, *, client_address: str | None, now: datetime | None = None
) -> bool:
    """Count one RIB staged from the public form; False past the per-address limit."""
    return count_upload(session, action=AUDIT_RIB_STAGED, limit=RIB_UPLOADS_PER_ADDRESS,
                        client_address=client_address, now=now)


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


def _publish_rib(session: Session, rib: uploads.StagedDocument,
                 store: storage.Storage) -> str:
    """Publish the staged RIB: it must still be there and still be the file that was checked."""
    try:
        return uploads.publish(session, rib, policy=RIB_UPLOAD, store=store)
    except uploads.StagedFileMissing:
        raise EnrolmentRefused(MSG_RIB_REQUIRED, field_errors={"rib": MSG_RIB_REQUIRED}) from None
    except storage.StorageUnavailable:
        raise EnrolmentRefused(storage.MSG_UNAVAILABLE) from None
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
        status=EnrolmentStatus.TO_REVIEW.value,
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


def submit(
    session: Session,
    *,
    data: EnrolmentData,
    rib: uploads.StagedDocument | None,
    cgu_accepted: bool,
    store: storage.Storage,
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
        key = _publish_rib(session, rib, store)
        session.add(uploads.attachment_row(rib, kind=AttachmentKind.RIB.value, storage_key=key,
                                           uploaded_at=now, enrolment_id=enrolment.id))
        record_history(session, enrolment, AUDIT_SUBMITTED, old_status=None, actor_user_id=None,
                 client_address=client_address, now=now, cgu_accepted=True,
                 cgu_accepted_at=now.isoformat(), contact_email=data.contact_email,
                 siret=data.siret, ans_number=data.ans_number)
        receipt = receipts.issue_enrolment_receipt(
            session, enrolment=enrolment, store=store, now=now
        )
        content = mail_templates.enrolment_acknowledgement(
            enrolment.number, assistance_url=assistance_url,
            receipt_url=generated_documents.download_url(receipt.id),
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
