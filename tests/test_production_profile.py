"""The production profile's own pieces (issue 13), against a real redis-server.

* the worker count (``SEGUR_WORKERS`` → ``GRANIAN_WORKERS``) and Redis lock
  settings of rxconfig.py;
* ``api/redis_health.py``: each worker's watch sees Redis go and come back,
  re-enables the keyspace notifications a restarted Redis forgot, and
  ``POST /_upload`` is refused with the French message meanwhile;
* ``api/worker_liveness.py``: a tab whose worker died keeps its token, a tab
  open twice on live workers does not;
* long work outside the state lock: « Valider » is a background event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from segur_app.api import redis_health, worker_liveness
from segur_app.core.config import Settings, get_settings
from tests.mail_helpers import free_port

pytestmark = pytest.mark.timeout(60)

REDIS_SERVER = shutil.which("redis-server")
if REDIS_SERVER is None and os.environ.get("CI"):
    raise RuntimeError("redis-server is missing: .ci/run installs it (CI runs never skip these tests)")
needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")


class RedisServer:
    """redis-server on a free port of 127.0.0.1, no persistence; restartable."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.workdir, self.proc = free_port(), workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        import redis

        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_timeout=0.2).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


async def eventually(predicate, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.02)


# --------------------------------------------------------------------------- #
# Workers and lock settings
# --------------------------------------------------------------------------- #


def test_workers_default_to_the_cores_and_to_one_without_redis(monkeypatch):
    import os

    base = Settings()

    def with_(**values):
        return base.model_copy(update=values)

    assert with_(redis_url=None, workers=8).backend_workers == 1
    assert with_(redis_url="redis://r:6379/0", workers=3).backend_workers == 3
    assert with_(redis_url="redis://r:6379/0", workers=None).backend_workers == (
        os.cpu_count() or 1)
    monkeypatch.setenv("SEGUR_WORKERS", "0")
    with pytest.raises(ValueError):
        Settings()


