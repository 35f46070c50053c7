"""What protects the public forms (enrolment, « Contacter l'assistance ») from robots.

A hidden field that a person never sees nor reaches (``components.forms.anti_robot_field``)
and a minimum fill time: a form sent with the field filled, or implausibly fast,
is refused with a neutral message and recorded (``AUDIT_BOT_SUSPECTED``). Each
form also counts its sendings per client address within :data:`ABUSE_WINDOW`
(:func:`count_sending`, :func:`count_upload`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from segur_app.domain.accounts.events import audit
from segur_app.domain.models import utcnow
from segur_app.domain.throttling import count_within_limit

HONEYPOT_NAME = "site_internet"
MIN_FILL_SECONDS = 3.0
ABUSE_WINDOW = timedelta(hours=1)
AUDIT_BOT_SUSPECTED = "enrolment_bot_suspected"


def looks_automated(*, honeypot: str, elapsed_seconds: float | None) -> bool:
    """The hidden field was filled, or the form was sent implausibly fast."""
    return bool(honeypot.strip()) or elapsed_seconds is None or elapsed_seconds < MIN_FILL_SECONDS


def record_automated_attempt(
    session: Session, *, client_address: str | None, reason: str, now: datetime | None = None
) -> None:
    audit(session, AUDIT_BOT_SUSPECTED, client_address=client_address, now=now, reason=reason)


def count_sending(
    session: Session, *, action: str, throttled_action: str, limit: int,
    client_address: str | None, now: datetime | None = None,
) -> bool:
    """Count one sending of a public form (``action``) from ``client_address``;
    past ``limit`` within :data:`ABUSE_WINDOW`, False and ``throttled_action`` recorded."""
    now = now or utcnow()
    allowed = count_within_limit(session, window=ABUSE_WINDOW, action=action, limit=limit,
                                 client_address=client_address, now=now)
    if not allowed:
        audit(session, throttled_action, client_address=client_address, now=now)
    return allowed


def count_upload(
    session: Session, *, action: str, limit: int, client_address: str | None,
    now: datetime | None = None,
) -> bool:
    """Count one file staged from a public form; False past ``limit`` within
    :data:`ABUSE_WINDOW`."""
    return count_within_limit(session, window=ABUSE_WINDOW, action=action, limit=limit,
                              client_address=client_address, now=now or utcnow())
