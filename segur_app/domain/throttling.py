"""Login throttling and per-address rate limits.

Two independent rules protect the login (``accounts.login.authenticate``):

* **Per identifiant** (the lockout): 5 wrong passwords for one identifiant
  within 24 hours lock it for 15 minutes. Attempts during the lock are refused
  without being counted and never extend it, so however many addresses keep
  hammering an account, the real user can log in again 15 minutes after the
  fifth failure (an attacker must fail 5 more times to lock it again). The
  counter is kept per identifiant *typed*, in ``login_throttle``, whether an
  account has that identifiant or not: an unknown identifiant gets exactly the
  same answers, after the same number of attempts, as a real one, so the
  lockout message does not reveal which identifiants exist. Keys are the
  SHA-256 of the normalised identifiant (NFKC, trimmed, case-folded); no
  account is created and nothing typed is stored in clear here.
* **Per client address**: 30 failed or refused logins from one address within
  15 minutes (any identifiants) slow that address down. The address must be
  the real client's (``segur_app.core.client_address``, which reads
  ``X-Forwarded-For`` from trusted proxies only): a flood from one address
  never blocks a login from another.

On PostgreSQL the counter row of the identifiant is locked (``SELECT … FOR
UPDATE``) before the password is verified, so parallel requests cannot try
more than 5 passwords before the lock; SQLite, the embedded single-writer
set-up, counts with an atomic upsert but does not serialise the verification.

``too_many_requests`` / ``count_within_limit`` are the generic per-address
limits of the public forms (recovery, assistance, enrolment), counted from the
audit trail; ``accounts`` re-exports them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from segur_app.domain.models import AuditEvent, LoginThrottle, utcnow

MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
# Failures older than this are forgotten (the counter starts again at 1).
FAILURE_MEMORY = timedelta(hours=24)
# Failed or refused logins from one client address (any identifiant) before it
# is slowed down, within ADDRESS_WINDOW.
MAX_FAILED_LOGINS_PER_ADDRESS = 30
ADDRESS_WINDOW = timedelta(minutes=15)
ADDRESS_FAILURE_ACTIONS = ("login_failed", "login_refused_locked")

_TABLE = LoginThrottle.__table__


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: they are UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def identifiant_key(identifiant: str | None) -> str | None:
    """The counter key of an identifiant as typed; None for a blank one."""
    normalised = unicodedata.normalize("NFKC", identifiant or "").strip().casefold()
    if not normalised:
        return None
    return hashlib.sha256(f"login:{normalised}".encode()).hexdigest()


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def locked_until(session: Session, key: str | None, *, now: datetime) -> datetime | None:
    """The end of the identifiant's lock if it is locked at ``now``, else None.

    On PostgreSQL this also takes the counter's row lock until the caller's
    transaction ends: call it before verifying the password.
    """
    if key is None:
        return None
    query = select(_TABLE.c.locked_until).where(_TABLE.c.key_hash == key)
    if _is_postgresql(session):
        session.execute(
            postgresql.insert(_TABLE).values(key_hash=key, failed_count=0)
            .on_conflict_do_nothing(index_elements=[_TABLE.c.key_hash])
        )
        query = query.with_for_update()
    until = _aware(session.execute(query).scalar())
    return until if until is not None and until > now else None


def record_failure(session: Session, key: str | None, *, now: datetime) -> tuple[int, bool]:
    """Count one wrong password for the identifiant; returns (failures, locked now).

    The fifth failure within ``FAILURE_MEMORY`` locks the identifiant for
    ``LOCK_DURATION`` and starts the count again.
    """
    if key is None:
        return 0, False
    insert = (postgresql.insert if _is_postgresql(session) else sqlite.insert)(_TABLE)
    forgotten = sa.or_(_TABLE.c.last_failure_at.is_(None),
                       _TABLE.c.last_failure_at < now - FAILURE_MEMORY)
    statement = (
        insert.values(key_hash=key, failed_count=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[_TABLE.c.key_hash],
            set_={"failed_count": sa.case((forgotten, 1), else_=_TABLE.c.failed_count + 1),
                  "last_failure_at": now},
        )
        .returning(_TABLE.c.failed_count)
    )
    failures = session.execute(statement).scalar_one()
    if failures < MAX_FAILED_LOGINS:
        return failures, False
    session.execute(
        sa.update(_TABLE).where(_TABLE.c.key_hash == key)
        .values(failed_count=0, locked_until=now + LOCK_DURATION)
    )
    return failures, True


def clear_failures(session: Session, identifiant: str | None) -> None:
    """Forget the identifiant's failures and lock (successful login, new password)."""
    key = identifiant_key(identifiant)
    if key is not None:
        session.execute(sa.delete(_TABLE).where(_TABLE.c.key_hash == key))


def purge_stale_counters(session: Session, *, now: datetime | None = None) -> int:
    """Delete counters that no longer matter (no lock, failures forgotten); caller commits.

    Run by the housekeeping task: a stale counter behaves exactly like a
    missing one, so purging never changes an answer.
    """
    now = now or utcnow()
    result = session.execute(
        sa.delete(_TABLE).where(
            sa.or_(_TABLE.c.last_failure_at.is_(None),
                   _TABLE.c.last_failure_at < now - FAILURE_MEMORY),
            sa.or_(_TABLE.c.locked_until.is_(None), _TABLE.c.locked_until <= now),
        )
    )
    return result.rowcount or 0


# ---------------------------------------------------------------------------
# Per client address
# ---------------------------------------------------------------------------


def too_many_requests(
    session: Session,
    *,
    action: str | Iterable[str],
    client_address: str | None,
    limit: int,
    window: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
) -> bool:
    """Per-address throttle for public forms, counted from the audit trail.

    ``action`` is one audit action or several counted together. Without an
    address (unknown peer) nothing is throttled.
    """
    if not client_address:
        return False
    actions = [action] if isinstance(action, str) else list(action)
    since = (now or utcnow()) - window
    count = session.exec(
        select(sa.func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.action.in_(actions),
            AuditEvent.client_address == client_address,
            AuditEvent.occurred_at >= since,
        )
    ).one()
    return count >= limit


def address_throttled(session: Session, client_address: str | None, *, now: datetime) -> bool:
    """Whether logins from ``client_address`` are refused for now."""
    return too_many_requests(session, action=ADDRESS_FAILURE_ACTIONS,
                             client_address=client_address,
                             limit=MAX_FAILED_LOGINS_PER_ADDRESS, window=ADDRESS_WINDOW, now=now)


def count_within_limit(
    session: Session,
    *,
    action: str,
    limit: int,
    client_address: str | None,
    window: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
) -> bool:
    """Record one ``action`` from ``client_address`` unless it already reached ``limit``
    within ``window``; returns whether it was allowed (public forms' rate limit)."""
    now = now or utcnow()
    if too_many_requests(session, action=action, client_address=client_address, limit=limit,
                         window=window, now=now):
        return False
    session.add(AuditEvent(action=action, client_address=client_address, occurred_at=now))
    return True
