"""A real ClamAV daemon for the tests, detecting the EICAR test file.

ClamAV's signature databases cannot be downloaded here (no freshclam), so
:class:`ClamdServer` writes one local signature — the EICAR test string,
anywhere in a file (``.ndb``: target 0, offset ``*``) — into a temporary
``DatabaseDirectory`` and runs ``clamd`` in the foreground with a temporary
configuration (unix socket in the temporary directory, no bytecode). It is up
once it answers ``PING``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from clamav_client.clamd import ClamdError, ClamdUnixSocket

from segur_app.domain.uploads import Scanner

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
"""The 68-byte EICAR anti-virus test file (harmless; every antivirus detects it)."""
SIGNATURE_NAME = "Segur.Test.EICAR"
START_TIMEOUT = 60.0

CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"


def eicar_pdf() -> bytes:
    """A well-formed PDF carrying the EICAR string in a page's content stream
    (passes every other upload check)."""
    from tests.document_samples import CATALOG, PAGES, build_pdf

    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    content = b"<< /Length %d >>\nstream\n" % len(EICAR) + EICAR + b"\nendstream"
    return build_pdf([CATALOG, PAGES, page, content])


class ClamdServer:
    """``clamd`` on a unix socket under ``workdir`` (start / stop / address)."""

    def __init__(self, workdir: Path, *, tcp_port: int | None = None) -> None:
        self.workdir = workdir
        self.tcp_port = tcp_port
        self.socket = workdir / "clamd.sock"
        self.log = workdir / "clamd.log"
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return str(self.socket)

    def scanner(self, mode: str = "required") -> Scanner:
        return Scanner(mode=mode, address=self.address, timeout=10.0)

    def _configure(self) -> Path:
        database = self.workdir / "db"
        database.mkdir(parents=True, exist_ok=True)
        (database / "segur-test.ndb").write_text(f"{SIGNATURE_NAME}:0:*:{EICAR.hex()}\n")
        config = self.workdir / "clamd.conf"
        config.write_text(
            "Foreground yes\n"
            f"LocalSocket {self.socket}\n"
            f"DatabaseDirectory {database}\n"
            f"LogFile {self.log}\n"
            f"TemporaryDirectory {self.workdir}\n"
            "Bytecode no\n"
            "SelfCheck 0\n"
            + (f"TCPSocket {self.tcp_port}\nTCPAddr 127.0.0.1\n" if self.tcp_port else "")
        )
        return config

    def start(self) -> ClamdServer:
        if not Path(CLAMD).exists():
            raise RuntimeError("clamd is not installed: apt-get install -y clamav-daemon")
        config = self._configure()
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [CLAMD, "--foreground", "-c", str(config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if ClamdUnixSocket(self.address, timeout=5).ping() == "PONG":
                    return self
            except (ClamdError, OSError):
                pass
            time.sleep(0.1)
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        self.stop()
        raise RuntimeError(f"clamd did not answer PING within {START_TIMEOUT}s:\n{log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        self.socket.unlink(missing_ok=True)
