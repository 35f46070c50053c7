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

Generated inside the transaction of the event (deposit, decision), from the
rows of that transaction, and never again: every download serves the same
bytes, whatever changes later (a piece replaced, a company renamed).
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

    id: int  # the attachment served by /documents/{id}
    kind: str
    label: str
    download_text: str
    file_name: str
    size: str
    generated_on: str


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
        )
        for generated, attachment in rows
    ]


def for_funding_request(session: Session, *, funding_request_id: int) -> list[GeneratedDocumentView]:
    return _views(session, GeneratedDocument.funding_request_id == funding_request_id)


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
