"""What the enrolment screens show: the staff's pending list, the supplier's tracking.

Plain Python: the views are frozen dataclasses with display-ready French
values (dates in Paris time, IBAN masked for the supplier).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlmodel import Session, select

from segur_app.domain import mail, validators
from segur_app.domain.enrolment.rules import PENDING_STATUSES, SUPPLIER_STATUS_LABELS
from segur_app.domain.dates import fr_date, fr_datetime, group_iban
from segur_app.domain.dossier_views import DocumentView, EmailView, document_view, email_view
from segur_app.domain.mail_templates import SENSITIVE_TEMPLATES
from segur_app.domain.models import (
    Attachment,
    AttachmentKind,
    AuditEvent,
    BankDetails,
    EmailMessage,
    Enrolment,
    EnrolmentStatus,
    Supplier,
    ScanResult,
)
from segur_app.domain.validators import CIVILITIES


def mask_iban(iban: str) -> str:
    """Every character but the last 4 hidden: ``**** **** … ***0 189``."""
    compact = "".join(iban.split()).upper()
    return group_iban("*" * max(len(compact) - 4, 0) + compact[-4:])


def _legal_rep(enrolment: Enrolment) -> str:
    name = " ".join(p for p in (enrolment.legal_rep_civility, enrolment.legal_rep_first_name,
                                enrolment.legal_rep_last_name) if p)
    return f"{name}, {enrolment.legal_rep_role}" if enrolment.legal_rep_role else name


def _contact(enrolment: Enrolment) -> str:
    return f"{enrolment.contact_first_name} {enrolment.contact_last_name}".strip()


@dataclass(frozen=True)
class CheckView:
    """One automatic verification shown to the instructor."""

    label: str
    ok: bool
    detail: str


def verification_checks(supplier: Supplier, bank: BankDetails | None) -> list[CheckView]:
    """SIRET checksum, ANS format, IBAN (country format + mod-97), BIC vs IBAN country."""
    results: list[CheckView] = []

    def check(label: str, verify) -> None:
        try:
            verify()
            results.append(CheckView(label, True, "Conforme"))
        except validators.InvalidValue as exc:
            results.append(CheckView(label, False, exc.message))

    check("SIRET (clé de contrôle)", lambda: validators.siret(supplier.siret))
    check("N° de référencement ANS (format)", lambda: validators.ans_number(supplier.ans_number))
    if bank is None:
        results.append(CheckView("Coordonnées bancaires", False, "Absentes"))
        return results
    check("IBAN (format du pays et clé)", lambda: validators.iban(bank.iban))
    check("BIC (format et pays de l'IBAN)",
          lambda: validators.bic(bank.bic, iban_value=bank.iban))
    return results


@dataclass(frozen=True)
class HistoryView:
    when: str
    what: str


ENROLMENT_ACTIONS = {
    "enrolment_submitted": "Demande déposée",
    "enrolment_taken_in_charge": "Demande prise en charge",
    "enrolment_approved": "Demande validée",
    "enrolment_rejected": "Demande rejetée",
    "account_created": "Compte créé",
    "email_sent": "Courriel envoyé",
    "email_failed": "Échec d'envoi de courriel",
}


def enrolment_history(session: Session, enrolment_ids: list[int]) -> dict[int, list[HistoryView]]:
    if not enrolment_ids:
        return {}
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.enrolment_id.in_(enrolment_ids))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    ).all()
    history: dict[int, list[HistoryView]] = {}
    for event in events:
        history.setdefault(event.enrolment_id, []).append(HistoryView(
            fr_datetime(event.occurred_at),
            ENROLMENT_ACTIONS.get(event.action, event.action),
        ))
    return history


@dataclass(frozen=True)
class PendingEnrolmentView:
    """One request waiting for a decision, as the staff screen lists it."""

    id: int
    version: int
    number: str
    submitted_on: str
    status_label: str
    ans_number: str
    siret: str
    company_name: str
    address: str
    legal_rep: str
    contact_name: str
    contact_email: str
    contact_phone: str
    iban: str
    bic: str
    holder: str
    domiciliation: str
    rib_id: int
    rib_name: str
    rib_mime: str = ""
    rib_scan_label: str = ""
    pending: bool = True
    can_take: bool = False
    checks: list[CheckView] = field(default_factory=list)
    history: list[HistoryView] = field(default_factory=list)


@dataclass(frozen=True)
class PendingPage:
    items: list[PendingEnrolmentView]
    total: int
    page: int
    pages: int


def ribs_by_enrolment(session: Session, enrolment_ids: list[int]) -> dict[int, Attachment]:
    if not enrolment_ids:
        return {}
    rows = session.exec(
        select(Attachment).where(
            Attachment.enrolment_id.in_(enrolment_ids),
            Attachment.kind == AttachmentKind.RIB.value,
        ).order_by(Attachment.id)
    ).all()
    return {a.enrolment_id: a for a in rows}


def pending_view(enrolment: Enrolment, supplier: Supplier, bank: BankDetails | None,
                  rib: Attachment | None, history: list[HistoryView]) -> PendingEnrolmentView:
    return PendingEnrolmentView(
        id=enrolment.id,
        version=enrolment.version,
        number=enrolment.number,
        submitted_on=fr_date(enrolment.submitted_at),
        status_label=EnrolmentStatus(enrolment.status).label,
        ans_number=supplier.ans_number,
        siret=supplier.siret,
        company_name=supplier.company_name,
        address=supplier.address,
        legal_rep=_legal_rep(enrolment),
        contact_name=_contact(enrolment),
        contact_email=enrolment.contact_email,
        contact_phone=enrolment.contact_phone,
        iban=group_iban(bank.iban) if bank else "",
        bic=bank.bic if bank else "",
        holder=bank.holder if bank else "",
        domiciliation=bank.domiciliation if bank else "",
        rib_id=rib.id if rib else 0,
        rib_name=rib.original_name if rib else "",
        rib_mime=rib.mime_type if rib else "",
        rib_scan_label=ScanResult(rib.scan_result).label if rib else "",
        pending=enrolment.status in PENDING_STATUSES,
        can_take=enrolment.status == EnrolmentStatus.TO_REVIEW.value,
        checks=verification_checks(supplier, bank),
        history=history,
    )


@dataclass(frozen=True)
class PastEnrolmentView:
    number: str
    submitted_on: str
    status_label: str
    status_changed_on: str
    reason: str


@dataclass(frozen=True)
class EnrolmentTrackingView:
    """« Suivi des demandes d'enrôlement »: the latest request in full."""

    number: str
    submitted_on: str
    status_label: str
    status_changed_on: str
    decision_reason: str
    ans_number: str
    siret: str
    company_name: str
    address: str
    legal_rep_civility: str
    legal_rep_last_name: str
    legal_rep_first_name: str
    legal_rep_role: str
    contact_last_name: str
    contact_first_name: str
    contact_email: str
    contact_phone: str
    iban: str
    bic: str
    holder: str
    domiciliation: str
    documents: list[DocumentView]
    emails: list[EmailView]
    previous: list[PastEnrolmentView]


