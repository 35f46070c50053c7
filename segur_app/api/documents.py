"""Authorised download of private documents: ``GET /documents/{attachment_id}``.

The access policy (``domain.access.authorise``, audience ``USER``: a first
login must be finished) runs on every request — never trust the page that
showed the link; unknown ids and documents the user may not read both answer
404, so ids cannot be probed.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from segur_app import routes
from segur_app.api.session import guarded_route
from segur_app.api.ids import parse_id
from segur_app.core.config import get_settings
from segur_app.core.db import session_scope
from segur_app.domain import access, documents, storage
from segur_app.domain.access import Audience, Principal
from segur_app.domain.models import Attachment

INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


def _load(who: Principal, attachment_id: int) -> tuple[bytes, Attachment] | None:
    with session_scope() as session:
        attachment = session.get(Attachment, attachment_id)
        if attachment is None or not documents.can_read(
            session, user=access.user_of(session, who), attachment=attachment
        ):
            return None
        try:
            data = storage.read_bytes(attachment.storage_key, storage_dir=get_settings().storage_dir)
        except FileNotFoundError:
            return None
        return data, attachment


@guarded_route(routes.DOCUMENTS + "/{attachment_id}", Audience.USER)
async def download(request: Request, who: Principal) -> Response:
    # Digits within the id column's range only: nothing else reaches the DB.
    attachment_id = parse_id(request.path_params["attachment_id"])
    if attachment_id is None:
        return PlainTextResponse("Document introuvable.", status_code=404)
    found = await asyncio.to_thread(_load, who, attachment_id)
    if found is None:
        return PlainTextResponse("Document introuvable.", status_code=404)
    data, attachment = found
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


http_routes = [download]

