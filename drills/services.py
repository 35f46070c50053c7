"""The production profile on this machine, every part private to the drills.

* :class:`PrivatePostgres` — a PostgreSQL cluster of its own (``initdb`` in a
  temporary directory, ``pg_ctl`` on its own port and socket directory; as the
  ``postgres`` user when run as root). Never the machine's server on 5432,
  which other sessions use: the drills restart this one.
* :class:`PrivateRedis` — ``redis-server`` on its own port, no persistence
  (a restart loses every tab's state, the worst case).
* :class:`SmtpSink` — an aiosmtpd server in this process recording every
  message by ``Message-ID``; ``down()`` really stops it (connection refused).
* :class:`Portal` — ``reflex run --env prod --single-port`` with the
  production settings (PostgreSQL, Redis, ``GRANIAN_WORKERS``), in its own
  process group: stopped with TERM then KILL to the whole group (granian's
  workers are children of the reflex process).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
VENV_BIN = str(Path(PYTHON).parent)
def _pg_bin() -> Path:
    """The newest PostgreSQL server binaries installed (Debian: /usr/lib/postgresql/N/bin)."""
    if configured := os.environ.get("DRILL_PG_BIN"):
        return Path(configured)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()


def log(*parts) -> None:
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_for(predicate, what: str, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


def stop_group(proc: subprocess.Popen, *, grace: float = 20) -> None:
    """TERM the process group, then KILL it (reflex's children included)."""
    if proc.poll() is not None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # leftovers of a dead leader
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


# --------------------------------------------------------------------------- #
# PostgreSQL
# --------------------------------------------------------------------------- #


@dataclass
class PrivatePostgres:
    port: int
    workdir: Path
    restarts: int = 0

    @property
    def data(self) -> Path:
        return self.workdir / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/segur"

    def _as_owner(self, *args: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        options = (f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=200 -c shared_buffers=64MB")
        return subprocess.run(
            self._as_owner(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                           str(self.workdir / "postgres.log"), "-o", options, "-w", "-t", "60",
                           *args),
            check=check, capture_output=True, text=True)

    def start(self) -> None:
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} is taken (DRILL_PG_PORT)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)
        subprocess.run(self._as_owner(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                                      "-U", "postgres", "--no-sync", "-E", "UTF8"),
                       check=True, capture_output=True)
        self._pg_ctl("start")
        subprocess.run([str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", "postgres", "segur"], check=True, capture_output=True)
        log(f"[postgres] private cluster on 127.0.0.1:{self.port}")

    def restart(self, *, mode: str = "immediate") -> None:
        """``immediate``: like a crash (no shutdown checkpoint, connections cut)."""
        self._pg_ctl("restart", "-m", mode)
        self.restarts += 1

    def stop(self) -> None:
        if self.data.exists():
            self._pg_ctl("stop", "-m", "immediate", check=False)


# --------------------------------------------------------------------------- #
# Redis
# --------------------------------------------------------------------------- #


@dataclass
class PrivateRedis:
    port: int
    workdir: Path
    proc: subprocess.Popen | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} is taken (DRILL_REDIS_PORT)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=open(self.workdir / "redis.log", "ab"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: not port_is_free(self.port), "redis up", 20, 0.05)

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc, grace=5)
            self.proc = None

    def restart(self, *, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1


# --------------------------------------------------------------------------- #
# SMTP
# --------------------------------------------------------------------------- #


@dataclass
class SmtpSink:
    port: int
    messages: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: object | None = None
    downtime: float = 0.0

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), str(message["Subject"]),
                                  str(message["Message-ID"])))
        return "250 OK"

    def up(self) -> None:
        from aiosmtpd.controller import Controller

        controller = Controller(self, hostname="127.0.0.1", port=self.port)
        controller.start()
        self._controller = controller

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def snapshot(self) -> list:
        with self._lock:
            return list(self.messages)


FAILED_RUN_LOG = Path(tempfile.gettempdir()) / "segur-drills-failed-portal.log"


def keep_portal_log(workdir: Path) -> None:
    """Copy the portal's log of a failed run where it outlives the workdir."""
    with contextlib.suppress(OSError):
        shutil.copyfile(workdir / "portal.log", FAILED_RUN_LOG)
        log(f"portal log kept: {FAILED_RUN_LOG}")


# --------------------------------------------------------------------------- #
# The portal
# --------------------------------------------------------------------------- #


