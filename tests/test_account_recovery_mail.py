"""Forgotten identifiant / password: the emails really leave through SMTP."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from segur_app.core.security import hash_password, session_key
from segur_app.domain import access, mail
from segur_app.domain.models import EmailMessage, Role, UserAccount, utcnow
from segur_app.domain.accounts import first_login, login, recovery
from tests.mail_helpers import mail_settings, running_smtp_server

RESET_BASE = "http://localhost:3000/reinitialiser-mot-de-passe?jeton="


def live(db, token, **kwargs):
    """The live session of a browser holding ``token`` (the policy's lookup)."""
    return access.live_session(db, session_key(token), **kwargs)


@pytest.fixture
def smtp():
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def transport(smtp, tmp_path):
    return mail.SmtpTransport.from_settings(
        mail_settings(smtp_port=smtp.port, outbox_dir=tmp_path)
    )


@pytest.fixture
def user(db):
    account = UserAccount(
        identifiant="test.ecomplementaire", email="eishiro.oda@le-select.example",
        first_name="Eishiro", last_name="ODA", role=Role.SUPPLIER.value,
        password_hash=hash_password("Segur2023!"), must_change_password=False,
    )
    db.add(account)
    db.commit()
    first_login.set_secret_question(db, user=account, question="Ville ?", answer="Antony")
    db.commit()
    return account


def deliver(db, engine, transport):
    db.commit()
    return mail.deliver_due(engine, transport=transport, now=utcnow() + timedelta(seconds=1))


def body_of(received) -> str:
    part = received.message.get_body(preferencelist=("plain",))
    return part.get_content()


def test_identifiant_reminder_is_emailed(db, engine, smtp, transport, user):
    recovery.request_identifiant_reminder(
        db, email="EISHIRO.ODA@le-select.example", login_url="http://localhost:3000/connexion"
    )
    recovery.request_identifiant_reminder(
        db, email="nobody@example.org", login_url="http://localhost:3000/connexion"
    )
    report = deliver(db, engine, transport)
    assert report.sent == 1
    [received] = smtp.handler.snapshot()
    assert received.rcpt_tos == ["eishiro.oda@le-select.example"]
    assert "Rappel de votre identifiant" in received.message["Subject"]
    assert "- test.ecomplementaire" in body_of(received)


def test_password_reset_round_trip_through_the_emailed_link(db, engine, smtp, transport, user):
    session_token = login.authenticate(
        db, identifiant="test.ecomplementaire", password="Segur2023!"
    ).token
    recovery.request_password_reset(
        db, identifiant="test.ecomplementaire", reset_url_for=lambda t: RESET_BASE + t
    )
    recovery.request_password_reset(
        db, identifiant="unknown.user", reset_url_for=lambda t: RESET_BASE + t
    )
    assert deliver(db, engine, transport).sent == 1
    [received] = smtp.handler.snapshot()
    link = re.search(re.escape(RESET_BASE) + r"([\w-]+)", body_of(received))
    assert link, body_of(received)
    token = link.group(1)

    result = recovery.complete_password_reset(
        db, token=token, answer="antony", new_password="Nouveau-Depart-42",
        confirmation="Nouveau-Depart-42",
    )
    db.commit()
    assert result.ok
    assert live(db, session_token) is None
    assert login.authenticate(
        db, identifiant="test.ecomplementaire", password="Nouveau-Depart-42"
    ).ok

    # The notice of the change is emailed too, and the reset body is blanked once sent.
    assert deliver(db, engine, transport).sent == 1
    assert "Modification de votre mot de passe" in smtp.handler.snapshot()[-1].message["Subject"]
    reset_row = db.exec(
        select(EmailMessage).where(EmailMessage.template == "password_reset")
    ).one()
    db.refresh(reset_row)
    assert token not in reset_row.body_text


def test_recovery_requests_are_throttled_per_address(db, engine, smtp, transport, user):
    for _ in range(recovery.RECOVERY_LIMIT_PER_ADDRESS + 3):
        recovery.request_password_reset(
            db, identifiant="test.ecomplementaire", reset_url_for=lambda t: RESET_BASE + t,
            client_address="192.0.2.50",
        )
        db.commit()
    assert deliver(db, engine, transport).sent == recovery.RECOVERY_LIMIT_PER_ADDRESS
