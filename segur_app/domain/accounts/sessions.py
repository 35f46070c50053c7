"""Server-side sessions: the browser holds a random token, the database its SHA-256.

Sessions expire after 30 minutes idle and 12 hours in all, and are revoked at
logout and at every password change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from segur_app.core.security import hash_token, new_token
from segur_app.domain.accounts.events import audit
from segur_app.domain.models import UserAccount, UserSession, utcnow

__all__ = [
    "SESSION_ABSOLUTE_TIMEOUT",
    "SESSION_IDLE_TIMEOUT",
    "SESSION_TOUCH_INTERVAL",
    "open_session",
    "revoke_all_sessions",
    "revoke_other_sessions",
    "revoke_session",
]

SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is refreshed at most this often, to spare writes.
SESSION_TOUCH_INTERVAL = timedelta(seconds=60)


def open_session(
    session: Session,
    *,
    user: UserAccount,
    client_address: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> str:
    """Create a server-side session row; return the token for the browser."""
    now = now or utcnow()
    token = new_token()
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            last_seen_at=now,
            expires_at=now + SESSION_ABSOLUTE_TIMEOUT,
            client_address=(client_address or "")[:64] or None,
            user_agent=(user_agent or "")[:255] or None,
        )
    )
    return token


def revoke_session(session: Session, token: str | None, *, now: datetime | None = None) -> None:
    if not token:
        return
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == hash_token(token))
    ).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.add(row)
        audit(session, "logout", actor_user_id=row.user_id, subject_user_id=row.user_id,
              now=row.revoked_at)


def revoke_all_sessions(
    session: Session, *, user_id: int, keep_session_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """End every live session of the user (but ``keep_session_id``, if given)."""
    now = now or utcnow()
    query = select(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        query = query.where(UserSession.id != keep_session_id)
    rows = session.exec(query).all()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


def revoke_other_sessions(session: Session, *, user_id: int, keep_session_id: int) -> int:
    """End every session of the user except ``keep_session_id`` (« Mon compte »)."""
    count = revoke_all_sessions(session, user_id=user_id, keep_session_id=keep_session_id)
    if count:
        audit(session, "other_sessions_ended", actor_user_id=user_id, subject_user_id=user_id,
              count=count)
    return count
