"""Secrets never reach the log: a filter redacting every log record.

Reflex logs a failing event with its router data (request headers, ``Cookie``
included), libraries log requests with their query strings (``?token=`` of
the websocket, ``?jeton=`` of a reset link), and an exception message may
quote a form (passwords, secret answers). :class:`RedactingFilter` rewrites
each record before any handler formats it — message, arguments (tuples and
mappings, as granian's access log uses — the message is formatted first,
then redacted) and traceback — replacing the values
of sensitive names with ``[masqué]``:

* the ``Cookie`` / ``Set-Cookie`` / ``Authorization`` headers (as header lines,
  Python or JSON mappings, ASGI ``(b"cookie", b"...")`` pairs);
* any field whose name contains ``password``, ``passwd``, ``secret``,
  ``answer``, ``token``, ``jeton``, ``session``, ``cookie``, ``authorization``,
  ``api_key`` or is ``confirmation`` (the password confirmation field), in
  ``name=value``, ``'name': 'value'``, ``"name": "value"`` and ``name: value``
  forms;
* the value of ``segur_session=`` (and ``__Host-segur_session=``) wherever it
  appears, and any free-standing 43-character URL-safe token (what
  :func:`segur_app.core.security.new_token` makes) mixing digits and both cases;
* UUIDs: Reflex's tab tokens (which give access to a tab's state) are UUIDs,
  and Reflex quotes them in some warnings.

A record's traceback is rendered, redacted and moved into its message (so
that every handler, including Reflex's rich console which renders
``exc_info`` itself, prints the redacted text).

:func:`install_log_redaction` attaches one filter to the root logger, to the
loggers of Reflex, uvicorn, granian, Socket.IO and the portal, and to every
handler they have (a logger's own filters do not see records propagated from
its children; its handlers do). It is idempotent: call it again once servers
have configured their logging (the portal does so from a lifespan task).
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Iterable

MASK = "[masqué]"

_SENSITIVE = (
    r"(?:[\w-]*(?:password|passwd|secret|answer|token|jeton|session|cookie|authorization"
    r"|api[_-]?key)[\w-]*|confirmation)"
)
_QUOTED = r"""(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")"""

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # ASGI header pairs: (b'cookie', b'...'), ('authorization', '...').
    (re.compile(r"(\(\s*b?['\"](?:cookie|set-cookie|authorization|proxy-authorization)['\"]\s*,\s*b?)"
                + _QUOTED, re.IGNORECASE), r"\1'" + MASK + "'"),
    # Mappings (Python repr, JSON): 'password': 'x', "token": "x", 'cookie': b'x'.
    (re.compile(r"(['\"]" + _SENSITIVE + r"['\"]\s*:\s*b?)" + _QUOTED, re.IGNORECASE),
     r"\1'" + MASK + "'"),
    # Header lines: "Cookie: a=b; c=d" up to the end of the line.
    (re.compile(r"(^|\n|\\n)(\s*(?:cookie|set-cookie|authorization|proxy-authorization)\s*:\s*)[^\n\\]+",
                re.IGNORECASE), r"\1\2" + MASK),
    # name=value (query strings, forms, cookie strings, keyword reprs).
    (re.compile(r"(?<![\w-])(" + _SENSITIVE + r"=)(?!\[masqu)(?:" + _QUOTED + r"|[^&;,\s'\"()\]}]+)",
                re.IGNORECASE), r"\1" + MASK),
    # The session cookie wherever it appears (e.g. inside a header value).
    (re.compile(r"((?:__Host-)?segur_session=)(?!\[masqu)[^;,\s'\"&]+"), r"\1" + MASK),
    # Plain "password: x" / "answer = x" in prose.
    (re.compile(r"(?<![\w'\"-])(" + _SENSITIVE + r"\s*:\s+)(?![\[{('\"b])(\S+)", re.IGNORECASE),
     r"\1" + MASK),
]
_TOKEN_RE = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])")
# Reflex tab tokens are UUIDs (``'Attempting to send delta to disconnected client '<uuid>'``).
_UUID_RE = re.compile(r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}(?![0-9A-Fa-f-])")


def _mask_token(match: re.Match[str]) -> str:
    text = match.group(0)
    looks_random = (
        any(c.isdigit() for c in text) and any(c.islower() for c in text)
        and any(c.isupper() for c in text)
    )
    return MASK if looks_random else text


def redact(text: str) -> str:
    """``text`` with every secret value replaced by ``[masqué]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    text = _UUID_RE.sub(MASK, text)
    return _TOKEN_RE.sub(_mask_token, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, arguments and traceback (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_segur_redacted", False):
            return True
        try:
            self._redact(record)
        except Exception:  # noqa: BLE001 - never lose a log line because of the filter
            record.msg, record.args = "[log line not shown: redaction failed]", ()
        record._segur_redacted = True
        return True

    @staticmethod
    def _redact(record: logging.LogRecord) -> None:
        # Format with the original arguments first (so "%d" still gets its
        # int), then redact the text: the handlers only see the safe result.
        parts = [record.getMessage()]
        if record.exc_info and record.exc_info[0] is not None:
            parts.append("".join(traceback.format_exception(*record.exc_info)).rstrip())
        elif record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(record.stack_info)
        record.msg = redact("\n".join(parts))
        record.args = ()
        record.exc_info, record.exc_text, record.stack_info = None, None, None


REDACTING_FILTER = RedactingFilter()

LOGGER_NAMES = (
    "", "reflex", "reflex_base", "reflex.app", "uvicorn", "uvicorn.error", "uvicorn.access",
    "granian", "_granian", "granian.access", "granian.server", "engineio", "engineio.server",
    "socketio", "socketio.server", "starlette", "segur_app",
)


def install_log_redaction(extra_loggers: Iterable[str] = ()) -> None:
    """Attach :data:`REDACTING_FILTER` to the known loggers and their handlers."""
    for name in (*LOGGER_NAMES, *extra_loggers):
        log = logging.getLogger(name)
        if REDACTING_FILTER not in log.filters:
            log.addFilter(REDACTING_FILTER)
        for handler in log.handlers:
            if REDACTING_FILTER not in handler.filters:
                handler.addFilter(REDACTING_FILTER)
