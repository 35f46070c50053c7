"""What protects the public forms (enrolment, « Contacter l'assistance ») from robots.

A hidden field that a person never sees nor reaches (``components.forms.anti_robot_field``)
and a minimum fill time: a form sent with the field filled, or implausibly fast,
is refused with a neutral message and recorded (``AUDIT_BOT_SUSPECTED``). Each
form also counts its sendings per client address within :data:`ABUSE_WINDOW`
(``throttling.count_within_limit``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from segur_app.domain.accounts.events import audit

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
