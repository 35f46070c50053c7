"""Outbox delivery: claim the due rows, hand them to a transport, record the outcome.

:func:`deliver_due` picks the due ``pending`` rows and *claims* each one with a
portable compare-and-set ``UPDATE`` that pushes ``next_attempt_at`` forward by
a lease. The claim is committed before the message is handed to the
transport, so several workers never send the same message twice, and a worker
that dies mid-send only delays the message until the lease expires. On
success the row becomes ``sent``; on failure it stays ``pending`` with an
exponential back-off and, after ``mail_max_attempts`` failures, becomes
``failed``. Each final outcome is recorded as an ``AuditEvent``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from segur_app.core.config import Settings, get_settings
from segur_app.domain.mail.outbox import FAILED, PENDING, SENT, utc
from segur_app.domain.mail.transports import MailDeliveryError, MailTransport, OutgoingMail
from segur_app.domain.mail_templates import SENSITIVE_TEMPLATES
from segur_app.domain.models import AuditEvent, EmailMessage, utcnow

logger = logging.getLogger(__name__)

__all__ = [
    "AUDIT_EMAIL_FAILED",
    "AUDIT_EMAIL_SENT",
    "REDACTED_BODY",
    "DeliveryReport",
    "deliver_due",
    "retry_delay",
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

_TABLE: sa.Table = EmailMessage.__table__  # type: ignore[attr-defined]


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


def _outcome_event(row: Any, *, when: datetime, action: str, new_status: str, details: str,
                   old_status: str | None = None) -> AuditEvent:
    """The audit line of a message's final outcome, linked to its dossier or enrolment."""
    return AuditEvent(occurred_at=when, action=action, funding_request_id=row.funding_request_id,
                      enrolment_id=row.enrolment_id, subject_user_id=row.user_id,
                      old_status=old_status, new_status=new_status, details=details)


def _claim(
    engine: Engine, message_id: int, seen: datetime, lease_until: datetime
) -> Any | None:
    """Compare-and-set claim; returns the row (committed as ours) or ``None``."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            sa.update(_TABLE)
            .where(
                _TABLE.c.id == message_id,
                _TABLE.c.status == PENDING,
                _TABLE.c.next_attempt_at == seen,
            )
            .values(next_attempt_at=lease_until)
        )
        if result.rowcount != 1:
            return None
        return session.execute(sa.select(_TABLE).where(_TABLE.c.id == message_id)).one()


def _mark_sent(engine: Engine, row: Any, when: datetime) -> bool:
    values: dict[str, Any] = {
        "status": SENT,
        "sent_at": when,
        "attempts": _TABLE.c.attempts + 1,
    }
    if row.template in SENSITIVE_TEMPLATES:
        values.update(body_text=REDACTED_BODY, body_html=None)
    with Session(engine) as session, session.begin():
        # No lease check: the message *was* accepted, whoever holds the lease.
        result = session.execute(
            sa.update(_TABLE)
            .where(_TABLE.c.id == row.id, _TABLE.c.status == PENDING)
            .values(**values)
        )
        if result.rowcount != 1:
            return False
        session.add(_outcome_event(row, when=when, action=AUDIT_EMAIL_SENT, new_status=SENT,
                                   details=_audit_details(row)))
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
        values.update(status=FAILED, next_attempt_at=when)
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
                _TABLE.c.status == PENDING,
                _TABLE.c.next_attempt_at == lease_until,
            )
            .values(**values)
        )
        if result.rowcount != 1:
            return None
        if give_up:
            session.add(_outcome_event(row, when=when, action=AUDIT_EMAIL_FAILED,
                                       old_status=PENDING, new_status=FAILED,
                                       details=_audit_details(row, error)))
    return FAILED if give_up else PENDING


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
    fixed = utc(now) if now is not None else None

    def clock() -> datetime:
        return fixed if fixed is not None else utcnow()

    report = DeliveryReport()
    with engine.connect() as conn:
        candidates = conn.execute(
            sa.select(_TABLE.c.id, _TABLE.c.next_attempt_at)
            .where(_TABLE.c.status == PENDING, _TABLE.c.next_attempt_at <= clock())
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
            if status == FAILED:
                report.failed += 1
                logger.error(
                    "Email #%s (%s) to %s failed for good after %s attempts: %s",
                    row.id, row.template, row.to_address, row.attempts + 1, error,
                )
            elif status == PENDING:
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

