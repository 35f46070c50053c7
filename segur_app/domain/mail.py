"""Automatic emails: a transactional outbox and its delivery worker.

How it works
------------
1. A business service calls :func:`queue_email` with *its own* session. The
   outbox row (:class:`~segur_app.domain.models.EmailMessage`) is only added
   to that session, so it is committed — or rolled back — together with the
   event that caused it (a deposit, a decision...). No email is ever sent for
   an event that did not happen, and none is lost for one that did.
2. :func:`deliver_due` (run periodically by :func:`run_mail_worker`, which the
   Reflex app registers as a lifespan task) picks the due ``pending`` rows and
   *claims* each one with a portable compare-and-set ``UPDATE`` that pushes
   ``next_attempt_at`` forward by a lease. The claim is committed before the
   message is handed to the transport, so several workers (threads, Reflex
   backend processes, hosts) never send the same message twice, and a worker
   that dies mid-send only delays the message until the lease expires.
3. On success the row becomes ``sent`` (``sent_at``, ``attempts + 1``); on
   failure it stays ``pending`` with an exponential back-off
   (``base * 2 ** (attempts - 1)``, capped) and, after ``mail_max_attempts``
   failures, becomes ``failed``. :func:`requeue_failed` puts failed rows back.
   Each final outcome is recorded as an ``AuditEvent`` (``email_sent`` /
   ``email_failed``) linked to the dossier or enrolment.

Delivery is *at least once*: if the process dies after the SMTP server
accepted a message but before the ``sent`` status is committed, the message is
sent again once its lease expires. Each message carries a stable
``Message-ID`` derived from its outbox row, so such a duplicate is recognisable.

Transports: :class:`SmtpTransport` (the ``emails`` package) when
``SEGUR_SMTP_HOST`` is set, else :class:`FileTransport`, which writes one
``.eml`` file per message under ``SEGUR_OUTBOX_DIR`` (the embedded default for
development and demos). This module does not import Reflex.
"""

from __future__ import annotations

import asyncio
import email.policy
import logging
import os
import re
import smtplib
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage as MimeMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol

import emails
import sqlalchemy as sa
from emails.backend.smtp import SMTPBackend
from emails.backend.response import SMTPResponse
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from segur_app.core.config import Settings, get_settings
from segur_app.core.db import get_engine
from segur_app.domain.mail_templates import SENSITIVE_TEMPLATES
from segur_app.domain.models import AuditEvent, EmailMessage, EmailStatus, utcnow

logger = logging.getLogger(__name__)

__all__ = [
    "AUDIT_EMAIL_FAILED",
    "AUDIT_EMAIL_SENT",
    "DeliveryReport",
    "FileTransport",
    "InvalidEmailError",
    "MailDeliveryError",
    "MailTransport",
    "OutgoingMail",
    "SmtpTransport",
    "deliver_due",
    "normalize_address",
    "queue_email",
    "requeue_failed",
    "retry_delay",
    "run_mail_worker",
    "sent_emails_for_dossier",
    "transport_from_settings",
]

AUDIT_EMAIL_SENT = "email_sent"
AUDIT_EMAIL_FAILED = "email_failed"

#: How much of a transport error is kept in ``EmailMessage.last_error``.
LAST_ERROR_MAX_CHARS = 2000
#: Minimum time a claimed message is reserved for the worker sending it.
MIN_LEASE = timedelta(minutes=5)
#: Stored instead of the body of a sensitive message once it has been sent.
REDACTED_BODY = (
    "[Contenu masqué après envoi : ce courriel contenait des informations confidentielles.]"
)

_PENDING = EmailStatus.PENDING.value
_SENT = EmailStatus.SENT.value
_FAILED = EmailStatus.FAILED.value

_TABLE: sa.Table = EmailMessage.__table__  # type: ignore[attr-defined]


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class InvalidEmailError(ValueError):
    """An address, subject or body that must not be queued (incl. header injection)."""


class MailDeliveryError(RuntimeError):
    """A transport could not hand a message over (server down, refusal...)."""


# --------------------------------------------------------------------------
# Queueing (in the caller's transaction)
# --------------------------------------------------------------------------

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS_RE = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")


def _has_line_break(value: str) -> bool:
    return any(ch in value for ch in "\r\n\x00") or len(value.splitlines()) > 1


