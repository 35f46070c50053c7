"""The outbox: an automatic email is a row added in the caller's transaction.

:func:`queue_email` validates the recipient and headers (no header injection)
and adds a ``pending`` :class:`~segur_app.domain.models.EmailMessage` to the
caller's session, so it is committed — or rolled back — with the event that
caused it. :func:`requeue_failed` puts failed rows back; :func:`sent_emails_for_dossier`
lists what a dossier was sent. Delivery is in :mod:`.delivery`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlmodel import Session, col, select

from segur_app.domain.dates import as_utc
from segur_app.domain.models import EmailMessage, EmailStatus, utcnow

__all__ = [
    "InvalidEmailError",
    "normalize_address",
    "queue_email",
    "requeue_failed",
    "sent_emails_for_dossier",
    "utc",
]

PENDING = EmailStatus.PENDING.value
SENT = EmailStatus.SENT.value
FAILED = EmailStatus.FAILED.value


def utc(value: datetime) -> datetime:
    """Aware UTC datetime (SQLite hands back naive UTC values)."""
    return as_utc(value).astimezone(timezone.utc)


class InvalidEmailError(ValueError):
    """An address, subject or body that must not be queued (incl. header injection)."""


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
        status=PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(message)
    return message



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
        .where(col(EmailMessage.status) == FAILED)
        .values(
            status=PENDING,
            attempts=0,
            next_attempt_at=utc(now) if now is not None else utcnow(),
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
            col(EmailMessage.status) == SENT,
        )
        .order_by(col(EmailMessage.sent_at).desc(), col(EmailMessage.id).desc())
    )
    return list(session.exec(statement).all())

