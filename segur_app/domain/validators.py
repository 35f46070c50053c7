"""Checks of the values a supplier types (SIRET, IBAN, BIC, phone, email...).

Every check takes the raw text, returns the normalised value to store, or
raises :class:`InvalidValue` whose ``message`` is the precise French sentence
shown next to the field. Nothing here touches the database (plain Python, no
Reflex import), so the same checks serve the forms, the referencing file and
the tests.

* **SIRET** — 14 digits (spaces and dots allowed while typing), Luhn checksum
  verified by python-stdnum (``stdnum.fr.siret``, which knows La Poste's
  exception).
* **N° unique de référencement (ANS)** — 3 letters, the corridor ``SAS``,
  4 digits (``tndSAS0032``); stored as letters in lower case + ``SAS``.
* **IBAN** — country code known to the IBAN registry, the length and the
  account structure of that country, then the ISO 7064 mod-97 checksum (and
  the national key where python-stdnum knows it, e.g. the French RIB key).
* **BIC** — ISO 9362 format with a known country (``stdnum.bic``), and that
  country consistent with the IBAN's: the same, or a territory that uses the
  IBAN country's scheme (French overseas territories use ``FR`` IBANs...).
* **Téléphone** — French number: ``0`` + 9 digits, or ``+33``/``0033`` + 9
  digits; stored as ``01 23 45 67 89``.
* **Email** — the outbox's own address rule (what it cannot send to, the form
  refuses), domain lower-cased.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import numdb
from stdnum.exceptions import ValidationError
from stdnum.fr import siret as stdnum_siret

from segur_app.domain.mail import InvalidEmailError, normalize_address

ANS_PATTERN = r"^[a-z]{3}SAS[0-9]{4}$"
"""Canonical N° unique de référencement (ANS); the JSON Schema uses the same."""
SIRET_PATTERN = r"^[0-9]{14}$"
POSTAL_CODE_PATTERN = r"^[0-9]{5}$"

CIVILITIES: dict[str, str] = {"Mme": "Madame", "M.": "Monsieur"}
"""Stored value → label of the « Civilité » choice."""

# BIC countries accepted for an IBAN country besides the same country.
IBAN_BIC_TERRITORIES: dict[str, frozenset[str]] = {
    "FR": frozenset({"GF", "GP", "MQ", "RE", "YT", "PM", "BL", "MF", "NC", "PF", "WF", "TF"}),
    "GB": frozenset({"GG", "JE", "IM"}),
    "FI": frozenset({"AX"}),
}

_ANS_INPUT_RE = re.compile(r"^([A-Za-z]{3})SAS([0-9]{4})$", re.IGNORECASE)
_IBAN_START_RE = re.compile(r"^[A-Z]{2}[0-9]{2}")
_IBAN_STRUCTURE_RE = re.compile(r"(\d+)!?([nac])")
_PHONE_SEPARATORS = re.compile(r"[\s.\-/]")
_NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '’.\-]+[^\W\d_]+)*\.?$")


class InvalidValue(ValueError):
    """A typed value refused; ``message`` is the French text for the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _without_controls(value: str) -> str:
    return "".join(c for c in value if unicodedata.category(c)[0] != "C")


def text(value: str | None, *, label: str, max_length: int, required: bool = True) -> str:
    """A free text (company name, street...): trimmed, spaces collapsed, no control."""
    cleaned = " ".join(_without_controls(value or "").split())
    if not cleaned:
        if required:
            raise InvalidValue(f"Le champ « {label} » est obligatoire.")
        return ""
    if len(cleaned) > max_length:
        raise InvalidValue(f"Le champ « {label} » ne doit pas dépasser {max_length} caractères.")
    return cleaned


def person_name(value: str | None, *, label: str, max_length: int = 120) -> str:
    """A last or first name: letters (accents allowed), spaces, apostrophes, hyphens."""
    cleaned = text(value, label=label, max_length=max_length)
    if not _NAME_RE.match(cleaned):
        raise InvalidValue(
            f"Le champ « {label} » ne doit contenir que des lettres, des espaces, des "
            "apostrophes ou des tirets."
        )
    return cleaned


def civility(value: str | None) -> str:
    if (value or "") not in CIVILITIES:
        raise InvalidValue("Veuillez choisir la civilité : Madame ou Monsieur.")
    return value


def ans_number(value: str | None) -> str:
    compact = "".join((value or "").split())
    if not compact:
        raise InvalidValue("Le N° unique de référencement (ANS) est obligatoire.")
    match = _ANS_INPUT_RE.match(compact)
    if not match:
        raise InvalidValue(
            "Le N° unique de référencement (ANS) doit comporter 3 lettres, « SAS » puis "
            "4 chiffres (exemple : tndSAS0032)."
        )
    return f"{match.group(1).lower()}SAS{match.group(2)}"


def siret(value: str | None) -> str:
    compact = stdnum_siret.compact(value or "")
    if not compact:
        raise InvalidValue("Le SIRET est obligatoire.")
    if not re.fullmatch(SIRET_PATTERN, compact):
        raise InvalidValue("Le SIRET doit comporter exactement 14 chiffres.")
    try:
        return stdnum_siret.validate(compact)
    except ValidationError:
        raise InvalidValue(
            "Le SIRET n'est pas valide : sa clé de contrôle ne correspond pas. Vérifiez "
            "les 14 chiffres saisis."
        ) from None


