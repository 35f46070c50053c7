"""Instruction of funding requests by ASP staff.

Lists (server-side filters, search, sort, pagination), dashboard counters,
per-block and per-attachment controls, private notes, history, the final
decision with its email, and the CSV export.

Every change to a dossier goes through :func:`_lock`, an optimistic lock on
``FundingRequest.version``: the agent's screen carries the version it showed;
if another agent changed the dossier meanwhile, the change is refused with
:data:`MSG_CONFLICT` instead of overwriting (or double-deciding) silently.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain import mail, mail_templates
from segur_app.domain.funding import FundingView, funding_view
from segur_app.domain.dates import day_start_utc, fr_date, fr_datetime
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    Attachment,
    AuditEvent,
    ControlStatus,
    Enrolment,
    EnrolmentStatus,
    FundingKind,
    FundingRequest,
    FundingStatus,
    ReviewStatus,
    StaffNote,
    Supplier,
    UserAccount,
    utcnow,
)

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

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

BLOCKS = {"info": "Informations de la demande", "bank": "Coordonnées bancaires"}
# Sort name -> (key columns ending with a unique one, descending?). One direction
# per sort, so "previous/next dossier" is a simple row-value comparison.
SORTS = {
    "depot_desc": ((FundingRequest.deposited_at, FundingRequest.id), True),
    "depot_asc": ((FundingRequest.deposited_at, FundingRequest.id), False),
    "numero": ((FundingRequest.dossier_number,), False),
    "statut": ((FundingRequest.status, FundingRequest.deposited_at, FundingRequest.id), False),
    "denomination": ((Supplier.company_name, FundingRequest.id), False),
}
DEFAULT_SORT = "depot_desc"


def _order_by(sort: str, *, reverse: bool = False) -> list:
    columns, descending = SORTS.get(sort, SORTS[DEFAULT_SORT])
    descending = descending != reverse
    return [c.desc() if descending else c.asc() for c in columns]


class InstructionError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Conflict(InstructionError):
    pass


# ---------------------------------------------------------------------------
# Lists and counters
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFilters:
    status: str = ""
    kind: str = ""
    deposited_from: date | None = None
    deposited_to: date | None = None
    search: str = ""
    sort: str = DEFAULT_SORT


@dataclass(frozen=True)
class RequestRow:
    id: int
    dossier_number: str
    kind_label: str
    company_name: str
    siret: str
    ans_number: str
    deposited_on: str
    status: str
    status_label: str
    amount: int


def _conditions(filters: RequestFilters) -> list:
    conditions = []
    if filters.status in {s.value for s in FundingStatus}:
        conditions.append(FundingRequest.status == filters.status)
    if filters.kind in {k.value for k in FundingKind}:
        conditions.append(FundingRequest.kind == filters.kind)
    if filters.deposited_from:
        conditions.append(FundingRequest.deposited_at >= day_start_utc(filters.deposited_from))
    if filters.deposited_to:
        conditions.append(
            FundingRequest.deposited_at < day_start_utc(filters.deposited_to + timedelta(days=1))
        )
    conditions.extend(_search_conditions(filters.search.strip()))
    return conditions


DOSSIER_NUMBER = re.compile(r"^FINSAS\d{6}$", re.IGNORECASE)
ANS_NUMBER = re.compile(r"^tndSAS\d+$", re.IGNORECASE)
SIRET = re.compile(r"^\d{14}$")


def _search_conditions(term: str) -> list:
    """A complete dossier number, SIRET or ANS number is an indexed equality;
    anything else is a substring search on those fields and the company name."""
    if not term:
        return []
    compact = term.replace(" ", "")
    if DOSSIER_NUMBER.match(compact):
        return [FundingRequest.dossier_number == compact.upper()]
    if SIRET.match(compact):
        return [Supplier.siret == compact]
    if ANS_NUMBER.match(compact):
        return [Supplier.ans_number == "tndSAS" + compact[6:]]
    like = f"%{term.lower()}%"
    return [
        sa.or_(
            sa.func.lower(FundingRequest.dossier_number).like(like),
            Supplier.siret.like(f"%{compact}%"),
            sa.func.lower(Supplier.ans_number).like(like),
            sa.func.lower(Supplier.company_name).like(like),
        )
    ]


def _base_query(filters: RequestFilters):
    return (
        select(FundingRequest, Supplier)
        .join(Supplier, Supplier.id == FundingRequest.supplier_id)
        .where(*_conditions(filters))
    )


def _row(request: FundingRequest, supplier: Supplier) -> RequestRow:
    return RequestRow(
        id=request.id,
        dossier_number=request.dossier_number,
        kind_label=FundingKind(request.kind).label,
        company_name=supplier.company_name,
        siret=supplier.siret,
        ans_number=supplier.ans_number,
        deposited_on=fr_date(request.deposited_at),
        status=request.status,
        status_label=FundingStatus(request.status).label,
        amount=request.amount,
    )


def list_requests(
    session: Session, *, filters: RequestFilters, page: int = 1, page_size: int = PAGE_SIZE
) -> tuple[list[RequestRow], int]:
    """One page of the filtered, sorted list and the total number of matches."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, page)
    count = select(sa.func.count()).select_from(FundingRequest)
    if filters.search.strip():  # only a search needs the supplier columns
        count = count.join(Supplier, Supplier.id == FundingRequest.supplier_id)
    total = session.exec(count.where(*_conditions(filters))).one()
    rows = session.exec(
        _base_query(filters)
        .order_by(*_order_by(filters.sort))
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return [_row(r, s) for r, s in rows], total


def neighbours(
    session: Session, *, filters: RequestFilters, request_id: int
) -> tuple[int | None, int | None]:
    """Ids of the previous and next dossiers around ``request_id`` in the list order.

    Two indexed single-row queries (row-value comparison on the sort key), not a
    scan of the whole list.
    """
    columns, descending = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    current = session.exec(
        select(*columns)
        .select_from(FundingRequest)
        .join(Supplier, Supplier.id == FundingRequest.supplier_id)
        .where(FundingRequest.id == request_id)
    ).first()
    if current is None:
        return None, None
    if len(columns) == 1:  # sqlmodel returns a bare scalar for one column
        key, here = columns[0], sa.literal(current)
    else:
        key, here = sa.tuple_(*columns), sa.tuple_(*[sa.literal(v) for v in current])
    after, before = (key < here, key > here) if descending else (key > here, key < here)

    def first(condition, *, reverse: bool) -> int | None:
        return session.exec(
            select(FundingRequest.id)
            .join(Supplier, Supplier.id == FundingRequest.supplier_id)
            .where(*_conditions(filters), condition)
            .order_by(*_order_by(filters.sort, reverse=reverse))
            .limit(1)
        ).first()

    return first(before, reverse=True), first(after, reverse=False)


@dataclass(frozen=True)
class Counter:
    kind_label: str
    to_review: int
    in_progress: int
    validated: int
    rejected: int
    amount_requested: int
    amount_validated: int


def counters(session: Session) -> list[Counter]:
    """Per kind: how many dossiers wait, are being instructed, validated, rejected.

    « A instruire »: deposited and not touched yet; « En cours »: an agent has
    recorded at least one control.
    """
    touched = sa.or_(
        FundingRequest.info_control != ControlStatus.PENDING.value,
        FundingRequest.bank_control != ControlStatus.PENDING.value,
        sa.exists().where(
            Attachment.funding_request_id == FundingRequest.id,
            Attachment.review_status != ReviewStatus.PENDING.value,
        ),
    )
    open_status = FundingRequest.status.in_(
        [FundingStatus.TO_REVIEW.value, FundingStatus.IN_PROGRESS.value]
    )

    def count_if(condition):
        return sa.func.sum(sa.case((condition, 1), else_=0))

    def amount_if(condition):
        return sa.func.sum(sa.case((condition, FundingRequest.amount), else_=0))

    validated = FundingRequest.status == FundingStatus.VALIDATED.value
    rows = session.exec(
        select(
            FundingRequest.kind,
            count_if(sa.and_(open_status, sa.not_(touched))),
            count_if(sa.and_(open_status, touched)),
            count_if(validated),
            count_if(FundingRequest.status == FundingStatus.REJECTED.value),
            sa.func.sum(FundingRequest.amount),
            amount_if(validated),
        ).group_by(FundingRequest.kind)
    ).all()
    found = {row[0]: row for row in rows}
    result = []
    for kind in FundingKind:
        row = found.get(kind.value)
        values = [int(v or 0) for v in row[1:]] if row else [0] * 6
        result.append(Counter(kind.label, *values))
    return result


@dataclass(frozen=True)
class EnrolmentCounter:
    to_review: int
    in_progress: int
    validated: int
    rejected: int


def enrolment_counters(session: Session) -> EnrolmentCounter:
    rows = dict(session.exec(
        select(Enrolment.status, sa.func.count()).group_by(Enrolment.status)
    ).all())
    return EnrolmentCounter(
        to_review=int(rows.get(EnrolmentStatus.SUBMITTED.value, 0)),
        in_progress=int(rows.get(EnrolmentStatus.IN_REVIEW.value, 0)),
        validated=int(rows.get(EnrolmentStatus.APPROVED.value, 0)),
        rejected=int(rows.get(EnrolmentStatus.REJECTED.value, 0)),
    )


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
}


