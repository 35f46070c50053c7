"""``Cache-Control`` on every HTTP response of the portal.

:class:`CacheHeaders` wraps the whole backend, inside
:class:`~segur_app.api.security_headers.SecurityHeaders` (see
:class:`segur_app.api.asgi.PortalApp`): with ``--single-port`` it sees the
compiled frontend's files as well as the API routes. The first rule that
applies decides:

1. **Private routes** — ``/documents/…``, the staff CSV exports, the session
   routes, Reflex's ``/_upload`` and ``/_event`` (the socket.io polling
   transport): ``private, no-store``, whatever the route said.
2. A ``Cache-Control`` the application chose itself is kept (the session
   redirects, the upload guard's refusals).
3. Anything but a successful ``GET``/``HEAD`` (200, 203, 206, 304):
   ``no-store``. A 404 or a redirect is never kept.
4. **Content-hashed files**, whose name changes with their content:
   Vite's bundles ``/assets/<name>-<8 characters>.<ext>`` and the files of the
   DSFR bundle ``/dsfr-portail/<path>-<10 hex>.<ext>`` (fonts, icons; see
   ``frontend/dsfr_bundle.py``): ``public, max-age=31536000, immutable`` —
   a browser never asks for them again.
5. **Other static files** — the prerendered HTML pages, the DSFR bundle's
   stylesheet (fixed name), ``/dsfr/…``, the favicons, the manifest: ``no-cache``
   (kept, but revalidated before each use with the ``ETag``/``Last-Modified``
   the static server sends: a 304 when nothing changed, the new file right
   after a deployment). A file of the static server is recognised by those
   validators. The pages may be stored: they are prerendered at build time,
   the same for every visitor, without any personal data (what a user sees
   arrives afterwards over the websocket, never in the HTML).
6. Everything else (dynamic responses without validators: health checks,
   JSON, Reflex's own routes): ``no-store``.

A route that serves personal data must be under rule 1 or set its own
``Cache-Control: private, no-store`` (rule 2), as ``/documents`` and the
exports do.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from segur_app import routes
from segur_app.frontend.dsfr_bundle import HASH_LENGTH, URL_PREFIX

IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
NO_STORE = b"no-store"
PRIVATE = b"private, no-store"

PRIVATE_PREFIXES: tuple[str, ...] = (
    routes.DOCUMENTS + "/",
    routes.STAFF_FUNDING_EXPORT,
    routes.STAFF_ENROLMENT_EXPORT,
    "/session/",
    "/_upload",
    "/_event",
)
CACHEABLE_STATUSES = {200, 203, 206, 304}

# Vite (Reflex's frontend build) names every file under /assets/ after its
# content: `<name>-<8 characters of base64url hash>.<ext>`.
_VITE_HASHED = re.compile(r"/assets/[^/]+-[A-Za-z0-9_-]{8}\.[A-Za-z0-9]+")
_BUNDLE_HASHED = re.compile(re.escape(URL_PREFIX) + rf"/(?:[^/]+/)*[^/]+-[0-9a-f]{{{HASH_LENGTH}}}\.[a-z0-9]+")


def is_hashed(path: str) -> bool:
    """Whether ``path`` names a file after its content (never changes)."""
    return bool(_VITE_HASHED.fullmatch(path) or _BUNDLE_HASHED.fullmatch(path))


def is_private(path: str) -> bool:
    return any(path == prefix.rstrip("/") or path.startswith(prefix) for prefix in PRIVATE_PREFIXES)


def cache_control(method: str, path: str, status: int, headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The ``Cache-Control`` value to send, or None to keep the response's own."""
    names = {name.lower() for name, _ in headers}
    if is_private(path):
        return PRIVATE
    if b"cache-control" in names:
        return None
    if method not in ("GET", "HEAD") or status not in CACHEABLE_STATUSES:
        return NO_STORE
    if is_hashed(path):
        return IMMUTABLE
    if b"etag" in names or b"last-modified" in names:
        return REVALIDATE
    return NO_STORE


class CacheHeaders:
    """Pure ASGI middleware setting ``Cache-Control`` (see the module's docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        path = scope.get("path", "")

        async def send_with_cache_control(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                value = cache_control(method, path, message.get("status", 200), headers)
                if value is not None:
                    headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
                    headers.append((b"cache-control", value))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cache_control)
