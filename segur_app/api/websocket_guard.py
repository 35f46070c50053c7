"""Hostile websocket events: refused cheaply, logged briefly, abusers cut off.

Reflex's :class:`~reflex.app.EventNamespace` trusts what the browser sends: a
non-object event raises with the whole payload in the message, an unknown
handler is logged by the event processor with the full event (request headers
and session cookie included), a handler called with wrong argument types
fails with a multi-kilobyte traceback, and nothing limits how fast a client
may send events.

:class:`GuardedEventNamespace` subclasses it and, for every event of a
connection, before Reflex sees it:

1. takes a token from the connection's bucket (``SEGUR_WS_EVENT_RATE`` events/s,
   bursts of ``SEGUR_WS_EVENT_BURST``); an empty bucket closes the connection;
2. checks the event's shape: an object whose ``name`` is a registered event
   handler, whose ``payload`` is an object naming only that handler's
   parameters (all required ones present) with values of the annotated types
   (leniently: Reflex itself turns ``"3"`` into ``3`` for an ``int``), and whose
   ``router_data`` is an object. A refused event costs one short log line
   (never a client value) and after ``SEGUR_WS_MAX_MALFORMED_EVENTS`` of them
   the connection is closed.

:func:`backend_exception_handler` (``rx.App(backend_exception_handler=)``)
replaces Reflex's default, which logs the whole traceback of every failing
handler: one line (exception type, where, handler's tab as a short hash),
the traceback only at DEBUG level, and a French message for the user.

The limits themselves (token bucket, log line budgets) are in
``api/event_limits.py``. Log lines about one connection (or tab) are limited to
``SEGUR_WS_LOG_LINES_PER_CONNECTION`` per minute, and the process to
``SEGUR_WS_LOG_LINES_PER_MINUTE_TOTAL``, each with one « suppressed » notice.
The other connections are served as usual throughout.
"""

import hashlib
import logging
import re
import time
from typing import Any

import reflex as rx
from reflex.app import EventNamespace
from reflex_base.event import EventSpec
from reflex_base.event.context import EventContext
from reflex_base.registry import RegistrationContext

from segur_app.api import worker_liveness
from segur_app.api.event_limits import EventLimits, GuardedLog, TokenBucket
from segur_app.api.redis_health import REDIS, UNAVAILABLE_MESSAGE, is_redis_error
from segur_app.api.handler_args import (
    HandlerSignature,
    handler_signature,
    value_matches,
)
from segur_app.domain.access import declared_audience

logger = logging.getLogger("segur_app.websocket")

ERROR_MESSAGE = (
    "Une erreur est survenue : l'action n'a pas pu être effectuée. Rechargez la page ; "
    "si le problème persiste, contactez l'assistance."
)
_NAME_RE = re.compile(r"[^A-Za-z0-9_.]")


# Socket.IO events the Reflex frontend sends, with their accepted argument
# counts (the sid included): anything else is refused before Reflex sees it.
_SOCKET_EVENTS = {"event": {2}, "ping": {1}, "client_error": {1, 2}}


def _router_data_problem(router_data: Any) -> str | None:
    """The router data is what the frontend builds: strings and a query mapping."""
    if not isinstance(router_data, dict):
        return f"router_data is {type(router_data).__name__}"
    for key in ("pathname", "asPath"):
        if not isinstance(router_data.get(key, ""), str):
            return f"router_data {key} is {type(router_data[key]).__name__}"
    query = router_data.get("query", {})
    if not isinstance(query, dict):
        return f"router_data query is {type(query).__name__}"
    for key, value in query.items():
        if not isinstance(key, str) or not (
            isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        ):
            return "router_data query holds a non-string value"
    return None


def _portal_handler_without_audience(registered: Any) -> bool:
    """One of the portal's states' handlers that declares no audience (Reflex's
    own root handlers — hydrate, on_load_internal… — are not the portal's)."""
    handler = registered.handler
    state_name = getattr(handler, "state_full_name", "") or ""
    return "segur_app" in state_name and declared_audience(handler.fn) is None


def short_name(value: Any) -> str:
    """A client-supplied name made safe and short for a log line."""
    text = _NAME_RE.sub("?", value[:80]) if isinstance(value, str) else type(value).__name__
    return text + ("…" if isinstance(value, str) and len(value) > 80 else "")


def tab_id(token: str | None) -> str:
    """A short, non-reversible identifier of a tab token (the token itself is a secret)."""
    return "tab-" + hashlib.sha256((token or "").encode()).hexdigest()[:10]


