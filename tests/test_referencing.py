"""The referencing file (« Simuler mon fichier json »): schema, errors, what is read."""

from __future__ import annotations

import copy
import json
import re
from datetime import date

import pytest
from jsonschema import Draft202012Validator

from segur_app.domain import referencing, validators
from segur_app.domain.referencing import Problem

TODAY = date(2024, 6, 1)


def example() -> dict:
    return json.loads(referencing.example_text())


def problems_of(document) -> list[Problem]:
    result = referencing.check_document(document, today=TODAY)
    assert result.file is None
    return result.problems


def test_the_schema_is_valid_and_documents_the_example():
    Draft202012Validator.check_schema(referencing.schema())
    schema = referencing.schema()
    assert set(schema["required"]) >= {
        "numero_referencement_ans", "couloir", "siret", "denomination_sociale", "adresse",
        "solutions",
    }
    # One definition of the formats, shared with the enrolment form.
    properties = schema["properties"]
    assert properties["numero_referencement_ans"]["pattern"] == validators.ANS_PATTERN
    assert properties["siret"]["pattern"] == validators.SIRET_PATTERN
    assert properties["adresse"]["properties"]["code_postal"]["pattern"] == validators.POSTAL_CODE_PATTERN


def test_every_field_is_described_for_the_help_screen():
    docs = referencing.format_fields()
    assert [d.path for d in docs][:3] == ["version_format", "numero_referencement_ans", "couloir"]
    assert "adresse.code_postal" in [d.path for d in docs]
    assert "solutions[].date_referencement" in [d.path for d in docs]
    assert all(d.description for d in docs)


def test_the_example_file_is_read():
    result = referencing.read_json_bytes(referencing.EXAMPLE_PATH.read_bytes(),
                                         filename="referencing.example.json", today=TODAY)
    assert result.ok and result.problems == []
    read = result.file
    assert (read.ans_number, read.corridor, read.siret, read.company_name) == (
        "tndSAS0032", "SAS", "39431067600017", "LE SELECT",
    )
    assert read.address == "184 av DU BOIS DE VERRIERES , 92160, ANTONY"
    assert [(s.name, s.version, s.referenced_on) for s in read.solutions] == [
        ("SELECT Régulation SAS", "2.4.1", "16/01/2023"),
        ("SELECT Agenda partagé", "1.0", "02/03/2023"),
    ]


def test_a_utf8_bom_and_surrounding_spaces_are_accepted():
    data = b"\xef\xbb\xbf  " + referencing.EXAMPLE_PATH.read_bytes()
    assert referencing.read_json_bytes(data, filename="REF.JSON", today=TODAY).ok


def mutate(path: list, value=..., *, delete: bool = False) -> dict:
    document = copy.deepcopy(example())
    target = document
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


BAD_DOCUMENTS = [
    (mutate(["siret"], delete=True), "$.siret", "Le champ « siret » est obligatoire."),
    (mutate(["adresse", "commune"], delete=True), "$.adresse.commune",
     "Le champ « commune » est obligatoire."),
    (mutate(["siret"], "394 310 676 00017"), "$.siret", "exactement 14 chiffres"),
    (mutate(["siret"], 39431067600017), "$.siret", "une chaîne de caractères"),
    (mutate(["siret"], "39431067600018"), "$.siret", "clé de contrôle"),
    (mutate(["numero_referencement_ans"], "TNDSAS0032"), "$.numero_referencement_ans",
     "3 lettres minuscules"),
    (mutate(["couloir"], "SIH"), "$.couloir", 'La valeur doit être "SAS".'),
    (mutate(["version_format"], "2.0"), "$.version_format", 'La valeur doit être "1.0".'),
    (mutate(["denomination_sociale"], "   "), "$.denomination_sociale", "ne doit pas être vide"),
    (mutate(["adresse", "code_postal"], "9216"), "$.adresse.code_postal", "5 chiffres"),
    (mutate(["adresse"], "184 av DU BOIS DE VERRIERES"), "$.adresse", "un objet"),
    (mutate(["solutions"], []), "$.solutions", "au moins 1 élément"),
    (mutate(["solutions", 0, "version"], delete=True), "$.solutions[0].version",
     "Le champ « version » est obligatoire."),
    (mutate(["solutions", 1, "date_referencement"], "02/03/2023"),
     "$.solutions[1].date_referencement", "format AAAA-MM-JJ"),
    (mutate(["solutions", 1, "date_referencement"], "2023-02-30"),
     "$.solutions[1].date_referencement", "date réelle"),
    (mutate(["solutions", 0, "date_referencement"], "2024-06-02"),
     "$.solutions[0].date_referencement", "postérieure à la date du jour"),
    (mutate(["editeur"], "X"), "$.editeur", "n'est pas prévu par le format"),
    (mutate(["solutions", 0, "nom de code"], "X"), "$.solutions[0][\"nom de code\"]",
     "n'est pas prévu par le format"),
    (mutate(["denomination_sociale"], "X" * 256), "$.denomination_sociale",
     "ne doit pas dépasser 255 caractères"),
    ([], "$", "un objet"),
]