def postal_code(value: str | None) -> str:
    compact = "".join((value or "").split())
    if not compact:
        raise InvalidValue("Le code postal est obligatoire.")
    if not re.fullmatch(POSTAL_CODE_PATTERN, compact):
        raise InvalidValue("Le code postal doit comporter 5 chiffres (exemple : 92160).")
    return compact


def _iban_structure(country: str) -> list[tuple[int, str]] | None:
    """The registry's account structure of ``country``: [(size, kind)], kind in n/a/c."""
    info = numdb.get("iban").info(country)
    structure = info[0][1].get("bban") if info and len(info[0][0]) == 2 else None
    if not structure:
        return None
    return [(int(size), kind) for size, kind in _IBAN_STRUCTURE_RE.findall(structure)]


def _matches_structure(bban: str, structure: list[tuple[int, str]]) -> bool:
    classes = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
    pattern = "".join(f"{classes[kind]}{{{size}}}" for size, kind in structure)
    return re.fullmatch(pattern, bban) is not None


def iban(value: str | None) -> str:
    compact = stdnum_iban.compact(value or "")
    if not compact:
        raise InvalidValue("L'IBAN est obligatoire.")
    if not compact.isascii() or not compact.isalnum():
        raise InvalidValue("L'IBAN ne doit contenir que des lettres et des chiffres.")
    if not _IBAN_START_RE.match(compact):
        raise InvalidValue(
            "L'IBAN doit commencer par le code pays (2 lettres) suivi de 2 chiffres "
            "(exemple : FR76…)."
        )
    country = compact[:2]
    structure = _iban_structure(country)
    if structure is None:
        raise InvalidValue(f"Le code pays « {country} » de l'IBAN n'est pas reconnu.")
    expected = 4 + sum(size for size, _ in structure)
    if len(compact) != expected:
        raise InvalidValue(
            f"Un IBAN {country} comporte {expected} caractères ; vous en avez saisi "
            f"{len(compact)}."
        )
    if not _matches_structure(compact[4:], structure):
        raise InvalidValue(f"L'IBAN ne respecte pas le format des comptes {country}.")
    try:
        return stdnum_iban.validate(compact)
    except stdnum_iban.InvalidComponent:
        raise InvalidValue(
            "L'IBAN n'est pas valide : le code banque ou le numéro de compte n'est pas "
            "reconnu."
        ) from None
    except ValidationError:
        raise InvalidValue(
            "L'IBAN n'est pas valide : sa clé de contrôle ne correspond pas. Vérifiez les "
            "caractères saisis."
        ) from None


def bic(value: str | None, *, iban_value: str | None = None) -> str:
    """Check a BIC; with ``iban_value`` (already valid), also its country."""
    compact = stdnum_bic.compact(value or "")
    if not compact:
        raise InvalidValue("Le BIC est obligatoire.")
    try:
        compact = stdnum_bic.validate(compact)
    except stdnum_bic.InvalidComponent:
        raise InvalidValue(
            f"Le code pays « {compact[4:6]} » du BIC n'est pas reconnu."
        ) from None
    except ValidationError:
        raise InvalidValue(
            "Le BIC doit comporter 8 ou 11 caractères : 4 lettres (banque), 2 lettres "
            "(pays), 2 lettres ou chiffres (lieu) et, le cas échéant, 3 lettres ou "
            "chiffres (agence). Exemple : AGRIFRPPXXX."
        ) from None
    if iban_value:
        check_bic_country(compact, iban_value)
    return compact


def check_bic_country(bic_value: str, iban_value: str) -> None:
    iban_country, bic_country = iban_value[:2].upper(), bic_value[4:6].upper()
    if bic_country == iban_country or bic_country in IBAN_BIC_TERRITORIES.get(
        iban_country, frozenset()
    ):
        return
    raise InvalidValue(
        f"Le BIC (pays « {bic_country} ») ne correspond pas au pays de l'IBAN "
        f"(« {iban_country} »)."
    )


def phone(value: str | None) -> str:
    """A French phone number, returned as ``01 23 45 67 89``."""
    raw = (value or "").strip()
    if not raw:
        raise InvalidValue("Le numéro de téléphone est obligatoire.")
    compact = _PHONE_SEPARATORS.sub("", raw).replace("(0)", "")
    if compact.startswith("+33"):
        compact = "0" + compact[3:]
    elif compact.startswith("0033"):
        compact = "0" + compact[4:]
    if not re.fullmatch(r"0[1-9][0-9]{8}", compact):
        raise InvalidValue(
            "Le numéro de téléphone doit être un numéro français à 10 chiffres "
            "(exemples : 01 23 45 67 89 ou +33 1 23 45 67 89)."
        )
    return " ".join(compact[i : i + 2] for i in range(0, 10, 2))


def email(value: str | None) -> str:
    raw = (value or "").strip()
    if not raw:
        raise InvalidValue("L'adresse électronique est obligatoire.")
    try:
        address = normalize_address(raw)
    except InvalidEmailError:
        raise InvalidValue(
            "L'adresse électronique n'est pas valide (exemple : prenom.nom@domaine.fr)."
        ) from None
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def email_confirmation(value: str | None, *, email_value: str) -> None:
    if not (value or "").strip():
        raise InvalidValue("Veuillez saisir une deuxième fois l'adresse électronique.")
    if (value or "").strip().lower() != email_value.lower():
        raise InvalidValue("Les deux adresses électroniques saisies ne sont pas identiques.")
