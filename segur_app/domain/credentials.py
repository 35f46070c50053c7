"""Identifiants and temporary passwords of the accounts opened at enrolment approval."""

from __future__ import annotations

import re
import secrets
import unicodedata

import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.domain.models import UserAccount
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