class GuardedEventNamespace(EventNamespace):
    """Reflex's event namespace with per-connection limits and shape checks."""

    def __init__(self, namespace: str, app: Any, limits: EventLimits | None = None,
                 clock=time.monotonic) -> None:
        super().__init__(namespace, app)
        self.limits = limits or EventLimits.from_settings()
        self.clock = clock
        self.log = GuardedLog(self.limits.log_lines_per_connection, self.limits.log_lines_total, clock)
        self._buckets: dict[str, TokenBucket] = {}
        self._malformed: dict[str, int] = {}
        self._signatures: dict[str, HandlerSignature] = {}
        self._cut: set[str] = set()

    async def trigger_event(self, event: str, *args: Any):
        """Every Socket.IO event of the namespace: rate-limited, arity-checked.

        (python-socketio's documented hook for "a single method that catches
        all events"; Reflex's ``on_*`` methods then run unchanged.)
        """
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid = args[0] if args else ""
        if sid in self._cut:  # closing: whatever still arrives is dropped
            return None
        key = f"websocket {sid}"
        bucket = self._buckets.setdefault(
            sid, TokenBucket(self.limits.rate, self.limits.burst, self.clock())
        )
        if not bucket.take(self.clock()):
            logger.warning("%s: more than %d events in a burst (%.0f/s sustained): disconnected",
                           key, self.limits.burst, self.limits.rate)
            await self._cut_off(sid)
            return None
        arity = _SOCKET_EVENTS.get(event)
        if arity is None:
            return await self._refuse(sid, f"unknown socket event {short_name(event)}")
        if len(args) not in arity:
            return await self._refuse(sid, f"{short_name(event)} with {len(args) - 1} argument(s)")
        return await super().trigger_event(event, *args)

    async def on_connect(self, sid: str, environ: dict, auth: Any = None):
        self._buckets[sid] = TokenBucket(self.limits.rate, self.limits.burst, self.clock())
        return await super().on_connect(sid, environ, auth)

    def on_disconnect(self, sid: str):
        self._buckets.pop(sid, None)
        self._malformed.pop(sid, None)
        self._cut.discard(sid)
        self.log.forget(f"websocket {sid}")
        return super().on_disconnect(sid)

    async def on_event(self, sid: str, data: Any):
        if sid not in self.sid_to_token:
            return await self._refuse(sid, "event from a connection without a tab token")
        problem = self.problem(data)
        if problem is not None:
            return await self._refuse(sid, f"event refused: {problem}")
        if not REDIS.available:  # fail closed (api/redis_health.py)
            await self._tell(sid, unavailable_notice())
            return None
        await super().on_event(sid, data)
        return None

    async def _tell(self, sid: str, spec: EventSpec) -> None:
        """Send one event (a message) to this connection without touching its state."""
        from reflex.state import StateUpdate
        from reflex_base.event import Event

        update = StateUpdate(events=Event.from_event_type([spec]))
        await self.emit("event", update, to=sid)

    async def _refuse(self, sid: str, problem: str) -> None:
        """One (rate-limited) log line; the connection closed after too many."""
        key = f"websocket {sid}"
        count = self._malformed[sid] = self._malformed.get(sid, 0) + 1
        self.log.note(key, problem)
        if count >= self.limits.max_malformed:
            logger.warning("%s: %d malformed events: disconnected", key, count)
            await self._cut_off(sid)

    def problem(self, data: Any) -> str | None:
        """Why this event is refused (a short text with no client value), or None."""
        if not isinstance(data, dict):
            return f"not an object ({type(data).__name__})"
        name = data.get("name")
        if not isinstance(name, str):
            return f"name is {type(name).__name__}, not a string"
        handler = RegistrationContext.get().event_handlers.get(name)
        if handler is None:
            return f"unknown handler {short_name(name)}"
        if _portal_handler_without_audience(handler):
            # e.g. the generic `setvar` Reflex adds to every state: the portal
            # only runs handlers that declare who they are for.
            return f"handler without an audience {short_name(name)}"
        router_problem = _router_data_problem(data.get("router_data", {}))
        if router_problem:
            return f"{router_problem} for {short_name(name)}"
        payload = data.get("payload", {})
        if not isinstance(payload, dict):
            return f"payload is {type(payload).__name__} for {short_name(name)}"
        signature = self._signatures.get(name)
        if signature is None:
            signature = self._signatures[name] = handler_signature(handler.handler)
        if signature.upload_param is not None:
            return f"upload handler {short_name(name)} called over the websocket"
        if signature.open_kwargs and not signature.params:
            return None
        unknown = [key for key in payload if key not in signature.params]
        if unknown and not signature.open_kwargs:
            return f"unexpected argument {short_name(str(unknown[0]))} for {short_name(name)}"
        missing = sorted(signature.required - payload.keys())
        if missing:
            return f"missing argument {short_name(missing[0])} for {short_name(name)}"
        for arg, value in payload.items():
            hint = signature.hints.get(arg)
            if hint is not None and not value_matches(value, hint):
                return f"argument {short_name(arg)} is {type(value).__name__} for {short_name(name)}"
        return None

    async def _cut_off(self, sid: str) -> None:
        """Drop whatever else the connection sends, and close it."""
        self._cut.add(sid)
        await self._close(sid)

    async def _close(self, sid: str) -> None:
        """Close the whole Engine.IO connection (not only this namespace, which
        the client could reopen on the same socket at once)."""
        server = self.server
        try:
            eio_sid = server.manager.eio_sid_from_sid(sid, self.namespace)
        except (KeyError, AttributeError):
            eio_sid = None
        if eio_sid is None:
            await self.disconnect(sid)
            return
        socket = server.eio.sockets.get(eio_sid)
        await server.eio.disconnect(eio_sid)
        # Engine.IO only *sends* a CLOSE packet and then waits for the client
        # to hang up; a hostile client never does. Its writer task ends (and
        # closes the websocket) on a None in its queue — what Engine.IO itself
        # does when the client goes away.
        queue = getattr(socket, "queue", None)
        if queue is not None:
            queue.put_nowait(None)


