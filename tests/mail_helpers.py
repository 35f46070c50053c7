"""A real local SMTP server (aiosmtpd) and small builders for the mail tests."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlmodel import Session

from segur_app.core.config import Settings
from segur_app.domain.models import FundingRequest, Supplier

HOST = "127.0.0.1"
MAIL_FROM = "Portail Ségur Numérique <ne-pas-repondre@segurnum.asp-public.fr>"
MAIL_FROM_ADDRESS = "ne-pas-repondre@segurnum.asp-public.fr"
ASSISTANCE_URL = "https://segurnum.asp-public.fr/segurnum/contacter-assistance"


def free_port() -> int:
    """A TCP port on 127.0.0.1 with nothing listening (at the time of the call)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: MimeMessage
    raw: bytes


@dataclass
class RecordingHandler:
    """aiosmtpd handler keeping every accepted message.

    Set ``reply`` to an SMTP answer such as ``"451 4.3.0 Try again later"`` to
    make the server refuse the DATA command (the server is "down" while
    still listening); set it back to ``None`` to accept again.
    """

    reply: str | None = None
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply is not None:
            with self._lock:
                self.refused += 1
            return self.reply
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self.received.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    message=message,  # type: ignore[arg-type]
                    raw=raw,
                )
            )
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    """Start aiosmtpd on a free port of 127.0.0.1; stop it on exit."""
    handler = RecordingHandler()
    last_error: Exception | None = None
    for _ in range(5):  # the free port may be taken between probe and bind
        port = free_port()
        controller = Controller(handler, hostname=HOST, port=port)
        try:
            controller.start()
        except Exception as exc:  # pragma: no cover - rare port race
            last_error = exc
            continue
        try:
            yield SmtpServer(host=HOST, port=port, handler=handler)
        finally:
            controller.stop()
        return
    raise RuntimeError(f"could not start the test SMTP server: {last_error}")


def mail_settings(*, smtp_port: int | None, outbox_dir: Path, **overrides: Any) -> Settings:
    """Explicit settings for one test (no dependence on the environment)."""
    values: dict[str, Any] = {
        "env": "test",
        "smtp_host": HOST if smtp_port else None,
        "smtp_port": smtp_port or 25,
        "smtp_user": None,
        "smtp_password": None,
        "smtp_tls": False,
        "smtp_timeout": 5.0,
        "mail_from": MAIL_FROM,
        "outbox_dir": outbox_dir,
        "mail_poll_seconds": 0.05,
        "mail_retry_base_seconds": 30.0,
        "mail_retry_max_seconds": 3600.0,
        "mail_max_attempts": 5,
        "public_url": "http://localhost:3000",
    }
    values.update(overrides)
    return Settings(**values)


def make_dossier(
    session: Session, *, number: str = "FINSAS009250", siret: str = "12345678901234"
) -> FundingRequest:
    """A committed supplier + funding request, so outbox rows can link to it."""
    supplier = Supplier(
        ans_number=f"ANS-{siret}",
        siret=siret,
        company_name="Éditeur Exemple SAS",
        street="1 rue de la Paix",
        postal_code="75002",
        city="Paris",
    )
    session.add(supplier)
    session.flush()
    request = FundingRequest(
        dossier_number=number,
        supplier_id=supplier.id,
        kind="avance",
        amount=30000,
    )
    session.add(request)
    session.commit()
    return request


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC (SQLite returns naive UTC datetimes)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
