"""Accounts: login with lockout, server-side sessions, first login, recovery.

Every function takes the caller's ``Session`` and never commits, except where
noted: a failed login must be recorded even though the caller reports an error,
so ``authenticate`` commits its own bookkeeping.

Security notes
--------------
* Errors are generic ("Identifiant ou mot de passe incorrect.") and an unknown
  identifiant still costs one Argon2 verification, so timing does not reveal
  which identifiants exist. The lockout (5 failures → 15 minutes) is counted
  per identifiant typed, existing or not, and the per-address limit applies to
  the real client address: see ``throttling``. Callers pass
  ``client_address`` as computed by ``segur_app.core.client_address``.
* The browser only ever holds a random 256-bit token; the database stores its
  SHA-256. Sessions expire after 30 minutes idle and 12 hours in all, and are
  revoked at logout and at every password change.
* Argon2 work is CPU-heavy: Reflex handlers call these functions through
  ``asyncio.to_thread``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.core.security import (
    hash_password,
    hash_token,
    needs_rehash,
    new_token,
    verify_password,
)
from segur_app.domain import mail, mail_templates, throttling
from segur_app.domain.dates import as_utc, fr_datetime
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    AuditEvent,
    EmailChangeToken,
    PasswordResetToken,
    UserAccount,
    UserSession,
    utcnow,
)
from segur_app.domain.passwords import normalise_secret_answer, password_problems
from segur_app.domain.throttling import (  # noqa: F401  (public names of this module)
    LOCK_DURATION,
    MAX_FAILED_LOGINS,
    MAX_FAILED_LOGINS_PER_ADDRESS,
    count_within_limit,
    too_many_requests,
)

SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
# last_seen_at is refreshed at most this often, to spare writes.
SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
TEMPORARY_PASSWORD_VALIDITY = timedelta(days=7)
RESET_TOKEN_VALIDITY = timedelta(minutes=30)
RESET_MAX_ANSWER_ATTEMPTS = 3
# « J'ai oublié … » requests per client address per 15 minutes.
RECOVERY_LIMIT_PER_ADDRESS = 10

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
MSG_WRONG_OLD_PASSWORD = "L'ancien mot de passe est incorrect."
MSG_QUESTION_REQUIRED = "La question secrète est obligatoire."
MSG_QUESTION_TOO_LONG = "La question secrète ne doit pas dépasser 255 caractères."
MSG_ANSWER_REQUIRED = "La réponse est obligatoire."
MSG_ANSWER_TOO_SHORT = "La réponse doit comporter au moins 3 caractères."
MSG_RESET_LINK_INVALID = (
    "Ce lien n'est plus valide. Faites une nouvelle demande depuis « J'ai oublié mon "
    "mot de passe »."
)
MSG_WRONG_ANSWER = "La réponse à la question secrète est incorrecte."

# Verified when the identifiant is unknown, so that both paths cost the same.
_DUMMY_HASH = hash_password("dummy-password-for-timing#1")


def audit(
    session: Session,
    action: str,
    *,
    actor_user_id: int | None = None,
    client_address: str | None = None,
    subject_user_id: int | None = None,
    now: datetime | None = None,
    **details,
) -> None:
    session.add(
        AuditEvent(
            action=action,
            actor_user_id=actor_user_id,
            subject_user_id=subject_user_id,
            client_address=client_address,
            occurred_at=now or utcnow(),
            details=json.dumps(details, ensure_ascii=False) if details else None,
        )
    )


def find_user(session: Session, identifiant: str) -> UserAccount | None:
    return session.exec(
        select(UserAccount).where(UserAccount.identifiant == identifiant.strip())
    ).first()


# ---------------------------------------------------------------------------
# Login and sessions
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# First login: password change, secret question
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordChangeResult:
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def _set_password(
    session: Session, user: UserAccount, new_password: str, now: datetime,
    keep_session_id: int | None = None,
) -> None:
    # The counter first: logins lock it before the account row, so do we.
    throttling.clear_failures(session, user.identifiant)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.must_change_password = False
    user.temp_password_expires_at = None
    session.add(user)
    revoke_all_sessions(session, user_id=user.id, keep_session_id=keep_session_id, now=now)
    queue_password_changed_notice(session, user=user)


def change_password(
    session: Session,
    *,
    user: UserAccount,
    old_password: str,
    new_password: str,
    confirmation: str,
    keep_session_id: int | None = None,
    client_address: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> PasswordChangeResult:
    """Change a password: every session of the user ends but ``keep_session_id``
    (the browser that made the change, whose HttpOnly cookie a websocket
    handler could not replace)."""
    now = now or utcnow()
    if not verify_password(user.password_hash, old_password):
        return PasswordChangeResult(errors=[MSG_WRONG_OLD_PASSWORD])
    errors = password_problems(
        new_password,
        identifiant=user.identifiant,
        confirmation=confirmation,
        previous_hash=user.password_hash,
    )
    if errors:
        return PasswordChangeResult(errors=errors)
    _set_password(session, user, new_password, now, keep_session_id=keep_session_id)
    audit(session, "password_changed", actor_user_id=user.id, subject_user_id=user.id,
          client_address=client_address, now=now)
    return PasswordChangeResult(errors=[])


def secret_question_problems(question: str, answer: str) -> list[str]:
    problems = []
    if not question.strip():
        problems.append(MSG_QUESTION_REQUIRED)
    elif len(question.strip()) > 255:
        problems.append(MSG_QUESTION_TOO_LONG)
    normalised = normalise_secret_answer(answer)
    if not normalised:
        problems.append(MSG_ANSWER_REQUIRED)
    elif len(normalised) < 3:
        problems.append(MSG_ANSWER_TOO_SHORT)
    return problems


def set_secret_question(
    session: Session,
    *,
    user: UserAccount,
    question: str,
    answer: str,
    client_address: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    errors = secret_question_problems(question, answer)
    if errors:
        return errors
    user.secret_question = " ".join(question.split())
    user.secret_answer_hash = hash_password(normalise_secret_answer(answer))
    session.add(user)
    audit(session, "secret_question_set", actor_user_id=user.id, subject_user_id=user.id,
          client_address=client_address, now=now)
    return []


def next_step(user: UserAccount) -> str:
    """Where a logged-in user must go: 'change_password', 'secret_question' or 'home'."""
    if user.must_change_password:
        return "change_password"
    if user.needs_secret_question:
        return "secret_question"
    return "home"


# ---------------------------------------------------------------------------
# Forgotten identifiant / password
# ---------------------------------------------------------------------------


def accounts_for_email(session: Session, email: str) -> list[UserAccount]:
    normalised = email.strip().lower()
    if not normalised:
        return []
    return list(
        session.exec(
            select(UserAccount).where(
                UserAccount.is_active, sa.func.lower(UserAccount.email) == normalised
            )
        )
    )


def create_reset_token(
    session: Session, *, user: UserAccount, now: datetime | None = None
) -> str:
    """A single-use password reset token (returned in clear once, stored hashed)."""
    now = now or utcnow()
    for previous in session.exec(
        select(PasswordResetToken).where(
            PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)
        )
    ):
        previous.used_at = now  # only the newest link works
        session.add(previous)
    token = new_token()
    session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + RESET_TOKEN_VALIDITY,
        )
    )
    return token


def live_reset_token(
    session: Session, token: str | None, *, now: datetime | None = None
) -> tuple[PasswordResetToken, UserAccount] | None:
    if not token:
        return None
    now = now or utcnow()
    row = session.exec(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token))
    ).first()
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= now:
        return None
    user = session.get(UserAccount, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


@dataclass(frozen=True)
class ResetResult:
    errors: list[str]
    link_burnt: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def complete_password_reset(
    session: Session,
    *,
    token: str,
    answer: str,
    new_password: str,
    confirmation: str,
    client_address: str | None = None,
    now: datetime | None = None,
) -> ResetResult:
    """Check the secret answer (3 tries), then set the new password; caller commits.

    An account that never set its secret question is reset on the emailed
    link alone, and will be asked for the question at its next login.
    """
    now = now or utcnow()
    found = live_reset_token(session, token, now=now)
    if found is None:
        return ResetResult(errors=[MSG_RESET_LINK_INVALID], link_burnt=True)
    row, user = found
    if user.secret_answer_hash is not None and not verify_password(
        user.secret_answer_hash, normalise_secret_answer(answer)
    ):
        row.failed_answers += 1
        burnt = row.failed_answers >= RESET_MAX_ANSWER_ATTEMPTS
        if burnt:
            row.used_at = now
        session.add(row)
        audit(session, "password_reset_wrong_answer", subject_user_id=user.id,
              client_address=client_address, now=now, attempts=row.failed_answers)
        message = MSG_RESET_LINK_INVALID if burnt else (
            f"{MSG_WRONG_ANSWER} Il vous reste "
            f"{RESET_MAX_ANSWER_ATTEMPTS - row.failed_answers} essai(s)."
        )
        return ResetResult(errors=[message], link_burnt=burnt)
    errors = password_problems(
        new_password, identifiant=user.identifiant, confirmation=confirmation,
        previous_hash=user.password_hash,
    )
    if errors:
        return ResetResult(errors=errors)
    _set_password(session, user, new_password, now)
    row.used_at = now
    session.add(row)
    audit(session, "password_reset", subject_user_id=user.id,
          client_address=client_address, now=now)
    return ResetResult(errors=[])


def request_identifiant_reminder(
    session: Session,
    *,
    email: str,
    login_url: str,
    client_address: str | None = None,
    now: datetime | None = None,
) -> None:
    """Email the identifiant(s) of ``email``; silent when there is none.

    The caller shows the same message whatever happened (also when the client
    address asked too often and nothing is sent).
    """
    if too_many_requests(session, action="identifiant_reminder_requested",
                         client_address=client_address, limit=RECOVERY_LIMIT_PER_ADDRESS, now=now):
        return
    users = accounts_for_email(session, email)
    audit(session, "identifiant_reminder_requested", client_address=client_address,
          now=now, found=len(users))
    if not users:
        return
    content = mail_templates.identifiant_reminder(
        [u.identifiant for u in users], login_url=login_url
    )
    mail.queue_email(
        session, template=TemplateName.IDENTIFIANT_REMINDER, to=users[0].email,
        subject=content.subject, text=content.text, html=content.html,
        user_id=users[0].id,
    )


def request_password_reset(
    session: Session,
    *,
    identifiant: str,
    reset_url_for: Callable[[str], str],
    client_address: str | None = None,
    now: datetime | None = None,
) -> None:
    """Email a single-use reset link to the account; silent for unknown identifiants.

    ``reset_url_for(token)`` builds the absolute link (the UI owns routes).
    Nothing is sent when the client address asked too often.
    """
    now = now or utcnow()
    if too_many_requests(session, action="password_reset_requested",
                         client_address=client_address, limit=RECOVERY_LIMIT_PER_ADDRESS, now=now):
        return
    user = find_user(session, identifiant) if identifiant.strip() else None
    audit(session, "password_reset_requested", client_address=client_address, now=now,
          subject_user_id=user.id if user else None)
    if user is None or not user.is_active:
        return
    token = create_reset_token(session, user=user, now=now)
    content = mail_templates.password_reset(
        reset_url_for(token), expires_at=now + RESET_TOKEN_VALIDITY
    )
    mail.queue_email(
        session, template=TemplateName.PASSWORD_RESET, to=user.email,
        subject=content.subject, text=content.text, html=content.html, user_id=user.id,
    )


def queue_password_changed_notice(session: Session, *, user: UserAccount) -> None:
    content = mail_templates.password_changed()
    mail.queue_email(
        session, template=TemplateName.PASSWORD_CHANGED, to=user.email,
        subject=content.subject, text=content.text, html=content.html, user_id=user.id,
    )


# ---------------------------------------------------------------------------
# « Mon compte »
# ---------------------------------------------------------------------------

EMAIL_CHANGE_VALIDITY = timedelta(hours=24)
MSG_WRONG_PASSWORD = "Le mot de passe est incorrect."
MSG_EMAIL_INVALID = "L'adresse électronique n'est pas valide."
MSG_EMAIL_SAME = "C'est déjà l'adresse électronique de votre compte."
MSG_EMAIL_MISMATCH = "Les deux adresses électroniques ne sont pas identiques."
MSG_EMAIL_LINK_INVALID = "Ce lien de confirmation n'est plus valide."


def change_secret_question(
    session: Session,
    *,
    user: UserAccount,
    password: str,
    question: str,
    answer: str,
    client_address: str | None = None,
) -> list[str]:
    """Replace the secret question; the current password is required."""
    if not verify_password(user.password_hash, password):
        return [MSG_WRONG_PASSWORD]
    return set_secret_question(session, user=user, question=question, answer=answer,
                               client_address=client_address)


def request_email_change(
    session: Session,
    *,
    user: UserAccount,
    password: str,
    new_email: str,
    confirmation: str,
    confirm_url_for: Callable[[str], str],
    now: datetime | None = None,
) -> list[str]:
    """Send a confirmation link to the new address and a notice to the old one."""
    now = now or utcnow()
    if not verify_password(user.password_hash, password):
        return [MSG_WRONG_PASSWORD]
    try:
        address = mail.normalize_address(new_email)
    except mail.InvalidEmailError:
        return [MSG_EMAIL_INVALID]
    if address.lower() != confirmation.strip().lower():
        return [MSG_EMAIL_MISMATCH]
    if address.lower() == user.email.lower():
        return [MSG_EMAIL_SAME]
    token = new_token()
    session.add(EmailChangeToken(user_id=user.id, new_email=address, token_hash=hash_token(token),
                                 created_at=now, expires_at=now + EMAIL_CHANGE_VALIDITY))
    link = confirm_url_for(token)
    mail.queue_email(
        session, template="email_change_confirmation", to=address,
        subject="Confirmez votre nouvelle adresse électronique — portail Ségur Numérique",
        text=(
            "Madame, Monsieur,\n\nPour confirmer la nouvelle adresse électronique de votre "
            f"compte {user.identifiant} sur le portail Ségur Numérique, ouvrez ce lien "
            f"(valable 24 heures) :\n{link}\n\nSi vous n'êtes pas à l'origine de cette demande, "
            "ignorez ce message.\n\nL'Agence de services et de paiement.\n\nCe message a été "
            "généré automatiquement, merci de ne pas y répondre."
        ),
        user_id=user.id,
    )
    mail.queue_email(
        session, template="email_change_notice", to=user.email,
        subject="Changement d'adresse électronique demandé — portail Ségur Numérique",
        text=(
            "Madame, Monsieur,\n\nUn changement de l'adresse électronique de votre compte "
            f"{user.identifiant} vers {address} a été demandé. Il ne prendra effet qu'après "
            "confirmation depuis la nouvelle adresse.\n\nSi vous n'êtes pas à l'origine de "
            "cette demande, changez votre mot de passe et contactez l'assistance.\n\n"
            "L'Agence de services et de paiement.\n\nCe message a été généré automatiquement, "
            "merci de ne pas y répondre."
        ),
        user_id=user.id,
    )
    audit(session, "email_change_requested", actor_user_id=user.id, subject_user_id=user.id,
          now=now, new_email=address)
    return []


def confirm_email_change(session: Session, *, token: str, now: datetime | None = None) -> str | None:
    """Apply a confirmed address change; returns the new address, or None."""
    now = now or utcnow()
    row = session.exec(
        select(EmailChangeToken).where(EmailChangeToken.token_hash == hash_token(token or ""))
    ).first()
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= now:
        return None
    user = session.get(UserAccount, row.user_id)
    if user is None or not user.is_active:
        return None
    row.used_at = now
    user.email = row.new_email
    session.add_all([row, user])
    audit(session, "email_changed", subject_user_id=user.id, now=now, new_email=row.new_email)
    return row.new_email


@dataclass(frozen=True)
class LoginView:
    when: str
    client_address: str


def recent_logins(session: Session, *, user_id: int, limit: int = 10) -> list[LoginView]:
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "login_succeeded", AuditEvent.subject_user_id == user_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    return [
        LoginView(fr_datetime(e.occurred_at), e.client_address or "inconnue")
        for e in events
    ]


def revoke_other_sessions(session: Session, *, user_id: int, keep_session_id: int) -> int:
    """End every session of the user except ``keep_session_id`` (« Mon compte »)."""
    count = revoke_all_sessions(session, user_id=user_id, keep_session_id=keep_session_id)
    if count:
        audit(session, "other_sessions_ended", actor_user_id=user_id, subject_user_id=user_id,
              count=count)
    return count