def _email_view(message: EmailMessage) -> EmailView:
    # A credentials email keeps its password until sent: never show it here.
    return email_view(message, body=mail.REDACTED_BODY
                      if message.template in SENSITIVE_TEMPLATES else None)


def _past_view(enrolment: Enrolment) -> PastEnrolmentView:
    return PastEnrolmentView(
        number=enrolment.number,
        submitted_on=fr_date(enrolment.submitted_at),
        status_label=SUPPLIER_STATUS_LABELS[enrolment.status],
        status_changed_on=fr_date(enrolment.status_changed_at),
        reason=enrolment.decision_reason or "",
    )


def enrolment_tracking(session: Session, *, supplier_id: int | None
                       ) -> EnrolmentTrackingView | None:
    """The supplier's enrolment requests (latest in full), or None when there is none."""
    if supplier_id is None:
        return None
    enrolments = session.exec(
        select(Enrolment).where(Enrolment.supplier_id == supplier_id)
        .order_by(Enrolment.submitted_at.desc(), Enrolment.id.desc())
    ).all()
    if not enrolments:
        return None
    latest = enrolments[0]
    supplier = session.get(Supplier, supplier_id)
    bank = session.exec(select(BankDetails).where(BankDetails.supplier_id == supplier_id)).first()
    attachments = session.exec(
        select(Attachment).where(Attachment.enrolment_id == latest.id).order_by(Attachment.id)
    ).all()
    emails = session.exec(
        select(EmailMessage).where(EmailMessage.enrolment_id == latest.id)
        .order_by(EmailMessage.created_at.desc(), EmailMessage.id.desc())
    ).all()
    past = _past_view(latest)
    return EnrolmentTrackingView(
        **{k: v for k, v in asdict(past).items() if k != "reason"},
        decision_reason=past.reason,
        ans_number=supplier.ans_number,
        siret=supplier.siret,
        company_name=supplier.company_name,
        address=supplier.address,
        legal_rep_civility=CIVILITIES.get(latest.legal_rep_civility, latest.legal_rep_civility),
        legal_rep_last_name=latest.legal_rep_last_name,
        legal_rep_first_name=latest.legal_rep_first_name,
        legal_rep_role=latest.legal_rep_role,
        contact_last_name=latest.contact_last_name,
        contact_first_name=latest.contact_first_name,
        contact_email=latest.contact_email,
        contact_phone=latest.contact_phone,
        iban=mask_iban(bank.iban) if bank else "",
        bic=bank.bic if bank else "",
        holder=bank.holder if bank else "",
        domiciliation=bank.domiciliation if bank else "",
        documents=[document_view(a) for a in attachments],
        emails=[_email_view(e) for e in emails],
        previous=[_past_view(e) for e in enrolments[1:]],
    )
