"""« Décision »: the PDF letter announcing the validation or the rejection of a funding request.

Issued in the transaction of the decision (:func:`issue_decision_letter`,
called by ``instruction.decide``) and stored before it commits
(:mod:`segur_app.domain.generated_documents`): the decision email links to
it; the supplier's consultation screen and the staff dossier list it. A
rejection letter quotes the reason exactly as the agent typed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reportlab.platypus import Flowable, Spacer
from sqlmodel import Session

from segur_app.domain import generated_documents, storage
from segur_app.domain.dates import fr_amount, fr_date, fr_datetime, group_iban
from segur_app.domain.models import (
    Attachment,
    FundingKind,
    FundingRequest,
    FundingStatus,
    GeneratedDocumentKind,
)
from segur_app.domain.pdf_layout import (
    AGENCY, PORTAL, DocumentInfo, bold_lead, build, field_table, text,
)
from segur_app.domain.receipts import FUNDING_CONTEXT, supplier_and_depositor

TITLE = GeneratedDocumentKind.DECISION_LETTER.label
CONTEXT = FUNDING_CONTEXT[0].lower() + FUNDING_CONTEXT[1:]  # mid-sentence


@dataclass(frozen=True)
class Decision:
    """What a decision letter says (everything it prints comes from here)."""

    validated: bool
    request_label: str  # « Demande d'avance »
    number: str
    deposited_at: datetime
    decided_at: datetime
    company_name: str
    address: str
    siret: str
    addressee: str  # who deposited the request
    amount: int
    vat_label: str
    iban: str
    holder: str
    reason: str = ""


def file_name(number: str) -> str:
    return f"decision-{number}.pdf"


def _outcome(decision: Decision) -> list[Flowable]:
    kind = decision.request_label[0].lower() + decision.request_label[1:]
    intro = (
        f"Votre {kind} n° {decision.number}, déposée le "
        f"{fr_datetime(decision.deposited_at)} au titre du {CONTEXT}, "
    )
    if decision.validated:
        return [
            text(intro + f"a été validée par l'{AGENCY}."),
            text(f"Le montant de {fr_amount(decision.amount)} ({decision.vat_label}) sera "
                 "versé sur le compte bancaire communiqué lors du dépôt :"),
            field_table([("IBAN", group_iban(decision.iban)),
                         ("Titulaire du compte", decision.holder)]),
            Spacer(1, 12),
        ]
    return [
        text(intro + f"a été rejetée par l'{AGENCY} pour le motif suivant :"),
        text(decision.reason, "quote"),
        text("Vous pouvez contacter l'assistance depuis le portail (« Contacter "
             "l'assistance ») pour toute question sur cette décision."),
    ]


def letter_pdf(decision: Decision) -> bytes:
    """The letter as a PDF (same decision, same bytes)."""
    outcome = "Validation" if decision.validated else "Rejet"
    status = FundingStatus.VALIDATED if decision.validated else FundingStatus.REJECTED
    story: list[Flowable] = [
        text(decision.company_name, "label"),
        text(decision.address, "value"),
        text(f"SIRET {decision.siret}", "value"),
    ]
    if decision.addressee:
        story.append(text(f"À l'attention de {decision.addressee}", "value"))
    story += [
        Spacer(1, 18),
        text(f"Le {fr_date(decision.decided_at)}", "body"),
        text(f"{TITLE} — {outcome} de votre {decision.request_label.lower()}", "title"),
        bold_lead("Objet :", f"décision relative à la demande de financement "
                  f"{decision.number} ({decision.request_label.lower()})"),
        bold_lead("Décision :", f"{status.label}, le {fr_datetime(decision.decided_at)} "
                  "(heure de Paris)"),
        Spacer(1, 8),
        text("Madame, Monsieur,"),
        *_outcome(decision),
        text(f"Le détail de votre dossier reste consultable sur le {PORTAL}, rubrique "
             "« Suivi de ma demande de financement »."),
        text("Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
             "distinguées."),
        Spacer(1, 10),
        text(f"Pour l'{AGENCY}", "label"),
        text("Le service instructeur Ségur Numérique", "value"),
    ]
    return build(story, info=DocumentInfo(
        title=TITLE, reference=decision.number,
        subject=f"{outcome} de la demande de financement {decision.number}",
        issued_at=decision.decided_at,
    ))


def funding_decision(session: Session, request: FundingRequest) -> Decision:
    """What the letter of ``request``'s decision says, read from the decided row."""
    supplier, depositor = supplier_and_depositor(session, request)
    return Decision(
        validated=request.status == FundingStatus.VALIDATED.value,
        request_label=FundingKind(request.kind).label,
        number=request.dossier_number,
        deposited_at=request.deposited_at,
        decided_at=request.status_changed_at,
        company_name=supplier.company_name,
        address=supplier.address,
        siret=supplier.siret,
        addressee=depositor,
        amount=request.amount,
        vat_label=request.vat_label,
        iban=request.iban,
        holder=request.bank_holder,
        reason=request.decision_reason or "",
    )


def issue_decision_letter(
    session: Session, *, request: FundingRequest, store: storage.Storage, now: datetime
) -> Attachment:
    """Generate and store the letter of a decision being recorded (caller commits)."""
    if request.status not in (FundingStatus.VALIDATED.value, FundingStatus.REJECTED.value):
        raise ValueError("no decision to write")
    decision = funding_decision(session, request)
    return generated_documents.store(
        session, kind=GeneratedDocumentKind.DECISION_LETTER, pdf=letter_pdf(decision),
        file_name=file_name(decision.number), store=store, now=now,
        funding_request_id=request.id,
    )
