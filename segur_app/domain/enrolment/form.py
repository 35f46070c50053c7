"""The fields of « Effectuer ma demande d'enrôlement », step by step, and their checks.

The form has five steps (Entreprise, Représentant légal, Contact, Coordonnées
bancaires, Récapitulatif et envoi). :data:`FIELDS` describes every typed field
once — name, French label, step, hint, size — for the page and the checks
alike; :func:`validate_step` checks one step, :func:`validate_all` the whole
request and builds the :class:`EnrolmentData` to store. Plain Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from enum import IntEnum

from segur_app.domain import validators
from segur_app.domain.dates import group_iban
from segur_app.domain.validators import CIVILITIES, InvalidValue


class Step(IntEnum):
    COMPANY = 1
    LEGAL_REP = 2
    CONTACT = 3
    BANK = 4
    SUMMARY = 5

    @property
    def title(self) -> str:
        return STEP_TITLES[self]


STEP_TITLES: dict[Step, str] = {
    Step.COMPANY: "Entreprise",
    Step.LEGAL_REP: "Représentant légal",
    Step.CONTACT: "Contact",
    Step.BANK: "Coordonnées bancaires",
    Step.SUMMARY: "Récapitulatif et envoi",
}

MSG_RIB_REQUIRED = "Le relevé d'identité bancaire (RIB) est obligatoire."
MSG_CGU_REQUIRED = "Vous devez accepter les conditions générales d'utilisation pour envoyer votre demande."


@dataclass(frozen=True)
class FormField:
    """One typed field: ``name`` is the form/input name and the storage key."""

    name: str
    label: str
    step: Step
    max_length: int
    hint: str = ""
    autocomplete: str = "off"
    input_type: str = "text"
    store_length: int = 255


FIELDS: tuple[FormField, ...] = (
    FormField("ans_number", "N° unique de référencement (ANS)", Step.COMPANY, 16,
              hint="Exemple : tndSAS0032", store_length=32),
    FormField("siret", "SIRET", Step.COMPANY, 20, hint="14 chiffres, exemple : 39431067600017",
              store_length=14),
    FormField("company_name", "Dénomination sociale", Step.COMPANY, 255,
              autocomplete="organization"),
    FormField("street", "Voie", Step.COMPANY, 255, hint="Numéro et libellé de la voie",
              autocomplete="address-line1"),
    FormField("postal_code", "Code postal", Step.COMPANY, 5, hint="5 chiffres",
              autocomplete="postal-code", store_length=10),
    FormField("city", "Commune", Step.COMPANY, 120, autocomplete="address-level2",
              store_length=120),
    FormField("legal_rep_civility", "Civilité", Step.LEGAL_REP, 8, input_type="radio",
              store_length=8),
    FormField("legal_rep_last_name", "Nom", Step.LEGAL_REP, 120, store_length=120),
    FormField("legal_rep_first_name", "Prénom", Step.LEGAL_REP, 120, store_length=120),
    FormField("legal_rep_role", "Fonction", Step.LEGAL_REP, 120,
              hint="Exemple : Président, Gérant", store_length=120),
    FormField("contact_last_name", "Nom", Step.CONTACT, 120, autocomplete="family-name",
              store_length=120),
    FormField("contact_first_name", "Prénom", Step.CONTACT, 120, autocomplete="given-name",
              store_length=120),
    FormField("contact_email", "Adresse électronique", Step.CONTACT, 254,
              hint="Vos identifiants de connexion y seront envoyés. Format attendu : "
              "prenom.nom@domaine.fr", autocomplete="email", input_type="email",
              store_length=254),
    FormField("contact_email_confirmation", "Confirmation de l'adresse électronique",
              Step.CONTACT, 254, hint="Saisissez à nouveau l'adresse électronique",
              input_type="email", store_length=254),
    FormField("contact_phone", "Téléphone", Step.CONTACT, 20,
              hint="Exemple : 01 23 45 67 89", autocomplete="tel", input_type="tel",
              store_length=20),
    FormField("iban", "IBAN", Step.BANK, 42, hint="Exemple : FR76 3000 6000 0112 3456 7890 189",
              store_length=34),
    FormField("bic", "BIC", Step.BANK, 14, hint="8 ou 11 caractères, exemple : AGRIFRPPXXX",
              store_length=11),
    FormField("holder", "Titulaire", Step.BANK, 255, hint="Titulaire du compte"),
    FormField("domiciliation", "Domiciliation", Step.BANK, 255,
              hint="Banque et agence qui tiennent le compte"),
)
FIELDS_BY_NAME: dict[str, FormField] = {f.name: f for f in FIELDS}
COMPANY_FIELDS = ("ans_number", "siret", "company_name", "street", "postal_code", "city")


def step_fields(step: Step) -> tuple[FormField, ...]:
    return tuple(f for f in FIELDS if f.step == step)


def empty_values() -> dict[str, str]:
    return {f.name: "" for f in FIELDS}


@dataclass(frozen=True)
class EnrolmentData:
    """A complete, checked and normalised request, ready to be stored."""

    ans_number: str
    siret: str
    company_name: str
    street: str
    postal_code: str
    city: str
    legal_rep_civility: str
    legal_rep_last_name: str
    legal_rep_first_name: str
    legal_rep_role: str
    contact_last_name: str
    contact_first_name: str
    contact_email: str
    contact_phone: str
    iban: str
    bic: str
    holder: str
    domiciliation: str


Check = Callable[[FormField, str, Mapping[str, str]], str]


def _text(field: FormField, value: str, _: Mapping[str, str]) -> str:
    return validators.text(value, label=field.label, max_length=field.store_length)


def _name(field: FormField, value: str, _: Mapping[str, str]) -> str:
    return validators.person_name(value, label=field.label, max_length=field.store_length)


def _bic(_: FormField, value: str, cleaned: Mapping[str, str]) -> str:
    return validators.bic(value, iban_value=cleaned.get("iban"))


def _email_confirmation(_: FormField, value: str, cleaned: Mapping[str, str]) -> str:
    if "contact_email" in cleaned:
        validators.email_confirmation(value, email_value=cleaned["contact_email"])
    return cleaned.get("contact_email", "")


CHECKS: dict[str, Check] = {
    "ans_number": lambda _f, v, _c: validators.ans_number(v),
    "siret": lambda _f, v, _c: validators.siret(v),
    "company_name": _text,
    "street": _text,
    "postal_code": lambda _f, v, _c: validators.postal_code(v),
    "city": _text,
    "legal_rep_civility": lambda _f, v, _c: validators.civility(v),
    "legal_rep_last_name": _name,
    "legal_rep_first_name": _name,
    "legal_rep_role": _text,
    "contact_last_name": _name,
    "contact_first_name": _name,
    "contact_email": lambda _f, v, _c: validators.email(v),
    "contact_email_confirmation": _email_confirmation,
    "contact_phone": lambda _f, v, _c: validators.phone(v),
    "iban": lambda _f, v, _c: validators.iban(v),
    "bic": _bic,
    "holder": _text,
    "domiciliation": _text,
}


@dataclass(frozen=True)
class StepResult:
    cleaned: dict[str, str]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_step(step: Step, values: Mapping[str, str]) -> StepResult:
    """Check every field of ``step`` (in display order); one message per field."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for field in step_fields(step):
        try:
            cleaned[field.name] = CHECKS[field.name](field, values.get(field.name, ""), cleaned)
        except InvalidValue as exc:
            errors[field.name] = exc.message
    return StepResult(cleaned=cleaned, errors=errors)


