"""Security headers on every HTTP response of the portal.

:class:`SecurityHeaders` is the outermost ASGI middleware of the backend
(see :class:`segur_app.api.asgi.PortalApp`). In production the portal runs
``reflex run --env prod --single-port``: the compiled frontend (prerendered
HTML pages, JS/CSS bundles, ``/dsfr`` assets) is then served by the same
Starlette app as the API routes (Reflex mounts its ``PrecompressedStaticFiles``
on the backend), so this middleware covers pages, static files, ``/documents``,
the exports, ``/_upload`` and Reflex's own error and CORS responses alike.

Every response gets ``X-Content-Type-Options``, ``Referrer-Policy``,
``Permissions-Policy``, ``X-Frame-Options``, ``Cross-Origin-Opener-Policy``,
``Cross-Origin-Resource-Policy`` and, when the public URL is https,
``Strict-Transport-Security``; plus a ``Content-Security-Policy``:

* **HTML pages** get the page policy (:meth:`HeaderPolicy.page_csp`). The
  pages are prerendered by React Router and carry inline ``<script>`` and
  ``<style>`` elements (router context, hydration data, React's streaming
  helpers, the emotion styles of the first render). Rather than allowing every
  inline script (``'unsafe-inline'``), the middleware buffers each HTML
  response (a few tens of kilobytes; gzip is decoded for the computation, the
  bytes sent are untouched) and allows exactly the SHA-256 hashes of *that*
  page's inline scripts. The ``unsafe-*`` sources kept are explained in the
  README (« En-têtes HTTP, CORS et entrées hostiles »).
* **Everything else** (bundles, JSON, documents...) gets a deny-all policy:
  such a response is never meant to be rendered as a document. Documents under
  ``/documents/`` may be framed by the portal's own pages (the staff previews).

A ``304 Not Modified`` carries no ``Content-Security-Policy``: browsers merge
the headers of a 304 into the cached response, and a 304 has no body from
which the page's hashes could be computed, so the cached policy is kept.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

MAX_HTML_BYTES = 4 * 1024 * 1024
"""HTML bodies larger than this (decoded) are sent without inline hashes."""

# Powerful features the portal never uses, denied to the page and its frames.
# Only names Chromium knows: an unknown one is reported in the console.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "autoplay", "browsing-topics", "camera",
        "display-capture", "encrypted-media", "geolocation", "gyroscope", "hid",
        "idle-detection", "magnetometer", "microphone", "midi", "payment",
        "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
        "serial", "usb", "xr-spatial-tracking",
    )
)

RESOURCE_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# A private document shown in a staff page's preview <iframe>: same-origin
# framing only; the images/PDF viewer need nothing from the network.
DOCUMENT_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)

_SCRIPT_RE = re.compile(rb"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_STYLE_RE = re.compile(rb"<style\b([^>]*)>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
_SRC_ATTR_RE = re.compile(rb"\ssrc\s*=", re.IGNORECASE)
_DECODABLE_ENCODINGS = {b"gzip", b"identity"}


def csp_hash(content: bytes) -> str:
    """The CSP source expression allowing an inline element with this content."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(content).digest()).decode("ascii") + "'"


