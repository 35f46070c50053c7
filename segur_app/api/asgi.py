"""What the portal adds to Reflex's backend ASGI app.

From the outside in, every request goes through:

1. :class:`~segur_app.api.security_headers.SecurityHeaders` then
   :class:`~segur_app.api.cache_headers.CacheHeaders` — both wrap the
   *whole* backend app returned by Reflex (see :class:`PortalApp`), so that
   pages and static files (served by the backend with ``--single-port``),
   Reflex's CORS and error responses included, all carry the security
   headers and a ``Cache-Control``;
2. Reflex's top-level app (lifespan, contexts, CORS restricted to
   ``cors_allowed_origins`` — see ``rxconfig.py``);
3. :func:`transform` (``rx.App(api_transformer=)``): the upload checks, then
   our routes, then Reflex's own routes and the compiled frontend (a page
   asked without its trailing slash is served as is: ``page_paths.py``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import reflex as rx
from reflex.config import get_config
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from segur_app.api import documents, exports, session
from segur_app.api.cache_headers import CacheHeaders
from segur_app.api.page_paths import PagesWithoutSlash
from segur_app.api.redis_health import RedisGate
from segur_app.api.unavailable import EXCEPTION_HANDLERS
from segur_app.api.security_headers import HeaderPolicy, SecurityHeaders
from segur_app.api.upload_guard import UPLOAD_REQUEST_LIMIT, UploadSizeGuard
from segur_app.api.upload_validation import UploadRequestCheck
from segur_app.core.config import get_settings


def transform(reflex_app: ASGIApp) -> ASGIApp:
    """Our routes first, then everything else goes to Reflex; uploads checked.

    Reflex's own upload endpoint has no size limit and trusts its input: the
    size guard answers 413 as soon as a request to /_upload announces or sends
    more than the limit, then :class:`UploadRequestCheck` refuses malformed
    uploads with a French 4xx before Reflex's handler runs. The websocket and
    upload requests reach Reflex with the session key instead of the session
    cookie (``session.SessionHandshake``).
    """
    http_routes = [*session.http_routes, *documents.http_routes, *exports.http_routes]
    routes = Starlette(
        routes=[*http_routes, Mount("", app=session.SessionHandshake(PagesWithoutSlash(reflex_app)))],
        # The database unreachable (a restart): a French 503, one log line.
        exception_handlers=EXCEPTION_HANDLERS,
    )
    return RedisGate(
        UploadSizeGuard(UploadRequestCheck(routes), max_body_bytes=UPLOAD_REQUEST_LIMIT))


def header_policy() -> HeaderPolicy:
    """The headers policy for the running portal: its public URL and, when
    Reflex's ``api_url`` points elsewhere, that origin too (the frontend
    opens its websocket and uploads there)."""
    settings = get_settings()
    extra = []
    api_url = get_config().api_url
    if api_url and urlsplit(api_url).scheme in ("http", "https"):
        extra.append(api_url)
    return HeaderPolicy(settings.public_url, extra_origins=tuple(extra), hsts_max_age=settings.hsts_max_age)


class PortalApp(rx.App):
    """``rx.App`` whose backend ASGI app is wrapped in :class:`SecurityHeaders`
    and :class:`CacheHeaders`.

    ``api_transformer`` only wraps the inner app: Reflex then mounts it under
    its own top-level Starlette app, whose CORS middleware and error handler
    answer some requests (preflights, 500s) without reaching the transformer.
    Wrapping the result of ``App.__call__`` (what ``reflex run`` serves, as an
    app factory) is the one place that sees every response.
    """

    def __call__(self) -> ASGIApp:
        return SecurityHeaders(CacheHeaders(super().__call__()), header_policy())
