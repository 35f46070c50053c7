"""« Effectuer ma demande d'enrôlement » and « Simuler mon fichier json »,
driven without a browser: the five steps with their errors, the RIB, the json
import, the anti-robot rules and the sending (ENRSAS number, acknowledgement
email). The staff side is in tests/test_states_enrolment_staff.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain import anti_abuse, referencing
from segur_app.domain.enrolment import rules
from segur_app.domain.enrolment.form import FIELDS, MSG_CGU_REQUIRED, MSG_RIB_REQUIRED, Step
from segur_app.domain.anti_abuse import HONEYPOT_NAME
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import Attachment, AuditEvent, EmailMessage, Enrolment, Supplier
from segur_app.state.enrolment_form import (
    MSG_IMPORTED,
    EnrolmentFormState,
    JsonSimulationState,
)
from tests.document_samples import elf_executable, valid_pdf
from tests.state_harness import Tab, fresh, point_app_at, scenario, seed_people, upload
from tests.storage_helpers import staged_names
from tests.test_enrolment import ANS, SIRET, form_values

EXAMPLE = json.loads((Path(referencing.__file__).parent / "data" / "referencing.example.json")
                     .read_text(encoding="utf-8"))


@pytest.fixture
def storage(db, engine, tmp_path, monkeypatch):
    """The demo data (LE SELECT is enrolled); the form is used anonymously."""
    path = tmp_path / "storage"
    point_app_at(monkeypatch, engine, path)
    seed_people(db, path, deposit=False)
    yield path
    get_settings.cache_clear()


def _step_form(step: Step, **overrides: str) -> dict[str, str]:
    values = form_values(**overrides)
    return {f.name: values[f.name] for f in FIELDS if f.step == step}


async def _open(tab_token: str = "tab-test") -> tuple[Tab, EnrolmentFormState]:
    tab = Tab(path=routes.ENROLMENT, tab_token=tab_token)
    await tab.run(EnrolmentFormState.load)
    return tab, await tab.state(EnrolmentFormState)


async def _to_summary(tab: Tab, form) -> None:
    for step in (Step.COMPANY, Step.LEGAL_REP, Step.CONTACT):
        await tab.run(EnrolmentFormState.save_step, _step_form(step))
        assert form.step == step + 1, form.errors
    await tab.run(EnrolmentFormState.stage_rib, [upload(valid_pdf(), "RIB société.pdf")])
    await tab.run(EnrolmentFormState.save_step, _step_form(Step.BANK))
    assert form.step == Step.SUMMARY, form.errors


def _enrolments(db, siret: str = SIRET) -> list[Enrolment]:
    fresh(db)  # see what the handlers committed
    return list(db.exec(select(Enrolment).join(Supplier, Supplier.id == Enrolment.supplier_id)
                        .where(Supplier.siret == siret)))


def _json(**overrides) -> bytes:
    return json.dumps({**EXAMPLE, **overrides}, ensure_ascii=False).encode()


@scenario
async def test_each_step_is_checked_before_the_next_one(db, storage):
    tab, form = await _open()
    assert form.step == Step.COMPANY

    out = await tab.run(EnrolmentFormState.save_step, _step_form(Step.COMPANY, siret="123"))
    assert form.step == Step.COMPANY and form.errors["siret"]
    assert form.form_errors == [form.errors["siret"]]
    assert out  # the focus moves to the first field in error
    await tab.run(EnrolmentFormState.save_step, _step_form(Step.COMPANY))
    assert form.step == Step.LEGAL_REP and form.form_errors == []
    assert form.values["siret"] == SIRET and form.errors["siret"] == ""

    await tab.run(EnrolmentFormState.save_step,
                  _step_form(Step.LEGAL_REP, legal_rep_last_name=""))
    assert form.step == Step.LEGAL_REP and form.errors["legal_rep_last_name"]
    await tab.run(EnrolmentFormState.save_step, _step_form(Step.LEGAL_REP))
    await tab.run(EnrolmentFormState.save_step, _step_form(
        Step.CONTACT, contact_email_confirmation="autre@editeur.example"))
    assert form.step == Step.CONTACT and form.errors["contact_email_confirmation"]
    await tab.run(EnrolmentFormState.save_step, _step_form(Step.CONTACT))

    # The bank step needs the RIB.
    await tab.run(EnrolmentFormState.save_step, _step_form(Step.BANK))
    assert form.step == Step.BANK and form.errors["rib"] == MSG_RIB_REQUIRED
    await tab.run(EnrolmentFormState.stage_rib, [upload(valid_pdf(), "rib.pdf")])
    assert form.rib_name == "rib.pdf" and form.errors["rib"] == ""
    await tab.run(EnrolmentFormState.save_step, _step_form(Step.BANK))
    assert form.step == Step.SUMMARY
    assert [section.step for section in form.recap] == [1, 2, 3, 4]
    assert "ÉDITEUR EXEMPLE" in json.dumps([s.__dict__ for s in form.recap], default=str,
                                          ensure_ascii=False)

    # « Étape précédente » and « Modifier » go back without losing anything.
    await tab.run(EnrolmentFormState.previous_step)
    assert form.step == Step.BANK and form.rib_name == "rib.pdf"
    await tab.run(EnrolmentFormState.edit_step, 2)
    assert form.step == Step.LEGAL_REP and form.values["legal_rep_last_name"] == "Durand"
    await tab.run(EnrolmentFormState.edit_step, 4)  # only earlier steps
    assert form.step == Step.LEGAL_REP
    # A field that loses the focus is kept even if the step is left without saving.
    await tab.run(EnrolmentFormState.remember, "legal_rep_role", "Directrice générale")
    await tab.run(EnrolmentFormState.remember, "pas_un_champ", "x")
    assert "pas_un_champ" not in form.values
    await tab.run(EnrolmentFormState.previous_step)
    assert form.step == Step.COMPANY
    await tab.run(EnrolmentFormState.save_step, _step_form(Step.COMPANY))
    assert form.values["legal_rep_role"] == "Directrice générale"


@scenario
async def test_an_already_enrolled_company_is_told_at_the_first_step(db, storage):
    tab, form = await _open()
    await tab.run(EnrolmentFormState.save_step,
                  _step_form(Step.COMPANY, siret="39431067600017", ans_number="tndSAS0032"))
    assert form.step == Step.COMPANY
    assert form.refusal == rules.MSG_ONE_ENROLMENT
    assert form.errors["siret"] == rules.MSG_SIRET_TAKEN


@scenario
async def test_the_rib_is_checked_replaced_and_removed(db, storage):
    tab, form = await _open()
    await tab.run(EnrolmentFormState.stage_rib, [upload(elf_executable(), "rib.pdf")])
    assert form.rib_name == "" and form.errors["rib"].startswith("Relevé d'identité bancaire")
    assert staged_names(storage) == set()
    await tab.run(EnrolmentFormState.stage_rib, [upload(valid_pdf(), "rib-1.pdf")])
    await tab.run(EnrolmentFormState.stage_rib, [upload(valid_pdf(), "rib-2.pdf")])
    assert (form.rib_name, form.errors["rib"]) == ("rib-2.pdf", "")
    assert len(staged_names(storage)) == 1
    await tab.run(EnrolmentFormState.remove_rib)
    assert form.rib_name == "" and staged_names(storage) == set()
    await tab.run(EnrolmentFormState.rib_rejected, [{"errors": [{"code": "file-too-large"}]}])
    assert form.errors["rib"].endswith("le fichier dépasse la taille maximum de 4 Mo.")


@scenario
async def test_the_json_file_fills_the_company_step(db, storage):
    tab, form = await _open()
    data = _json(siret=SIRET, numero_referencement_ans=ANS)
    await tab.run(EnrolmentFormState.import_file, [upload(b"{not json", "ref.json")])
    assert form.import_problems and form.import_message == ""
    assert form.values["siret"] == ""
    await tab.run(EnrolmentFormState.import_rejected, [{"errors": [{"code": "file-too-large"}]}])
    assert [p.message for p in form.import_problems] == [
        "Fichier json : le fichier dépasse la taille maximum de 1 Mo."]
    await tab.run(EnrolmentFormState.import_file, [upload(data, "ref.json")])
    assert form.import_message == MSG_IMPORTED and form.import_problems == []
    assert (form.values["siret"], form.values["company_name"], form.values["city"]) == (
        SIRET, "LE SELECT", "ANTONY")
    await tab.run(EnrolmentFormState.save_step, {**_step_form(Step.COMPANY), **{
        name: form.values[name] for name in ("ans_number", "siret", "company_name",
                                              "street", "postal_code", "city")}})
    assert form.step == Step.LEGAL_REP and form.import_message == ""
    # Past the first step, an import changes nothing.
    await tab.run(EnrolmentFormState.import_file, [upload(_json(siret="11111111111111"),
                                                          "ref.json")])
    assert form.values["siret"] == SIRET


@scenario
async def test_robots_are_refused_and_nothing_is_stored(db, storage):
    tab, form = await _open()
    await _to_summary(tab, form)
    await tab.run(EnrolmentFormState.send, {"cgu": "on"})  # sent within a second
    assert form.form_errors == [rules.MSG_AUTOMATED] and form.submitted_number == ""
    form._started_at -= 60  # the form was shown a minute ago
    await tab.run(EnrolmentFormState.send, {"cgu": "on", HONEYPOT_NAME: "https://spam"})
    assert form.form_errors == [rules.MSG_AUTOMATED]
    fresh(db)
    reasons = [json.loads(e.details)["reason"] for e in db.exec(select(AuditEvent).where(
        AuditEvent.action == anti_abuse.AUDIT_BOT_SUSPECTED).order_by(AuditEvent.id))]
    assert reasons == ["too_fast", "honeypot"]
    assert _enrolments(db) == []


@scenario
async def test_sending_gives_the_enrsas_number_and_emails_the_contact(db, storage):
    tab, form = await _open()
    await tab.run(EnrolmentFormState.send, {"cgu": "on"})  # not at the summary: ignored
    assert form.form_errors == [] and form.submitted_number == ""
    await _to_summary(tab, form)
    twin, twin_form = await _open("tab-twin")  # the same company, in another tab
    await _to_summary(twin, twin_form)
    form._started_at -= 60
    await tab.run(EnrolmentFormState.send, {})
    assert form.errors["cgu"] == MSG_CGU_REQUIRED and form.submitted_number == ""

    await tab.run(EnrolmentFormState.send, {"cgu": "on", HONEYPOT_NAME: ""})
    number = form.submitted_number
    assert number.startswith("ENRSAS") and len(number) == 12, form.form_errors
    assert form.submitted_email == "je.legall@editeur.example"
    assert form.step == Step.COMPANY and form.values["siret"] == "" and form.rib_name == ""

    [row] = _enrolments(db)
    assert row.number == number
    assert (row.contact_email, row.status) == ("je.legall@editeur.example", "a_instruire")
    rib = db.exec(select(Attachment).where(Attachment.enrolment_id == row.id)).one()
    assert (rib.kind, rib.original_name) == ("rib", "RIB société.pdf")
    mail = db.exec(select(EmailMessage).where(
        EmailMessage.template == TemplateName.ENROLMENT_ACKNOWLEDGEMENT.value)).one()
    assert (mail.to_address, mail.enrolment_id) == (row.contact_email, row.id)
    assert staged_names(storage) == {twin_form._staged["rib"].key}  # ours was published

    # The confirmation stays until the form is opened again; then it starts afresh.
    await tab.run(EnrolmentFormState.save_step, _step_form(Step.COMPANY))
    assert form.step == Step.COMPANY and form.submitted_number == number
    await tab.run(EnrolmentFormState.load)
    assert form.submitted_number == "" and form.step == Step.COMPANY

    # The same company cannot send a second request (the database decides).
    twin_form._started_at -= 60
    await twin.run(EnrolmentFormState.send, {"cgu": "on"})
    assert twin_form.submitted_number == "" and twin_form.submitting is False
    assert twin_form.refusal == rules.MSG_ONE_ENROLMENT
    assert len(_enrolments(db)) == 1


@scenario
async def test_the_json_simulation_checks_pasted_text_and_files(db, storage):
    tab = Tab(path=routes.JSON_SIMULATION)
    await tab.run(JsonSimulationState.load)
    page = await tab.state(JsonSimulationState)
    assert page.checked is False

    await tab.run(JsonSimulationState.check_text, {"json_text": _json().decode()})
    assert page.checked and page.problems == [] and page.source == "Texte collé"
    assert page.reading.siret == "39431067600017" and page.advance_amount == "30\u202f000\u00a0€"

    await tab.run(JsonSimulationState.check_text, {"json_text": '{"version_format": "1.0"}'})
    assert page.problems and page.reading is None

    await tab.run(JsonSimulationState.check_file, [upload(_json(siret="123"), "mon fichier.json")])
    assert page.source == "Fichier « mon fichier.json »" and page.file_name == "mon fichier.json"
    assert page.file_size.endswith("octets") and page.reading is None
    assert any("siret" in problem.path for problem in page.problems)

    await tab.run(JsonSimulationState.file_rejected, [{"errors": [{"code": "file-too-large"}]}])
    assert page.upload_error == "Fichier json : le fichier dépasse la taille maximum de 1 Mo."
    await tab.run(JsonSimulationState.load)
    assert page.checked is False and page.upload_error == "" and page.problems == []