def inline_hashes(html: bytes) -> tuple[list[str], list[str]]:
    """(script hashes, style hashes) of the inline elements of an HTML page,
    in document order, without duplicates. External scripts are skipped."""
    scripts: dict[str, None] = {}
    for match in _SCRIPT_RE.finditer(html):
        if not _SRC_ATTR_RE.search(match.group(1)):
            scripts[csp_hash(match.group(2))] = None
    styles = {csp_hash(match.group(2)): None for match in _STYLE_RE.finditer(html)}
    return list(scripts), list(styles)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class HeaderPolicy:
    """What the headers say, derived from the portal's public URL."""

    public_url: str
    # Other origins the frontend talks to (Reflex's api_url when it differs).
    extra_origins: tuple[str, ...] = ()
    hsts_max_age: int = 365 * 24 * 3600
    # Paths under which responses may be framed by the portal's own pages.
    framable_prefixes: tuple[str, ...] = ("/documents/",)
    _origins: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        origins = [_origin(url) for url in (self.public_url, *self.extra_origins)]
        unique = tuple(dict.fromkeys(origin for origin in origins if origin))
        if not unique:
            raise ValueError(f"public URL without an http(s) origin: {self.public_url!r}")
        object.__setattr__(self, "_origins", unique)

    @property
    def https(self) -> bool:
        return self._origins[0].startswith("https://")

    def connect_sources(self) -> list[str]:
        """'self' plus each origin and its websocket twin (ws:/wss:)."""
        sources = ["'self'"]
        for origin in self._origins:
            scheme, rest = origin.split("://", 1)
            sources += [origin, ("wss://" if scheme == "https" else "ws://") + rest]
        return list(dict.fromkeys(sources))

    def page_csp(self, script_hashes: Iterable[str] = (), style_hashes: Iterable[str] = ()) -> str:
        del style_hashes  # see the README: emotion inserts <style> elements at run time
        directives = [
            "default-src 'self'",
            # 'unsafe-eval': Reflex runs the scripts the server sends
            # (rx.call_script / rx.call_function) with eval().
            "script-src " + " ".join(["'self'", "'unsafe-eval'", *script_hashes]),
            "script-src-attr 'none'",
            # 'unsafe-inline': emotion (Reflex's CSS-in-JS) writes <style>
            # elements while React renders; no nonce can be given to it.
            "style-src 'self' 'unsafe-inline'",
            # data: for the DSFR's inline SVG icons (CSS backgrounds and masks).
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src " + " ".join(self.connect_sources()),
            "frame-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            # The session forms post natively to the backend (its own origin
            # in development: frontend :3000, backend :8000).
            "form-action " + " ".join(["'self'", *self._origins[1:]]),
            "frame-ancestors 'none'",
        ]
        if self.https:
            directives.append("upgrade-insecure-requests")
        return "; ".join(directives)

    def resource_csp(self, path: str) -> str:
        return DOCUMENT_CSP if self._framable(path) else RESOURCE_CSP

    def _framable(self, path: str) -> bool:
        return any(path.startswith(prefix) for prefix in self.framable_prefixes)

    def common_headers(self, path: str) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", PERMISSIONS_POLICY.encode()),
            (b"x-frame-options", b"SAMEORIGIN" if self._framable(path) else b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
        ]
        if self.https:
            headers.append(
                (b"strict-transport-security", f"max-age={self.hsts_max_age}; includeSubDomains".encode())
            )
        return headers


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _merge(headers: list[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The response's headers plus ours, ours replacing any same-named one
    except a Content-Security-Policy the application chose itself."""
    ours = {name for name, _ in extra}
    kept = [
        (name, value)
        for name, value in headers
        if name.lower() not in ours or name.lower() == b"content-security-policy"
    ]
    if _header(headers, b"content-security-policy") is not None:
        extra = [(n, v) for n, v in extra if n != b"content-security-policy"]
    return kept + extra


def _decoded_html(body: bytes, encoding: bytes | None) -> bytes | None:
    if not encoding or encoding.strip().lower() == b"identity":
        return body
    if encoding.strip().lower() == b"gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            data = inflater.decompress(body, MAX_HTML_BYTES + 1)
        except zlib.error:
            return None
        return data if len(data) <= MAX_HTML_BYTES else None
    return None


def _decodable_accept_encoding(value: bytes) -> bytes:
    """Keep only the encodings this middleware can decode (gzip, identity):
    the static file server then never picks a brotli/zstd sidecar for a page."""
    kept = [
        token.strip()
        for token in value.split(b",")
        if token.split(b";")[0].strip().lower() in _DECODABLE_ENCODINGS
    ]
    return b", ".join(kept)


class SecurityHeaders:
    """Pure ASGI middleware adding the portal's security headers."""

    def __init__(self, app: ASGIApp, policy: HeaderPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD"):
            scope = dict(scope)
            scope["headers"] = [
                (name, _decodable_accept_encoding(value) if name.lower() == b"accept-encoding" else value)
                for name, value in scope.get("headers") or []
            ]
        path = scope.get("path", "")
        policy = self.policy
        start: Message | None = None
        buffered: list[bytes] = []
        size = 0

        async def send_start(message: Message, csp: str | None) -> None:
            extra = policy.common_headers(path)
            if csp is not None:
                extra.append((b"content-security-policy", csp.encode()))
            await send({**message, "headers": _merge(list(message.get("headers") or []), extra)})

        async def flush(csp: str | None) -> None:
            nonlocal start
            assert start is not None
            message, start = start, None
            await send_start(message, csp)
            for chunk in buffered[:-1]:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": buffered[-1] if buffered else b"",
                        "more_body": False})

        async def secured_send(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                status = message.get("status", 200)
                content_type = (_header(headers, b"content-type") or b"").lower()
                is_html = content_type.startswith(b"text/html")
                if status == 304:
                    await send_start(message, None)
                elif is_html and scope.get("method") != "HEAD":
                    start = message  # wait for the body: its inline hashes go in the CSP
                else:
                    await send_start(message, policy.page_csp() if is_html else policy.resource_csp(path))
                return
            if start is not None and message["type"] == "http.response.pathsend":
                # A file sent by path (granian's zero-copy extension, used by
                # Starlette's FileResponse): read the page to hash it.
                body = await asyncio.to_thread(Path(message["path"]).read_bytes)
                message = {"type": "http.response.body", "body": body, "more_body": False}
            if message["type"] == "http.response.body" and start is not None:
                body = message.get("body", b"")
                buffered.append(body)
                size += len(body)
                if size > MAX_HTML_BYTES:
                    logger.warning("HTML response over %d bytes on %s: sent without inline hashes",
                                   MAX_HTML_BYTES, path[:200])
                    await flush(policy.page_csp())
                    return
                if not message.get("more_body", False):
                    encoding = _header(start.get("headers") or [], b"content-encoding")
                    html = _decoded_html(b"".join(buffered), encoding)
                    if html is None:
                        logger.warning("HTML response on %s not decodable: sent without inline hashes",
                                       path[:200])
                        await flush(policy.page_csp())
                    else:
                        await flush(policy.page_csp(*inline_hashes(html)))
                return
            await send(message)

        await self.app(scope, receive, secured_send)
        if start is not None:  # the app returned without finishing its body
            await flush(policy.page_csp())
