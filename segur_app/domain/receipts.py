"""« Accusé de dépôt »: the PDF deposit receipt of a funding request or an enrolment.

An enrolment's is issued in the transaction of the submission
(:func:`issue_enrolment_receipt` from ``enrolment.submission.submit``). A
funding request's is issued just after the deposit commits
(:func:`ensure_funding_receipt` from ``funding.deposit.issue_receipt``): it
says only what the committed rows say (the pieces deposited with the
dossier), so it does not need the deposit's transaction, and the confirmation
email links to it by dossier number (``generated_documents.receipt_url``), a
link that issues it on demand should it still be missing (a crash or a
failure right after the commit; the hourly ``missing_documents`` pass issues
it too). Both are stored by :mod:`segur_app.domain.generated_documents`. It shows
the portal and the agency, the dossier number, the date and time of the
deposit (Paris time), the company, the amount and every piece with its
SHA-256 fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from reportlab.platypus import Flowable
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from segur_app.domain import generated_documents, pdf_process, storage, uploads
from segur_app.domain.dates import fr_amount, fr_datetime
from segur_app.domain.models import (
    Attachment,
    AttachmentKind,
    Enrolment,
    FundingKind,
    FundingRequest,
    GeneratedDocumentKind,
    Supplier,
    UserAccount,
)
from segur_app.domain.pdf_layout import (
    AGENCY, PORTAL, WIDTH, DocumentInfo, build, field_table, grid, markup, paragraph, text,
)

TITLE = GeneratedDocumentKind.DEPOSIT_RECEIPT.label
FUNDING_CONTEXT = (
    "Financement Ségur Numérique de la plateforme numérique Service d'Accès aux Soins (SAS)"
)


@dataclass(frozen=True)
class Piece:
    label: str
    file_name: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class Receipt:
    """What a receipt says (everything it prints comes from here)."""

    request_label: str  # « Demande d'avance », « Demande d'enrôlement »
    context: str
    number: str
    deposited_at: datetime
    company_name: str
    siret: str
    ans_number: str
    address: str
    deposited_by: str
    pieces: tuple[Piece, ...]
    amount: int | None = None
    vat_label: str = ""


def file_name(number: str) -> str:
    return f"accuse-de-depot-{number}.pdf"


def _piece_row(piece: Piece) -> list[Flowable]:
    described = paragraph(
        f"<b>{markup(piece.label)}</b><br/>{markup(piece.file_name)} "
        f"({uploads.format_size(piece.size_bytes)})",
        "value",
    )
    return [described, text(piece.sha256, "mono")]


def receipt_pdf(receipt: Receipt) -> bytes:
    """The receipt as a PDF (same receipt, same bytes)."""
    when = f"{fr_datetime(receipt.deposited_at)} (heure de Paris)"
    fields = [
        ("Numéro de dossier", receipt.number),
        ("Type de demande", receipt.request_label),
        ("Date et heure du dépôt", when),
        ("Dénomination sociale", receipt.company_name),
        ("SIRET", receipt.siret),
        ("N° unique de référencement (ANS)", receipt.ans_number),
        ("Adresse", receipt.address),
        ("Déposée par", receipt.deposited_by),
    ]
    if receipt.amount is not None:
        fields.append(("Montant demandé", fr_amount(receipt.amount)))
        if receipt.vat_label:
            fields.append(("Taux de TVA", receipt.vat_label))
    story: list[Flowable] = [
        text(TITLE, "title"),
        text(f"{receipt.request_label} — {receipt.context}", "subtitle"),
        text(f"L'{AGENCY} accuse réception de la demande ci-dessous, déposée sur le "
             f"{PORTAL} le {when}."),
        field_table(fields),
        text(f"Pièces déposées ({len(receipt.pieces)})", "heading"),
        grid(("Pièce", "Empreinte SHA-256 du fichier reçu"),
             [_piece_row(piece) for piece in receipt.pieces],
             (0.37 * WIDTH, 0.63 * WIDTH)),
        text("L'empreinte SHA-256 identifie chaque fichier tel qu'il a été reçu : un "
             "fichier dont l'empreinte calculée est identique est exactement celui déposé.",
             "small"),
        text("Ce document atteste du dépôt de la demande. Il ne vaut pas décision : la "
             "demande va être instruite par l'Agence et le résultat de l'instruction vous "
             "sera communiqué par courriel.", "body"),
    ]
    return build(story, info=DocumentInfo(
        title=TITLE, reference=receipt.number, subject=f"{TITLE} — {receipt.request_label}",
        issued_at=receipt.deposited_at,
    ))


def rendered(receipt: Receipt) -> bytes:
    """:func:`receipt_pdf`, in the worker's PDF helper process when it runs
    (:mod:`segur_app.domain.pdf_process`; blocking: call it off the event loop)."""
    return pdf_process.render(receipt_pdf, receipt)


SAMPLE = Receipt(
    request_label="Demande d'avance", context=FUNDING_CONTEXT, number="AV-0000-00000",
    deposited_at=datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc), company_name="Exemple", siret="00000000000000",
    ans_number="ANS-0", address="1 rue Exemple 75001 Paris", deposited_by="Exemple",
    pieces=(Piece("Pièce", "exemple.pdf", 1, "0" * 64),), amount=30000,
)


def warm_up() -> bytes:
    """Render :data:`SAMPLE` through :func:`rendered`: the helper imports
    ReportLab and loads its fonts before the first deposit needs it."""
    return rendered(SAMPLE)


def _pieces(session: Session, condition) -> tuple[Piece, ...]:
    rows = session.exec(select(Attachment).where(condition).order_by(Attachment.id)).all()
    return tuple(Piece(AttachmentKind(a.kind).label, a.original_name, a.size_bytes, a.sha256)
                 for a in rows)


def supplier_and_depositor(session: Session, request: FundingRequest) -> tuple[Supplier, str]:
    """``request``'s supplier and the name of who deposited it ("" when unknown): what the
    receipt and the decision letter (``letters.py``) print of them."""
    supplier = session.get(Supplier, request.supplier_id)
    depositor = session.get(UserAccount, request.deposited_by_id) if request.deposited_by_id else None
    return supplier, depositor.display_name if depositor else ""


def funding_receipt(session: Session, request: FundingRequest) -> Receipt:
    """What the receipt of ``request`` says, read from the deposit's rows."""
    supplier, depositor = supplier_and_depositor(session, request)
    return Receipt(
        request_label=FundingKind(request.kind).label,
        context=FUNDING_CONTEXT,
        number=request.dossier_number,
        deposited_at=request.deposited_at,
        company_name=supplier.company_name,
        siret=supplier.siret,
        ans_number=supplier.ans_number,
        address=supplier.address,
        deposited_by=depositor,
        # The pieces deposited with the dossier (a later « Demande de compléments »
        # adds replacements, uploaded after it: not on its receipt).
        pieces=_pieces(session, (Attachment.funding_request_id == request.id)
                       & (Attachment.uploaded_at <= request.deposited_at)),
        amount=request.amount,
        vat_label=request.vat_label,
    )


