"""A tab whose worker died keeps its token, hence its state (several workers, Redis).

Reflex's ``RedisTokenManager`` records in Redis which worker holds each tab's
websocket (``token_manager_socket_record_<tab token>``, kept for
``redis_token_expiration``, one hour) and, when a tab connects with a token
that has a record, treats it as a *duplicate tab* (a copied browser tab) and
gives it a new token — a new, empty state. A worker that dies without
closing its sockets (SIGKILL, OOM killer, a machine lost) leaves its records
behind, so for an hour every one of its tabs that reconnects to another
worker starts from an empty state: the form being filled is lost.

:class:`LivenessTokenManager` keeps Reflex's behaviour for live workers and
forgets records of dead ones: every worker writes a heartbeat key
(``segur_worker_alive_<instance id>`` = ``<host>:<pid>``, expiring after
:data:`HEARTBEAT_TTL_SECONDS`) every :data:`HEARTBEAT_SECONDS`; before linking
a tab, a record whose owner has no heartbeat — or whose heartbeat names a
process of this machine that no longer exists, which is known at once — is
removed, so the tab keeps its token and its state (in Redis) on the worker it
reached. A tab really open twice (the owner alive) still gets a new token.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import socket

from reflex.utils.token_manager import RedisTokenManager

log = logging.getLogger("segur_app.websocket")

HEARTBEAT_SECONDS = 0.5
HEARTBEAT_TTL_SECONDS = 3
HOST = socket.gethostname()


def alive_key(instance_id: str) -> str:
    return f"segur_worker_alive_{instance_id}"


def _process_gone(beat: str) -> bool:
    """The heartbeat names a process of this machine that does not exist any more."""
    host, _, pid = beat.rpartition(":")
    if host != HOST or not pid.isdigit():
        return False
    try:
        stat = open(f"/proc/{int(pid)}/stat", encoding="ascii", errors="replace").read()
    except FileNotFoundError:
        return True
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]  # killed, not yet reaped


class LivenessTokenManager(RedisTokenManager):
    """Reflex's Redis token manager, with worker heartbeats (see the module)."""

    def __init__(self, redis) -> None:
        super().__init__(redis)
        self._heartbeat: asyncio.Task | None = None

    async def _beat_once(self) -> None:
        await self.redis.set(alive_key(self.instance_id), f"{HOST}:{os.getpid()}".encode(),
                             ex=HEARTBEAT_TTL_SECONDS)

    async def _beat(self) -> None:
        while True:
            try:
                await self._beat_once()
            except Exception:  # noqa: BLE001 - Redis down: redis_health reports it
                pass
            await asyncio.sleep(HEARTBEAT_SECONDS)

    def _ensure_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat(), name="segur_worker_heartbeat")

    async def _forget_dead_owner(self, token: str) -> None:
        key = self._get_redis_key(token)
        record = await self.redis.get(key)
        if not record:
            return
        owner = pickle.loads(record).instance_id
        if owner == self.instance_id:
            return
        beat = await self.redis.get(alive_key(owner))
        if beat is None or _process_gone(beat.decode(errors="replace")):
            await self.redis.delete(key)
            log.info("tab reconnected from a worker that is gone: its state is kept")

    async def link_token_to_sid(self, token: str, sid: str) -> str | None:
        self._ensure_heartbeat()
        try:
            await self._beat_once()
            await self._forget_dead_owner(token)
        except Exception:  # noqa: BLE001 - Redis down: Reflex's own path logs it
            pass
        return await super().link_token_to_sid(token, sid)


def install(namespace) -> None:
    """Give the app's event namespace a :class:`LivenessTokenManager` (before
    the server starts; Reflex creates its token manager in the namespace)."""
    current = getattr(namespace, "_token_manager", None)
    if isinstance(current, RedisTokenManager) and not isinstance(current, LivenessTokenManager):
        namespace._token_manager = LivenessTokenManager(current.redis)
