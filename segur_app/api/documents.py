"""Authorised download of private documents: ``GET /documents/{attachment_id}``.

The access policy (``domain.access.authorise``, audience ``USER``: a first
login must be finished) runs on every request — never trust the page that
showed the link; unknown ids and documents the user may not read both answer
404, so ids cannot be probed.

``GET /documents/accuse-de-depot/{dossier_number}`` (the link of the deposit
confirmation email) finds the funding request's receipt — issuing it if it is
still missing (``receipts.ensure_funding_receipt``) — and redirects to
``/documents/{attachment_id}?dl=1``, which checks the session again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from starlette.requests import Request
from sqlmodel import select
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse

from segur_app import routes
from segur_app.api.ids import parse_id
from segur_app.api.session import guarded_route
from segur_app.core.db import session_scope
from segur_app.domain import access, documents, generated_documents, receipts, storage
from segur_app.domain.access import Audience, Principal
from segur_app.domain.models import Attachment, FundingRequest, utcnow

log = logging.getLogger(__name__)

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}
MSG_NOT_FOUND = "Document introuvable."
MSG_UNAVAILABLE = "Document momentanément indisponible. Veuillez réessayer dans quelques minutes."


@dataclass(frozen=True)
class _Found:
    body: BinaryIO
    mime_type: str
    original_name: str
    size_bytes: int


def _load(who: Principal, attachment_id: int) -> _Found | None:
    """The readable document, opened for streaming (None: unknown or not readable)."""
    with session_scope() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or not documents.can_read(
            session, user=access.user_of(session, who), attachment=attachment
        ):
            return None
        key, meta = attachment.storage_key, dict(
            mime_type=attachment.mime_type, original_name=attachment.original_name,
            size_bytes=attachment.size_bytes)
    try:  # the database connection is back in its pool while the store answers
        body = storage.open_document(key, store=storage.store_from_settings())
    except FileNotFoundError:
        return None
    return _Found(body=body, **meta)


def _chunks(body: BinaryIO) -> Iterator[bytes]:
    """The document piece by piece (Starlette reads it in a worker thread)."""
    with contextlib.closing(body):
        try:
            while chunk := body.read(storage.CHUNK_BYTES):
                yield chunk
        except storage.StorageUnavailable:  # the response is cut short: never a partial success
            log.warning("document download interrupted: the store stopped answering")


def _store_unavailable() -> Response:
    """The document store does not answer: try again in a minute."""
    return PlainTextResponse(MSG_UNAVAILABLE, status_code=503, headers={"Retry-After": "60"})


@guarded_route(routes.DOCUMENTS + "/{attachment_id}", Audience.USER)
async def download(request: Request, who: Principal) -> Response:
    # Digits within the id column's range only: nothing else reaches the DB.
    attachment_id = parse_id(request.path_params["attachment_id"])
    if attachment_id is None:
        return PlainTextResponse(MSG_NOT_FOUND, status_code=404)
    try:
        found = await asyncio.to_thread(_load, who, attachment_id)
    except storage.StorageUnavailable:
        log.warning("document %s not served: the store is unreachable", attachment_id)
        return _store_unavailable()
    if found is None:
        return PlainTextResponse(MSG_NOT_FOUND, status_code=404)
    inline = found.mime_type in INLINE_TYPES and request.query_params.get("dl") != "1"
    return StreamingResponse(
        _chunks(found.body),
        media_type=found.mime_type,
        headers={
            "Content-Disposition": documents.content_disposition(
                found.original_name, inline=inline
            ),
            "Content-Length": str(found.size_bytes),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def _receipt_of(who: Principal, number: str) -> int | None:
    """The attachment id of the receipt of dossier ``number`` (issued now if missing;
    None: unknown or not readable)."""
    with session_scope() as session:
        request = session.exec(
            select(FundingRequest).where(FundingRequest.dossier_number == number)).first()
        if not documents.can_read_dossier(user=access.user_of(session, who), request=request):
            return None
        return receipts.ensure_funding_receipt(
            session, request=request, store=storage.store_from_settings(), now=utcnow()).id


@guarded_route(routes.DEPOSIT_RECEIPT + "/{number}", Audience.USER)
async def deposit_receipt(request: Request, who: Principal) -> Response:
    number = request.path_params["number"]
    if not (len(number) <= 20 and number.isascii() and number.isalnum()):
        return PlainTextResponse(MSG_NOT_FOUND, status_code=404)
    try:
        attachment_id = await asyncio.to_thread(_receipt_of, who, number)
    except storage.StorageUnavailable:
        log.warning("receipt of %s not issued: the store is unreachable", number)
        return _store_unavailable()
    if attachment_id is None:
        return PlainTextResponse(MSG_NOT_FOUND, status_code=404)
    return RedirectResponse(
        generated_documents.download_path(attachment_id) + "?dl=1", status_code=303,
        headers={"Cache-Control": "private, no-store"})


http_routes = [deposit_receipt, download]
