"""« Mon compte »: secret question, email address, recent logins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from segur_app.core.security import hash_token, new_token, verify_password
from segur_app.domain import mail, mail_templates
from segur_app.domain.accounts.events import audit
from segur_app.domain.accounts.first_login import set_secret_question
from segur_app.domain.accounts.recovery import live_token
from segur_app.domain.dates import fr_datetime
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import AuditEvent, EmailChangeToken, UserAccount, utcnow

__all__ = [
    "EMAIL_CHANGE_VALIDITY",
    "MSG_EMAIL_INVALID",
    "MSG_EMAIL_LINK_INVALID",
    "MSG_EMAIL_MISMATCH",
    "MSG_EMAIL_SAME",
    "MSG_WRONG_PASSWORD",
    "LoginView",
    "change_secret_question",
    "confirm_email_change",
    "recent_logins",
    "request_email_change",
]

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
    confirmation_mail = mail_templates.email_change_confirmation(user.identifiant,
                                                                 confirm_url_for(token))
    mail.queue_email(session, template=TemplateName.EMAIL_CHANGE_CONFIRMATION, to=address,
                     subject=confirmation_mail.subject, text=confirmation_mail.text,
                     html=confirmation_mail.html, user_id=user.id)
    notice = mail_templates.email_change_notice(user.identifiant, address)
    mail.queue_email(session, template=TemplateName.EMAIL_CHANGE_NOTICE, to=user.email,
                     subject=notice.subject, text=notice.text, html=notice.html,
                     user_id=user.id)
    audit(session, "email_change_requested", actor_user_id=user.id, subject_user_id=user.id,
          now=now, new_email=address)
    return []


def confirm_email_change(session: Session, *, token: str, now: datetime | None = None) -> str | None:
    """Apply a confirmed address change; returns the new address, or None."""
    now = now or utcnow()
    found = live_token(session, EmailChangeToken, token, now=now)
    if found is None:
        return None
    row, user = found
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