def install_event_guard(app: rx.App, limits: EventLimits | None = None) -> GuardedEventNamespace:
    """Serve the app's websocket events through a :class:`GuardedEventNamespace`.

    Reflex builds its ``EventNamespace`` inside ``App.__post_init__`` and offers
    no way to choose the class; the guarded subclass is registered with the
    same Socket.IO server under the same namespace (python-socketio replaces
    the handler), and ``app._event_namespace`` — the only private attribute
    touched — is pointed at it, because the event processor emits state
    updates through ``app.event_namespace`` and must share its sid/token map.
    Call once, right after ``rx.App(...)``, before the server starts.
    """
    current = app.event_namespace
    if isinstance(current, GuardedEventNamespace):
        return current
    if current is None or app.sio is None:
        raise RuntimeError("the app has no websocket event namespace (state disabled?)")
    guarded = GuardedEventNamespace(current.namespace, app, limits)
    # With Redis: a tab whose worker died keeps its state (api/worker_liveness.py).
    worker_liveness.install(guarded)
    app.sio.register_namespace(guarded)
    app._event_namespace = guarded
    return guarded


# --------------------------------------------------------------------------- #
# Failing event handlers
# --------------------------------------------------------------------------- #

_handler_log: GuardedLog | None = None


def _failure_log() -> GuardedLog:
    global _handler_log
    if _handler_log is None:
        limits = EventLimits.from_settings()
        _handler_log = GuardedLog(limits.log_lines_per_connection, limits.log_lines_total)
    return _handler_log


def _where(exception: BaseException) -> str:
    """``file:line in function`` of the innermost frame of the portal's own
    code (else the innermost frame)."""
    frames = []
    tb = exception.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame.f_code, tb.tb_lineno))
        tb = tb.tb_next
    if not frames:
        return "?"
    ours = [f for f in frames if "/segur_app/" in f[0].co_filename]
    code, line = (ours or frames)[-1]
    return f"{code.co_filename.rsplit('/', 2)[-1]}:{line} in {code.co_name}"


def unavailable_notice() -> EventSpec:
    return rx.toast.error(UNAVAILABLE_MESSAGE, id="portail-indisponible", fallback_to_alert=True)


def backend_exception_handler(exception: Exception) -> EventSpec | None:
    """An event handler raised: one short log line, a French message to the user
    (while Redis is unreachable: the « momentanément indisponible » one)."""
    if is_redis_error(exception):
        REDIS.down(type(exception).__name__)
        return unavailable_notice()
    try:
        token = EventContext.get().token
    except LookupError:
        token = None
    key = tab_id(token)
    text = str(exception).replace("\n", " ")
    if len(text) > 160:
        text = text[:160] + "…"
    _failure_log().note(key, f"event handler failed: {type(exception).__name__} at "
                                f"{_where(exception)}: {text}")
    logger.debug("traceback of the failed event handler", exc_info=exception)
    return rx.toast.error(ERROR_MESSAGE, id="erreur-serveur", fallback_to_alert=True)
