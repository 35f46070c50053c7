"""Opening accounts: identifiants, temporary passwords, the credentials email.

Used at enrolment approval (suppliers) and by ``python -m segur_app.cli create-staff``.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

import sqlalchemy as sa
from sqlmodel import Session, select

from datetime import datetime

from segur_app.core.security import hash_password
from segur_app.domain import mail, mail_templates
from segur_app.domain.accounts.first_login import TEMPORARY_PASSWORD_VALIDITY
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import Role, UserAccount, utcnow
from segur_app.domain.passwords import password_problems


IDENTIFIANT_MAX_LENGTH = 64
TEMPORARY_PASSWORD_LENGTH = 16
# Unambiguous characters only (no 0/O, 1/l/I): the password is typed from an email.
_LETTERS = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_SPECIALS = ".,;?!:%#"


def _slug(value: str) -> str:
    """Lower case, accents stripped, every run of other characters → ``-``."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", bare).strip("-")


def base_identifiant(first_name: str, last_name: str) -> str:
    """``prenom.nom``: « Jean-Éric », « Le Gall » → ``jean-eric.le-gall``."""
    first, last = _slug(first_name) or "utilisateur", _slug(last_name) or "sas"
    room = IDENTIFIANT_MAX_LENGTH - 4  # keep space for a numeric suffix
    identifiant = f"{first}.{last}"
    if len(identifiant) > room:
        identifiant = f"{first[: room // 2]}.{last}"[:room].rstrip("-.")
    return identifiant


def unique_identifiant(session: Session, first_name: str, last_name: str) -> str:
    """The base identifiant, or the first free ``base2``, ``base3``…"""
    base = base_identifiant(first_name, last_name)
    escaped = base.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    taken = {
        identifiant.lower()
        for identifiant in session.exec(
            select(UserAccount.identifiant).where(
                sa.func.lower(UserAccount.identifiant).like(f"{escaped}%", escape="\\")
            )
        ).all()
    }
    if base not in taken:
        return base
    suffix = 2
    while f"{base}{suffix}" in taken:
        suffix += 1
    return f"{base}{suffix}"


def temporary_password(identifiant: str) -> str:
    """A random password that satisfies every rule of ``passwords.password_problems``."""
    while True:
        chars = [
            secrets.choice(_LETTERS),
            secrets.choice(_DIGITS),
            secrets.choice(_SPECIALS),
            *(secrets.choice(_LETTERS + _DIGITS + _SPECIALS)
              for _ in range(TEMPORARY_PASSWORD_LENGTH - 3)),
        ]
        secrets.SystemRandom().shuffle(chars)
        password = "".join(chars)
        if not password_problems(password, identifiant=identifiant):
            return password



def open_account(
    session: Session,
    *,
    first_name: str,
    last_name: str,
    email: str,
    role: Role,
    supplier_id: int | None = None,
    now: datetime | None = None,
) -> tuple[UserAccount, str]:
    """Create an account with a temporary password (to change at first login).

    Returns the account and the clear password, which must only travel in the
    credentials email (see :func:`queue_credentials_email`). Caller commits.
    """
    now = now or utcnow()
    identifiant = unique_identifiant(session, first_name, last_name)
    password = temporary_password(identifiant)
    account = UserAccount(
        identifiant=identifiant,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role.value,
        supplier_id=supplier_id,
        password_hash=hash_password(password),
        must_change_password=True,
        temp_password_expires_at=now + TEMPORARY_PASSWORD_VALIDITY,
        created_at=now,
    )
    session.add(account)
    session.flush()  # a concurrent twin identifiant fails here (unique constraint)
    return account, password


def queue_credentials_email(
    session: Session,
    *,
    account: UserAccount,
    password: str,
    login_url: str,
    assistance_url: str | None = None,
    enrolment_id: int | None = None,
) -> None:
    content = mail_templates.account_credentials(
        account.identifiant, password, expires_at=account.temp_password_expires_at,
        login_url=login_url, assistance_url=assistance_url,
    )
    mail.queue_email(
        session, template=TemplateName.ACCOUNT_CREDENTIALS, to=account.email,
        subject=content.subject, text=content.text, html=content.html, user_id=account.id,
        enrolment_id=enrolment_id,
    )
