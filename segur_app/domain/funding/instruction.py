"""Instruction of funding requests by ASP staff.

Per-block and per-attachment controls, private notes, history and the final
decision with its email. What the instruction screen shows is built in
:mod:`.views`; the list and its counters live in :mod:`.staff_list`, its CSV
export in :mod:`.export`.

Every change to a dossier goes through :func:`lock_dossier`, an optimistic lock on
``FundingRequest.version``: the agent's screen carries the version it showed;
if another agent changed the dossier meanwhile, the change is refused with
:data:`MSG_CONFLICT` instead of overwriting (or double-deciding) silently.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain import generated_documents, letters, mail, mail_templates, storage
from segur_app.domain.dates import as_utc
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    Attachment,
    AttachmentKind,
    AuditEvent,
    ControlStatus,
    CorrectionReason,
    CorrectionRequest,
    FundingRequest,
    FundingStatus,
    ReviewStatus,
    StaffNote,
    UserAccount,
    utcnow,
)

MSG_CONFLICT = (
    "Ce dossier vient d'être modifié par un autre agent. Rechargez la page pour voir "
    "ses informations à jour avant d'agir."
)
MSG_NOT_FOUND = "Dossier introuvable."
MSG_ALREADY_DECIDED = "Ce dossier a déjà fait l'objet d'une décision."
MSG_REASON_REQUIRED = "Le motif du rejet est obligatoire."
MSG_COMMENT_REQUIRED = "Un commentaire est obligatoire pour un contrôle KO ou une pièce non conforme."
MSG_CONTROLS_INCOMPLETE = (
    "La demande ne peut être validée que lorsque tous les contrôles sont « Contrôle OK » "
    "et toutes les pièces « Conforme »."
)
MSG_NOTE_REQUIRED = "La note est vide."
MSG_AWAITING = (
    "Le dossier est en attente de compléments du fournisseur : ses pièces ne peuvent être "
    "instruites qu'une fois les compléments reçus."
)
MSG_DEADLINE_NOT_PASSED = (
    "Le dossier est en attente de compléments : il ne peut être rejeté qu'une fois le délai "
    "de réponse du fournisseur dépassé."
)

BLOCKS = {"info": "Informations de la demande", "bank": "Coordonnées bancaires"}


class InstructionError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Conflict(InstructionError):
    pass


# ---------------------------------------------------------------------------
# One dossier
# ---------------------------------------------------------------------------


def piece_rank(attachment: Attachment) -> int:
    """Place of a piece in the forms (the order ``AttachmentKind`` declares them): a
    piece replaced after a « Demande de compléments » keeps its place."""
    return list(AttachmentKind).index(AttachmentKind(attachment.kind))


def current_pieces(session: Session, request_id: int) -> list[Attachment]:
    """The dossier's pieces, without the versions a correction replaced, in the
    order of the form (a replacement keeps its piece's place)."""
    return sorted(session.exec(
        select(Attachment).where(Attachment.funding_request_id == request_id,
                                 Attachment.superseded_at.is_(None))
        .order_by(Attachment.id)
    ), key=piece_rank)


def can_validate(request: FundingRequest, attachments: list[Attachment]) -> bool:
    return (
        request.info_control == ControlStatus.OK.value
        and request.bank_control == ControlStatus.OK.value
        and bool(attachments)
        and all(a.review_status == ReviewStatus.COMPLIANT.value for a in attachments)
    )


def piece_label(kind: str) -> str:
    return AttachmentKind(kind).label


# ---------------------------------------------------------------------------
# Changes (all optimistic-locked)
# ---------------------------------------------------------------------------


def lock_dossier(session: Session, request_id: int, expected_version: int, *, now: datetime) -> FundingRequest:
    """Bump the dossier's version if it is still ``expected_version``, else Conflict."""
    table = FundingRequest.__table__
    result = session.execute(
        sa.update(table)
        .where(table.c.id == request_id, table.c.version == expected_version)
        .values(version=table.c.version + 1)
    )
    if result.rowcount != 1:
        if session.get(FundingRequest, request_id) is None:
            raise InstructionError(MSG_NOT_FOUND)
        raise Conflict(MSG_CONFLICT)
    request = session.get(FundingRequest, request_id)
    session.refresh(request)
    return request


def record_event(session, action, *, request, staff_id, now, old=None, new=None, **details):
    session.add(
        AuditEvent(
            action=action,
            actor_user_id=staff_id,
            funding_request_id=request.id,
            occurred_at=now,
            old_status=old,
            new_status=new,
            details=json.dumps(details, ensure_ascii=False) if details else None,
        )
    )


def has_started(session: Session, request: FundingRequest) -> bool:
    """Has an agent recorded a control or a piece decision (this change included)?

    Written under the dossier's lock (:func:`lock_dossier`), so the flag the dashboard
    counts is exact whatever agents do at the same time.
    """
    pending = ControlStatus.PENDING.value
    if request.info_control != pending or request.bank_control != pending:
        return True
    session.flush()
    return session.exec(
        select(Attachment.id).where(Attachment.funding_request_id == request.id,
                                    Attachment.superseded_at.is_(None),
                                    Attachment.review_status != ReviewStatus.PENDING.value)
        .limit(1)
    ).first() is not None


def ensure_open(request: FundingRequest, *, awaiting_allowed: bool = False) -> None:
    if request.status in (FundingStatus.VALIDATED.value, FundingStatus.REJECTED.value):
        raise InstructionError(MSG_ALREADY_DECIDED)
    if request.status == FundingStatus.AWAITING_CORRECTIONS.value and not awaiting_allowed:
        raise InstructionError(MSG_AWAITING)


def open_correction(session: Session, request_id: int) -> CorrectionRequest | None:
    """The dossier's « Demande de compléments » still waiting for the supplier."""
    return session.exec(
        select(CorrectionRequest).where(CorrectionRequest.funding_request_id == request_id,
                                        CorrectionRequest.answered_at.is_(None),
                                        CorrectionRequest.closed_at.is_(None))
    ).first()


def set_block_control(
    session: Session,
    *,
    request_id: int,
    block: str,
    decision: str,
    comment: str = "",
    staff_id: int,
    expected_version: int,
    now: datetime | None = None,
) -> int:
    """« Contrôle OK » / « Contrôle KO » on a block; returns the new version."""
    now = now or utcnow()
    if block not in BLOCKS:
        raise InstructionError("Bloc inconnu.")
    status = ControlStatus(decision)
    comment = comment.strip()
    if status is ControlStatus.KO and not comment:
        raise InstructionError(MSG_COMMENT_REQUIRED)
    request = lock_dossier(session, request_id, expected_version, now=now)
    ensure_open(request)
    old = getattr(request, f"{block}_control")
    setattr(request, f"{block}_control", status.value)
    setattr(request, f"{block}_control_comment", comment or None)
    request.instruction_started = has_started(session, request)
    session.add(request)
    record_event(session, "funding_control", request=request, staff_id=staff_id, now=now,
           old=old, new=status.value, block=BLOCKS[block], comment=comment)
    session.commit()
    return request.version


def review_attachment(
    session: Session,
    *,
    attachment_id: int,
    decision: str,
    comment: str = "",
    reason: str = "",
    staff_id: int,
    expected_version: int,
    now: datetime | None = None,
) -> int:
    """« A instruire » / « Conforme » / « Non conforme » on one piece.

    A « Non conforme » piece carries a reason (``CorrectionReason``, « Autre »
    when none is given), which a « Demande de compléments » sends to the
    supplier; « Autre » needs the comment to say what is wrong.
    """
    now = now or utcnow()
    status = ReviewStatus(decision)
    comment = comment.strip()
    why = None
    if status is ReviewStatus.NON_COMPLIANT:
        why = CorrectionReason(reason) if reason else CorrectionReason.OTHER
        if why is CorrectionReason.OTHER and not comment:
            raise InstructionError(MSG_COMMENT_REQUIRED)
    attachment = session.get(Attachment, attachment_id)
    if (attachment is None or attachment.funding_request_id is None
            or attachment.superseded_at is not None):
        raise InstructionError(MSG_NOT_FOUND)
    request = lock_dossier(session, attachment.funding_request_id, expected_version, now=now)
    ensure_open(request)
    old = attachment.review_status
    attachment.review_status = status.value
    attachment.review_comment = comment or None
    attachment.review_reason = why.value if why else None
    session.add(attachment)
    request.instruction_started = has_started(session, request)
    session.add(request)
    record_event(session, "attachment_review", request=request, staff_id=staff_id, now=now,
           old=old, new=status.value, piece=piece_label(attachment.kind),
           reason=why.label if why else "", comment=comment)
    session.commit()
    return request.version


def add_note(
    session: Session, *, request_id: int, text: str, staff_id: int, now: datetime | None = None
) -> None:
    text = text.strip()
    if not text:
        raise InstructionError(MSG_NOTE_REQUIRED)
    if session.get(FundingRequest, request_id) is None:
        raise InstructionError(MSG_NOT_FOUND)
    session.add(StaffNote(funding_request_id=request_id, author_id=staff_id, text=text[:5000],
                          created_at=now or utcnow()))
    session.commit()


def _decision_letter(session: Session, request: FundingRequest,
                     store: storage.Storage | None,
                     now: datetime):
    """The « Décision » PDF of the decision being recorded (same transaction)."""
    session.flush()
    return letters.issue_decision_letter(
        session, request=request, store=store or storage.store_from_settings(), now=now
    )


def decide(
    session: Session,
    *,
    request_id: int,
    validate: bool,
    reason: str = "",
    staff_id: int,
    expected_version: int,
    assistance_url: str,
    store: storage.Storage | None = None,
    now: datetime | None = None,
) -> int:
    """« Valider » or « Rejeter »: status, change date, history, the PDF decision
    letter (``letters``, in ``store``, default the settings') and email together."""
    now = now or utcnow()
    reason = reason.strip()
    if not validate and not reason:
        raise InstructionError(MSG_REASON_REQUIRED)
    request = lock_dossier(session, request_id, expected_version, now=now)
    ensure_open(request, awaiting_allowed=not validate)
    if request.status == FundingStatus.AWAITING_CORRECTIONS.value:
        correction = open_correction(session, request.id)
        if correction is not None and as_utc(correction.due_at) > now:
            session.rollback()
            raise InstructionError(MSG_DEADLINE_NOT_PASSED)
        if correction is not None:
            correction.closed_at = now
            session.add(correction)
    attachments = current_pieces(session, request.id)
    if validate and not can_validate(request, attachments):
        session.rollback()
        raise InstructionError(MSG_CONTROLS_INCOMPLETE)
    old = request.status
    request.status = (FundingStatus.VALIDATED if validate else FundingStatus.REJECTED).value
    request.status_changed_at = now
    request.decided_by_id = staff_id
    request.decision_reason = None if validate else reason
    session.add(request)
    record_event(session, "funding_validated" if validate else "funding_rejected", request=request,
           staff_id=staff_id, now=now, old=old, new=request.status, reason=reason)
    recipient = session.get(UserAccount, request.deposited_by_id) if request.deposited_by_id else None
    letter = _decision_letter(session, request, store, now)
    if recipient is not None:
        content = decision_email(request, validate=validate, reason=reason,
                                 assistance_url=assistance_url,
                                 letter_url=generated_documents.download_url(letter.id))
        mail.queue_email(
            session, template=TemplateName.FUNDING_DECISION, to=recipient.email,
            subject=content.subject, text=content.text, html=content.html,
            user_id=recipient.id, funding_request_id=request.id,
        )
    session.commit()
    return request.version


def decision_email(request: FundingRequest, *, validate: bool, reason: str = "",
                   assistance_url: str | None = None,
                   letter_url: str | None = None) -> mail_templates.MailContent:
    """The email :func:`decide` sends the supplier (also its staff preview, which has
    no ``letter_url`` yet: the letter is written with the decision)."""
    return mail_templates.funding_decision(request.dossier_number, validate,
                                           reason.strip() or None,
                                           assistance_url=assistance_url, letter_url=letter_url)