def normalize_address(value: str) -> str:
    """Return ``value`` stripped if it is a plain ASCII ``local@domain`` address.

    Deliberately minimal (no DNS, no display names): it refuses what would break
    or abuse the SMTP envelope and headers — line breaks (header injection),
    spaces, several addresses, missing domain dot, over-long addresses.
    """
    if not isinstance(value, str):
        raise InvalidEmailError("L'adresse électronique doit être une chaîne.")
    if _has_line_break(value):
        raise InvalidEmailError("L'adresse électronique ne doit pas contenir de saut de ligne.")
    address = value.strip()
    local, _, _domain = address.rpartition("@")
    if (
        len(address) > 254
        or len(local) > 64
        or not _ADDRESS_RE.fullmatch(address)
    ):
        raise InvalidEmailError(f"Adresse électronique invalide : {address!r}")
    return address


def _check_header(name: str, value: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEmailError(f"{name} : valeur obligatoire.")
    if _has_line_break(value):
        raise InvalidEmailError(f"{name} : les sauts de ligne sont interdits.")
    if len(value) > max_length:
        raise InvalidEmailError(f"{name} : {max_length} caractères au maximum.")
    return value


def queue_email(
    session: Session,
    *,
    template: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    user_id: int | None = None,
    funding_request_id: int | None = None,
    enrolment_id: int | None = None,
) -> EmailMessage:
    """Add a ``pending`` outbox row to ``session`` — neither flushed nor committed.

    The caller commits it with the business change that triggered the email;
    a rollback discards it. The row is due immediately (``next_attempt_at`` =
    now). Raises :class:`InvalidEmailError` for an invalid recipient, a
    subject containing a line break (header injection) or an empty body.
    """
    address = normalize_address(to)
    _check_header("Modèle", template, 64)
    _check_header("Objet", subject, 255)
    if not isinstance(text, str) or not text.strip():
        raise InvalidEmailError("Le corps du message (texte) est obligatoire.")
    if html is not None and not html.strip():
        html = None
    now = utcnow()
    message = EmailMessage(
        template=str(template),
        to_address=address,
        subject=subject,
        body_text=text,
        body_html=html,
        user_id=user_id,
        funding_request_id=funding_request_id,
        enrolment_id=enrolment_id,
        status=_PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    return message


# --------------------------------------------------------------------------
# Transports
# --------------------------------------------------------------------------


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
        stamp = _as_utc(self.created_at).strftime("%Y%m%d%H%M%S") if self.created_at else "0"
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
        created = _as_utc(mail.created_at) if mail.created_at else utcnow()
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


# --------------------------------------------------------------------------
# Delivery
# --------------------------------------------------------------------------


def _as_utc(value: datetime) -> datetime:
    """Aware UTC datetime (SQLite hands back naive UTC values)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def retry_delay(attempts: int, *, base_seconds: float, max_seconds: float) -> timedelta:
    """Wait after the ``attempts``-th failure: ``base * 2 ** (attempts - 1)``, capped."""
    exponent = min(max(attempts - 1, 0), 60)
    return timedelta(seconds=min(base_seconds * 2.0**exponent, max_seconds))


def _format_error(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, MailDeliveryError) else f"{type(exc).__name__}: {exc}"
    if len(text) > LAST_ERROR_MAX_CHARS:
        text = text[: LAST_ERROR_MAX_CHARS - 1] + "…"
    return text


@dataclass(slots=True)
class DeliveryReport:
    """Outcome of one :func:`deliver_due` round."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: Due rows another worker claimed (or finished) first.
    skipped: int = 0

    @property
    def processed(self) -> int:
        return self.sent + self.retried + self.failed


def _audit_details(row: Any, error: str | None = None) -> str:
    details = f"{row.template} → {row.to_address} : « {row.subject} »"
    if error:
        details += f" — {error}"
    return details


def _claim(
    engine: Engine, message_id: int, seen: datetime, lease_until: datetime
) -> Any | None:
    """Compare-and-set claim; returns the row (committed as ours) or ``None``."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            sa.update(_TABLE)
            .where(
                _TABLE.c.id == message_id,
                _TABLE.c.status == _PENDING,
                _TABLE.c.next_attempt_at == seen,
            )
            .values(next_attempt_at=lease_until)
        )
        if result.rowcount != 1:
            return None
        return session.execute(sa.select(_TABLE).where(_TABLE.c.id == message_id)).one()


def _mark_sent(engine: Engine, row: Any, when: datetime) -> bool:
    values: dict[str, Any] = {
        "status": _SENT,
        "sent_at": when,
        "attempts": _TABLE.c.attempts + 1,
    }
    if row.template in SENSITIVE_TEMPLATES:
        values.update(body_text=REDACTED_BODY, body_html=None)
    with Session(engine) as session, session.begin():
        # No lease check: the message *was* accepted, whoever holds the lease.
        result = session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.id == row.id, _TABLE.c.status == _PENDING)
            .values(**values)
        )
        if result.rowcount != 1:
            return False
        session.add(
            AuditEvent(
                occurred_at=when,
                action=AUDIT_EMAIL_SENT,
                funding_request_id=row.funding_request_id,
                enrolment_id=row.enrolment_id,
                subject_user_id=row.user_id,
                new_status=_SENT,
                details=_audit_details(row),
            )
        )
    return True


def _mark_sent_while_leased(engine: Engine, row: Any, when: datetime, *,
                            lease_until: datetime) -> bool:
    """:func:`_mark_sent`, retried while the database is unreachable (a restart,
    a failover) and this worker still holds the lease: the SMTP server accepted
    the message, and giving up here would send it again once the lease expires."""
    delay = 0.2
    while True:
        try:
            return _mark_sent(engine, row, when)
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            if utcnow() + timedelta(seconds=delay + 30) >= lease_until:
                raise
            logger.warning("Email #%s sent; recording it failed (%s), retrying in %.1fs",
                           row.id, type(exc).__name__, delay)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


def _mark_failure(
    engine: Engine,
    row: Any,
    *,
    lease_until: datetime,
    when: datetime,
    error: str,
    settings: Settings,
) -> str | None:
    """Schedule a retry or give up; returns the new status, ``None`` if lease lost."""
    attempts = row.attempts + 1
    give_up = attempts >= max(settings.mail_max_attempts, 1)
    values: dict[str, Any] = {"attempts": attempts, "last_error": error}
    if give_up:
        values.update(status=_FAILED, next_attempt_at=when)
    else:
        values["next_attempt_at"] = when + retry_delay(
            attempts,
            base_seconds=settings.mail_retry_base_seconds,
            max_seconds=settings.mail_retry_max_seconds,
        )
    with Session(engine) as session, session.begin():
        result = session.execute(
            sa.update(_TABLE)
            .where(
                _TABLE.c.id == row.id,
                _TABLE.c.status == _PENDING,
                _TABLE.c.next_attempt_at == lease_until,
            )
            .values(**values)
        )
        if result.rowcount != 1:
            return None
        if give_up:
            session.add(
                AuditEvent(
                    occurred_at=when,
                    action=AUDIT_EMAIL_FAILED,
                    funding_request_id=row.funding_request_id,
                    enrolment_id=row.enrolment_id,
                    subject_user_id=row.user_id,
                    old_status=_PENDING,
                    new_status=_FAILED,
                    details=_audit_details(row, error),
                )
            )
    return _FAILED if give_up else _PENDING


def deliver_due(
    engine: Engine,
    *,
    transport: MailTransport,
    now: datetime | None = None,
    batch_size: int = 50,
    settings: Settings | None = None,
    lease: timedelta | None = None,
) -> DeliveryReport:
    """Send the due ``pending`` messages (at most ``batch_size``), oldest first.

    Safe to run concurrently from several threads or processes: each message
    is claimed by a committed compare-and-set before being sent. ``now`` fixes
    the clock (tests); otherwise the current UTC time is read at each step.
    ``lease`` (default: 5 minutes, or 6 × ``smtp_timeout`` if longer) is how
    long a claimed message is reserved; it must exceed the send duration.
    Back-off and give-up thresholds come from ``settings``. Transport errors
    never escape (they become retries); database errors do.
    """
    settings = settings or get_settings()
    if lease is None:
        lease = max(MIN_LEASE, timedelta(seconds=6 * settings.smtp_timeout))
    if lease <= timedelta(0):
        raise ValueError("lease must be positive")
    fixed = _as_utc(now) if now is not None else None

    def clock() -> datetime:
        return fixed if fixed is not None else utcnow()

    report = DeliveryReport()
    with engine.connect() as conn:
        candidates = conn.execute(
            sa.select(_TABLE.c.id, _TABLE.c.next_attempt_at)
            .where(_TABLE.c.status == _PENDING, _TABLE.c.next_attempt_at <= clock())
            .order_by(_TABLE.c.next_attempt_at, _TABLE.c.id)
            .limit(batch_size)
        ).all()

    for message_id, seen in candidates:
        lease_until = clock() + lease
        row = _claim(engine, message_id, seen, lease_until)
        if row is None:
            report.skipped += 1
            continue
        mail = OutgoingMail(
            to=row.to_address,
            subject=row.subject,
            text=row.body_text,
            html=row.body_html,
            outbox_id=row.id,
            created_at=row.created_at,
        )
        try:
            transport.send(mail)
        except Exception as exc:  # noqa: BLE001 - any transport failure is retried
            error = _format_error(exc)
            status = _mark_failure(
                engine, row, lease_until=lease_until, when=clock(), error=error,
                settings=settings,
            )
            if status == _FAILED:
                report.failed += 1
                logger.error(
                    "Email #%s (%s) to %s failed for good after %s attempts: %s",
                    row.id, row.template, row.to_address, row.attempts + 1, error,
                )
            elif status == _PENDING:
                report.retried += 1
                logger.warning(
                    "Email #%s (%s) to %s not sent (attempt %s), will retry: %s",
                    row.id, row.template, row.to_address, row.attempts + 1, error,
                )
            else:
                report.skipped += 1
                logger.warning("Email #%s: lease lost while sending; left to its new owner", row.id)
            continue
        if _mark_sent_while_leased(engine, row, clock(), lease_until=lease_until):
            report.sent += 1
            logger.info("Email #%s (%s) sent to %s", row.id, row.template, row.to_address)
        else:
            report.skipped += 1
            logger.warning("Email #%s sent, but another worker had already finished it", row.id)
    return report


def requeue_failed(
    session: Session, *, ids: Iterable[int] | None = None, now: datetime | None = None
) -> int:
    """Put ``failed`` messages (all, or those in ``ids``) back to ``pending``.

    Their attempt counter restarts at 0 and they are due immediately; the last
    error is kept for reference. Not committed: the caller commits. Returns
    the number of messages requeued.
    """
    statement = (
        sa.update(EmailMessage)
        .where(col(EmailMessage.status) == _FAILED)
        .values(
            status=_PENDING,
            attempts=0,
            next_attempt_at=_as_utc(now) if now is not None else utcnow(),
        )
        .execution_options(synchronize_session="fetch")
    )
    if ids is not None:
        id_list = list(ids)
        if not id_list:
            return 0
        statement = statement.where(col(EmailMessage.id).in_(id_list))
    result = session.execute(statement)
    return int(result.rowcount or 0)


def sent_emails_for_dossier(session: Session, funding_request_id: int) -> list[EmailMessage]:
    """Sent emails of a funding request, newest first ("Courriels automatiques envoyés")."""
    statement = (
        select(EmailMessage)
        .where(
            col(EmailMessage.funding_request_id) == funding_request_id,
            col(EmailMessage.status) == _SENT,
        )
        .order_by(col(EmailMessage.sent_at).desc(), col(EmailMessage.id).desc())
    )
    return list(session.exec(statement).all())


# --------------------------------------------------------------------------
# Background worker
# --------------------------------------------------------------------------


async def run_mail_worker(
    stop: asyncio.Event | None = None,
    *,
    engine: Engine | None = None,
    transport: MailTransport | None = None,
    poll_seconds: float | None = None,
    settings: Settings | None = None,
    batch_size: int = 50,
) -> None:
    """Deliver due emails every ``poll_seconds`` until ``stop`` is set or cancelled.

    Usable as is as a Reflex lifespan task
    (``app.register_lifespan_task(run_mail_worker)``): no required argument;
    Reflex cancels it on shutdown. Each round runs :func:`deliver_due` in a
    thread; any exception is logged and the loop goes on. When a round fills a
    whole batch, the next one starts at once. A cancellation does not interrupt
    a round already running in its thread: that round finishes in the
    background (its claims protect the messages either way).
    """
    settings = settings or get_settings()
    poll = settings.mail_poll_seconds if poll_seconds is None else poll_seconds
    stop = stop or asyncio.Event()
    chosen_transport = transport or transport_from_settings(settings)
    logger.info("Mail worker started (%r, every %ss)", chosen_transport, poll)
    try:
        while not stop.is_set():
            backlog = False
            try:
                report = await asyncio.to_thread(
                    deliver_due,
                    engine or get_engine(),
                    transport=chosen_transport,
                    settings=settings,
                    batch_size=batch_size,
                )
                if report.processed or report.skipped:
                    logger.info(
                        "Mail worker: %s sent, %s to retry, %s failed, %s skipped",
                        report.sent, report.retried, report.failed, report.skipped,
                    )
                backlog = report.processed + report.skipped >= batch_size
            except Exception:
                logger.exception("Mail worker: delivery round failed; next try in %ss", poll)
            if backlog:
                await asyncio.sleep(0)
                continue
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll)
            except TimeoutError:
                pass
    except asyncio.CancelledError:
        logger.info("Mail worker cancelled")
        raise
    logger.info("Mail worker stopped")