@pytest.mark.parametrize(("document", "path", "fragment"), BAD_DOCUMENTS)
def test_each_error_has_its_json_path_and_a_french_explanation(document, path, fragment):
    problems = problems_of(document)
    assert any(p.path == path and fragment in p.message for p in problems), problems


def test_every_error_is_reported_at_once():
    document = mutate(["siret"], "123")
    del document["couloir"]
    document["solutions"][0]["date_referencement"] = "hier"
    paths = [p.path for p in problems_of(document)]
    assert paths == ["$.couloir", "$.siret", "$.solutions[0].date_referencement"]


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "vide"),
    ('{"siret": "1",}', "nom de champ entre guillemets attendu (ligne 1, colonne 15)"),
    ('{\n  "siret": 1\n  "couloir": "SAS"\n}', "virgule attendue (ligne 3, colonne 3)"),
    ('{"siret": "1"} x', "données en trop après la fin du document (ligne 1, colonne 16)"),
    ('{"siret": "1", "siret": "2"}', "« siret » apparaît plusieurs fois"),
    ('{"siret": NaN}', "NaN"),
    ("[" * 50000 + "]" * 50000, "trop profondément imbriqué"),
])
def test_unreadable_texts(text, fragment):
    result = referencing.read_json_text(text, today=TODAY)
    assert not result.ok
    assert [p.path for p in result.problems] == ["$"]
    assert fragment in result.problems[0].message


def test_file_limits():
    big = b'{"x": "' + b"a" * referencing.MAX_JSON_BYTES + b'"}'
    assert referencing.read_json_bytes(big, filename="f.json").problems[0].message == (
        "Le fichier dépasse la taille maximum de 1 Mo."
    )
    assert "UTF-8" in referencing.read_json_bytes("{}".encode("utf-16"), filename="f.json").problems[0].message
    assert ".json" in referencing.read_json_bytes(b"{}", filename="f.txt").problems[0].message
    assert referencing.read_json_bytes(b"  \n", filename="f.json").problems[0].message == "Le fichier est vide."
    assert referencing.read_json_text("é" * (referencing.MAX_JSON_BYTES // 2 + 1)).problems[0].message == (
        "Le fichier dépasse la taille maximum de 1 Mo."
    )


def test_a_huge_hostile_document_is_answered_quickly():
    import time

    text = "[" + ",".join(["{}"] * 300_000) + "]"
    started = time.monotonic()
    result = referencing.read_json_text('{"solutions": ' + text + "}")
    assert time.monotonic() - started < 5
    assert 0 < len(result.problems) <= referencing.MAX_PROBLEMS


def test_json_paths():
    assert referencing.json_path([]) == "$"
    assert referencing.json_path(["solutions", 2, "nom"]) == "$.solutions[2].nom"
    assert referencing.json_path(["a b"]) == '$["a b"]'
    assert re.fullmatch(r"\$\.adresse\.code_postal", referencing.json_path(["adresse", "code_postal"]))
