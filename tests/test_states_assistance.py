"""« Contacter l'assistance » (public and logged in), « Mes demandes
d'assistance » and the staff's answers, driven without a browser. Guards are
in tests/test_authorisation_matrix.py.
"""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from segur_app import routes
from segur_app.core.config import get_settings
from segur_app.domain import anti_abuse
from segur_app.domain.anti_abuse import HONEYPOT_NAME
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    AssistanceTicket,
    Attachment,
    AuditEvent,
    EmailMessage,
    TicketStatus,
    UserAccount,
)
from segur_app.state.assistance import (
    MSG_FIX_ERRORS,
    MSG_SESSION_LOST,
    AssistanceFormState,
    MyTicketsState,
    StaffAssistanceState,
)
from segur_app.domain.assistance import tickets
from segur_app.domain.accounts import sessions
from tests.document_samples import elf_executable, valid_png
from tests.state_harness import Tab, fresh, point_app_at, scenario, seed_people, upload
from tests.storage_helpers import staged_names

PUBLIC_FORM = {"category": "connexion", "message": "Je n'arrive pas à me connecter.",
               "contact_name": "Jeanne Martin", "contact_email": "jeanne@exemple.fr",
               HONEYPOT_NAME: ""}


@pytest.fixture
def people(db, engine, tmp_path, monkeypatch):
    point_app_at(monkeypatch, engine, tmp_path / "storage")
    yield seed_people(db, tmp_path / "storage", deposit=False)
    get_settings.cache_clear()


@pytest.fixture
def storage(people):
    return get_settings().storage_dir


async def _form(token: str | None = None) -> tuple[Tab, AssistanceFormState]:
    tab = Tab(token=token, path=routes.ASSISTANCE)
    await tab.run(AssistanceFormState.load)
    form = await tab.state(AssistanceFormState)
    form._started_at -= 60  # shown a minute ago (the minimum fill time is a few seconds)
    return tab, form


def _tickets(db) -> list[AssistanceTicket]:
    fresh(db)  # see what the handlers committed
    return list(db.exec(select(AssistanceTicket).order_by(AssistanceTicket.id)))


def _mails(db, template: TemplateName) -> list[EmailMessage]:
    return list(db.exec(select(EmailMessage).where(EmailMessage.template == template.value)))


@scenario
async def test_a_public_request_gets_its_number_and_an_acknowledgement(db, people, storage):
    tab, form = await _form()
    assert form.logged_in is False and form.account_email == ""
    key = form.form_key

    await tab.run(AssistanceFormState.send, {**PUBLIC_FORM, "category": "", "contact_email": "x"})
    assert form.form_errors == [MSG_FIX_ERRORS] and form.submitted_number == ""
    assert form.errors["category"] == tickets.MSG_CATEGORY and form.errors["contact_email"]
    assert (form.message, form.contact_name) == (PUBLIC_FORM["message"], "Jeanne Martin")
    assert _tickets(db) == []

    await tab.run(AssistanceFormState.stage_file, [upload(elf_executable(), "capture.png")])
    assert form.file_name == "" and form.errors["attachment"].startswith("Pièce jointe")
    await tab.run(AssistanceFormState.file_rejected, [{"errors": [{"code": "file-too-large"}]}])
    assert form.errors["attachment"] == (
        "Pièce jointe : le fichier dépasse la taille maximum de 4 Mo.")
    await tab.run(AssistanceFormState.stage_file, [upload(valid_png(), "brouillon.png")])
    await tab.run(AssistanceFormState.remove_file)
    assert form.file_name == "" and staged_names(storage) == set()
    await tab.run(AssistanceFormState.stage_file, [upload(valid_png(), "capture.png")])
    assert (form.file_name, form.errors["attachment"]) == ("capture.png", "")

    await tab.run(AssistanceFormState.send, PUBLIC_FORM)
    number = form.submitted_number
    assert number.startswith("ASSSAS") and form.submitted_email == "jeanne@exemple.fr"
    assert (form.message, form.file_name, form.form_errors) == ("", "", [])
    assert form.form_key > key
    [ticket] = _tickets(db)
    assert (ticket.number, ticket.category, ticket.contact_email, ticket.user_id,
            ticket.status) == (number, "connexion", "jeanne@exemple.fr", None, "en_attente")
    piece = db.exec(select(Attachment).where(Attachment.ticket_id == ticket.id)).one()
    assert piece.original_name == "capture.png"
    assert [m.to_address for m in _mails(db, TemplateName.ASSISTANCE_ACKNOWLEDGEMENT)] == [
        "jeanne@exemple.fr"]
    assert staged_names(storage) == set()

    # A replayed « Envoyer » creates nothing; « Nouvelle demande » starts afresh.
    await tab.run(AssistanceFormState.send, PUBLIC_FORM)
    assert len(_tickets(db)) == 1
    await tab.run(AssistanceFormState.new_request)
    assert form.submitted_number == ""


