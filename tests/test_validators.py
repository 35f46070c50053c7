"""Checks of the typed values: SIRET, ANS number, IBAN, BIC, phone, email, names."""

from __future__ import annotations

import pytest

from segur_app.domain import validators
from segur_app.domain.validators import InvalidValue


def refused(check, value, **kwargs) -> str:
    with pytest.raises(InvalidValue) as exc:
        check(value, **kwargs)
    return exc.value.message


# --------------------------------------------------------------------------
# SIRET
# --------------------------------------------------------------------------

VALID_SIRETS = {
    "39431067600017": "39431067600017",  # the guide's demo supplier LE SELECT
    "394 310 676 00017": "39431067600017",
    "394.310.676.00017": "39431067600017",
    "73282932000074": "73282932000074",
    "81234567600017": "81234567600017",
    "35600000000048": "35600000000048",  # La Poste: a special rule, not Luhn
}


@pytest.mark.parametrize(("raw", "expected"), VALID_SIRETS.items())
def test_valid_sirets(raw, expected):
    assert validators.siret(raw) == expected


@pytest.mark.parametrize(("raw", "fragment"), [
    ("", "Le SIRET est obligatoire."),
    ("   ", "Le SIRET est obligatoire."),
    ("3943106760001", "exactement 14 chiffres"),
    ("394310676000170", "exactement 14 chiffres"),
    ("3943106760001A", "exactement 14 chiffres"),
    ("39431067600018", "clé de contrôle"),
    ("12345678901234", "clé de contrôle"),
    ("00000000000001", "clé de contrôle"),
])
def test_invalid_sirets(raw, fragment):
    assert fragment in refused(validators.siret, raw)


# --------------------------------------------------------------------------
# N° unique de référencement (ANS)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("tndSAS0032", "tndSAS0032"),
    (" TNDsas0032 ", "tndSAS0032"),
    ("abcSAS9999", "abcSAS9999"),
])
def test_valid_ans_numbers(raw, expected):
    assert validators.ans_number(raw) == expected


@pytest.mark.parametrize("raw", ["tndSAS032", "tndSAS00321", "tndSIH0032", "t1dSAS0032", "SAS0032"])
def test_invalid_ans_numbers(raw):
    assert "3 lettres, « SAS » puis 4 chiffres" in refused(validators.ans_number, raw)
    assert refused(validators.ans_number, "") == "Le N° unique de référencement (ANS) est obligatoire."


# --------------------------------------------------------------------------
# IBAN and BIC
# --------------------------------------------------------------------------

VALID_IBANS = {
    "FR7630006000011234567890189": "FR7630006000011234567890189",  # demo data
    "FR76 3000 6000 0112 3456 7890 189": "FR7630006000011234567890189",
    "fr14 2004 1010 0505 0001 3m02 606": "FR1420041010050500013M02606",
    "DE89 3704 0044 0532 0130 00": "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32": "GB82WEST12345698765432",
    "NL91 ABNA 0417 1643 00": "NL91ABNA0417164300",
}


@pytest.mark.parametrize(("raw", "expected"), VALID_IBANS.items())
def test_valid_ibans(raw, expected):
    assert validators.iban(raw) == expected


@pytest.mark.parametrize(("raw", "fragment"), [
    ("", "L'IBAN est obligatoire."),
    ("FR76_3000_6000", "que des lettres et des chiffres"),
    ("FR76 3000 6000 0112 3456 7890 18é", "que des lettres et des chiffres"),
    ("7630006000011234567890189", "commencer par le code pays"),
    ("FRXX30006000011234567890189", "commencer par le code pays"),
    ("XX7630006000011234567890189", "« XX » de l'IBAN n'est pas reconnu"),
    ("FR763000600001123456789018", "Un IBAN FR comporte 27 caractères ; vous en avez saisi 26."),
    ("DE8937040044053201300", "Un IBAN DE comporte 22 caractères"),
    ("FR7630006000011234567890188", "clé de contrôle"),
    ("FR7630006000011234567890198", "clé de contrôle"),
    ("DE89370400440532013001", "clé de contrôle"),
    ("FR76300060000112345678901AB", "format des comptes FR"),
])
def test_invalid_ibans(raw, fragment):
    assert fragment in refused(validators.iban, raw)


@pytest.mark.parametrize(("raw", "iban", "expected"), [
    ("AGRIFRPPXXX", "FR7630006000011234567890189", "AGRIFRPPXXX"),
    ("agri fr pp", "FR7630006000011234567890189", "AGRIFRPP"),
    ("BNPAGPGP", "FR7630006000011234567890189", "BNPAGPGP"),  # Guadeloupe uses FR IBANs
    ("DEUTDEFF500", "DE89370400440532013000", "DEUTDEFF500"),
    ("NWBKGB2L", None, "NWBKGB2L"),
])
def test_valid_bics(raw, iban, expected):
    assert validators.bic(raw, iban_value=iban) == expected


