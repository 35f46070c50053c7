"""Login with lockout: generic errors, equal cost whether the identifiant exists.

An unknown identifiant still costs one Argon2 verification, so timing does not
reveal which identifiants exist. The lockout (5 failures → 15 minutes) is
counted per identifiant typed, existing or not, and the per-address limit
applies to the real client address: see ``throttling``. Callers pass
``client_address`` as computed by ``segur_app.core.client_address``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from segur_app.core.security import hash_password, needs_rehash, verify_password
from segur_app.domain import throttling
from segur_app.domain.accounts.events import audit
from segur_app.domain.accounts.sessions import open_session
from segur_app.domain.dates import as_utc
from segur_app.domain.models import UserAccount, utcnow

__all__ = [
    "MSG_BAD_CREDENTIALS",
    "MSG_BAD_CREDENTIALS_LOCKED",
    "MSG_LOCKED",
    "MSG_TEMPORARY_EXPIRED",
    "MSG_THROTTLED",
    "LoginResult",
    "authenticate",
    "find_user",
]

MSG_BAD_CREDENTIALS = "Identifiant ou mot de passe incorrect."
MSG_LOCKED = (
    "Suite à plusieurs tentatives infructueuses, le compte est verrouillé pendant "
    "15 minutes."
)
MSG_BAD_CREDENTIALS_LOCKED = f"{MSG_BAD_CREDENTIALS} {MSG_LOCKED}"
MSG_THROTTLED = (
    "Trop de tentatives de connexion depuis votre poste. Veuillez réessayer dans "
    "quelques minutes."
)
MSG_TEMPORARY_EXPIRED = (
    "Votre mot de passe provisoire a expiré. Utilisez « J'ai oublié mon mot de passe » "
    "pour en obtenir un nouveau."
)

# Verified when the identifiant is unknown, so that both paths cost the same.
_DUMMY_HASH = hash_password("dummy-password-for-timing#1")


def find_user(session: Session, identifiant: str) -> UserAccount | None:
    return session.exec(
        select(UserAccount).where(UserAccount.identifiant == identifiant.strip())
    ).first()



@dataclass(frozen=True)
class LoginResult:
    ok: bool
    error: str | None = None
    token: str | None = None
    user_id: int | None = None


def authenticate(
    session: Session,
    *,
    identifiant: str,
    password: str,
    client_address: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Check credentials; on success open a session and return its token.

    Answers never depend on whether the identifiant exists: an unknown one is
    verified against a dummy hash and counted, locked and refused exactly like
    a real one (``throttling``). Commits: failures and locks must be recorded
    whatever the caller does next.
    """
    now = now or utcnow()
    if throttling.address_throttled(session, client_address, now=now):
        audit(session, "login_throttled", client_address=client_address, now=now)
        session.commit()
        return LoginResult(ok=False, error=MSG_THROTTLED)
    key = throttling.identifiant_key(identifiant)
    # First: on PostgreSQL this locks the identifiant's counter until we commit.
    locked = throttling.locked_until(session, key, now=now)
    user = find_user(session, identifiant) if key else None
    if user is not None and not user.is_active:
        user = None
    password_ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    password_ok = password_ok and user is not None
    subject_user_id = user.id if user else None

    if locked:
        audit(session, "login_refused_locked", subject_user_id=subject_user_id,
              client_address=client_address, now=now)
        session.commit()
        return LoginResult(ok=False, error=MSG_BAD_CREDENTIALS_LOCKED)

    if not password_ok:
        failures, locked_now = throttling.record_failure(session, key, now=now)
        details = {"failures": failures} if user else {"identifiant": identifiant[:64]}
        audit(session, "login_failed", subject_user_id=subject_user_id,
              client_address=client_address, now=now, **details)
        if locked_now:
            audit(session, "account_locked", subject_user_id=subject_user_id,
                  client_address=client_address, now=now)
        session.commit()
        return LoginResult(ok=False,
                           error=MSG_BAD_CREDENTIALS_LOCKED if locked_now else MSG_BAD_CREDENTIALS)

    expires = as_utc(user.temp_password_expires_at)
    if user.must_change_password and expires and expires < now:
        audit(session, "login_refused_temporary_expired", subject_user_id=user.id,
              client_address=client_address, now=now)
        session.commit()
        return LoginResult(ok=False, error=MSG_TEMPORARY_EXPIRED)

    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    throttling.clear_failures(session, identifiant)
    user.last_login_at = now
    session.add(user)
    token = open_session(session, user=user, client_address=client_address,
                         user_agent=user_agent, now=now)
    audit(session, "login_succeeded", actor_user_id=user.id, subject_user_id=user.id,
          client_address=client_address, now=now)
    session.commit()
    return LoginResult(ok=True, token=token, user_id=user.id)