@dataclass(frozen=True)
class FullResult:
    data: EnrolmentData | None
    errors: dict[str, str]
    first_invalid_step: Step | None


def validate_all(values: Mapping[str, str]) -> FullResult:
    """Check the four data steps; ``data`` only when everything is valid."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    first: Step | None = None
    for step in (Step.COMPANY, Step.LEGAL_REP, Step.CONTACT, Step.BANK):
        result = validate_step(step, values)
        cleaned.update(result.cleaned)
        errors.update(result.errors)
        if result.errors and first is None:
            first = step
    if errors:
        return FullResult(data=None, errors=errors, first_invalid_step=first)
    data = EnrolmentData(**{f.name: cleaned[f.name] for f in fields(EnrolmentData)})
    return FullResult(data=data, errors={}, first_invalid_step=None)


# ---------------------------------------------------------------------------
# « Récapitulatif »
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryLine:
    label: str
    value: str


@dataclass(frozen=True)
class SummarySection:
    step: int
    title: str
    lines: list[SummaryLine]


def display_value(name: str, value: str) -> str:
    if name == "legal_rep_civility":
        return CIVILITIES.get(value, value)
    if name == "iban":
        return group_iban(value)
    return value


def summary(data: EnrolmentData) -> list[SummarySection]:
    """What the « Récapitulatif » shows, step by step (the confirmation is left out)."""
    values = asdict(data)
    return [
        SummarySection(
            step=int(step),
            title=step.title,
            lines=[
                SummaryLine(f.label, display_value(f.name, values[f.name]))
                for f in step_fields(step)
                if f.name in values
            ],
        )
        for step in (Step.COMPANY, Step.LEGAL_REP, Step.CONTACT, Step.BANK)
    ]
