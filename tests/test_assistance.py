"""« Contacter l'assistance »: tickets, anti-abuse rules, staff answers, emails."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import select

from segur_app.core.security import hash_password
from segur_app.domain import documents, mail, storage, uploads
from segur_app.domain.assistance.tickets import TicketInput, TicketRefused
from segur_app.domain.assistance import staff_list as ticket_list, tickets, views
from segur_app.domain.mail_templates import TemplateName
from segur_app.domain.models import (
    AssistanceTicket,
    Attachment,
    AttachmentKind,
    AuditEvent,
    EmailMessage,
    Role,
    TicketStatus,
    UserAccount,
    utcnow,
)
from segur_app.domain.paging import Window
from segur_app.domain.pdf import simple_pdf
from tests.mail_helpers import ASSISTANCE_URL, mail_settings, running_smtp_server

NOW = datetime(2024, 3, 4, 9, 30, tzinfo=timezone.utc)
TICKETS_URL = "http://localhost:3000/aide/mes-demandes"


@pytest.fixture
def storage_dir(tmp_path) -> Path:
    return tmp_path / "storage"


def account(db, identifiant: str, *, role: str = Role.SUPPLIER.value) -> UserAccount:
    user = UserAccount(
        identifiant=identifiant, email=f"{identifiant}@exemple.fr", first_name="Camille",
        last_name="MARTIN", role=role, password_hash=hash_password("Segur2023!x"),
        must_change_password=False,
    )
    db.add(user)
    db.commit()
    return user


def public_input(**overrides) -> TicketInput:
    values = dict(category="avance", message="Comment joindre mon procès-verbal ?",
                  contact_email="Asst.Public@Exemple.FR", contact_name="Claire DUPONT")
    values.update(overrides)
    return TicketInput(**values)


def create(db, storage_dir, *, data=None, user_id=None, attachment=None, **kwargs):
    return tickets.create_ticket(
        db, data=data or public_input(), user_id=user_id, attachment=attachment,
        store=storage_dir, assistance_url=ASSISTANCE_URL, now=NOW, **kwargs,
    )


def stage(storage_dir) -> uploads.StagedDocument:
    return uploads.stage(simple_pdf(["Capture"]), "capture.pdf",
                         policy=tickets.ATTACHMENT_UPLOAD, store=storage_dir)


def test_a_public_ticket_is_numbered_stored_and_acknowledged(db, storage_dir):
    first = create(db, storage_dir, client_address="198.51.100.7")
    second = create(db, storage_dir)
    assert first.number == "ASSSAS000001" and second.number == "ASSSAS000002"
    assert first.contact_email == "Asst.Public@exemple.fr"
    ticket = db.get(AssistanceTicket, first.ticket_id)
    assert ticket.status == TicketStatus.OPEN.value and ticket.user_id is None
    assert ticket.contact_name == "Claire DUPONT" and ticket.category == "avance"
    emails = db.exec(select(EmailMessage).order_by(EmailMessage.id)).all()
    assert [e.template for e in emails] == [TemplateName.ASSISTANCE_ACKNOWLEDGEMENT] * 2
    assert emails[0].to_address == "Asst.Public@exemple.fr"
    assert "ASSSAS000001" in emails[0].subject
    assert "« Demande d'avance »" in emails[0].body_text
    created = db.exec(select(AuditEvent).where(
        AuditEvent.action == tickets.AUDIT_CREATED)).all()
    assert created[0].client_address == "198.51.100.7"


def test_a_logged_in_ticket_uses_the_account_address(db, storage_dir):
    user = account(db, "asst.connecte")
    result = create(db, storage_dir, user_id=user.id,
                    data=public_input(contact_email="pirate@exemple.fr", contact_name=""))
    ticket = db.get(AssistanceTicket, result.ticket_id)
    assert ticket.contact_email == "asst.connecte@exemple.fr"
    assert ticket.contact_name == "Camille MARTIN" and ticket.user_id == user.id
    assert [t.number for t in views.user_tickets(db, user_id=user.id)] == [result.number]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"category": "inconnu"}, "category", tickets.MSG_CATEGORY),
        ({"message": "   \n "}, "message", tickets.MSG_MESSAGE_REQUIRED),
        ({"message": "x" * 5001}, "message", tickets.MSG_MESSAGE_TOO_LONG),
        ({"contact_email": ""}, "contact_email", "L'adresse électronique est obligatoire."),
        ({"contact_email": "pas-une-adresse"}, "contact_email",
         "L'adresse électronique n'est pas valide (exemple : prenom.nom@domaine.fr)."),
        ({"contact_name": ""}, "contact_name", "Le champ « Nom et prénom » est obligatoire."),
    ],
)
def test_invalid_input_is_refused_and_nothing_stored(db, storage_dir, overrides, field, message):
    with pytest.raises(TicketRefused) as refused:
        create(db, storage_dir, data=public_input(**overrides))
    assert refused.value.field_errors[field] == message
    assert db.exec(select(AssistanceTicket)).all() == []
    assert db.exec(select(EmailMessage)).all() == []


def test_a_message_of_5000_characters_is_accepted(db, storage_dir):
    assert create(db, storage_dir, data=public_input(message="é" * 5000)).number


def test_the_attachment_is_promoted_with_the_ticket(db, storage_dir):
    user = account(db, "asst.piece")
    other = account(db, "asst.autre")
    agent = account(db, "asst.agent", role=Role.STAFF.value)
    staged = stage(storage_dir)
    result = create(db, storage_dir, user_id=user.id, attachment=staged)
    row = db.exec(select(Attachment).where(Attachment.ticket_id == result.ticket_id)).one()
    assert row.kind == AttachmentKind.ASSISTANCE.value
    assert storage.read_bytes(row.storage_key, store=storage_dir).startswith(b"%PDF")
    assert documents.can_read(db, user=user, attachment=row)
    assert documents.can_read(db, user=agent, attachment=row)
    assert not documents.can_read(db, user=other, attachment=row)
    view = views.user_tickets(db, user_id=user.id)[0]
    assert (view.attachment_id, view.attachment_name) == (row.id, "capture.pdf")


def test_a_failure_while_publishing_leaves_nothing(db, storage_dir, monkeypatch):
    staged = stage(storage_dir)

    def broken_publish(key, *, sha256, store, **_):
        raise OSError("disk full")

    monkeypatch.setattr(storage, "publish_staged", broken_publish)
    with pytest.raises(OSError):
        create(db, storage_dir, attachment=staged)
    for table in (AssistanceTicket, Attachment, EmailMessage):
        assert db.exec(select(table)).all() == []
    monkeypatch.undo()
    assert create(db, storage_dir, attachment=staged).number


def test_a_tampered_or_lost_attachment_is_refused(db, storage_dir):
    staged = stage(storage_dir)
    storage.discard_staged(staged.key, store=storage_dir)
    with pytest.raises(TicketRefused) as refused:
        create(db, storage_dir, attachment=staged)
    assert refused.value.field_errors["attachment"] == tickets.MSG_ATTACHMENT_LOST
    assert db.exec(select(AssistanceTicket)).all() == []


def test_anti_bot_rules_are_the_enrolment_ones():
    assert tickets.looks_automated(honeypot="http://spam.example", elapsed_seconds=60)
    assert tickets.looks_automated(honeypot="", elapsed_seconds=1.0)
    assert not tickets.looks_automated(honeypot="", elapsed_seconds=30)


def test_public_requests_are_limited_per_address(db):
    for _ in range(tickets.REQUESTS_PER_ADDRESS):
        assert tickets.register_request_attempt(db, client_address="198.51.100.9", now=NOW)
    assert not tickets.register_request_attempt(db, client_address="198.51.100.9", now=NOW)
    assert tickets.register_request_attempt(db, client_address="198.51.100.10", now=NOW)
    later = NOW + timedelta(hours=1, minutes=1)
    assert tickets.register_request_attempt(db, client_address="198.51.100.9", now=later)
    for _ in range(tickets.UPLOADS_PER_ADDRESS):
        assert tickets.register_attachment_upload(db, client_address="198.51.100.9", now=NOW)
    assert not tickets.register_attachment_upload(db, client_address="198.51.100.9", now=NOW)


def test_staff_answer_then_close(db, storage_dir):
    user = account(db, "asst.reponse")
    agent = account(db, "asst.instructeur", role=Role.STAFF.value)
    result = create(db, storage_dir, user_id=user.id)
    with pytest.raises(TicketRefused) as refused:
        tickets.answer_ticket(db, ticket_id=result.ticket_id, answer="  ", staff_id=agent.id)
    assert refused.value.field_errors["answer"] == tickets.MSG_ANSWER_REQUIRED

    tickets.answer_ticket(db, ticket_id=result.ticket_id, answer="Utilisez « Parcourir ».",
                             staff_id=agent.id, tickets_url=TICKETS_URL,
                             assistance_url=ASSISTANCE_URL)
    ticket = db.get(AssistanceTicket, result.ticket_id)
    assert ticket.status == TicketStatus.ANSWERED.value and ticket.answered_by_id == agent.id
    view = views.user_tickets(db, user_id=user.id)[0]
    assert view.answer == "Utilisez « Parcourir »." and view.status_label == "Répondue"
    answer_mail = db.exec(select(EmailMessage).where(
        EmailMessage.template == TemplateName.ASSISTANCE_ANSWER)).one()
    assert answer_mail.to_address == "asst.reponse@exemple.fr"
    assert "Utilisez « Parcourir »." in answer_mail.body_text
    assert TICKETS_URL in answer_mail.body_text

    with pytest.raises(TicketRefused, match="déjà reçu une réponse"):
        tickets.answer_ticket(db, ticket_id=result.ticket_id, answer="Encore",
                                 staff_id=agent.id)
    tickets.close_ticket(db, ticket_id=result.ticket_id, staff_id=agent.id)
    assert db.get(AssistanceTicket, result.ticket_id).status == TicketStatus.CLOSED.value
    with pytest.raises(TicketRefused, match="déjà close"):
        tickets.close_ticket(db, ticket_id=result.ticket_id, staff_id=agent.id)
    actions = [e.action for e in db.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]
    assert actions == [tickets.AUDIT_CREATED, tickets.AUDIT_ANSWERED,
                       tickets.AUDIT_CLOSED]


def test_staff_list_shows_open_tickets_first_paginated(db, storage_dir):
    agent = account(db, "asst.liste", role=Role.STAFF.value)
    numbers = [create(db, storage_dir).number for _ in range(3)]
    first = db.exec(select(AssistanceTicket).where(AssistanceTicket.number == numbers[0])).one()
    tickets.close_ticket(db, ticket_id=first.id, staff_id=agent.id)
    first_page = ticket_list.ticket_page(db, page_size=2)
    assert first_page.total == 3 and [r.number for r in first_page.rows] == numbers[1:]
    rows = ticket_list.ticket_page(db, window=Window(page=2), page_size=2).rows
    assert [(r.number, r.status_label) for r in rows] == [(numbers[0], "Close")]
    assert views.open_count(db) == 2


def test_acknowledgement_and_answer_reach_the_smtp_server(db, engine, storage_dir, tmp_path):
    agent = account(db, "asst.smtp", role=Role.STAFF.value)
    result = create(db, storage_dir, data=public_input(contact_email="asst.smtp@exemple.fr"))
    tickets.answer_ticket(db, ticket_id=result.ticket_id, answer="Voici la réponse.",
                             staff_id=agent.id, tickets_url=TICKETS_URL)
    with running_smtp_server() as smtp:
        transport = mail.SmtpTransport.from_settings(
            mail_settings(smtp_port=smtp.port, outbox_dir=tmp_path))
        mail.deliver_due(engine, transport=transport, now=utcnow() + timedelta(seconds=1))
        received = smtp.handler.snapshot()
    assert [r.rcpt_tos for r in received] == [["asst.smtp@exemple.fr"]] * 2
    subjects = sorted(r.message["Subject"] for r in received)
    assert subjects == [f"Accusé de réception de votre demande d'assistance {result.number}",
                        f"Réponse à votre demande d'assistance {result.number}"]
    answer = next(r for r in received if r.message["Subject"].startswith("Réponse"))
    text = answer.message.get_body(preferencelist=("plain",)).get_content()
    assert "Voici la réponse." in text
    assert TICKETS_URL not in text  # public ticket: no personal space to point at
