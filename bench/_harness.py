"""What the benchmarks of bench/ share: the two apps, their data, a Reflex client.

* :class:`App` starts the portal or the bare Reflex app of ``bench/bare_app``
  with ``reflex run --env prod --single-port`` in its own process group (killpg
  TERM, then KILL), each with its own throw-away directory (states, logs and,
  for the portal, a SQLite database migrated and loaded with the demo data,
  private storage and outbox — as ``tests/e2e/conftest.py`` does).
* :func:`create_suppliers` adds enrolled suppliers (approved enrolment, bank
  details) whose account has finished its first login, directly in the
  portal's database.
* :func:`login` posts the real login form (``/session/connexion``) and returns
  the HttpOnly session cookie; :class:`ReflexClient` is a minimal socket.io
  (Engine.IO 4) websocket client speaking Reflex's event protocol, the cookie
  in its handshake like a browser tab's.

The client is written on ``wsproto`` (a dependency of python-engineio, so
always installed with Reflex): python-socketio's own clients need aiohttp or
websocket-client, which the portal does not install.

Benchmarks, not tests: nothing here asserts a figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BARE_DIR = BENCH / "bare_app"
PYTHON = sys.executable
VENV_BIN = str(Path(PYTHON).parent)
REFLEX_VERSION = "0.10.1"
NAMESPACE = "/_event"  # Reflex's socket.io namespace (and path)

PORTAL_PORT = int(os.environ.get("BENCH_PORTAL_PORT", "3301"))
BARE_PORT = int(os.environ.get("BENCH_BARE_PORT", "3302"))
START_TIMEOUT = 900  # a first prod build (npm install) takes minutes on 2 shared cores
PASSWORD = "Bench-2026!x"

# Full names of the states and handlers used (Reflex: module + class, snake-cased).
ROOT_STATE = "reflex___state____state"
HYDRATE = f"{ROOT_STATE}.hydrate_and_load"
_PORTAL = f"{ROOT_STATE}.segur_app___state___base____session_state"
SESSION_STATE = _PORTAL
LOGIN_STATE = f"{_PORTAL}.segur_app___state___access____login_state"
HOME_STATE = f"{_PORTAL}.segur_app___state___home____home_state"
ADVANCE_STATE = f"{_PORTAL}.segur_app___state___funding____advance_state"
BARE_STATE = f"{ROOT_STATE}.bare_app___bare_app____state"

sys.path.insert(0, str(ROOT))


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- #
# Clean exits: SIGTERM behaves like Ctrl-C, so every finally block runs
# --------------------------------------------------------------------------- #


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def install_signal_handlers() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    # 500 websocket clients (and the server's 500 sockets) need more than 1024 fds.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def main_wrapper(main) -> None:
    """Run ``main()`` with clean exits; exit code 130 on Ctrl-C / SIGTERM."""
    install_signal_handlers()
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted: every process and temporary directory was cleaned up")
        sys.exit(130)


# --------------------------------------------------------------------------- #
# The two apps
# --------------------------------------------------------------------------- #


def _reflex_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        "REFLEX_USE_NPM": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }
    for name in ("REFLEX_DB_URL", "REFLEX_REDIS_URL", "SEGUR_SMTP_HOST"):
        if name not in extra:
            env.pop(name, None)
    return env


@dataclass
class App:
    """A running app: ``kind`` is "portal" or "bare"."""

    kind: str
    port: int
    workdir: Path  # throw-away directory
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    proxy_url: str | None = None  # the HTTPS origin of a proxy in front (behind_caddy)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def browser_url(self) -> str:
        # The portal's own origin (SEGUR_PUBLIC_URL): its websocket and CORS
        # accept that origin only, so a browser on http://localhost:… would get
        # no state at all (issue 10).
        return self.proxy_url or self.base_url

    @property
    def db_url(self) -> str:
        return self.env["REFLEX_DB_URL"]

    @property
    def storage_dir(self) -> Path:
        return self.workdir / "storage"

    def backend_pids(self) -> list[int]:
        """The reflex process and all its descendants (the backend worker)."""
        if self.proc is None:
            return []
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def rss_kib(self) -> dict[int, int]:
        """Resident memory (KiB) of each process of the app."""
        out = {}
        for pid in self.backend_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out[pid] = int(line.split()[1])
            except OSError:
                pass
        return out


def _portal_env(workdir: Path, port: int) -> dict[str, str]:
    return _reflex_env({
        "REFLEX_DB_URL": f"sqlite:///{workdir / 'segur.db'}",
        "REFLEX_STATES_WORKDIR": str(workdir / "states"),
        "SEGUR_ENV": "test",
        "SEGUR_STORAGE_DIR": str(workdir / "storage"),
        "SEGUR_OUTBOX_DIR": str(workdir / "outbox"),
        # The origin the bench clients send (the websocket refuses any other).
        "SEGUR_PUBLIC_URL": f"http://127.0.0.1:{port}",
        # One bench client sends far more than a person could (the guard still
        # runs on every event; only its per-connection budget is raised).
        "SEGUR_WS_EVENT_RATE": "1000000",
        "SEGUR_WS_EVENT_BURST": "1000000",
    })


def _wait_until_up(app: App, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if app.proc.poll() is not None:
            raise RuntimeError(f"{app.kind} exited early:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(app.base_url + "/", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{app.kind} not up after {START_TIMEOUT}s:\n{log_path.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _require_free_port(kind: str, port: int) -> None:
    """Refuse to start on a port something already listens on: the wait for
    "up" would otherwise measure that other server (another checkout's bench)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            variable = "BENCH_PORTAL_PORT" if kind == "portal" else "BENCH_BARE_PORT"
            raise RuntimeError(f"port {port} is already in use: choose another with {variable}")


@contextlib.contextmanager
def running(kind: str, extra_env: dict[str, str] | None = None):
    """Prepare and start one app; stop it and remove its directory afterwards.
    ``extra_env``: more environment for the app (e.g. its ``REFLEX_REDIS_URL``)."""
    port = PORTAL_PORT if kind == "portal" else BARE_PORT
    _require_free_port(kind, port)
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    proc = None
    try:
        if kind == "portal":
            env, cwd = _portal_env(workdir, port), ROOT
        else:
            env = _reflex_env({"REFLEX_STATES_WORKDIR": str(workdir / "states"),
                               "REFLEX_UPLOADED_FILES_DIR": str(workdir / "uploaded_files")})
            cwd = BARE_DIR
        env.update(extra_env or {})
        if kind == "portal":
            log(f"[{kind}] migrating + loading the demo data into {workdir}")
            subprocess.run([PYTHON, "-m", "segur_app.cli", "demo"], cwd=cwd, env=env,
                           check=True, capture_output=True)
        app = App(kind=kind, port=port, workdir=workdir, env=env)
        log_path = workdir / "reflex.log"
        log(f"[{kind}] reflex run --env prod --single-port --frontend-port {port} (log {log_path})")
        with open(log_path, "wb") as log_fh:
            proc = subprocess.Popen(
                [PYTHON, "-m", "reflex", "run", "--env", "prod", "--single-port",
                 "--frontend-port", str(port), "--loglevel", "info"],
                cwd=cwd, env=env, stdout=log_fh, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        app.proc = proc
        started = time.monotonic()
        _wait_until_up(app, log_path)
        log(f"[{kind}] up after {time.monotonic() - started:.0f}s")
        yield app
    finally:
        if proc is not None:
            _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def both_apps(portal_env: dict[str, str] | None = None, bare_env: dict[str, str] | None = None):
    """The portal and the bare app, started one after the other (builds are heavy)."""
    with running("portal", portal_env) as portal, running("bare", bare_env) as bare:
        yield portal, bare


PROXY_PORTS = {"portal": int(os.environ.get("BENCH_PORTAL_PROXY_PORT", "8443")),
               "bare": int(os.environ.get("BENCH_BARE_PROXY_PORT", "8444"))}


def proxy_env(kind: str) -> dict[str, str]:
    """The environment an app needs behind :func:`behind_caddy`: its public
    origin is the proxy's (the pages' websocket and upload URLs, the portal's
    origin check and forwarded-address trust)."""
    origin = f"https://127.0.0.1:{PROXY_PORTS[kind]}"
    env = {"REFLEX_API_URL": origin, "REFLEX_DEPLOY_URL": origin}
    if kind == "portal":
        env |= {"SEGUR_PUBLIC_URL": origin, "SEGUR_TRUSTED_PROXIES": "127.0.0.1"}
    return env


@contextlib.contextmanager
def behind_caddy(*apps: App):
    """Caddy in front of ``apps`` as in production (deploy/Caddyfile): TLS with
    Caddy's internal CA, HTTP/2, one site per app on :data:`PROXY_PORTS`.
    Each app's ``browser_url`` becomes the proxy's origin meanwhile; start the
    apps with :func:`proxy_env`. Browsers must accept the internal CA's
    certificate (``ignore_https_errors``)."""
    caddy = shutil.which("caddy")
    if caddy is None:
        raise RuntimeError("caddy not found: apt-get install -y caddy")
    workdir = Path(tempfile.mkdtemp(prefix="bench-caddy-"))
    sites = "\n".join(
        f"https://127.0.0.1:{PROXY_PORTS[app.kind]} {{\n\ttls internal\n"
        f"\treverse_proxy 127.0.0.1:{app.port}\n}}" for app in apps)
    config = workdir / "Caddyfile"
    config.write_text("{\n\tadmin off\n\tskip_install_trust\n\tauto_https disable_redirects\n"
                      f"\tstorage file_system {workdir / 'data'}\n\tservers {{\n\t\tprotocols h1 h2\n\t}}\n}}\n"
                      + sites + "\n")
    for app in apps:
        _require_free_port(app.kind, PROXY_PORTS[app.kind])
    log_path = workdir / "caddy.log"
    with open(log_path, "wb") as log_fh:
        proc = subprocess.Popen([caddy, "run", "--config", str(config), "--adapter", "caddyfile"],
                                cwd=workdir, env={**os.environ, "HOME": str(workdir), "XDG_DATA_HOME": str(workdir)},
                                stdout=log_fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        import ssl

        insecure = ssl.create_default_context()
        insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE
        deadline = time.monotonic() + 60
        for app in apps:
            url = f"https://127.0.0.1:{PROXY_PORTS[app.kind]}/"
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"caddy not serving {url}:\n{log_path.read_text()[-3000:]}")
                try:
                    with urllib.request.urlopen(url, timeout=2, context=insecure) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    time.sleep(0.5)
            app.proxy_url = url.rstrip("/")
        log(f"[caddy] {', '.join(f'{a.kind} at {a.proxy_url}' for a in apps)} (HTTP/2, TLS)")
        yield
    finally:
        for app in apps:
            app.proxy_url = None
        _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- #
# Portal data: users that finished their first login, enrolled suppliers
# --------------------------------------------------------------------------- #


def create_suppliers(app: App, count: int, *, prefix: str = "bench") -> list[str]:
    """``count`` enrolled suppliers (approved enrolment, bank details), each
    with one supplier account whose first login is done. Returns identifiants."""
    from datetime import datetime

    from sqlmodel import Session

    from segur_app.core.db import make_engine
    from segur_app.core.security import hash_password
    from segur_app.domain.models import (
        BankDetails,
        Enrolment,
        EnrolmentStatus,
        Role,
        Supplier,
        UserAccount,
    )
    from segur_app.domain.numbering import ENROLMENT_SERIES, next_number
    from segur_app.domain.passwords import normalise_secret_answer

    password_hash = hash_password(PASSWORD)  # one Argon2 for all of them
    answer_hash = hash_password(normalise_secret_answer("Lyon"))
    engine = make_engine(app.db_url)
    identifiants = []
    tag = uuid.uuid4().hex[:6]
    try:
        with Session(engine) as session:
            for n in range(count):
                serial = f"{tag}{n:05d}"
                supplier = Supplier(
                    ans_number=f"tndSAS{serial}", siret=f"9{int(serial, 16) % 10**13:013d}",
                    company_name=f"EDITEUR BENCH {serial}", street="1 rue de la Paix",
                    postal_code="75002", city="PARIS",
                )
                session.add(supplier)
                session.flush()
                session.add(BankDetails(
                    supplier_id=supplier.id, iban="FR7630006000011234567890189",
                    bic="AGRIFRPPXXX", holder=supplier.company_name,
                    domiciliation="CREDIT AGRICOLE PARIS",
                ))
                identifiant = f"{prefix}.{serial}"
                email = f"{identifiant}@bench.example"
                session.add(UserAccount(
                    identifiant=identifiant, email=email, first_name="Camille",
                    last_name="BENCH", role=Role.SUPPLIER.value, supplier_id=supplier.id,
                    password_hash=password_hash, must_change_password=False,
                    secret_question="Ville de naissance ?", secret_answer_hash=answer_hash,
                ))
                session.add(Enrolment(
                    number=next_number(session, ENROLMENT_SERIES), supplier_id=supplier.id,
                    status=EnrolmentStatus.VALIDATED.value,
                    submitted_at=datetime(2023, 2, 1, 9, 0, tzinfo=UTC),
                    status_changed_at=datetime(2023, 2, 6, 14, 0, tzinfo=UTC),
                    legal_rep_civility="M.", legal_rep_last_name="BENCH",
                    legal_rep_first_name="Camille", legal_rep_role="Gérant",
                    contact_last_name="BENCH", contact_first_name="Camille",
                    contact_email=email, contact_phone="0146000000",
                ))
                identifiants.append(identifiant)
            session.commit()
    finally:
        engine.dispose()
    return identifiants


async def login(app: App, identifiant: str, password: str = PASSWORD) -> str:
    """POST the login form like the browser; return the ``Cookie`` header value."""
    import httpx

    async with httpx.AsyncClient(base_url=app.base_url, timeout=60) as http:
        response = await http.post(
            "/session/connexion",
            data={"identifiant": identifiant, "password": password},
            headers={"Origin": app.base_url},
            follow_redirects=False,
        )
    if response.status_code != 303:
        raise RuntimeError(f"login of {identifiant}: HTTP {response.status_code}")
    for name, value in response.cookies.items():
        if name.endswith("segur_session") and value:
            return f"{name}={value}"
    raise RuntimeError(
        f"login of {identifiant} refused (redirect to {response.headers.get('location')})"
    )


async def login_many(app: App, identifiants: list[str], concurrency: int = 4) -> list[str]:
    gate = asyncio.Semaphore(concurrency)

    async def one(identifiant: str) -> str:
        async with gate:
            return await login(app, identifiant)

    return list(await asyncio.gather(*(one(i) for i in identifiants)))


# --------------------------------------------------------------------------- #
# A Reflex tab without a browser: socket.io over a websocket
# --------------------------------------------------------------------------- #


class ReflexError(RuntimeError):
    pass


@dataclass
class ReflexClient:
    """One browser tab: a tab token, an optional session cookie, one websocket."""

    app: App
    cookie: str | None = None
    page: str = "/"
    token: str = field(default_factory=lambda: str(uuid.uuid4()))
    updates: asyncio.Queue = field(default_factory=asyncio.Queue)
    _reader: asyncio.StreamReader | None = None
    _writer: asyncio.StreamWriter | None = None
    _ws: WSConnection | None = None
    _task: asyncio.Task | None = None
    _connected: asyncio.Future | None = None
    closed: bool = False

    def router_data(self) -> dict[str, Any]:
        return {"pathname": self.page, "asPath": self.page}

    async def connect(self, *, hydrate: bool = True, timeout: float = 60) -> None:
        """Open the websocket with the hydrate event in the CONNECT packet (as
        Reflex's frontend does); wait for the namespace to be connected."""
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.app.port, limit=2**24), timeout)
        self._ws = WSConnection(ConnectionType.CLIENT)
        headers = [(b"origin", self.app.base_url.encode())]
        if self.cookie:
            headers.append((b"cookie", self.cookie.encode()))
        self._send(Request(
            host=f"127.0.0.1:{self.app.port}",
            target=f"/_event/?token={self.token}&EIO=4&transport=websocket",
            subprotocols=[REFLEX_VERSION], extra_headers=headers,
        ))
        self._connected = asyncio.get_running_loop().create_future()
        self._auth = {}
        if hydrate:
            self._auth = {"event": {"name": HYDRATE, "payload": {},
                                    "router_data": self.router_data()}}
        self._task = asyncio.create_task(self._read_loop())
        await asyncio.wait_for(asyncio.shield(self._connected), timeout)

    def _send(self, event) -> None:
        self._writer.write(self._ws.send(event))

    def _send_text(self, text: str) -> None:
        self._send(TextMessage(data=text))

    async def _read_loop(self) -> None:
        parts: list[str] = []
        try:
            while True:
                data = await self._reader.read(1 << 20)
                if not data:
                    break
                self._ws.receive_data(data)
                for event in self._ws.events():
                    if isinstance(event, AcceptConnection):
                        continue
                    if isinstance(event, (RejectConnection, RejectData)):
                        raise ReflexError("websocket handshake refused")
                    if isinstance(event, Ping):
                        self._send(event.response())
                    elif isinstance(event, CloseConnection):
                        self.closed = True
                        return
                    elif isinstance(event, TextMessage):
                        parts.append(event.data)
                        if event.message_finished:
                            self._on_packet("".join(parts))
                            parts = []
                    elif isinstance(event, BytesMessage):
                        pass
                await self._writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            if not self._connected.done():
                self._connected.set_exception(ReflexError(f"connection lost: {exc}"))
        except ReflexError as exc:
            if not self._connected.done():
                self._connected.set_exception(exc)
        finally:
            self.closed = True
            if not self._connected.done():
                self._connected.set_exception(ReflexError("closed before connecting"))
            self.updates.put_nowait(None)

    def _on_packet(self, packet: str) -> None:
        kind, body = packet[:1], packet[1:]
        if kind == "0":  # Engine.IO open: connect the namespace with the boot event
            self._send_text(f"40{NAMESPACE}," + json.dumps(self._auth))
        elif kind == "2":  # Engine.IO ping
            self._send_text("3")
        elif kind == "4":  # a socket.io packet: type, "/_event,", JSON
            sio, rest = body[:1], body[1:]
            if rest.startswith(NAMESPACE + ","):
                rest = rest[len(NAMESPACE) + 1:]
            if sio == "0":
                if not self._connected.done():
                    self._connected.set_result(None)
            elif sio == "2":
                name, *args = json.loads(rest)
                if name == "event":
                    self.updates.put_nowait(args[0] if args else {})
            elif sio == "4" and not self._connected.done():
                self._connected.set_exception(ReflexError(f"connect refused: {rest}"))

    def emit(self, handler: str, payload: dict | None = None) -> None:
        event = {"name": handler, "router_data": self.router_data()}
        if payload:
            event["payload"] = payload
        self._send_text(f"42{NAMESPACE}," + json.dumps(["event", event], separators=(",", ":")))

    async def wait_for(self, substate: str, *, timeout: float = 60, key: str | None = None):
        """The next update whose delta holds ``substate`` (and ``key`` in it)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReflexError(f"no update of {substate} within {timeout}s")
            update = await asyncio.wait_for(self.updates.get(), remaining)
            if update is None:
                raise ReflexError("websocket closed")
            delta = update.get("delta") or {}
            if substate in delta and (key is None or _has_key(delta[substate], key)):
                return update

    async def call(self, handler: str, payload: dict | None = None, *, timeout: float = 60):
        """Emit an event and wait for the update it causes (the handler's state)."""
        await self._writer.drain()
        self.emit(handler, payload)
        substate = handler.rsplit(".", 1)[0]
        update = await self.wait_for_any(timeout=timeout)
        delta = update.get("delta") or {}
        if not any(name == substate or substate.startswith(name) or name.startswith(substate)
                   for name in delta):
            raise ReflexError(f"{handler}: unexpected update {str(update)[:300]}")
        for event in update.get("events") or []:
            if event.get("name") == "_redirect":
                raise ReflexError(f"{handler}: redirected to {event.get('payload')}")
        return update

    async def call_sequence(self, handlers: list[str], updates: int, *, timeout: float = 60):
        """Emit ``handlers`` back to back and wait for the ``updates`` updates they
        cause (a handler that changes nothing sends none: Reflex 0.10 emits an
        update only for a delta or events)."""
        await self._writer.drain()
        for handler in handlers:
            self.emit(handler)
        for _ in range(updates):
            update = await self.wait_for_any(timeout=timeout)
            for event in update.get("events") or []:
                if event.get("name") == "_redirect":
                    raise ReflexError(f"{handlers}: redirected to {event.get('payload')}")

    async def wait_for_any(self, *, timeout: float = 60):
        update = await asyncio.wait_for(self.updates.get(), timeout)
        if update is None:
            raise ReflexError("websocket closed")
        return update

    async def settle(self, on_load: str | None = None, timeout: float = 120) -> None:
        """Wait for the hydrate (``is_hydrated`` true) and, when the page has an
        on_load, for the update of its state ``on_load``; then for silence."""
        deadline = time.monotonic() + timeout
        hydrated, loaded, first = False, on_load is None, True
        while not (hydrated and loaded):
            update = await self.wait_for_any(timeout=max(0.0, deadline - time.monotonic()))
            delta = update.get("delta") or {}
            if delta.get(ROOT_STATE, {}).get("is_hydrated_rx_state_") is True:
                hydrated = True
            if not first and on_load in delta:
                loaded = True
            first = False
        await self.quiet()

    async def quiet(self, seconds: float = 0.05) -> int:
        """Swallow updates until none came for ``seconds``; how many there were."""
        n = 0
        while True:
            try:
                update = await asyncio.wait_for(self.updates.get(), seconds)
            except TimeoutError:
                return n
            if update is None:
                raise ReflexError("websocket closed")
            n += 1

    def drain(self) -> int:
        n = 0
        while not self.updates.empty():
            if self.updates.get_nowait() is None:
                self.updates.put_nowait(None)
                break
            n += 1
        return n

    async def close(self) -> None:
        if self._writer is None:
            return
        with contextlib.suppress(Exception):
            if not self.closed:
                self._send_text(f"41{NAMESPACE},")
                self._send(CloseConnection(code=1000))
                await asyncio.wait_for(self._writer.drain(), 5)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        with contextlib.suppress(Exception):
            self._writer.close()
        self._writer = None


def _has_key(substate_delta: dict, key: str) -> bool:
    return any(name == key or name.startswith(key + "_rx_state_") for name in substate_delta)


def delta_value(update: dict, substate: str, key: str) -> Any:
    for name, value in (update.get("delta") or {}).get(substate, {}).items():
        if name == key or name.startswith(key + "_rx_state_"):
            return value
    raise KeyError(key)


async def open_tabs(app: App, count: int, *, page: str, cookies: list[str | None],
                    settle: str | None = None, concurrency: int = 25) -> list[ReflexClient]:
    """``count`` connected, hydrated tabs on ``page`` (cookies used round-robin).
    ``settle``: a substate whose update (the page's on_load) must arrive first."""
    gate = asyncio.Semaphore(concurrency)
    clients = [ReflexClient(app, cookie=cookies[n % len(cookies)], page=page)
               for n in range(count)]

    async def one(client: ReflexClient) -> None:
        async with gate:
            await client.connect()
            await client.settle(settle)

    try:
        await asyncio.gather(*(one(c) for c in clients))
    except BaseException:
        await close_all(clients)
        raise
    return clients


async def close_all(clients: list[ReflexClient]) -> None:
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


# --------------------------------------------------------------------------- #
# Figures
# --------------------------------------------------------------------------- #


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    index = (len(ordered) - 1) * q
    low, high = math.floor(index), math.ceil(index)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def fmt_rate(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"


def ratio(a: float, b: float) -> str:
    return "–" if not b or math.isnan(a) or math.isnan(b) else f"{a / b:.2f}"


def spread(values: list[float], fmt) -> str:
    """The per-round values, to show the noise."""
    return " / ".join(fmt(v) for v in values)


def print_table(headers: list[str], rows: list[list[str]], title: str | None = None) -> None:
    if title:
        print(f"\n{title}\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


def machine_note() -> str:
    load = os.getloadavg()
    return (f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
            f"load average before the run {load[0]:.2f}")
