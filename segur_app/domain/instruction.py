"""Instruction of funding requests by ASP staff.

Per-block and per-attachment controls, private notes, history and the final
decision with its email. The list, its counters and its CSV export live in
:mod:`segur_app.domain.staff_lists` (re-exported here).

Every change to a dossier goes through :func:`lock_dossier`, an optimistic lock on
``FundingRequest.version``: the agent's screen carries the version it showed;
if another agent changed the dossier meanwhile, the change is refused with
:data:`MSG_CONFLICT` instead of overwriting (or double-deciding) silently.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain import generated_documents, letters, mail, mail_templates, storage
from segur_app.domain.funding import FundingView, funding_view, piece_rank
from segur_app.domain.dates import as_utc, fr_datetime
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    Attachment,
    AuditEvent,
    ControlStatus,
    CorrectionReason,
    CorrectionRequest,
    FundingKind,
    FundingRequest,
    FundingStatus,
    ReviewStatus,
    StaffNote,
    Supplier,
    UserAccount,
    utcnow,
)
from segur_app.domain.staff_lists import (  # noqa: F401  (re-exported: the list API)
    CSV_HEADER, DEFAULT_SORT, EXPORT_BATCH, MAX_PAGE_SIZE, PAGE_SIZE, SORTS, Counter,
    EnrolmentCounter, RequestFilters, RequestPage, RequestRow, counters, csv_bytes,
    enrolment_counters, export_csv, list_requests, neighbours, request_page,
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


@dataclass(frozen=True)
class HistoryEntry:
    when: str
    who: str
    what: str


@dataclass(frozen=True)
class NoteView:
    when: str
    who: str
    text: str


@dataclass(frozen=True)
class AttachmentReview:
    id: int
    kind_label: str
    file_name: str
    mime_type: str
    review_status: str
    review_label: str
    comment: str
    reason: str = ""        # CorrectionReason value of a « Non conforme » piece
    reason_label: str = ""


@dataclass(frozen=True)
class DossierDetail:
    id: int
    version: int
    status: str
    decided: bool
    supplier_id: int
    dossier_number: str
    company_name: str
    supplier_view: FundingView
    info_control: str
    info_comment: str
    bank_control: str
    bank_comment: str
    attachments: list[AttachmentReview] = field(default_factory=list)
    notes: list[NoteView] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    can_validate: bool = False
    decision_reason: str = ""


ACTION_LABELS = {
    "funding_deposited": "Dépôt de la demande",
    "funding_control": "Contrôle de bloc",
    "attachment_review": "Instruction d'une pièce",
    "funding_validated": "Demande validée",
    "funding_rejected": "Demande rejetée",
    "email_sent": "Courriel envoyé",
    "email_failed": "Échec d'envoi de courriel",
    "staff_note": "Note interne",
    "correction_requested": "Demande de compléments",
    "corrections_sent": "Compléments envoyés par le fournisseur",
    "correction_reminder": "Relance du fournisseur (compléments)",
}


def _history_text(event: AuditEvent) -> str:
    label = ACTION_LABELS.get(event.action, event.action)
    details = _details(event.details)
    parts = [label]
    if event.old_status or event.new_status:
        old = _status_label(event.old_status)
        new = _status_label(event.new_status)
        parts.append(f"{old} → {new}" if old else new)
    for key in ("block", "piece", "pieces", "decision", "subject", "reason", "due", "comment"):
        if details.get(key):
            parts.append(str(details[key]))
    return " — ".join(parts)


def _details(raw: str | None) -> dict:
    """Audit details are JSON objects, or free text for some writers."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {"comment": raw}
    return value if isinstance(value, dict) else {"comment": str(value)}


def _status_label(value: str | None) -> str:
    if not value:
        return ""
    for enum in (FundingStatus, ControlStatus, ReviewStatus):
        try:
            return enum(value).label
        except ValueError:
            continue
    return value


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


def dossier_detail(session: Session, *, request_id: int | None) -> DossierDetail | None:
    request = session.get(FundingRequest, request_id) if request_id is not None else None
    if request is None:
        return None
    supplier = session.get(Supplier, request.supplier_id)
    view = funding_view(session, supplier_id=request.supplier_id, kind=FundingKind(request.kind))
    attachments = current_pieces(session, request.id)
    names: dict[int, str] = {}
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.funding_request_id == request.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(200)
    ).all()
    notes = session.exec(
        select(StaffNote)
        .where(StaffNote.funding_request_id == request.id)
        .order_by(StaffNote.created_at.desc(), StaffNote.id.desc())
    ).all()
    user_ids = {e.actor_user_id for e in events if e.actor_user_id} | {n.author_id for n in notes}
    if user_ids:
        names = {
            u.id: u.display_name
            for u in session.exec(select(UserAccount).where(UserAccount.id.in_(user_ids)))
        }
    return DossierDetail(
        id=request.id,
        version=request.version,
        status=request.status,
        decided=request.status in (FundingStatus.VALIDATED.value, FundingStatus.REJECTED.value),
        supplier_id=request.supplier_id,
        dossier_number=request.dossier_number,
        company_name=supplier.company_name if supplier else "",
        supplier_view=view,
        info_control=request.info_control,
        info_comment=request.info_control_comment or "",
        bank_control=request.bank_control,
        bank_comment=request.bank_control_comment or "",
        attachments=[
            AttachmentReview(
                id=a.id,
                kind_label=piece_label(a.kind),
                file_name=a.original_name,
                mime_type=a.mime_type,
                review_status=a.review_status,
                review_label=ReviewStatus(a.review_status).label,
                comment=a.review_comment or "",
                reason=a.review_reason or "",
                reason_label=CorrectionReason(a.review_reason).label if a.review_reason else "",
            )
            for a in attachments
        ],
        notes=[NoteView(fr_datetime(n.created_at), names.get(n.author_id, "Agent"), n.text) for n in notes],
        history=[
            HistoryEntry(
                fr_datetime(e.occurred_at),
                names.get(e.actor_user_id, "Système") if e.actor_user_id else "Système",
                _history_text(e),
            )
            for e in events
        ],
        can_validate=can_validate(request, attachments),
        decision_reason=request.decision_reason or "",
    )


def piece_label(kind: str) -> str:
    from segur_app.domain.models import AttachmentKind

    return AttachmentKind(kind).label


def find_by_number(session: Session, dossier_number: str) -> int | None:
    return session.exec(
        select(FundingRequest.id).where(FundingRequest.dossier_number == dossier_number.strip())
    ).first()


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
                     storage_dir: storage.Storage | None,
                     now: datetime):
    """The « Décision » PDF of the decision being recorded (same transaction)."""
    session.flush()
    return letters.issue_decision_letter(
        session, request=request, storage_dir=storage_dir or storage.store_from_settings(), now=now
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
    storage_dir: storage.Storage | None = None,
    now: datetime | None = None,
) -> int:
    """« Valider » or « Rejeter »: status, change date, history, the PDF decision
    letter (``letters``, in ``storage_dir``, default the settings') and email together."""
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
    letter = _decision_letter(session, request, storage_dir, now)
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
