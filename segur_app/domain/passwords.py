"""Password rules of the portal, as stated on the password change screen.

    « Le mot de passe doit être différent de l'identifiant et comporter 8
    caractères minimum dont 1 chiffre et 1 caractère spécial minimum
    (exemples: .,;?!:%#). Les caractères accentués ne sont pas autorisés. »

On top of the guide's rules we refuse a password that contains the identifiant
(case-insensitive: « 2024!Jean.DUPONT » for ``jean.dupont``), the most common
passwords and the previous password.
Each violated rule yields its own French message.
"""

from __future__ import annotations

import string
import unicodedata
from functools import lru_cache
from pathlib import Path

from segur_app.core.security import verify_password

RULES_TEXT = (
    "Le mot de passe doit être différent de l'identifiant et comporter 8 caractères "
    "minimum dont 1 chiffre et 1 caractère spécial minimum (exemples: .,;?!:%#)."
)
ACCENTS_TEXT = "Les caractères accentués ne sont pas autorisés."

MIN_LENGTH = 8
MAX_LENGTH = 128
SPECIAL_CHARACTERS = frozenset(string.punctuation)

MSG_SAME_AS_IDENTIFIANT = "Le mot de passe doit être différent de l'identifiant."
MSG_CONTAINS_IDENTIFIANT = "Le mot de passe ne doit pas contenir l'identifiant."
MSG_TOO_SHORT = f"Le mot de passe doit comporter au moins {MIN_LENGTH} caractères."
MSG_TOO_LONG = f"Le mot de passe ne doit pas dépasser {MAX_LENGTH} caractères."
MSG_NO_DIGIT = "Le mot de passe doit comporter au moins 1 chiffre."
MSG_NO_SPECIAL = (
    "Le mot de passe doit comporter au moins 1 caractère spécial (exemples : .,;?!:%#)."
)
MSG_ACCENTS = ACCENTS_TEXT
MSG_FORBIDDEN_CHARACTERS = (
    "Le mot de passe ne doit contenir que des lettres non accentuées, des chiffres, "
    "des espaces et des caractères spéciaux."
)
MSG_TOO_COMMON = "Ce mot de passe est trop courant : choisissez-en un autre."
MSG_SAME_AS_PREVIOUS = "Le nouveau mot de passe doit être différent de l'ancien."
MSG_CONFIRMATION = "La confirmation ne correspond pas au nouveau mot de passe."

_COMMON_FILE = Path(__file__).parent / "data" / "common_passwords.txt"


@lru_cache
def common_passwords() -> frozenset[str]:
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def _is_common(password: str) -> bool:
    """Common as such, or a common word dressed up with digits/punctuation."""
    lowered = password.lower()
    if lowered in common_passwords():
        return True
    core = lowered.strip(string.digits + string.punctuation + " ")
    return len(core) >= 4 and core in common_passwords() and len(core) >= len(lowered) - 4


def _has_accent(password: str) -> bool:
    return any(
        unicodedata.category(c) == "Mn" for c in unicodedata.normalize("NFD", password)
    )


def password_problems(
    new_password: str,
    *,
    identifiant: str,
    confirmation: str | None = None,
    previous_hash: str | None = None,
) -> list[str]:
    """Every rule ``new_password`` breaks, as French messages (empty = valid)."""
    problems: list[str] = []
    folded_identifiant = identifiant.strip().casefold()
    folded_password = new_password.casefold()
    if folded_password.strip() == folded_identifiant:
        problems.append(MSG_SAME_AS_IDENTIFIANT)
    elif folded_identifiant and folded_identifiant in folded_password:
        problems.append(MSG_CONTAINS_IDENTIFIANT)
    if len(new_password) < MIN_LENGTH:
        problems.append(MSG_TOO_SHORT)
    if len(new_password) > MAX_LENGTH:
        problems.append(MSG_TOO_LONG)
    if not any(c in string.digits for c in new_password):
        problems.append(MSG_NO_DIGIT)
    if not any(c in SPECIAL_CHARACTERS for c in new_password):
        problems.append(MSG_NO_SPECIAL)
    if _has_accent(new_password):
        problems.append(MSG_ACCENTS)
    elif any(not (" " <= c <= "~") for c in new_password):
        problems.append(MSG_FORBIDDEN_CHARACTERS)
    if _is_common(new_password):
        problems.append(MSG_TOO_COMMON)
    if confirmation is not None and confirmation != new_password:
        problems.append(MSG_CONFIRMATION)
    if previous_hash and not problems and verify_password(previous_hash, new_password):
        problems.append(MSG_SAME_AS_PREVIOUS)
    return problems


def normalise_secret_answer(answer: str) -> str:
    """Case-, space- and accent-insensitive form of a secret answer."""
    decomposed = unicodedata.normalize("NFKD", answer)
    without_accents = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(without_accents.casefold().split())
