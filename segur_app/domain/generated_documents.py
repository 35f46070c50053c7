"""Documents the portal generates for a dossier: storage, links, what the screens list.

A generated PDF (deposit receipt, decision letter) is stored like every
private document: an ``attachment`` row (kind « autre », no owner column — it
is not one of the dossier's pieces, so piece lists and controls never see
it) pointing to a file under a random key, written and made durable before
the row is committed (:mod:`segur_app.domain.file_commit`: removed if the
transaction rolls back, otherwise left to the storage sweep). The
``generated_document`` row says which dossier it belongs to; the download
route ``/documents/{id}`` authorises it through ``documents.can_read`` (a
supplier reads its own dossiers' documents, staff read all).

Generated once, from the rows of the event (a decision letter and an
enrolment receipt in its transaction; a funding receipt just after the
deposit commits, or on demand through :func:`receipt_url`), and never again:
every download serves the same bytes, whatever changes later (a piece
replaced, a company renamed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from segur_app import routes
from segur_app.domain import file_commit, storage, uploads
from segur_app.domain.dates import fr_datetime
from segur_app.domain.models import (
    Attachment,
    AttachmentKind,
    Enrolment,
    GeneratedDocument,
    GeneratedDocumentKind,
)
from segur_app.links import absolute_url

PDF = "application/pdf"
DOWNLOAD_TEXTS = {
    GeneratedDocumentKind.DEPOSIT_RECEIPT: "Télécharger l'accusé de dépôt",
    GeneratedDocumentKind.DECISION_LETTER: "Télécharger le courrier de décision",
}


@dataclass(frozen=True)
class GeneratedDocumentView:
    """One generated document as the screens list it."""

    id: int  # the attachment served by /documents/{id} (0: not issued yet)
    kind: str
    label: str
    download_text: str
    file_name: str
    size: str  # "" while not issued yet
    generated_on: str
    href: str  # the download link


def store(
    session: Session,
    *,
    kind: GeneratedDocumentKind,
    pdf: bytes,
    file_name: str,
    store: storage.Storage,
    now: datetime,
    funding_request_id: int | None = None,
    enrolment_id: int | None = None,
) -> Attachment:
    """Store ``pdf`` for a dossier, in the caller's transaction (which commits).

    The file is durable before this returns and is removed if the transaction
    rolls back before its commit.
    """
    if (funding_request_id is None) == (enrolment_id is None):
        raise ValueError("a generated document belongs to exactly one dossier")
    stored = storage.store_bytes(pdf, store=store)
    file_commit.track_new(session, stored.key, store=store)
    attachment = Attachment(
        kind=AttachmentKind.OTHER.value,
        original_name=file_name,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        mime_type=PDF,
        storage_key=stored.key,
        uploaded_at=now,
    )
    session.add(attachment)
    session.flush()
    session.add(GeneratedDocument(
        kind=kind.value,
        attachment_id=attachment.id,
        funding_request_id=funding_request_id,
        enrolment_id=enrolment_id,
        generated_at=now,
    ))
    session.flush()  # one document of each kind per dossier: the constraint answers here
    return attachment


def download_path(attachment_id: int) -> str:
    return f"{routes.DOCUMENTS}/{attachment_id}"


def download_url(attachment_id: int) -> str:
    """The absolute link written in emails (the route checks the session)."""
    return absolute_url(download_path(attachment_id))


def receipt_path(dossier_number: str) -> str:
    """The link of a funding request's « Accusé de dépôt », valid before it is issued:
    ``/documents/accuse-de-depot/<number>`` issues it if it is still missing, then
    redirects to the document (``api/documents.py``)."""
    return f"{routes.DEPOSIT_RECEIPT}/{dossier_number}"


def receipt_url(dossier_number: str) -> str:
    """The absolute :func:`receipt_path`, written in the confirmation email."""
    return absolute_url(receipt_path(dossier_number))


def pending_receipt(dossier_number: str) -> GeneratedDocumentView:
    """A funding receipt not issued yet, as the screens list it (the link issues it)."""
    kind = GeneratedDocumentKind.DEPOSIT_RECEIPT
    return GeneratedDocumentView(
        id=0, kind=kind.value, label=kind.label, download_text=DOWNLOAD_TEXTS[kind],
        file_name=f"accuse-de-depot-{dossier_number}.pdf", size="", generated_on="",
        href=receipt_path(dossier_number),
    )


def _views(session: Session, condition) -> list[GeneratedDocumentView]:
    rows = session.exec(
        select(GeneratedDocument, Attachment)
        .join(Attachment, Attachment.id == GeneratedDocument.attachment_id)
        .where(condition)
        .order_by(GeneratedDocument.generated_at, GeneratedDocument.id)
    ).all()
    return [
        GeneratedDocumentView(
            id=attachment.id,
            kind=generated.kind,
            label=GeneratedDocumentKind(generated.kind).label,
            download_text=DOWNLOAD_TEXTS[GeneratedDocumentKind(generated.kind)],
            file_name=attachment.original_name,
            size=uploads.format_size(attachment.size_bytes),
            generated_on=fr_datetime(generated.generated_at),
            href=download_path(attachment.id) + "?dl=1",
        )
        for generated, attachment in rows
    ]


def for_funding_request(session: Session, *, funding_request_id: int,
                        dossier_number: str | None = None) -> list[GeneratedDocumentView]:
    """``dossier_number`` given: a receipt not issued yet is listed all the same
    (:func:`pending_receipt`)."""
    found = _views(session, GeneratedDocument.funding_request_id == funding_request_id)
    receipt = GeneratedDocumentKind.DEPOSIT_RECEIPT.value
    if dossier_number is not None and all(view.kind != receipt for view in found):
        found.insert(0, pending_receipt(dossier_number))
    return found


def for_enrolment(session: Session, *, enrolment_id: int) -> list[GeneratedDocumentView]:
    return _views(session, GeneratedDocument.enrolment_id == enrolment_id)


def for_enrolment_number(session: Session, *, number: str) -> list[GeneratedDocumentView]:
    """The documents of the enrolment ``number`` (ENRSAS…), as its tracking screen shows it."""
    enrolment_id = session.exec(select(Enrolment.id).where(Enrolment.number == number)).first()
    return [] if enrolment_id is None else for_enrolment(session, enrolment_id=enrolment_id)


def find(
    session: Session,
    *,
    kind: GeneratedDocumentKind,
    funding_request_id: int | None = None,
    enrolment_id: int | None = None,
) -> Attachment | None:
    """The stored file of a dossier's document of ``kind`` (None: not generated)."""
    owner = (
        GeneratedDocument.funding_request_id == funding_request_id
        if funding_request_id is not None
        else GeneratedDocument.enrolment_id == enrolment_id
    )
    return session.exec(
        select(Attachment)
        .join(GeneratedDocument, GeneratedDocument.attachment_id == Attachment.id)
        .where(owner, GeneratedDocument.kind == kind.value)
    ).first()