def _history_text(event: AuditEvent) -> str:
    label = ACTION_LABELS.get(event.action, event.action)
    details = _details(event.details)
    parts = [label]
    if event.old_status or event.new_status:
        old = _status_label(event.old_status)
        new = _status_label(event.new_status)
        parts.append(f"{old} → {new}" if old else new)
    for key in ("block", "piece", "decision", "subject", "reason", "comment"):
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
    attachments = session.exec(
        select(Attachment).where(Attachment.funding_request_id == request.id).order_by(Attachment.id)
    ).all()
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
                kind_label=_kind_label(a.kind),
                file_name=a.original_name,
                mime_type=a.mime_type,
                review_status=a.review_status,
                review_label=ReviewStatus(a.review_status).label,
                comment=a.review_comment or "",
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
        can_validate=can_validate(request, list(attachments)),
        decision_reason=request.decision_reason or "",
    )


def _kind_label(kind: str) -> str:
    from segur_app.domain.models import AttachmentKind

    return AttachmentKind(kind).label


def find_by_number(session: Session, dossier_number: str) -> int | None:
    return session.exec(
        select(FundingRequest.id).where(FundingRequest.dossier_number == dossier_number.strip())
    ).first()


# ---------------------------------------------------------------------------
# Changes (all optimistic-locked)
# ---------------------------------------------------------------------------


