"""Fail closed while Redis is down, recover by itself when it returns.

With ``REFLEX_REDIS_URL`` every event of every tab reads and writes its state
in Redis. When Redis stops, Reflex's state manager raises on each event (the
user sees nothing happen, or a generic error) and, once Redis is back, two of
its background subscriptions are not what they were: the keyspace
notifications Reflex enabled once with ``CONFIG SET`` are gone with a
restarted server (its lock waiters then only wake up at the lock expiry), and
its pub/sub tasks give up after 5 errors in a minute until the next connection
re-creates them.

Each worker therefore watches Redis (:func:`watch_redis`, a lifespan task,
one ``PING`` every ``SEGUR_REDIS_CHECK_SECONDS``):

* while Redis does not answer, :data:`REDIS` says so and the portal **fails
  closed**: websocket events are not processed — the tab gets
  :data:`UNAVAILABLE_MESSAGE` instead (``api/websocket_guard.py``) — and
  ``POST /_upload`` answers ``503`` with the same message
  (:class:`RedisGate`); an event that fails on a Redis error gets the same
  message (``websocket_guard.backend_exception_handler``). Nothing is half
  done: a deposit is one database transaction, a state never half written.
* as soon as Redis answers again it re-enables the keyspace notifications and
  marks Redis available: the next event is processed as usual (redis-py
  reconnects its pool by itself). A Redis restarted without persistence lost
  the tabs' states: the next event starts from a fresh state, which the
  access policy fills again from the session (in PostgreSQL) — the user may
  have to reload the page or choose the files of an unfinished form again,
  and no tab can show anyone else's data (states are keyed by tab token and
  bound to a session, ``state/binding.py``).

Without Redis (the embedded profile) nothing of this runs.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from segur_app.api.upload_guard import send_json_error
from segur_app.core.config import get_settings

log = logging.getLogger("segur_app.redis")

UNAVAILABLE_MESSAGE = (
    "Le portail est momentanément indisponible : votre dernière action n'a pas été "
    "prise en compte. Réessayez dans quelques instants ; si la page ne répond plus, "
    "rechargez-la."
)


@dataclass
class RedisStatus:
    """What this worker last saw of Redis (``available`` until proven otherwise)."""

    available: bool = True
    since: float = 0.0

    def down(self, reason: str) -> None:
        if self.available:
            log.error("Redis unreachable (%s): events refused until it answers again", reason)
            self.available, self.since = False, time.monotonic()

    def up(self) -> None:
        if not self.available:
            log.warning("Redis reachable again after %.1f s: events served",
                        time.monotonic() - self.since)
            self.available, self.since = True, time.monotonic()


REDIS = RedisStatus()


def is_redis_error(exc: BaseException) -> bool:
    """A Redis connection failure (anywhere in the exception's chain)."""
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError
    except ImportError:  # pragma: no cover - redis comes with Reflex
        return False
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (RedisConnectionError, RedisTimeoutError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


async def _restore_notifications(client) -> None:
    """Reflex's lock waiters listen to keyspace notifications; a restarted
    Redis forgot the ``CONFIG SET`` Reflex made once at start-up."""
    from reflex.istate.manager.redis import enable_keyspace_notifications

    try:
        await enable_keyspace_notifications(client)
    except Exception as exc:  # noqa: BLE001 - e.g. CONFIG refused by a managed Redis
        log.warning("could not re-enable Redis keyspace notifications: %s "
                    "(set notify-keyspace-events in redis.conf)", exc)


async def watch_redis(*, period: float | None = None) -> None:
    """Lifespan task: ``PING`` Redis every ``period`` seconds, keep :data:`REDIS` true."""
    settings = get_settings()
    if not settings.redis_url:
        return
    from redis.asyncio import Redis

    period = settings.redis_check_seconds if period is None else period
    client = Redis.from_url(settings.redis_url, socket_timeout=max(period, 0.5),
                            socket_connect_timeout=max(period, 0.5))
    try:
        while True:
            try:
                await client.ping()
            except Exception as exc:  # noqa: BLE001 - any failure means "down"
                REDIS.down(type(exc).__name__)
            else:
                if not REDIS.available:
                    await _restore_notifications(client)
                REDIS.up()
            await asyncio.sleep(period)
    finally:
        await client.aclose()


class RedisGate:
    """``POST /_upload`` (a Reflex state update) answers 503 while Redis is down."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and not REDIS.available
                and scope.get("path", "").rstrip("/").endswith("/_upload")):
            await send_json_error(send, 503, UNAVAILABLE_MESSAGE)
            return
        await self.app(scope, receive, send)
