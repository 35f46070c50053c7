"""The antivirus scan of every staged file: ClamAV's daemon (clamd), over its socket.

:func:`~segur_app.domain.uploads.staging.stage` hands the file it has just
written to :meth:`Scanner.check` before any other content check: the file is
streamed to clamd with the ``INSTREAM`` command (``clamav-client``, 64 KiB
pieces read from the staged copy through the page cache — the upload is never
held in memory), and the verdict decides:

- a virus found (« infecté »): refused with :data:`MSG_INFECTED`, the staged
  copy removed — an infected file is never stored;
- clamd unavailable or failing (« erreur »): ``SEGUR_ANTIVIRUS=required``
  refuses the file (:data:`MSG_UNAVAILABLE`), ``optional`` accepts it and the
  « erreur » is recorded with it for the staff to see;
- ``SEGUR_ANTIVIRUS=off``: nothing is scanned (« non analysé »).

The result travels with the staged file (``StagedDocument.scan_result``) to
its ``Attachment`` row. Plain Python, no Reflex import.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO

from clamav_client.clamd import ClamdError, ClamdNetworkSocket, ClamdUnixSocket

from segur_app.domain.models import ScanResult
from segur_app.domain.uploads.policy import UploadPolicy

log = logging.getLogger(__name__)

MODES = ("required", "optional", "off")

MSG_INFECTED = (
    "le fichier contient un virus ou un logiciel malveillant : il a été refusé et n'a pas "
    "été enregistré. Analysez votre poste avec votre antivirus puis déposez un fichier sain."
)
MSG_UNAVAILABLE = (
    "analyse antivirus indisponible pour le moment, le fichier n'a pas été enregistré. "
    "Réessayez plus tard."
)

PIECE_BYTES = 64 * 1024
"""INSTREAM piece size. The client asks for 1 KiB pieces; any size up to clamd's
``StreamMaxLength`` is valid, and 64 KiB makes 3 × 4 Mo scan ≈ 0.4 s faster."""

_HOST_PORT = re.compile(r"^(?P<host>\[[0-9A-Fa-f:.]+\]|[^/:\[\]]+):(?P<port>\d{1,5})$")
_UNAVAILABLE_LOG_SECONDS = 60.0


@dataclass(frozen=True)
class Verdict:
    result: ScanResult
    signature: str = ""
    """The virus name clamd gave (when infected): logs only."""
    detail: str = ""
    """Why the scan failed (English): logs only."""


def clamd_client(address: str, *, timeout: float) -> ClamdUnixSocket | ClamdNetworkSocket:
    """The client of ``address``: ``host:port`` (TCP) or a unix socket path."""
    match = _HOST_PORT.match(address.strip())
    if match and not address.startswith(("/", "unix:")):
        return ClamdNetworkSocket(match["host"].strip("[]"), int(match["port"]), timeout=timeout)
    return ClamdUnixSocket(address.strip(), timeout=timeout)


class _Pieces:
    """``file`` read in :data:`PIECE_BYTES` pieces, whatever size the client asks."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def read(self, _size: int = -1) -> bytes:
        return self._file.read(PIECE_BYTES)


@dataclass(frozen=True)
class Scanner:
    """How files are scanned: the mode (``required``/``optional``/``off``) and clamd's socket."""

    mode: str
    address: str = ""
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"antivirus mode must be one of {MODES}: {self.mode!r}")

    @classmethod
    def from_settings(cls, settings=None) -> Scanner:
        """The scanner ``SEGUR_ANTIVIRUS`` / ``SEGUR_CLAMD_SOCKET`` configure."""
        if settings is None:
            from segur_app.core.config import get_settings

            settings = get_settings()
        return cls(mode=settings.antivirus_mode, address=settings.clamd_socket,
                   timeout=settings.clamd_timeout)

    @property
    def enabled(self) -> bool:
        return self.mode != "off"

    def ping(self) -> bool:
        """clamd answers (``PONG``)."""
        try:
            return clamd_client(self.address, timeout=self.timeout).ping() == "PONG"
        except (ClamdError, OSError):
            return False

    def scan(self, file: BinaryIO) -> Verdict:
        """Stream ``file`` (from its current position) to clamd; never raises."""
        if not self.enabled:
            return Verdict(ScanResult.NOT_SCANNED)
        try:
            answer = clamd_client(self.address, timeout=self.timeout).instream(_Pieces(file))
        except (ClamdError, OSError) as exc:
            return Verdict(ScanResult.ERROR, detail=f"{type(exc).__name__}: {exc}")
        status, name = answer.get("stream", ("ERROR", f"unexpected answer {answer!r}"))
        if status == "FOUND":
            return Verdict(ScanResult.INFECTED, signature=name or "")
        if status == "OK":
            return Verdict(ScanResult.CLEAN)
        return Verdict(ScanResult.ERROR, detail=f"clamd: {name}")

    def check(self, file: BinaryIO, policy: UploadPolicy) -> ScanResult:
        """Scan the whole ``file``; the result to record, or :class:`DocumentRejected`
        (infected; clamd unavailable when the scan is required)."""
        file.seek(0)
        verdict = self.scan(file)
        if verdict.result is ScanResult.INFECTED:
            log.warning("antivirus: %s file refused, clamd found %s", policy.kind or "uploaded",
                        verdict.signature[:120])
            raise policy.rejected(MSG_INFECTED, "infected", detail=verdict.signature)
        if verdict.result is ScanResult.ERROR:
            _log_unavailable(self.mode, verdict.detail)
            if self.mode == "required":
                raise policy.rejected(MSG_UNAVAILABLE, "antivirus_unavailable",
                                      detail=verdict.detail)
        return verdict.result


_last_unavailable_log = [0.0]
_log_lock = threading.Lock()


def _log_unavailable(mode: str, detail: str) -> None:
    """One line per minute at most while clamd is down (no flood)."""
    now = time.monotonic()
    with _log_lock:
        if now - _last_unavailable_log[0] < _UNAVAILABLE_LOG_SECONDS:
            return
        _last_unavailable_log[0] = now
    outcome = "uploads refused" if mode == "required" else "uploads accepted with the result 'erreur'"
    log.error("antivirus: clamd unavailable (%s), %s: %s", mode, outcome, detail[:200])