@scenario
async def test_robots_are_refused_and_nothing_is_stored(db, people):
    tab = Tab(path=routes.ASSISTANCE)
    await tab.run(AssistanceFormState.load)
    form = await tab.state(AssistanceFormState)
    await tab.run(AssistanceFormState.send, PUBLIC_FORM)  # within a second of the display
    assert form.form_errors == [tickets.MSG_SENDING_FAILED]
    form._started_at -= 60
    await tab.run(AssistanceFormState.send, {**PUBLIC_FORM, HONEYPOT_NAME: "http://spam"})
    assert form.form_errors == [tickets.MSG_SENDING_FAILED] and form.submitted_number == ""
    assert _tickets(db) == []
    reasons = [json.loads(e.details)["reason"] for e in db.exec(select(AuditEvent).where(
        AuditEvent.action == anti_abuse.AUDIT_BOT_SUSPECTED).order_by(AuditEvent.id))]
    assert reasons == ["assistance_too_fast", "assistance_honeypot"]


@scenario
async def test_a_logged_in_supplier_writes_with_the_accounts_address(db, people):
    tab, form = await _form(people.owner)
    owner = db.exec(select(UserAccount).where(
        UserAccount.identifiant == "test.ecomplementaire")).one()
    assert form.logged_in and form.account_email == owner.email

    # No name or address to type, no anti-robot delay; the honeypot is not consulted.
    await tab.run(AssistanceFormState.send, {"category": "avance", "message": "Où en est-on ?",
                                             HONEYPOT_NAME: "rempli"})
    assert form.submitted_number and form.submitted_email == owner.email, form.form_errors
    [ticket] = _tickets(db)
    assert (ticket.user_id, ticket.contact_email) == (owner.id, owner.email)

    tab.navigate(routes.MY_TICKETS)
    await tab.run(MyTicketsState.load)
    mine = await tab.state(MyTicketsState)
    assert [(t.number, t.status) for t in mine.tickets] == [(ticket.number, "en_attente")]


@scenario
async def test_a_session_that_ended_since_the_form_was_shown_sends_nothing(db, people):
    tab, form = await _form(people.owner)
    assert form.logged_in
    sessions.revoke_session(db, people.owner)
    db.commit()
    await tab.run(AssistanceFormState.send, {"category": "avance", "message": "Bonjour"})
    assert form.form_errors == [MSG_SESSION_LOST] and form.submitted_number == ""
    assert form.logged_in is False and form.account_email == ""
    assert _tickets(db) == []


async def _staff(people) -> tuple[Tab, StaffAssistanceState]:
    tab = Tab(token=people.staff, path=routes.STAFF_ASSISTANCE)
    await tab.run(StaffAssistanceState.load)
    return tab, await tab.state(StaffAssistanceState)


@scenario
async def test_staff_answer_then_close_a_ticket(db, people):
    public, _ = await _form()
    await public.run(AssistanceFormState.send, PUBLIC_FORM)
    [ticket] = _tickets(db)
    tab, page = await _staff(people)
    assert [t.number for t in page.tickets] == [ticket.number] and page.open_tickets == 1

    await tab.run(StaffAssistanceState.answer, {"ticket_id": str(ticket.id), "answer": "  "})
    assert page.answer_errors == {str(ticket.id): tickets.MSG_ANSWER_REQUIRED}
    assert _tickets(db)[0].status == TicketStatus.OPEN.value
    key = page.form_key
    await tab.run(StaffAssistanceState.answer,
                  {"ticket_id": str(ticket.id), "answer": "Réinitialisez votre mot de passe."})
    assert page.message == f"La réponse à la demande {ticket.number} a été envoyée."
    assert page.answer_errors == {} and page.error == "" and page.form_key > key
    assert page.open_tickets == 0 and page.tickets[0].answer == "Réinitialisez votre mot de passe."
    [stored] = _tickets(db)
    agent = db.exec(select(UserAccount).where(UserAccount.identifiant == "agent.asp")).one()
    assert (stored.status, stored.answered_by_id) == (TicketStatus.ANSWERED.value, agent.id)
    [mail] = _mails(db, TemplateName.ASSISTANCE_ANSWER)
    assert mail.to_address == "jeanne@exemple.fr"
    assert "Réinitialisez votre mot de passe." in mail.body_text

    # Another agent's page still shows it open: a second answer is refused.
    await tab.run(StaffAssistanceState.answer, {"ticket_id": str(ticket.id), "answer": "Bis"})
    assert page.error == tickets.MSG_NOT_OPEN and page.message == ""
    assert len(_mails(db, TemplateName.ASSISTANCE_ANSWER)) == 1

    await tab.run(StaffAssistanceState.close, ticket.id)
    assert page.message == f"La demande {ticket.number} a été close." and page.error == ""
    assert _tickets(db)[0].status == TicketStatus.CLOSED.value
    await tab.run(StaffAssistanceState.close, ticket.id)
    assert page.error == tickets.MSG_ALREADY_CLOSED
    await tab.run(StaffAssistanceState.close, 999_999)
    assert page.error == tickets.MSG_NOT_FOUND
    await tab.run(StaffAssistanceState.answer, {"ticket_id": "abc", "answer": "x"})
    assert page.error == tickets.MSG_NOT_FOUND  # unchanged: a malformed id is ignored