@dataclass
class Portal:
    port: int
    workdir: Path
    env: dict[str, str]
    proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def storage_dir(self) -> Path:
        return self.workdir / "storage"

    def start(self, timeout: float = 900) -> None:
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} is taken (DRILL_PORTAL_PORT)")
        log_path = self.workdir / "portal.log"
        log(f"[portal] reflex run --env prod --single-port on {self.port}, "
            f"{self.env['GRANIAN_WORKERS']} workers (log {log_path})")
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "reflex", "run", "--env", "prod", "--single-port",
             "--frontend-port", str(self.port), "--backend-host", "127.0.0.1",
             "--loglevel", "info"],
            cwd=ROOT, env=self.env, stdout=open(log_path, "ab"), stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        started = time.monotonic()

        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError("portal exited:\n" + log_path.read_text()[-3000:])
            try:
                with urllib.request.urlopen(self.base_url + "/_health", timeout=2) as resp:
                    return resp.status == 200
            except OSError:
                return False

        wait_for(up, "portal up", timeout, 1)
        wait_for(lambda: len(self.worker_pids()) >= int(self.env["GRANIAN_WORKERS"]),
                 "granian workers", 60, 0.5)
        log(f"[portal] up after {time.monotonic() - started:.0f} s, workers {self.worker_pids()}")

    def tree(self) -> dict[int, list[int]]:
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    stat = (entry / "stat").read_text()
                    ppid = int(stat.rsplit(")", 1)[1].split()[1])
                    children.setdefault(ppid, []).append(int(entry.name))
        return children

    def worker_pids(self) -> list[int]:
        """Granian's worker processes: the leaf python processes of the group
        (the supervisor is their parent; node/npm are not python), not counting
        the helpers a worker starts itself with multiprocessing's ``spawn`` (its
        PDF process, their resource tracker: segur_app/domain/pdf_process.py)."""
        if self.proc is None:
            return []
        children, found, todo = self.tree(), [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            kids = [kid for kid in children.get(pid, []) if self._python(kid) is not False]
            todo.extend(kids)
            if not kids and pid != self.proc.pid and self._python(pid):
                found.append(pid)
        return sorted(found)

    @staticmethod
    def _python(pid: int) -> bool | None:
        """True: a python process of the portal; False: a multiprocessing helper;
        None: anything else (or gone)."""
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return None
        if b"multiprocessing" in cmd:
            return False
        return True if b"python" in cmd else None

    def stop(self) -> None:
        if self.proc is not None:
            stop_group(self.proc)
            self.proc = None


def portal_env(*, workdir: Path, port: int, db_url: str, redis_url: str, smtp_port: int,
               workers: int) -> dict[str, str]:
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}",
        "REFLEX_USE_NPM": "1", "REFLEX_TELEMETRY_ENABLED": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
        "REFLEX_DB_URL": db_url, "REFLEX_REDIS_URL": redis_url,
        "REFLEX_STATES_WORKDIR": str(workdir / "states"),
        "GRANIAN_WORKERS": str(workers), "SEGUR_WORKERS": str(workers),
        "SEGUR_ENV": "test",  # the drills load accounts; production refuses demo data
        "SEGUR_STORAGE_DIR": str(workdir / "storage"),
        "SEGUR_OUTBOX_DIR": str(workdir / "outbox"),
        "SEGUR_SMTP_HOST": "127.0.0.1", "SEGUR_SMTP_PORT": str(smtp_port),
        "SEGUR_SMTP_TIMEOUT": "5",
        "SEGUR_MAIL_POLL_SECONDS": "0.5", "SEGUR_MAIL_RETRY_BASE_SECONDS": "1",
        "SEGUR_MAIL_RETRY_MAX_SECONDS": "5", "SEGUR_MAIL_MAX_ATTEMPTS": "1000",
        "SEGUR_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SEGUR_WS_EVENT_RATE": "1000000", "SEGUR_WS_EVENT_BURST": "1000000",
    }
    for name in ("SEGUR_STORAGE_URL",):
        env.pop(name, None)
    return env


def s3_available() -> bool:
    """The S3 storage backend and its test server are in this checkout."""
    if not (ROOT / "tests" / "s3_server.py").exists():
        return False
    from segur_app.core.config import Settings

    return "storage_url" in Settings.model_fields


def fresh_workdir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="segur-drills-"))
    os.chmod(path, 0o755)
    return path


def remove_workdir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
