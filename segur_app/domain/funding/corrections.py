"""« Demande de compléments »: staff ask the supplier to replace some pieces.

The workflow, for the advance and the balance alike:

1. Staff mark pieces « Non conforme » with a reason (``instruction.review_attachment``,
   ``CorrectionReason``) and send the request (:func:`request_corrections`): the
   dossier goes to « En attente de compléments » with a deadline
   (``SEGUR_CORRECTION_DELAY_DAYS``), the pieces are tied to the request
   (``attachment.correction_id``), the supplier gets an email listing each piece
   and its reason.
2. The supplier replaces exactly those pieces, through the same upload checks as
   the deposit (staged with ``uploads.stage``, published with
   ``deposit.publish_piece``), with an optional comment (:func:`send_corrections`):
   each old piece is kept — row and file — with ``superseded_at`` set, its
   replacement points back to it (``replaces_id``); the dossier is « En cours »
   again and the agent who asked is emailed.
3. ``correction_mails.send_due_reminders`` (hourly, every worker) emails the supplier once,
   7 days before the deadline; past it, staff see « Délai dépassé » and may reject
   (``instruction.decide``).

Every change takes the dossier's optimistic lock (``instruction.lock_dossier``):
two agents, or an agent and the supplier, acting on the same version — one of
them is refused with the conflict message. History and emails are written in
the same transaction as the change. The emails (texts, the staff's preview,
the reminders) are in :mod:`.correction_mails`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain import mail, storage, uploads
from segur_app.domain.dates import as_utc, fr_date, fr_datetime
from segur_app.domain.funding import correction_mails
from segur_app.domain.funding.deposit import DepositRefused, publish_piece
from segur_app.domain.funding.instruction import (
    MSG_ALREADY_DECIDED,
    InstructionError,
    lock_dossier,
    open_correction,
    piece_label,
    record_event,
)
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    CORRECTION_OPEN,
    Attachment,
    AttachmentKind,
    CorrectionRequest,
    FundingKind,
    FundingRequest,
    FundingStatus,
    Supplier,
    UserAccount,
    utcnow,
)

MSG_NO_PIECE = (
    "Marquez au moins une pièce « Non conforme », avec son motif, avant de demander des "
    "compléments."
)
MSG_ALREADY_AWAITING = "Une demande de compléments est déjà en attente pour ce dossier."
MSG_NOTHING_AWAITED = "Aucun complément n'est attendu pour cette demande de financement."
MSG_PIECE_REQUIRED = "Déposez la nouvelle version de cette pièce."
MSG_PIECES_REQUIRED = "Déposez une nouvelle version de chacune des pièces demandées."


class CorrectionRefused(InstructionError):
    """Refused; ``field_errors``: message per piece kind (the supplier's form)."""

    def __init__(self, message: str, *, field_errors: dict[str, str] | None = None):
        super().__init__(message)
        self.field_errors = field_errors or {}


# ---------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AskedPiece:
    """A piece the request asked for: the version found non conforme and, once
    the supplier answered, its replacement (``new_id`` 0 until then)."""

    kind: str
    label: str
    reason_label: str
    comment: str
    old_id: int
    old_file_name: str
    old_deposited_on: str
    new_id: int = 0
    new_file_name: str = ""
    new_deposited_on: str = ""


@dataclass(frozen=True)
class CorrectionView:
    id: int
    requested_on: str
    due_on: str
    is_open: bool
    overdue: bool
    message: str
    answered_on: str
    supplier_comment: str
    reminder_sent: bool
    pieces: list[AskedPiece]


@dataclass(frozen=True)
class SupplierCorrection:
    """The open request as the supplier's « Suivi » screen shows it."""

    funding_request_id: int
    version: int
    kind: str
    kind_label: str
    dossier_number: str
    view: CorrectionView


def _view(session: Session, correction: CorrectionRequest, now: datetime) -> CorrectionView:
    asked = list(session.exec(select(Attachment).where(Attachment.correction_id == correction.id)
                              .order_by(Attachment.id)))
    replacements = {a.replaces_id: a for a in session.exec(
        select(Attachment).where(Attachment.replaces_id.in_([a.id for a in asked]))
    )} if asked else {}
    is_open = correction.answered_at is None and correction.closed_at is None
    pieces = []
    for old in asked:
        new = replacements.get(old.id)
        pieces.append(AskedPiece(
            kind=old.kind, label=piece_label(old.kind),
            reason_label=correction_mails.reason_label(old),
            comment=old.review_comment or "", old_id=old.id, old_file_name=old.original_name,
            old_deposited_on=fr_date(old.uploaded_at),
            new_id=new.id if new else 0, new_file_name=new.original_name if new else "",
            new_deposited_on=fr_date(new.uploaded_at) if new else "",
        ))
    return CorrectionView(
        id=correction.id, requested_on=fr_date(correction.requested_at),
        due_on=fr_date(correction.due_at), is_open=is_open,
        overdue=is_open and as_utc(correction.due_at) <= now,
        message=correction.message or "",
        answered_on=fr_date(correction.answered_at) if correction.answered_at else "",
        supplier_comment=correction.supplier_comment or "",
        reminder_sent=correction.reminder_sent_at is not None, pieces=pieces,
    )


def correction_views(session: Session, *, request_id: int,
                     now: datetime | None = None) -> list[CorrectionView]:
    """Every correction request of a dossier, newest first (the staff screen)."""
    now = now or utcnow()
    corrections = session.exec(
        select(CorrectionRequest).where(CorrectionRequest.funding_request_id == request_id)
        .order_by(CorrectionRequest.requested_at.desc(), CorrectionRequest.id.desc())
    ).all()
    return [_view(session, c, now) for c in corrections]


def supplier_correction(session: Session, *, supplier_id: int | None,
                        now: datetime | None = None) -> SupplierCorrection | None:
    """The supplier's request awaiting corrections, if any (at most one: the
    balance is deposited only once the advance is validated)."""
    if supplier_id is None:
        return None
    request = session.exec(
        select(FundingRequest).where(
            FundingRequest.supplier_id == supplier_id,
            FundingRequest.status == FundingStatus.AWAITING_CORRECTIONS.value)
        .order_by(FundingRequest.id)
    ).first()
    correction = open_correction(session, request.id) if request else None
    if correction is None:
        return None
    return SupplierCorrection(
        funding_request_id=request.id, version=request.version, kind=request.kind,
        kind_label=FundingKind(request.kind).label, dossier_number=request.dossier_number,
        view=_view(session, correction, now or utcnow()),
    )


def asked_kinds(session: Session, correction_id: int) -> list[AttachmentKind]:
    """The kinds of the pieces a request still waits for."""
    return [AttachmentKind(kind) for kind in session.exec(
        select(Attachment.kind).where(Attachment.correction_id == correction_id,
                                      Attachment.superseded_at.is_(None))
        .order_by(Attachment.id))]


# ---------------------------------------------------------------------------
# Staff: « Demander des compléments »
# ---------------------------------------------------------------------------


def request_corrections(
    session: Session,
    *,
    request_id: int,
    staff_id: int,
    expected_version: int,
    message: str = "",
    tracking_url: str | None = None,
    assistance_url: str | None = None,
    now: datetime | None = None,
) -> int:
    """Ask the supplier to replace the pieces marked « Non conforme »; COMMIT.

    Returns the dossier's new version.
    """
    now = now or utcnow()
    message = message.strip()[:correction_mails.MAX_MESSAGE_LENGTH]
    request = lock_dossier(session, request_id, expected_version, now=now)
    try:
        if request.status in (FundingStatus.VALIDATED.value, FundingStatus.REJECTED.value):
            raise InstructionError(MSG_ALREADY_DECIDED)
        if request.status == FundingStatus.AWAITING_CORRECTIONS.value:
            raise InstructionError(MSG_ALREADY_AWAITING)
        pieces = correction_mails.non_compliant_pieces(session, request.id)
        if not pieces:
            raise InstructionError(MSG_NO_PIECE)
    except InstructionError:
        session.rollback()
        raise
    due_at = correction_mails.due_date(now)
    correction = CorrectionRequest(funding_request_id=request.id, requested_at=now,
                                   requested_by_id=staff_id, message=message or None,
                                   due_at=due_at)
    session.add(correction)
    session.flush()
    for piece in pieces:
        piece.correction_id = correction.id
        session.add(piece)
    old = request.status
    request.status = FundingStatus.AWAITING_CORRECTIONS.value
    request.status_changed_at = now
    request.instruction_started = True
    session.add(request)
    record_event(session, "correction_requested", request=request, staff_id=staff_id, now=now,
                 old=old, new=request.status,
                 pieces=", ".join(piece_label(p.kind) for p in pieces),
                 due=f"réponse attendue avant le {fr_date(due_at)}", comment=message)
    recipient = session.get(UserAccount, request.deposited_by_id) if request.deposited_by_id else None
    if recipient is not None:
        content = correction_mails.correction_request(
            request.dossier_number, correction_mails.asked_texts(pieces), fr_date(due_at),
            message, tracking_url=tracking_url, assistance_url=assistance_url)
        mail.queue_email(session, template=TemplateName.CORRECTION_REQUEST, to=recipient.email,
                         subject=content.subject, text=content.text, html=content.html,
                         user_id=recipient.id, funding_request_id=request.id)
    session.commit()
    return request.version


# ---------------------------------------------------------------------------
# Supplier: « Envoyer les compléments »
# ---------------------------------------------------------------------------


def send_corrections(
    session: Session,
    *,
    supplier_id: int | None,
    user_id: int,
    request_id: int,
    expected_version: int,
    documents: dict[str, uploads.StagedDocument],
    store: storage.Storage,
    comment: str = "",
    dossier_url: str | None = None,
    tracking_url: str | None = None,
    assistance_url: str | None = None,
    now: datetime | None = None,
) -> int:
    """Replace the pieces asked for with the staged ``documents`` (by kind); COMMIT.

    The old versions stay (``superseded_at``); the dossier is « En cours » again.
    In the same transaction: the acknowledgement to the supplier who sent them
    (``tracking_url``, ``assistance_url``: its links) and the notice to the
    agent who asked (``dossier_url``).
    Raises :class:`CorrectionRefused` (nothing stored) or ``Conflict``.
    """
    now = now or utcnow()
    comment = comment.strip()[:2000]
    try:
        # The lock first (SQLite: a write opens the transaction), then the checks.
        request = lock_dossier(session, request_id, expected_version, now=now)
        correction = open_correction(session, request.id)
        if (supplier_id is None or request.supplier_id != supplier_id or correction is None
                or request.status != FundingStatus.AWAITING_CORRECTIONS.value):
            raise CorrectionRefused(MSG_NOTHING_AWAITED)
        asked = list(session.exec(
            select(Attachment).where(Attachment.correction_id == correction.id,
                                     Attachment.superseded_at.is_(None))
            .order_by(Attachment.id)))
        missing = {p.kind: MSG_PIECE_REQUIRED for p in asked if p.kind not in documents}
        if missing:
            raise CorrectionRefused(MSG_PIECES_REQUIRED, field_errors=missing)
        for old in asked:  # the current-piece index allows one current piece per kind
            old.superseded_at = now
            session.add(old)
        session.flush()
        for old in asked:
            document = documents[old.kind]
            try:
                key = publish_piece(session, document, AttachmentKind(old.kind), store)
            except DepositRefused as refused:
                raise CorrectionRefused(refused.message,
                                        field_errors=refused.field_errors) from None
            session.add(uploads.attachment_row(
                document, kind=old.kind, storage_key=key, uploaded_at=now,
                uploaded_by_id=user_id, funding_request_id=request.id, replaces_id=old.id))
        correction.answered_at = now
        correction.answered_by_id = user_id
        correction.supplier_comment = comment or None
        session.add(correction)
        request.status = FundingStatus.IN_PROGRESS.value
        request.status_changed_at = now
        session.add(request)
        labels = [piece_label(p.kind) for p in asked]
        record_event(session, "corrections_sent", request=request, staff_id=user_id, now=now,
                     old=FundingStatus.AWAITING_CORRECTIONS.value, new=request.status,
                     pieces=", ".join(labels), comment=comment)
        sender = session.get(UserAccount, user_id)
        if sender is not None and sender.is_active and sender.email:
            content = correction_mails.corrections_acknowledgement(
                request.dossier_number, labels, fr_datetime(now), tracking_url=tracking_url,
                assistance_url=assistance_url)
            mail.queue_email(session, template=TemplateName.CORRECTIONS_ACKNOWLEDGEMENT,
                             to=sender.email, subject=content.subject, text=content.text,
                             html=content.html, user_id=sender.id, funding_request_id=request.id)
        agent = (session.get(UserAccount, correction.requested_by_id)
                 if correction.requested_by_id else None)
        if agent is not None and agent.is_active:
            supplier = session.get(Supplier, request.supplier_id)
            content = correction_mails.corrections_received(
                request.dossier_number, supplier.company_name if supplier else "", labels,
                comment, dossier_url=dossier_url)
            mail.queue_email(session, template=TemplateName.CORRECTIONS_RECEIVED,
                             to=agent.email, subject=content.subject, text=content.text,
                             html=content.html, user_id=agent.id, funding_request_id=request.id)
        session.flush()
        session.commit()  # the staged copies are discarded once it has happened
    except BaseException:
        session.rollback()  # the files published for it are removed (file_commit)
        raise
    return request.version


# ---------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------


def _open():
    return sa.text(CORRECTION_OPEN)


def overdue_count(session: Session, *, now: datetime | None = None) -> int:
    """Dossiers whose supplier let the deadline pass (« Délai dépassé »)."""
    return session.exec(
        select(sa.func.count()).select_from(CorrectionRequest)
        .where(_open(), CorrectionRequest.due_at <= (now or utcnow()))
    ).one()
