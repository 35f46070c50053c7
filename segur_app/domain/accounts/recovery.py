"""Recovery: « J'ai oublié mon identifiant » and « J'ai oublié mon mot de passe ».

Both answer the same whatever happened (unknown address or identifiant, too
many requests from the client address); a reset link is single-use, valid 30
minutes, and burnt after 3 wrong answers to the secret question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.core.security import hash_token, new_token, verify_password
from segur_app.domain import mail, mail_templates
from segur_app.domain.accounts.events import audit
from segur_app.domain.accounts.first_login import set_password
from segur_app.domain.accounts.login import find_user
from segur_app.domain.dates import as_utc
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import PasswordResetToken, UserAccount, utcnow
from segur_app.domain.passwords import normalise_secret_answer, password_problems
from segur_app.domain.throttling import too_many_requests

__all__ = [
    "MSG_RESET_LINK_INVALID",
    "MSG_WRONG_ANSWER",
    "RECOVERY_LIMIT_PER_ADDRESS",
    "RESET_MAX_ANSWER_ATTEMPTS",
    "RESET_TOKEN_VALIDITY",
    "ResetResult",
    "accounts_for_email",
    "complete_password_reset",
    "create_reset_token",
    "live_reset_token",
    "live_token",
    "request_identifiant_reminder",
    "request_password_reset",
]

RESET_TOKEN_VALIDITY = timedelta(minutes=30)
RESET_MAX_ANSWER_ATTEMPTS = 3
# « J'ai oublié … » requests per client address per 15 minutes.
RECOVERY_LIMIT_PER_ADDRESS = 10

MSG_RESET_LINK_INVALID = (
    "Ce lien n'est plus valide. Faites une nouvelle demande depuis « J'ai oublié mon "
    "mot de passe »."
)
MSG_WRONG_ANSWER = "La réponse à la question secrète est incorrecte."


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


def live_token(session: Session, model, token: str | None, *, now: datetime | None = None):
    """The unused, unexpired row of ``model`` (a single-use emailed link:
    ``PasswordResetToken``, ``EmailChangeToken``) for ``token`` and its active
    account, or None."""
    if not token:
        return None
    now = now or utcnow()
    row = session.exec(select(model).where(model.token_hash == hash_token(token))).first()
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= now:
        return None
    user = session.get(UserAccount, row.user_id)
    if user is None or not user.is_active:
        return None
    return row, user


def live_reset_token(
    session: Session, token: str | None, *, now: datetime | None = None
) -> tuple[PasswordResetToken, UserAccount] | None:
    return live_token(session, PasswordResetToken, token, now=now)


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
    set_password(session, user, new_password, now)
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
