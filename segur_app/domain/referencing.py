"""The referencing file (« fichier json ») a supplier's ANS referencing produces.

The format is defined by ``data/referencing.schema.json`` (JSON Schema 2020-12)
and illustrated by ``data/referencing.example.json``; the README summarises it.
:func:`read_json_bytes` / :func:`read_json_text` check a file exactly as the
portal does — size (1 Mo), UTF-8, JSON syntax (duplicate keys and NaN refused),
the schema, then the SIRET checksum and referencing dates not in the future —
and return either every problem, each with its JSON path (``$.adresse.commune``)
and a French explanation, or what the portal reads from it. Plain Python.
"""

from __future__ import annotations

import json
import re
from itertools import islice
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

from segur_app.domain import validators
from segur_app.domain.uploads import UploadPolicy
from segur_app.domain.validators import InvalidValue

DATA_DIR = Path(__file__).parent / "data"
SCHEMA_PATH = DATA_DIR / "referencing.schema.json"
EXAMPLE_PATH = DATA_DIR / "referencing.example.json"

MAX_JSON_BYTES = 1024 * 1024
"""« 1 Mo » (1 MiB), as the upload hint says."""
JSON_UPLOAD = UploadPolicy(label="Fichier json", extensions=(".json",), max_bytes=MAX_JSON_BYTES,
                           browser_types=(("application/json", (".json",)),))
"""The file fields of the referencing file (read and checked here, never stored)."""
MAX_PROBLEMS = 200
ROOT = "$"

MSG_TOO_LARGE = "Le fichier dépasse la taille maximum de 1 Mo."
MSG_EMPTY = "Le fichier est vide."
MSG_NOT_UTF8 = "Le fichier doit être encodé en UTF-8."
MSG_NOT_JSON_EXTENSION = "Seuls les fichiers .json sont acceptés."
MSG_TOO_DEEP = "Le document JSON est trop profondément imbriqué."

_TYPE_LABELS = {
    "string": "une chaîne de caractères (texte entre guillemets)",
    "object": "un objet ({ … })",
    "array": "une liste ([ … ])",
    "integer": "un nombre entier",
    "number": "un nombre",
    "boolean": "true ou false",
    "null": "null",
}
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The json module's syntax errors, in French.
_SYNTAX_ERRORS = {
    "Expecting property name enclosed in double quotes": "nom de champ entre guillemets attendu",
    "Expecting ',' delimiter": "virgule attendue",
    "Expecting ':' delimiter": "deux-points attendus",
    "Expecting value": "valeur attendue",
    "Unterminated string starting at": "chaîne de caractères non terminée",
    "Invalid control character at": "caractère de contrôle interdit dans une chaîne",
    "Invalid \\escape": "séquence d'échappement invalide",
    "Extra data": "données en trop après la fin du document",
}


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


@dataclass(frozen=True)
class ReferencedSolution:
    name: str
    version: str
    referenced_on: str
    """dd/mm/yyyy."""


@dataclass(frozen=True)
class ReferencingFile:
    """What the portal reads from a valid file."""

    ans_number: str
    corridor: str
    siret: str
    company_name: str
    street: str
    postal_code: str
    city: str
    address: str
    """Single line, as the portal prints it: ``184 av … , 92160, ANTONY``."""
    solutions: list[ReferencedSolution]


@dataclass(frozen=True)
class ReadResult:
    problems: list[Problem]
    file: ReferencingFile | None

    @property
    def ok(self) -> bool:
        return self.file is not None


@lru_cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def example_text() -> str:
    return EXAMPLE_PATH.read_text(encoding="utf-8")


@dataclass(frozen=True)
class FieldDoc:
    path: str
    description: str


def format_fields() -> list[FieldDoc]:
    """Every field of the format with its description, from the schema itself."""

    def walk(node: dict[str, Any], prefix: str) -> list[FieldDoc]:
        docs: list[FieldDoc] = []
        for name, prop in node.get("properties", {}).items():
            path = f"{prefix}.{name}" if prefix else name
            docs.append(FieldDoc(path, prop.get("description", "")))
            if prop.get("type") == "object":
                docs += walk(prop, path)
            elif prop.get("type") == "array":
                docs += walk(prop.get("items", {}), f"{path}[]")
        return docs

    return walk(schema(), "")


# ---------------------------------------------------------------------------
# Paths and messages
# ---------------------------------------------------------------------------


def json_path(parts: Any) -> str:
    """``['adresse', 'code_postal']`` → ``$.adresse.code_postal``; indexes as ``[0]``."""
    path = ROOT
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER_RE.match(part):
            path += f".{part}"
        else:
            path += "[" + json.dumps(part, ensure_ascii=False) + "]"
    return path


def _problems_for(error: SchemaError) -> list[Problem]:
    path = list(error.absolute_path)
    keyword = error.validator
    if keyword == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        return [
            Problem(json_path([*path, name]), f"Le champ « {name} » est obligatoire.")
            for name in missing
        ]
    if keyword == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        return [
            Problem(json_path([*path, name]),
                    f"Le champ « {name} » n'est pas prévu par le format du fichier.")
            for name in error.instance
            if name not in known
        ]
    return [Problem(json_path(path), _message(error))]


