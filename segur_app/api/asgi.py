"""What the portal adds to Reflex's backend ASGI app (see ``rx.App(api_transformer=)``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from segur_app.api import documents, exports, session
from segur_app.api.upload_guard import UPLOAD_REQUEST_LIMIT, UploadSizeGuard


def transform(reflex_app: ASGIApp) -> ASGIApp:
    """Our routes first, then everything else goes to Reflex; uploads size-capped.

    Reflex's own upload endpoint has no size limit: the guard answers 413 as
    soon as a request to /_upload announces or sends more than the limit.
    The websocket and upload requests reach Reflex with the session key
    instead of the session cookie (``session.SessionHandshake``).
    """
    routes = [*session.http_routes, *documents.http_routes, *exports.http_routes]
    return UploadSizeGuard(
        Starlette(routes=[*routes, Mount("", app=session.SessionHandshake(reflex_app))]),
        max_body_bytes=UPLOAD_REQUEST_LIMIT,
    )
