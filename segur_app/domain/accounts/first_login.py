"""First login: the temporary password is replaced, then a secret question is set.

:func:`set_password` is the one way a password changes (first login, « Mon
compte », recovery): it clears the lockout counter, ends the other sessions
and emails a notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from segur_app.core.security import hash_password, verify_password
from segur_app.domain import mail, mail_templates, throttling
from segur_app.domain.accounts.events import audit
from segur_app.domain.accounts.sessions import revoke_all_sessions
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import UserAccount, utcnow
from segur_app.domain.passwords import normalise_secret_answer, password_problems

__all__ = [
    "MSG_ANSWER_REQUIRED",
    "MSG_ANSWER_TOO_SHORT",
    "MSG_QUESTION_REQUIRED",
    "MSG_QUESTION_TOO_LONG",
    "MSG_WRONG_OLD_PASSWORD",
    "STEP_CHANGE_PASSWORD",
    "STEP_HOME",
    "STEP_SECRET_QUESTION",
    "TEMPORARY_PASSWORD_VALIDITY",
    "PasswordChangeResult",
    "change_password",
    "next_step",
    "queue_password_changed_notice",
    "secret_question_problems",
    "set_password",
    "set_secret_question",
]

TEMPORARY_PASSWORD_VALIDITY = timedelta(days=7)

# What :func:`next_step` answers.
STEP_CHANGE_PASSWORD = "change_password"
STEP_SECRET_QUESTION = "secret_question"
STEP_HOME = "home"

MSG_WRONG_OLD_PASSWORD = "L'ancien mot de passe est incorrect."
MSG_QUESTION_REQUIRED = "La question secrète est obligatoire."
MSG_QUESTION_TOO_LONG = "La question secrète ne doit pas dépasser 255 caractères."
MSG_ANSWER_REQUIRED = "La réponse est obligatoire."
MSG_ANSWER_TOO_SHORT = "La réponse doit comporter au moins 3 caractères."


@dataclass(frozen=True)
class PasswordChangeResult:
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def set_password(
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
    set_password(session, user, new_password, now, keep_session_id=keep_session_id)
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
        return STEP_CHANGE_PASSWORD
    if user.needs_secret_question:
        return STEP_SECRET_QUESTION
    return STEP_HOME


def queue_password_changed_notice(session: Session, *, user: UserAccount) -> None:
    content = mail_templates.password_changed()
    mail.queue_email(
        session, template=TemplateName.PASSWORD_CHANGED, to=user.email,
        subject=content.subject, text=content.text, html=content.html, user_id=user.id,
    )
