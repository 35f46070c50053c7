"""Cap the size of upload request bodies before anything buffers them.

Reflex's ``POST /_upload`` endpoint parses the whole multipart body (spooled to
memory/disk) before our event handler can look at the file, and the browser's
``max_size`` is only a convenience. :class:`UploadSizeGuard` wraps the backend
ASGI app and, for upload requests:

* answers ``413`` at once, without reading the body, when ``Content-Length``
  exceeds the limit;
* otherwise counts the bytes the inner app actually receives (this covers
  ``Transfer-Encoding: chunked`` and lying ``Content-Length`` headers): as soon
  as the count would exceed the limit, the offending chunk is dropped, a 413 is
  sent if the response has not started, and the inner app sees
  ``http.disconnect`` (Starlette raises ``ClientDisconnect`` and Reflex gives
  up). The inner app therefore never receives more than ``max_body_bytes``,
  and nothing here buffers more than the one chunk the server hands over.

Every other request (other paths, ``GET``, websockets, lifespan) passes through
untouched. The per-file 4 Mo rule itself is enforced by
``segur_app.domain.uploads.check_document``; this guard only bounds the
request, hence the allowance for multipart overhead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from segur_app.domain.uploads import MAX_UPLOAD_BYTES
from segur_app.domain.uploads.policy import format_size

UPLOAD_REQUEST_LIMIT = MAX_UPLOAD_BYTES + 256 * 1024
"""One 4 Mo document plus room for the multipart envelope and form fields."""

TOO_LARGE_MESSAGE = (
    f"Fichier trop volumineux : la taille maximum est de {format_size(MAX_UPLOAD_BYTES)}.")
BAD_REQUEST_MESSAGE = "Requête invalide : en-tête Content-Length incorrect."
GUARDED_METHODS = frozenset({"POST", "PUT", "PATCH"})


class UploadSizeGuard:
    """Pure ASGI middleware limiting request bodies under ``path_prefix``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        path_prefix: str = "/_upload",
        max_body_bytes: int,
        message: str = TOO_LARGE_MESSAGE,
        methods: Iterable[str] = GUARDED_METHODS,
    ) -> None:
        if max_body_bytes < 0:
            raise ValueError("max_body_bytes must be >= 0")
        self.app = app
        self.path_prefix = path_prefix
        self.max_body_bytes = max_body_bytes
        self.message = message
        self.methods = frozenset(method.upper() for method in methods)

    def _guards(self, scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope.get("method", "").upper() in self.methods
            and scope.get("path", "").startswith(self.path_prefix)
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._guards(scope):
            await self.app(scope, receive, send)
            return

        try:
            declared = _content_length(scope.get("headers") or [])
        except ValueError:
            await send_json_error(send, 400, BAD_REQUEST_MESSAGE)
            return
        if declared is not None and declared > self.max_body_bytes:
            await send_json_error(send, 413, self.message)
            return

        limit = self.max_body_bytes
        received = 0
        exceeded = False
        response_started = False
        answered = False  # our 413 went out: drop whatever the inner app sends

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if answered:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        async def guarded_receive() -> Message:
            nonlocal received, exceeded, answered
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    if not response_started:
                        answered = True
                        await send_json_error(send, 413, self.message)
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            # The inner app may fail on the disconnect we made it see; the
            # client already has its 413, so there is nothing left to report.
            if not answered:
                raise


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The declared body size; ``ValueError`` when malformed or contradictory."""
    values = {value.strip() for name, value in headers if name.lower() == b"content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise ValueError("conflicting Content-Length headers")
    (value,) = values
    if not value.isdigit():
        raise ValueError("invalid Content-Length")
    return int(value)


async def send_json_error(send: Send, status: int, message: str) -> None:
    body = json.dumps({"detail": message}, ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