def _message(error: SchemaError) -> str:
    keyword, expected = error.validator, error.validator_value
    if keyword == "type":
        return f"La valeur doit être {_TYPE_LABELS.get(expected, expected)}."
    if keyword == "const":
        return f"La valeur doit être {json.dumps(expected, ensure_ascii=False)}."
    if keyword in ("pattern", "format") and "x-message" in error.schema:
        return error.schema["x-message"]
    if (keyword == "pattern" and expected == "\\S") or keyword == "minLength":
        return "La valeur ne doit pas être vide."
    if keyword == "maxLength":
        return f"La valeur ne doit pas dépasser {expected} caractères."
    if keyword == "minItems":
        return f"La liste doit contenir au moins {expected} élément(s)."
    if keyword == "maxItems":
        return f"La liste ne doit pas contenir plus de {expected} éléments."
    return f"La valeur ne respecte pas le format attendu (règle « {keyword} »)."


def _semantic_problems(document: Any, *, today: date) -> list[Problem]:
    """Checks JSON Schema cannot express: SIRET checksum, dates not in the future."""
    if not isinstance(document, dict):
        return []
    problems: list[Problem] = []
    siret = document.get("siret")
    if isinstance(siret, str) and re.fullmatch(validators.SIRET_PATTERN, siret):
        try:
            validators.siret(siret)
        except InvalidValue as exc:
            problems.append(Problem(json_path(["siret"]), exc.message))
    solutions = document.get("solutions")
    for index, solution in enumerate(solutions if isinstance(solutions, list) else []):
        value = solution.get("date_referencement") if isinstance(solution, dict) else None
        try:
            referenced = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            continue
        if referenced is not None and referenced > today:
            problems.append(Problem(
                json_path(["solutions", index, "date_referencement"]),
                "La date de référencement ne peut pas être postérieure à la date du jour.",
            ))
    return problems


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"constant {name}")


def _parse(text: str) -> tuple[Any, list[Problem]]:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys,
                          parse_constant=_refuse_constant), []
    except _DuplicateKey as exc:
        return None, [Problem(ROOT, f"Le champ « {exc.key} » apparaît plusieurs fois "
                                    "dans un même objet.")]
    except json.JSONDecodeError as exc:
        what = _SYNTAX_ERRORS.get(exc.msg, "erreur de syntaxe")
        return None, [Problem(ROOT, f"Le texte n'est pas un JSON valide : {what} "
                                    f"(ligne {exc.lineno}, colonne {exc.colno}).")]
    except ValueError:
        return None, [Problem(ROOT, "Les valeurs NaN et Infinity ne sont pas autorisées en JSON.")]
    except RecursionError:
        return None, [Problem(ROOT, MSG_TOO_DEEP)]


def _date_fr(value: str) -> str:
    return date.fromisoformat(value).strftime("%d/%m/%Y")


def _reading(document: dict[str, Any]) -> ReferencingFile:
    address = document["adresse"]
    street, city = " ".join(address["voie"].split()), " ".join(address["commune"].split())
    return ReferencingFile(
        ans_number=document["numero_referencement_ans"],
        corridor=document["couloir"],
        siret=document["siret"],
        company_name=" ".join(document["denomination_sociale"].split()),
        street=street,
        postal_code=address["code_postal"],
        city=city,
        address=f"{street} , {address['code_postal']}, {city}",
        solutions=[
            ReferencedSolution(
                name=" ".join(s["nom"].split()),
                version=s["version"].strip(),
                referenced_on=_date_fr(s["date_referencement"]),
            )
            for s in document["solutions"]
        ],
    )


def check_document(document: Any, *, today: date | None = None) -> ReadResult:
    """Validate a parsed JSON document against the schema and the extra rules."""
    try:
        # Lazily produced: a huge hostile document costs at most MAX_PROBLEMS errors.
        errors = list(islice(_validator().iter_errors(document), MAX_PROBLEMS))
    except RecursionError:
        return ReadResult(problems=[Problem(ROOT, MSG_TOO_DEEP)], file=None)
    problems = [p for error in errors for p in _problems_for(error)]
    problems += _semantic_problems(document, today=today or date.today())
    problems = sorted(set(problems), key=lambda p: (p.path, p.message))[:MAX_PROBLEMS]
    if problems:
        return ReadResult(problems=problems, file=None)
    return ReadResult(problems=[], file=_reading(document))


def read_json_text(text: str, *, today: date | None = None) -> ReadResult:
    """Pasted text (at most 1 Mo once encoded in UTF-8)."""
    if not text.strip():
        return ReadResult(problems=[Problem(ROOT, "Le texte à vérifier est vide.")], file=None)
    if len(text.encode("utf-8")) > MAX_JSON_BYTES:
        return ReadResult(problems=[Problem(ROOT, MSG_TOO_LARGE)], file=None)
    document, problems = _parse(text.removeprefix("\ufeff"))
    if problems:
        return ReadResult(problems=problems, file=None)
    return check_document(document, today=today)


def read_json_bytes(data: bytes, *, filename: str = "fichier.json",
                    today: date | None = None) -> ReadResult:
    """An uploaded ``.json`` file: 1 Mo max, UTF-8 (a BOM is tolerated)."""
    if not filename.lower().strip().endswith(".json"):
        return ReadResult(problems=[Problem(ROOT, MSG_NOT_JSON_EXTENSION)], file=None)
    if len(data) > MAX_JSON_BYTES:
        return ReadResult(problems=[Problem(ROOT, MSG_TOO_LARGE)], file=None)
    if not data.strip():
        return ReadResult(problems=[Problem(ROOT, MSG_EMPTY)], file=None)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ReadResult(problems=[Problem(ROOT, MSG_NOT_UTF8)], file=None)
    return read_json_text(text, today=today)