def enrolment_receipt(session: Session, enrolment: Enrolment) -> Receipt:
    supplier = session.get(Supplier, enrolment.supplier_id)
    contact = f"{enrolment.contact_first_name} {enrolment.contact_last_name}".strip()
    if enrolment.contact_email:
        contact = f"{contact} ({enrolment.contact_email})" if contact else enrolment.contact_email
    return Receipt(
        request_label="Demande d'enrôlement",
        context=f"Enrôlement d'un fournisseur SAS sur le {PORTAL}",
        number=enrolment.number,
        deposited_at=enrolment.submitted_at,
        company_name=supplier.company_name,
        siret=supplier.siret,
        ans_number=supplier.ans_number,
        address=supplier.address,
        deposited_by=contact,
        pieces=_pieces(session, Attachment.enrolment_id == enrolment.id),
    )


def issue_funding_receipt(
    session: Session, *, request: FundingRequest, store: storage.Storage, now: datetime
) -> Attachment:
    """Generate and store the receipt of a deposited request (caller commits)."""
    session.flush()  # the pieces of this deposit are read back
    receipt = funding_receipt(session, request)
    return generated_documents.store(
        session, kind=GeneratedDocumentKind.DEPOSIT_RECEIPT, pdf=rendered(receipt),
        file_name=file_name(receipt.number), store=store, now=now,
        funding_request_id=request.id,
    )


def ensure_funding_receipt(
    session: Session, *, request: FundingRequest, store: storage.Storage, now: datetime
) -> Attachment:
    """The stored receipt of a deposited request, issued now if it has none (caller
    commits). Two callers at once (the deposit's own issue, a download of the
    email's link, the hourly pass): the second meets the unique constraint of
    ``generated_document`` in its savepoint and returns the first one's (its file,
    never referenced, is removed by the storage sweep)."""
    kind = GeneratedDocumentKind.DEPOSIT_RECEIPT
    found = generated_documents.find(session, kind=kind, funding_request_id=request.id)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            return issue_funding_receipt(session, request=request, store=store, now=now)
    except IntegrityError:
        found = generated_documents.find(session, kind=kind, funding_request_id=request.id)
        if found is None:
            raise
        return found


def issue_enrolment_receipt(
    session: Session, *, enrolment: Enrolment, store: storage.Storage, now: datetime
) -> Attachment:
    """Generate and store the receipt of an enrolment being submitted (caller commits)."""
    session.flush()
    receipt = enrolment_receipt(session, enrolment)
    return generated_documents.store(
        session, kind=GeneratedDocumentKind.DEPOSIT_RECEIPT, pdf=rendered(receipt),
        file_name=file_name(receipt.number), store=store, now=now,
        enrolment_id=enrolment.id,
    )