def test_rxconfig_sets_the_worker_count_and_the_redis_lock(monkeypatch):
    import importlib

    import rxconfig

    monkeypatch.delenv("GRANIAN_WORKERS", raising=False)
    monkeypatch.setenv("REFLEX_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("SEGUR_WORKERS", "3")
    get_settings.cache_clear()
    try:
        module = importlib.reload(rxconfig)
        import os

        assert os.environ["GRANIAN_WORKERS"] == "3"
        assert module.config.redis_lock_expiration == rxconfig.REDIS_LOCK_EXPIRATION_MS == 20_000
        assert module.config.redis_lock_warning_threshold < module.config.redis_lock_expiration
        import granian.server

        assert getattr(granian.server.Server, "_segur_respawn", False)  # core/workers.py
    finally:
        get_settings.cache_clear()
        monkeypatch.delenv("REFLEX_REDIS_URL")
        monkeypatch.delenv("SEGUR_WORKERS")
        importlib.reload(rxconfig)


def test_the_deposit_runs_outside_the_state_lock():
    from segur_app.state.funding import AdvanceState, BalanceState

    for state in (AdvanceState, BalanceState):
        assert state.event_handlers["submit"].is_background


# --------------------------------------------------------------------------- #
# Redis down, Redis back
# --------------------------------------------------------------------------- #


def test_redis_errors_are_recognised_through_their_chain():
    import redis

    try:
        try:
            raise redis.exceptions.ConnectionError("Error 111 connecting")
        except redis.exceptions.ConnectionError as exc:
            raise RuntimeError("state manager failed") from exc
    except RuntimeError as wrapped:
        assert redis_health.is_redis_error(wrapped)
    assert not redis_health.is_redis_error(ValueError("no"))


@needs_redis
def test_the_watch_sees_redis_go_and_come_back(redis_server, monkeypatch):
    import redis

    monkeypatch.setenv("REFLEX_REDIS_URL", redis_server.url)
    get_settings.cache_clear()
    status = redis_health.RedisStatus()
    monkeypatch.setattr(redis_health, "REDIS", status)

    async def scenario() -> None:
        watch = asyncio.create_task(redis_health.watch_redis(period=0.05))
        try:
            await asyncio.sleep(0.2)
            assert status.available
            redis_server.stop()
            await eventually(lambda: not status.available, "Redis seen down")
            redis_server.start()  # a new, empty server: notifications off
            await eventually(lambda: status.available, "Redis seen back")
        finally:
            watch.cancel()

    try:
        asyncio.run(scenario())
    finally:
        get_settings.cache_clear()
    events = redis.Redis(port=redis_server.port).config_get("notify-keyspace-events")
    assert set(events["notify-keyspace-events"]) >= set("K$sgxe")  # re-enabled


def test_uploads_are_refused_in_french_while_redis_is_down(monkeypatch):
    status = redis_health.RedisStatus()
    monkeypatch.setattr(redis_health, "REDIS", status)
    reached = []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    gate = redis_health.RedisGate(app)
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def call(path: str) -> None:
        await gate({"type": "http", "path": path, "method": "POST"}, None, send)

    asyncio.run(call("/_upload"))
    assert reached == ["/_upload"] and not sent
    status.down("test")
    asyncio.run(call("/_upload"))
    asyncio.run(call("/connexion"))
    assert reached == ["/_upload", "/connexion"]
    assert sent[0]["status"] == 503
    assert json.loads(sent[1]["body"])["detail"] == redis_health.UNAVAILABLE_MESSAGE
    status.up()
    assert status.available


def test_a_redis_failure_in_a_handler_gives_the_french_message(monkeypatch):
    import redis

    from segur_app.api import websocket_guard

    status = redis_health.RedisStatus()
    monkeypatch.setattr(websocket_guard, "REDIS", status)
    spec = websocket_guard.backend_exception_handler(redis.exceptions.ConnectionError("gone"))
    assert not status.available
    assert "momentanément indisponible" in str(spec)


# --------------------------------------------------------------------------- #
# A worker that died
# --------------------------------------------------------------------------- #


async def stop_worker_tasks(manager) -> None:
    """What a SIGKILL does to a worker's token manager: its heartbeat and
    Reflex's tasks (the subscriber that stores again a record of its own tabs
    when another worker deletes it) stop; wait until they have, a write in
    flight would otherwise land after the test's own."""
    tasks = [t for t in (manager._heartbeat, manager._socket_record_task,
                         manager._lost_and_found_task) if t is not None]
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


@needs_redis
def test_a_tab_of_a_dead_worker_keeps_its_token(redis_server):
    from redis.asyncio import Redis

    async def scenario() -> None:
        clients = [Redis.from_url(redis_server.url) for _ in range(3)]
        dead, alive, other = (worker_liveness.LivenessTokenManager(c) for c in clients)
        try:
            assert await dead.link_token_to_sid("tab-1", "sid-a") is None
            assert await alive.link_token_to_sid("tab-2", "sid-b") is None
            # The same tab opened twice while its worker lives: a new token.
            assert await other.link_token_to_sid("tab-2", "sid-c") not in (None, "tab-2")
            # The first worker is SIGKILLed: its records stay, its heartbeat still
            # names it for a few seconds — a process of this machine that is gone.
            await stop_worker_tasks(dead)
            gone = subprocess.Popen(["true"])
            gone.wait()
            await clients[0].set(worker_liveness.alive_key(dead.instance_id),
                                 f"{worker_liveness.HOST}:{gone.pid}")
            assert await clients[1].exists(dead._get_redis_key("tab-1"))
            # Its tab reconnects to another worker at once: same token, same state.
            assert await other.link_token_to_sid("tab-1", "sid-d") is None
            # A worker of another machine is known dead when its heartbeat expired.
            await alive.link_token_to_sid("tab-3", "sid-e")
            await stop_worker_tasks(alive)
            await clients[1].delete(worker_liveness.alive_key(alive.instance_id))
            assert await other.link_token_to_sid("tab-3", "sid-f") is None
        finally:
            for manager in (dead, alive, other):
                if manager._heartbeat is not None:
                    manager._heartbeat.cancel()
            for client in clients:
                await client.aclose()

    asyncio.run(scenario())


def test_the_database_unreachable_gives_a_french_503_not_a_500():
    from sqlalchemy.exc import OperationalError
    from starlette.testclient import TestClient

    from segur_app.api import asgi

    async def reflex_app(scope, receive, send):
        raise OperationalError("SELECT 1", {}, Exception("the database system is shutting down"))

    client = TestClient(asgi.transform(reflex_app), raise_server_exceptions=False)
    page = client.get("/demande-financement/avance")
    assert page.status_code == 503 and "momentanément indisponible" in page.text
    upload = client.post("/_upload", content=b"")
    assert upload.status_code in (400, 503)  # refused by the upload checks first, or 503
