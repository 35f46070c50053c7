"""Mail transports: how one message is handed over.

:class:`SmtpTransport` (the ``emails`` package) when ``SEGUR_SMTP_HOST`` is
set, else :class:`FileTransport`, which writes one ``.eml`` file per message
under ``SEGUR_OUTBOX_DIR`` (the embedded default for development and demos).
"""

from __future__ import annotations

import email.policy
import logging
import os
import smtplib
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol

import emails
from emails.backend.response import SMTPResponse
from emails.backend.smtp import SMTPBackend

from segur_app.core.config import Settings, get_settings
from segur_app.domain.mail.outbox import utc
from segur_app.domain.models import utcnow

logger = logging.getLogger(__name__)

__all__ = [
    "FileTransport",
    "MailDeliveryError",
    "MailTransport",
    "OutgoingMail",
    "SmtpTransport",
    "transport_from_settings",
]


class MailDeliveryError(RuntimeError):
    """A transport could not hand a message over (server down, refusal...)."""


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """What a transport needs to send one message (detached from the ORM)."""

    to: str
    subject: str
    text: str
    html: str | None = None
    outbox_id: int | None = None
    created_at: datetime | None = None

    def message_id(self, mail_from: str) -> str:
        """A ``Message-ID`` stable for a given outbox row (random otherwise)."""
        domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
        if self.outbox_id is None:
            return f"<{uuid.uuid4().hex}@{domain}>"
        stamp = utc(self.created_at).strftime("%Y%m%d%H%M%S") if self.created_at else "0"
        return f"<outbox-{self.outbox_id}.{stamp}@{domain}>"


class MailTransport(Protocol):
    """Hands one message over; raises (any exception) if it could not."""

    def send(self, mail: OutgoingMail) -> object: ...


def _decode(value: bytes | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _describe_smtp_failure(response: SMTPResponse | None) -> str:
    if response is None:
        return "no SMTP response"
    if response.error is not None:
        return f"{type(response.error).__name__}: {response.error}"
    return (
        f"SMTP {response.last_command or '?'} answered "
        f"{response.status_code} {_decode(response.status_text)}".strip()
    )


class SmtpTransport:
    """Send through an SMTP server with the ``emails`` package.

    ``emails`` reports failures in the returned ``SMTPResponse`` instead of
    raising (its backends default to ``fail_silently=True``): we check
    ``response.success`` (the final ``DATA`` answered 250) and raise
    :class:`MailDeliveryError` otherwise. One connection per message, closed
    with ``QUIT`` afterwards (the ``emails`` pool would keep it open).
    """

    def __init__(
        self,
        *,
        host: str,
        port: int = 25,
        user: str | None = None,
        password: str | None = None,
        tls: bool = False,
        timeout: float = 10.0,
        mail_from: str,
    ) -> None:
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.tls = tls
        self.timeout = timeout
        self.mail_from = mail_from

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        if not settings.smtp_host:
            raise ValueError("SEGUR_SMTP_HOST is not set")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            tls=settings.smtp_tls,
            timeout=settings.smtp_timeout,
            mail_from=settings.mail_from,
        )

    def smtp_options(self) -> dict[str, Any]:
        """The ``smtp={...}`` options of ``emails`` (credentials only when set)."""
        options: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "tls": self.tls,
            "timeout": self.timeout,
        }
        if self.user:
            options["user"] = self.user
            options["password"] = self.password
        return options

    def build(self, mail: OutgoingMail) -> emails.Message:
        name, address = parseaddr(self.mail_from)
        return emails.html(
            html=mail.html,
            text=mail.text,
            subject=mail.subject,
            mail_from=(name or None, address),
            message_id=mail.message_id(self.mail_from),
            charset="utf-8",
        )

    def send(self, mail: OutgoingMail) -> SMTPResponse:
        message = self.build(mail)
        backend = SMTPBackend(**self.smtp_options())
        try:
            response = message.send(to=mail.to, smtp=backend)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailDeliveryError(
                f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            backend.close()
        if response is None or not response.success:
            raise MailDeliveryError(
                f"SMTP {self.host}:{self.port}: {_describe_smtp_failure(response)}"
            )
        return response

    def __repr__(self) -> str:
        return f"SmtpTransport({self.host}:{self.port}, tls={self.tls})"


class FileTransport:
    """Write each message as an RFC 5322 ``.eml`` file (embedded default).

    Files are named ``<created>-<outbox id>.eml`` and written atomically, so a
    message sent twice overwrites its own file. Open them with any mail client,
    or ``email.message_from_bytes``.
    """

    def __init__(self, *, directory: Path, mail_from: str) -> None:
        self.directory = Path(directory)
        self.mail_from = mail_from

    @classmethod
    def from_settings(cls, settings: Settings) -> FileTransport:
        return cls(directory=settings.outbox_dir, mail_from=settings.mail_from)

    def build(self, mail: OutgoingMail) -> MimeMessage:
        # policy.SMTP: CRLF line endings, non-ASCII headers as RFC 2047 words.
        message = MimeMessage(policy=email.policy.SMTP)
        message["Subject"] = mail.subject
        message["From"] = self.mail_from
        message["To"] = mail.to
        message["Date"] = format_datetime(utcnow())
        message["Message-ID"] = mail.message_id(self.mail_from)
        message.set_content(mail.text, charset="utf-8", cte="quoted-printable")
        if mail.html:
            message.add_alternative(
                mail.html, subtype="html", charset="utf-8", cte="quoted-printable"
            )
        return message

    def path_for(self, mail: OutgoingMail) -> Path:
        if mail.outbox_id is None:
            return self.directory / f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:12]}.eml"
        created = utc(mail.created_at) if mail.created_at else utcnow()
        return self.directory / f"{created:%Y%m%dT%H%M%S}-{mail.outbox_id:06d}.eml"

    def send(self, mail: OutgoingMail) -> Path:
        data = self.build(mail).as_bytes()
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path_for(mail)
        fd, tmp_name = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        logger.info("Email to %s written to %s — subject: %s", mail.to, path, mail.subject)
        return path

    def __repr__(self) -> str:
        return f"FileTransport({self.directory})"


def transport_from_settings(settings: Settings | None = None) -> MailTransport:
    """SMTP when ``smtp_host`` is configured, else ``.eml`` files in ``outbox_dir``."""
    settings = settings or get_settings()
    if settings.smtp_host:
        return SmtpTransport.from_settings(settings)
    return FileTransport.from_settings(settings)
