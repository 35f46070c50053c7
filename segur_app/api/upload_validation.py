"""Hostile ``POST /_upload`` requests get a French 4xx, never a 500.

Reflex's upload endpoint trusts its input: a ``files`` part without a filename
fails with a 500 whose log line quotes the part's content, a body that is not
multipart reaches the handler with no file, a handler called with missing or
mistyped bound arguments fails with a traceback, and its own 4xx messages are
in English. :class:`UploadRequestCheck` sits in front of it (inside the size
guard) and, before the handler can run, checks:

* the ``reflex-client-token`` / ``reflex-event-handler`` headers, and that the
  handler is a registered *upload* handler;
* ``Content-Type: multipart/form-data`` with a boundary;
* while the body streams through (nothing is buffered), each part: only
  ``files`` parts with a filename (at most :data:`MAX_FILES`) and one optional
  ``__reflex_event_args`` text part (at most :data:`MAX_ARGS_BYTES`, before the
  files, a JSON object naming exactly the handler's other parameters with
  values of their types); a well-formed, complete multipart body.

On the first problem it answers ``400``/``413``/``415`` with
``{"detail": "<French message>"}`` and makes Reflex see a client disconnect,
exactly like :class:`~segur_app.api.upload_guard.UploadSizeGuard`. If the
handler still fails, the failure is one short log line and the client gets a
400 (or the response already under way is ended cleanly) instead of a
traceback. Request bodies are never logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from reflex_base.event import resolve_upload_handler_param
from reflex_base.registry import RegistrationContext
from reflex_base.utils.exceptions import UploadTypeError, UploadValueError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from segur_app.api.handler_args import handler_signature, value_matches
from segur_app.api.upload_guard import send_json_error

logger = logging.getLogger("segur_app.upload")
# python-multipart warns on every malformed body it sees (ours and
# Starlette's parsers): one line per hostile request, saying nothing useful.
logging.getLogger("python_multipart.multipart").setLevel(logging.ERROR)

UPLOAD_PATHS = frozenset({"/_upload", "/_upload/"})
FILES_FIELD = "files"
ARGS_FIELD = "__reflex_event_args"
MAX_FILES = 5
MAX_ARGS_BYTES = 16 * 1024
MAX_HEADER_VALUE = 300

MSG_HEADERS = "Requête de dépôt invalide : en-têtes du dépôt absents ou incorrects."
MSG_HANDLER = "Requête de dépôt invalide : ce formulaire n'accepte pas de fichier."
MSG_CONTENT_TYPE = "Requête de dépôt invalide : le fichier doit être envoyé au format multipart/form-data."
MSG_MALFORMED = "Requête de dépôt invalide : le contenu envoyé est mal formé."
MSG_NO_FILENAME = "Requête de dépôt invalide : le fichier envoyé n'a pas de nom."
MSG_TOO_MANY = f"Requête de dépôt invalide : {MAX_FILES} fichiers au plus par envoi."
MSG_FIELD = "Requête de dépôt invalide : champ inattendu dans le formulaire."
MSG_TEXT_TOO_LARGE = "Requête de dépôt invalide : un champ texte du formulaire est trop volumineux."
MSG_ARGS = "Requête de dépôt invalide : paramètres du dépôt incorrects."
MSG_FAILED = "Le fichier n'a pas pu être déposé. Réessayez ; si le problème persiste, contactez l'assistance."


class Refused(Exception):
    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.message, self.reason = status, message, reason


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {name.lower(): value for name, value in scope.get("headers") or []}


def _upload_handler(headers: dict[bytes, bytes]) -> tuple[str, Any]:
    token = headers.get(b"reflex-client-token", b"")
    name = headers.get(b"reflex-event-handler", b"")
    if not token or not name or len(token) > MAX_HEADER_VALUE or len(name) > MAX_HEADER_VALUE:
        raise Refused(400, MSG_HEADERS, "missing or oversized upload headers")
    handler_name = name.decode("latin-1")
    registered = RegistrationContext.get().event_handlers.get(handler_name)
    if registered is None:
        raise Refused(400, MSG_HANDLER, "unknown upload handler")
    try:
        upload_param, _ = resolve_upload_handler_param(registered.handler)
    except (UploadTypeError, UploadValueError):  # no list[rx.UploadFile] parameter
        raise Refused(400, MSG_HANDLER, "handler takes no upload") from None
    return upload_param, registered.handler


class _BodyCheck:
    """Streaming multipart checks (python-multipart callbacks)."""

    def __init__(self, boundary: bytes, handler: Any, upload_param: str) -> None:
        self.handler, self.upload_param = handler, upload_param
        self.parser = MultipartParser(boundary, {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
            "on_end": self._end,
        })
        self.files = 0
        self.ended = False
        self.args: bytes | None = None
        self._field = self._value = self._disposition = b""
        self._in_args = False

    def feed(self, chunk: bytes) -> None:
        try:
            self.parser.write(chunk)
        except Refused:
            raise
        except (MultipartParseError, ValueError) as exc:
            raise Refused(400, MSG_MALFORMED, f"malformed multipart ({type(exc).__name__})") from None

    def finish(self) -> None:
        if not self.ended:
            raise Refused(400, MSG_MALFORMED, "multipart body truncated (no closing boundary)")
        self._check_args()

    def _part_begin(self) -> None:
        self._disposition = b""
        self._in_args = False

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._field.lower() == b"content-disposition":
            self._disposition = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._disposition)
        if disposition != b"form-data" or b"name" not in options:
            raise Refused(400, MSG_MALFORMED, "part without a form-data disposition")
        name = options[b"name"]
        filename = options.get(b"filename")
        if name == FILES_FIELD.encode():
            if filename is None or not filename.strip(b" ./\\"):
                raise Refused(400, MSG_NO_FILENAME, "file part without a filename")
            self.files += 1
            if self.files > MAX_FILES:
                raise Refused(400, MSG_TOO_MANY, "too many file parts")
        elif name == ARGS_FIELD.encode():
            if filename is not None or self.args is not None or self.files:
                raise Refused(400, MSG_ARGS, "misplaced or repeated args part")
            self._in_args = True
            self.args = b""
        else:
            raise Refused(400, MSG_FIELD, "unexpected form field")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_args:
            self.args = (self.args or b"") + data[start:end]
            if len(self.args) > MAX_ARGS_BYTES:
                raise Refused(413, MSG_TEXT_TOO_LARGE, "args part too large")

    def _end(self) -> None:
        self.ended = True

    def _check_args(self) -> None:
        """The bound arguments name exactly the handler's other parameters,
        with values of their annotated types."""
        try:
            args = json.loads(self.args) if self.args else {}
        except (UnicodeDecodeError, ValueError):
            raise Refused(400, MSG_ARGS, "args part is not JSON") from None
        if not isinstance(args, dict):
            raise Refused(400, MSG_ARGS, "args part is not a JSON object")
        signature = handler_signature(self.handler)
        if signature.open_kwargs and not signature.params:
            return
        expected = signature.params - {self.upload_param}
        required = signature.required - {self.upload_param}
        if not set(args) <= expected or not required <= set(args):
            raise Refused(400, MSG_ARGS, "args do not match the handler's parameters")
        for key, value in args.items():
            hint = signature.hints.get(key)
            if hint is not None and not value_matches(value, hint):
                raise Refused(400, MSG_ARGS, "arg of the wrong type")


class UploadRequestCheck:
    """Pure ASGI middleware validating upload requests before Reflex's endpoint."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope.get("method") == "POST"
                and scope.get("path") in UPLOAD_PATHS):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        try:
            upload_param, handler = _upload_handler(headers)
            media_type, options = parse_options_header(headers.get(b"content-type", b""))
            boundary = options.get(b"boundary", b"")
            if media_type != b"multipart/form-data":
                raise Refused(415, MSG_CONTENT_TYPE, "not multipart/form-data")
            if not 1 <= len(boundary) <= 200:
                raise Refused(400, MSG_MALFORMED, "multipart without a valid boundary")
        except Refused as refused:
            logger.info("upload refused: %s", refused.reason)
            await send_json_error(send, refused.status, refused.message)
            return
        await self._checked(scope, receive, send, _BodyCheck(boundary, handler, upload_param))

    async def _checked(self, scope: Scope, receive: Receive, send: Send, check: _BodyCheck) -> None:
        started = finished = answered = False

        async def checked_send(message: Message) -> None:
            nonlocal started, finished
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                finished = True
            await send(message)

        async def checked_receive() -> Message:
            nonlocal answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] != "http.request":
                return message
            try:
                check.feed(message.get("body", b""))
                if not message.get("more_body", False):
                    check.finish()
            except Refused as refused:
                logger.info("upload refused: %s", refused.reason)
                if not started:
                    answered = True
                    await send_json_error(send, refused.status, refused.message)
                return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, checked_receive, checked_send)
        except Exception as exc:  # noqa: BLE001 - the handler failed on what it was sent
            if answered:
                return
            logger.warning("upload handler failed: %s", type(exc).__name__)
            if not started:
                await send_json_error(send, 400, MSG_FAILED)
            elif not finished:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