def _lock(session: Session, request_id: int, expected_version: int, *, now: datetime) -> FundingRequest:
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


def _event(session, action, *, request, staff_id, now, old=None, new=None, **details):
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


def _ensure_open(request: FundingRequest) -> None:
    if request.status in (FundingStatus.VALIDATED.value, FundingStatus.REJECTED.value):
        raise InstructionError(MSG_ALREADY_DECIDED)


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
    request = _lock(session, request_id, expected_version, now=now)
    _ensure_open(request)
    old = getattr(request, f"{block}_control")
    setattr(request, f"{block}_control", status.value)
    setattr(request, f"{block}_control_comment", comment or None)
    session.add(request)
    _event(session, "funding_control", request=request, staff_id=staff_id, now=now,
           old=old, new=status.value, block=BLOCKS[block], comment=comment)
    session.commit()
    return request.version


def review_attachment(
    session: Session,
    *,
    attachment_id: int,
    decision: str,
    comment: str = "",
    staff_id: int,
    expected_version: int,
    now: datetime | None = None,
) -> int:
    """« A instruire » / « Conforme » / « Non conforme » on one piece."""
    now = now or utcnow()
    status = ReviewStatus(decision)
    comment = comment.strip()
    if status is ReviewStatus.NON_COMPLIANT and not comment:
        raise InstructionError(MSG_COMMENT_REQUIRED)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.funding_request_id is None:
        raise InstructionError(MSG_NOT_FOUND)
    request = _lock(session, attachment.funding_request_id, expected_version, now=now)
    _ensure_open(request)
    old = attachment.review_status
    attachment.review_status = status.value
    attachment.review_comment = comment or None
    session.add(attachment)
    _event(session, "attachment_review", request=request, staff_id=staff_id, now=now,
           old=old, new=status.value, piece=_kind_label(attachment.kind), comment=comment)
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


def decide(
    session: Session,
    *,
    request_id: int,
    validate: bool,
    reason: str = "",
    staff_id: int,
    expected_version: int,
    assistance_url: str,
    now: datetime | None = None,
) -> int:
    """« Valider » or « Rejeter »: status, change date, history and email together."""
    now = now or utcnow()
    reason = reason.strip()
    if not validate and not reason:
        raise InstructionError(MSG_REASON_REQUIRED)
    request = _lock(session, request_id, expected_version, now=now)
    _ensure_open(request)
    attachments = list(
        session.exec(select(Attachment).where(Attachment.funding_request_id == request.id))
    )
    if validate and not can_validate(request, attachments):
        session.rollback()
        raise InstructionError(MSG_CONTROLS_INCOMPLETE)
    old = request.status
    request.status = (FundingStatus.VALIDATED if validate else FundingStatus.REJECTED).value
    request.status_changed_at = now
    request.decided_by_id = staff_id
    request.decision_reason = None if validate else reason
    session.add(request)
    _event(session, "funding_validated" if validate else "funding_rejected", request=request,
           staff_id=staff_id, now=now, old=old, new=request.status, reason=reason)
    recipient = session.get(UserAccount, request.deposited_by_id) if request.deposited_by_id else None
    if recipient is not None:
        content = mail_templates.funding_decision(
            request.dossier_number, validate, reason or None, assistance_url=assistance_url
        )
        mail.queue_email(
            session, template=TemplateName.FUNDING_DECISION, to=recipient.email,
            subject=content.subject, text=content.text, html=content.html,
            user_id=recipient.id, funding_request_id=request.id,
        )
    session.commit()
    return request.version


# ---------------------------------------------------------------------------
# CSV export
# ---------------------------------------------------------------------------

CSV_HEADER = [
    "Numéro de dossier", "Type", "Dénomination sociale", "SIRET", "N° ANS",
    "Date de dépôt", "Statut", "Montant",
]
EXPORT_BATCH = 1000


def csv_bytes(header: list[str], rows) -> bytes:
    """CSV for French spreadsheet software: UTF-8 with BOM, ';', formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_safe(v) if isinstance(v, str) else v for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_csv(session: Session, *, filters: RequestFilters) -> bytes:
    """The filtered list of funding requests as CSV (see :func:`csv_bytes`)."""
    rows = (
        [row.dossier_number, row.kind_label, row.company_name, row.siret, row.ans_number,
         row.deposited_on, row.status_label, row.amount]
        for row in (
            _row(request, supplier)
            for request, supplier in session.exec(
                _base_query(filters).order_by(*_order_by(filters.sort))
            ).yield_per(EXPORT_BATCH)
        )
    )
    return csv_bytes(CSV_HEADER, rows)


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
