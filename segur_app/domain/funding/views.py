"""What the funding screens show, as frozen views.

* the supplier's « Suivi de ma demande de financement » (:func:`funding_view`):
  the request, its bank details, current pieces, emails and issued PDFs;
* the staff's « Instruction d'une demande de financement »
  (:func:`dossier_detail`): the same dossier with its controls, pieces under
  review, notes and history.

The rules (controls, decisions, optimistic lock) are in :mod:`.instruction`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain import generated_documents
from segur_app.domain.dates import fr_amount, fr_date, fr_datetime, group_iban
from segur_app.domain.dossier_views import DocumentView, EmailView, document_view, email_view
from segur_app.domain.funding.deposit import find_request
from segur_app.domain.funding.instruction import can_validate, current_pieces, piece_label
from segur_app.domain.models import (
    AuditEvent,
    ControlStatus,
    CorrectionReason,
    EmailMessage,
    FundingKind,
    FundingRequest,
    FundingStatus,
    ReviewStatus,
    Role,
    StaffNote,
    Supplier,
    UserAccount,
)


# ---------------------------------------------------------------------------
# Consultation (« Suivi de ma demande de financement »)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FundingView:
    kind_label: str
    dossier_number: str
    deposited_on: str
    status_label: str
    status_changed_on: str
    vat_label: str
    amount_label: str
    amount: str
    info_control_label: str
    bank_control_label: str
    iban: str
    bic: str
    holder: str
    domiciliation: str
    documents_badge: str
    documents: list[DocumentView]
    emails: list[EmailView]
    # The PDFs the portal issued for the dossier (receipt, decision letter).
    issued: list[generated_documents.GeneratedDocumentView] = field(default_factory=list)


def documents_badge(statuses: list[str]) -> str:
    """« A instruire » until every piece is decided, then OK or KO."""
    if not statuses or ReviewStatus.PENDING.value in statuses:
        return ReviewStatus.PENDING.label
    if ReviewStatus.NON_COMPLIANT.value in statuses:
        return ControlStatus.KO.label
    return ControlStatus.OK.label


def funding_view(session: Session, *, supplier_id: int, kind: FundingKind) -> FundingView | None:
    """The supplier's « Suivi de ma demande de financement » of one request (None: none yet)."""
    request = find_request(session, supplier_id=supplier_id, kind=kind)
    if request is None:
        return None
    attachments = current_pieces(session, request.id)  # not the versions a correction replaced
    # Every automatic email of the dossier with its delivery status (sent or queued),
    # but those to the agents (« Compléments reçus »).
    staff = select(UserAccount.id).where(UserAccount.role == Role.STAFF.value)
    emails = session.exec(
        select(EmailMessage)
        .where(EmailMessage.funding_request_id == request.id,
               sa.or_(EmailMessage.user_id.is_(None), EmailMessage.user_id.not_in(staff)))
        .order_by(EmailMessage.created_at.desc(), EmailMessage.id.desc())
    ).all()
    return FundingView(
        kind_label=FundingKind(request.kind).label,
        dossier_number=request.dossier_number,
        deposited_on=fr_date(request.deposited_at),
        status_label=FundingStatus(request.status).label,
        status_changed_on=fr_date(request.status_changed_at),
        vat_label=request.vat_label,
        amount_label="Montant de l'avance" if request.kind == FundingKind.ADVANCE.value
        else "Montant du solde",
        amount=fr_amount(request.amount),
        info_control_label=ControlStatus(request.info_control).label,
        bank_control_label=ControlStatus(request.bank_control).label,
        iban=group_iban(request.iban),
        bic=request.bic,
        holder=request.bank_holder,
        domiciliation=request.bank_domiciliation,
        documents_badge=documents_badge([a.review_status for a in attachments]),
        documents=[document_view(a) for a in attachments],
        emails=[email_view(e) for e in emails],
        issued=generated_documents.for_funding_request(
            session, funding_request_id=request.id, dossier_number=request.dossier_number),
    )


# ---------------------------------------------------------------------------
# Instruction (« Instruction d'une demande de financement », staff)
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
