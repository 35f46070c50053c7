"""Authorised download of private documents: ``GET /documents/{attachment_id}``.

The session cookie is checked on every request (never trust the page that
showed the link); unknown ids and documents the user may not read both answer
404, so ids cannot be probed.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from segur_app.api.ids import parse_id
from segur_app.core.config import get_settings
from segur_app.core.db import session_scope
from segur_app.core.security import SESSION_COOKIE
from segur_app.domain import accounts, documents, storage
from segur_app.domain.models import Attachment

DOCUMENTS_PREFIX = "/documents"
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


def _load(token: str | None, attachment_id: int) -> tuple[int, bytes | None, Attachment | None]:
    with session_scope() as session:
        found = accounts.resolve_session(session, token)
        if found is None or found[1].must_change_password:
            return 401, None, None
        _, user = found
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or not documents.can_read(
            session, user=user, attachment=attachment
        ):
            return 404, None, None
        try:
            data = storage.read_bytes(attachment.storage_key, storage_dir=get_settings().storage_dir)
        except FileNotFoundError:
            return 404, None, None
        return 200, data, attachment


async def download(request: Request) -> Response:
    # Digits within the id column's range only: nothing else reaches the DB.
    attachment_id = parse_id(request.path_params["attachment_id"])
    if attachment_id is None:
        return PlainTextResponse("Document introuvable.", status_code=404)
    status, data, attachment = await asyncio.to_thread(
        _load, request.cookies.get(SESSION_COOKIE), attachment_id
    )
    if status == 401:
        return PlainTextResponse("Authentification requise.", status_code=401)
    if status != 200:
        return PlainTextResponse("Document introuvable.", status_code=404)
    inline = attachment.mime_type in INLINE_TYPES and request.query_params.get("dl") != "1"
    return Response(
        data,
        media_type=attachment.mime_type,
        headers={
            "Content-Disposition": documents.content_disposition(
                attachment.original_name, inline=inline
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


http_routes = [Route(DOCUMENTS_PREFIX + "/{attachment_id}", download, methods=["GET"])]


def document_url(attachment_id: int) -> str:
    return f"{DOCUMENTS_PREFIX}/{attachment_id}"