@pytest.mark.parametrize(("raw", "iban", "fragment"), [
    ("", None, "Le BIC est obligatoire."),
    ("AGRIFRP", None, "8 ou 11 caractères"),
    ("AGRIFRPPXX", None, "8 ou 11 caractères"),
    ("AGR1FRPP", None, "8 ou 11 caractères"),
    ("AGRIQQPP", None, "« QQ » du BIC n'est pas reconnu"),
    ("DEUTDEFF", "FR7630006000011234567890189",
     "Le BIC (pays « DE ») ne correspond pas au pays de l'IBAN (« FR »)."),
    ("AGRIFRPP", "DE89370400440532013000", "pays « FR »"),
])
def test_invalid_bics(raw, iban, fragment):
    assert fragment in refused(validators.bic, raw, iban_value=iban)


# --------------------------------------------------------------------------
# Phone and email
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("0146000000", "01 46 00 00 00"),
    ("01 46 00 00 00", "01 46 00 00 00"),
    ("01.46.00.00.00", "01 46 00 00 00"),
    ("06-12-34-56-78", "06 12 34 56 78"),
    ("+33 6 12 34 56 78", "06 12 34 56 78"),
    ("+33 (0)6 12 34 56 78", "06 12 34 56 78"),
    ("0033612345678", "06 12 34 56 78"),
    ("09 70 00 00 00", "09 70 00 00 00"),
])
def test_valid_phones(raw, expected):
    assert validators.phone(raw) == expected


@pytest.mark.parametrize("raw", [
    "014600000", "01460000000", "00 46 00 00 00", "+44 20 7946 0958", "+3361234567",
    "01 46 00 00 0a", "1234567890",
])
def test_invalid_phones(raw):
    assert "numéro français à 10 chiffres" in refused(validators.phone, raw)
    assert refused(validators.phone, "") == "Le numéro de téléphone est obligatoire."


@pytest.mark.parametrize(("raw", "expected"), [
    ("camille.martin@editeur.fr", "camille.martin@editeur.fr"),
    ("  Camille.Martin@Editeur.FR ", "Camille.Martin@editeur.fr"),
    ("c+segur@sous.domaine.example", "c+segur@sous.domaine.example"),
])
def test_valid_emails(raw, expected):
    assert validators.email(raw) == expected


@pytest.mark.parametrize("raw", [
    "camille", "camille@", "@editeur.fr", "camille@editeur", "camille martin@editeur.fr",
    "camille@editeur.fr\nBcc: x@y.fr", "a@b.fr,c@d.fr", "é@editeur.fr",
])
def test_invalid_emails(raw):
    assert "n'est pas valide" in refused(validators.email, raw)


def test_email_confirmation():
    validators.email_confirmation("Camille.Martin@editeur.fr", email_value="camille.martin@editeur.fr")
    assert "ne sont pas identiques" in refused(
        validators.email_confirmation, "camille@editeur.fr", email_value="camille.martin@editeur.fr"
    )
    assert "deuxième fois" in refused(validators.email_confirmation, "", email_value="a@b.fr")


# --------------------------------------------------------------------------
# Texts, names, postal code, civility
# --------------------------------------------------------------------------


def test_texts_are_trimmed_and_bounded():
    assert validators.text("  LE   SELECT\x00 ", label="Dénomination sociale", max_length=255) == "LE SELECT"
    assert refused(validators.text, " ", label="Commune", max_length=120) == (
        "Le champ « Commune » est obligatoire."
    )
    assert "ne doit pas dépasser 5 caractères" in refused(
        validators.text, "abcdef", label="X", max_length=5
    )


@pytest.mark.parametrize("raw", ["Jean-Éric", "Le Gall", "O'Brien", "d’Artagnan", "Zoë"])
def test_valid_names(raw):
    assert validators.person_name(raw, label="Nom") == raw


@pytest.mark.parametrize("raw", ["Jean2", "<script>", "Jean_Eric", "--", "@"])
def test_invalid_names(raw):
    assert "que des lettres" in refused(validators.person_name, raw, label="Nom")


def test_postal_code_and_civility():
    assert validators.postal_code(" 92160 ") == "92160"
    assert "5 chiffres" in refused(validators.postal_code, "9216")
    assert "5 chiffres" in refused(validators.postal_code, "2A004")
    assert validators.civility("Mme") == "Mme" and validators.civility("M.") == "M."
    assert "civilité" in refused(validators.civility, "Dr")


def test_amounts_are_written_the_french_way():
    from segur_app.domain.dates import fr_amount

    assert fr_amount(30000) == "30\u202f000\u00a0€"
    assert fr_amount(70000) == "70\u202f000\u00a0€"
    assert fr_amount(1234567) == "1\u202f234\u202f567\u00a0€"
    assert fr_amount(0) == "0\u00a0€"
