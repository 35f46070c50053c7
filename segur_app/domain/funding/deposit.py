"""Funding requests: eligibility, numbering, the atomic deposit.

A supplier makes one advance request ("demande d'avance") and later one
balance request ("demande de solde"); the database enforces one request per
kind per supplier, so a double click, a second tab or a replayed event can
never create a second dossier.

The deposit is one unit of work: dossier row, attachment rows, status
history, the confirmation email (outbox) and the files themselves.
Files were checked and staged when chosen (``uploads.stage``); the deposit publishes them
under their final keys — the files are not checked again, nor hashed again
when they provably did not change since (``storage.publish_staged``) — and
commits. On any failure the database is rolled back and the files stay in
staging, so nothing half-done remains.

The PDF « Accusé de dépôt » (:mod:`segur_app.domain.receipts`) is issued
right after the commit (:func:`issue_receipt`): it prints only what the
committed rows say, and the email links to it by dossier number
(``generated_documents.receipt_url``: that link issues it on demand if it is
still missing — a crash or a failure between the commit and the issue — as
does the hourly ``missing_documents`` pass). The deposit form tells the
supplier first and issues it afterwards (``state/funding.py``).
What the supplier's « Suivi » screen shows is built in :mod:`.views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
import logging
import time

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from segur_app.core.config import get_settings
from segur_app.domain import generated_documents, mail, mail_templates, receipts, storage, uploads
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.numbering import DOSSIER_SERIES, next_number
from segur_app.domain.refusals import Refused
from segur_app.domain.models import (
    AttachmentKind,
    AuditEvent,
    BankDetails,
    Enrolment,
    EnrolmentStatus,
    FundingKind,
    FundingRequest,
    FundingStatus,
    Supplier,
    utcnow,
)


ADVANCE_DOCUMENTS: tuple[AttachmentKind, ...] = (
    AttachmentKind.PV_MISE_EN_SERVICE,
    AttachmentKind.ATTESTATION_HONNEUR,
    AttachmentKind.JUSTIFICATIF_TRANSMISSION,
)
VAT_LABEL = "HT - 0%"
log = logging.getLogger(__name__)

MSG_NOT_SUPPLIER = "Seul un fournisseur SAS peut déposer une demande de financement."
MSG_NOT_ENROLLED = (
    "Votre demande d'enrôlement doit être validée par l'ASP avant de pouvoir déposer "
    "une demande de financement."
)
MSG_NO_BANK_DETAILS = (
    "Les coordonnées bancaires de votre enrôlement sont absentes : contactez l'assistance."
)
MSG_BALANCE_ALREADY_DEPOSITED = (
    "Votre demande de solde a déjà été déposée : un fournisseur SAS ne peut faire qu'une "
    "seule demande de solde."
)
MSG_BALANCE_NOT_YET = (
    "La demande de solde sera disponible lorsque votre demande d'avance aura été "
    "validée par l'ASP."
)
MSG_ALREADY_DEPOSITED = (
    "Votre demande d'avance a déjà été déposée : un fournisseur SAS ne peut faire "
    "qu'une seule demande de financement."
)
MSG_DOCUMENT_REQUIRED = "Ce document est obligatoire."
MSG_DEPOSIT_FAILED = (
    "Le dépôt n'a pas pu être enregistré. Aucune donnée n'a été conservée : veuillez "
    "réessayer dans quelques instants."
)


class DepositRefused(Refused):
    """The deposit cannot be made; ``message`` (French) and per-field errors."""


# ---------------------------------------------------------------------------
# Eligibility
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplierSummary:
    """The « Récapitulatif » block."""

    ans_number: str
    siret: str
    company_name: str
    address: str


def supplier_summary(session: Session, supplier_id: int) -> SupplierSummary | None:
    supplier = session.get(Supplier, supplier_id)
    if supplier is None:
        return None
    return SupplierSummary(
        ans_number=supplier.ans_number,
        siret=supplier.siret,
        company_name=supplier.company_name,
        address=supplier.address,
    )


def find_request(session: Session, *, supplier_id: int, kind: FundingKind) -> FundingRequest | None:
    return session.exec(
        select(FundingRequest).where(
            FundingRequest.supplier_id == supplier_id, FundingRequest.kind == kind.value
        )
    ).first()


def required_documents(kind: FundingKind) -> tuple[AttachmentKind, ...]:
    """The pieces of each request: fixed for the advance, from settings for the balance."""
    if kind is FundingKind.ADVANCE:
        return ADVANCE_DOCUMENTS
    return tuple(AttachmentKind(value) for value in get_settings().balance_documents)


def already_deposited_message(kind: FundingKind) -> str:
    return MSG_ALREADY_DEPOSITED if kind is FundingKind.ADVANCE else MSG_BALANCE_ALREADY_DEPOSITED


def refusal(session: Session, *, supplier_id: int | None, kind: FundingKind) -> str | None:
    """Why this supplier cannot deposit a request of ``kind`` now (None = it can)."""
    if kind is FundingKind.ADVANCE:
        return advance_refusal(session, supplier_id=supplier_id)
    if supplier_id is None:
        return MSG_NOT_SUPPLIER
    if find_request(session, supplier_id=supplier_id, kind=FundingKind.BALANCE) is not None:
        return MSG_BALANCE_ALREADY_DEPOSITED
    advance = find_request(session, supplier_id=supplier_id, kind=FundingKind.ADVANCE)
    if advance is None or advance.status != FundingStatus.VALIDATED.value:
        return MSG_BALANCE_NOT_YET
    return advance_refusal(session, supplier_id=supplier_id, kind_checked=True)


def advance_refusal(
    session: Session, *, supplier_id: int | None, kind_checked: bool = False
) -> str | None:
    """Why this supplier cannot deposit an advance request now (None = it can).

    ``kind_checked``: only the enrolment and bank details are checked (used
    for the balance, whose own rules were checked by the caller).
    """
    if supplier_id is None:
        return MSG_NOT_SUPPLIER
    approved = session.exec(
        select(Enrolment.id).where(
            Enrolment.supplier_id == supplier_id,
            Enrolment.status == EnrolmentStatus.VALIDATED.value,
        )
    ).first()
    if approved is None:
        return MSG_NOT_ENROLLED
    if not kind_checked and find_request(
        session, supplier_id=supplier_id, kind=FundingKind.ADVANCE
    ) is not None:
        return MSG_ALREADY_DEPOSITED
    if session.exec(
        select(BankDetails.id).where(BankDetails.supplier_id == supplier_id)
    ).first() is None:
        return MSG_NO_BANK_DETAILS
    return None


# ---------------------------------------------------------------------------
# Deposit
# ---------------------------------------------------------------------------


def piece_upload(kind: AttachmentKind) -> uploads.UploadPolicy:
    """What the file field of a piece accepts (PDF, PNG, JPEG of 4 Mo at most)."""
    return uploads.UploadPolicy.for_kind(kind)


@dataclass(frozen=True)
class DepositResult:
    funding_request_id: int
    dossier_number: str
    deposited_at: datetime


def publish_piece(session: Session, document: uploads.StagedDocument, piece: AttachmentKind,
                  store: storage.Storage) -> str:
    """Publish a staged piece (its sha256 verified: the file is not checked again)."""
    try:
        return uploads.publish(session, document, policy=piece_upload(piece),
                               store=store)
    except uploads.StagedFileMissing:
        raise DepositRefused(
            MSG_DOCUMENT_REQUIRED, field_errors={piece.value: MSG_DOCUMENT_REQUIRED}
        ) from None
    except storage.StorageUnavailable:
        raise DepositRefused(storage.MSG_UNAVAILABLE) from None
    except uploads.StagedFileAltered as altered:
        if altered.rejection is None:
            raise DepositRefused(MSG_DEPOSIT_FAILED) from None
        message = altered.rejection.message
        raise DepositRefused(message, field_errors={piece.value: message}) from None


def deposit_request(
    session: Session,
    *,
    kind: FundingKind,
    supplier_id: int | None,
    user_id: int,
    recipient: str,
    documents: dict[str, uploads.StagedDocument],
    store: storage.Storage,
    amount: int,
    assistance_url: str,
    now: datetime | None = None,
    issue_receipt_now: bool = True,
) -> DepositResult:
    """Deposit a funding request — and COMMIT (files and rows together).

    Raises ``DepositRefused`` (nothing stored) when a rule is not met.
    ``issue_receipt_now``: issue the receipt once committed (:func:`issue_receipt`,
    in ``session``); False: the caller does it (after telling the supplier).
    """
    now = now or utcnow()
    pieces = required_documents(kind)
    reason = refusal(session, supplier_id=supplier_id, kind=kind)
    if reason is not None:
        raise DepositRefused(reason)
    missing = {k.value: MSG_DOCUMENT_REQUIRED for k in pieces if k.value not in documents}
    if missing:
        raise DepositRefused(
            f"Les {len(pieces)} pièces jointes sont obligatoires.", field_errors=missing
        )

    bank = session.exec(select(BankDetails).where(BankDetails.supplier_id == supplier_id)).one()
    try:
        number = next_number(session, DOSSIER_SERIES)
        request = FundingRequest(
            dossier_number=number,
            supplier_id=supplier_id,
            kind=kind.value,
            status=FundingStatus.IN_PROGRESS.value,
            deposited_at=now,
            status_changed_at=now,
            deposited_by_id=user_id,
            amount=amount,
            vat_label=VAT_LABEL,
            iban=bank.iban,
            bic=bank.bic,
            bank_holder=bank.holder,
            bank_domiciliation=bank.domiciliation,
        )
        session.add(request)
        session.flush()  # the one-request-per-kind constraint answers here
        for piece in pieces:
            document = documents[piece.value]
            session.add(uploads.attachment_row(
                document, kind=piece.value,
                storage_key=publish_piece(session, document, piece, store),
                uploaded_at=now, uploaded_by_id=user_id, funding_request_id=request.id,
            ))
        session.add(
            AuditEvent(
                action="funding_deposited",
                actor_user_id=user_id,
                funding_request_id=request.id,
                occurred_at=now,
                new_status=request.status,
            )
        )
        confirmation, template = (
            (mail_templates.advance_deposit_confirmation,
             TemplateName.ADVANCE_DEPOSIT_CONFIRMATION)
            if kind is FundingKind.ADVANCE
            else (mail_templates.balance_deposit_confirmation,
                  TemplateName.BALANCE_DEPOSIT_CONFIRMATION)
        )
        content = confirmation(number, now, assistance_url=assistance_url,
                               receipt_url=generated_documents.receipt_url(number))
        mail.queue_email(
            session,
            template=template,
            to=recipient,
            subject=content.subject,
            text=content.text,
            html=content.html,
            user_id=user_id,
            funding_request_id=request.id,
        )
        session.flush()
        session.commit()  # the staged copies are discarded once it has happened
    except IntegrityError:
        session.rollback()  # the files published for it are removed (file_commit)
        if find_request(session, supplier_id=supplier_id, kind=kind):
            raise DepositRefused(already_deposited_message(kind)) from None
        raise DepositRefused(MSG_DEPOSIT_FAILED) from None
    except DepositRefused:
        session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    result = DepositResult(
        funding_request_id=request.id, dossier_number=number, deposited_at=now
    )
    if issue_receipt_now:
        issue_receipt(session, deposited=result, store=store)
    return result


RECEIPT_ATTEMPTS = 3
"""Attempts at issuing a receipt after its deposit when the database answers with
an operational error (SQLite: another transaction's write won the lock)."""


def issue_receipt(session: Session, *, deposited: DepositResult, store: storage.Storage) -> bool:
    """Issue the « Accusé de dépôt » of a committed deposit — and COMMIT.

    Best effort: the deposit stands whatever happens here. A lock conflict
    (``OperationalError``: on SQLite, another deposit's transaction committed
    or held the write lock) is tried again, up to :data:`RECEIPT_ATTEMPTS`
    times a few tens of milliseconds apart; on any other failure, or the last
    conflict (logged), the receipt is issued by the first download of its link
    or by the hourly ``missing_documents`` pass; it says the same then (the
    rows of the deposit), only its « généré le » date differs. Dated the
    deposit's time.
    """
    for attempt in range(1, RECEIPT_ATTEMPTS + 1):
        try:
            request = session.get(FundingRequest, deposited.funding_request_id)
            receipts.ensure_funding_receipt(session, request=request, store=store,
                                            now=deposited.deposited_at)
            session.commit()
            return True
        except OperationalError as exc:
            session.rollback()  # its stored file too (file_commit)
            if attempt < RECEIPT_ATTEMPTS:
                time.sleep(0.025 * 2 ** attempt)
                continue
            failure = exc
        except Exception as exc:  # noqa: BLE001 - the deposit has committed: never undo it
            session.rollback()
            failure = exc
        break
    log.warning("receipt of %s not issued after the deposit (issued on demand later)",
                deposited.dossier_number, exc_info=failure)
    return False
