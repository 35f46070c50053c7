"""What the instruction screen (« Instruction d'une demande de financement ») shows:
the dossier with its controls, current pieces, notes and history, as frozen views.

The rules (controls, decisions, optimistic lock) are in
:mod:`segur_app.domain.instruction`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlmodel import Session, select

from segur_app.domain.dates import fr_datetime
from segur_app.domain.funding import FundingView, funding_view
from segur_app.domain.instruction import can_validate, current_pieces, piece_label
from segur_app.domain.models import (
    AuditEvent,
    ControlStatus,
    CorrectionReason,
    FundingKind,
    FundingRequest,
    FundingStatus,
    ReviewStatus,
    StaffNote,
    Supplier,
    UserAccount,
)


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


def find_by_number(session: Session, dossier_number: str) -> int | None:
    return session.exec(
        select(FundingRequest.id).where(FundingRequest.dossier_number == dossier_number.strip())
    ).first()
