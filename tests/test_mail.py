"""Mail outbox, transports, delivery worker and email texts.

Everything goes through a real SMTP server (aiosmtpd on 127.0.0.1) or real
files; the database tests run on SQLite and, when configured, PostgreSQL.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import inspect
import logging
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from tests.mail_helpers import (
    ASSISTANCE_URL,
    MAIL_FROM_ADDRESS,
    SmtpServer,
    as_utc,
    free_port,
    mail_settings,
    make_dossier,
    running_smtp_server,
)
from segur_app.core.config import Settings, get_settings
from segur_app.core.db import make_engine, session_scope
from segur_app.domain import mail_templates
from segur_app.domain.funding import correction_mails
from segur_app.domain.mail import (
    AUDIT_EMAIL_FAILED,
    AUDIT_EMAIL_SENT,
    REDACTED_BODY,
    FileTransport,
    InvalidEmailError,
    OutgoingMail,
    SmtpTransport,
    deliver_due,
    normalize_address,
    queue_email,
    requeue_failed,
    retry_delay,
    run_mail_worker,
    sent_emails_for_dossier,
    transport_from_settings,
)
from segur_app.domain.models import AuditEvent, EmailMessage, EmailStatus, utcnow

pytestmark = pytest.mark.timeout(60)

TO = "jeanne.dupont@exemple.fr"
SUBJECT = "Accusé de réception de votre demande de financement FINSAS009250"
TEXT = "Madame, Monsieur,\n\nVotre demande a bien été réceptionnée par l'Agence — « SAS ».\n"
HTML = "<p>Votre demande a bien été réceptionnée par l&#x27;Agence — « SAS ».</p>"


# --------------------------------------------------------------------------
# Fixtures and helpers
# --------------------------------------------------------------------------


@pytest.fixture
def smtp() -> SmtpServer:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def settings(smtp: SmtpServer, tmp_path: Path) -> Settings:
    return mail_settings(smtp_port=smtp.port, outbox_dir=tmp_path / "outbox")


@pytest.fixture
def transport(settings: Settings) -> SmtpTransport:
    return SmtpTransport.from_settings(settings)


@pytest.fixture
def down_transport(settings: Settings) -> SmtpTransport:
    """Same settings, but a port where nothing listens (connection refused)."""
    return SmtpTransport.from_settings(settings.model_copy(update={"smtp_port": free_port()}))


def queue(
    db: Session, *, to: str = TO, subject: str = SUBJECT, commit: bool = True, **kwargs
) -> int:
    kwargs.setdefault("template", "test_template")
    kwargs.setdefault("text", TEXT)
    kwargs.setdefault("html", HTML)
    row = queue_email(db, to=to, subject=subject, **kwargs)
    if commit:
        db.commit()
    return row.id


def reload(db: Session, message_id: int) -> EmailMessage:
    db.expire_all()
    row = db.get(EmailMessage, message_id)
    assert row is not None
    return row


def count_outbox(db: Session) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(EmailMessage)).one()


def audit_events(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


# --------------------------------------------------------------------------
# queue_email
# --------------------------------------------------------------------------


def test_queue_email_adds_a_pending_row_without_committing(db: Session, engine: Engine) -> None:
    row = queue_email(db, template="t", to=f"  {TO} ", subject=SUBJECT, text=TEXT)
    assert row in db.new
    assert row.status == EmailStatus.PENDING
    assert row.to_address == TO
    assert row.attempts == 0
    # Nothing is visible to another connection before the caller commits.
    with Session(engine) as other:
        assert other.exec(select(func.count()).select_from(EmailMessage)).one() == 0
    db.commit()
    with Session(engine) as other:
        assert other.exec(select(func.count()).select_from(EmailMessage)).one() == 1


def test_rolled_back_transaction_leaves_no_outbox_row(db: Session, engine: Engine) -> None:
    dossier = make_dossier(db)
    queue_email(
        db, template="t", to=TO, subject=SUBJECT, text=TEXT, funding_request_id=dossier.id
    )
    db.rollback()
    assert count_outbox(db) == 0

    # The same with the business transaction helper failing after queueing.
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            queue_email(session, template="t", to=TO, subject=SUBJECT, text=TEXT)
            session.flush()  # even flushed, the row goes away with the rollback
            raise RuntimeError("business rule violated")
    assert count_outbox(db) == 0


@pytest.mark.parametrize(
    "address",
    [
        "",
        "pas-une-adresse",
        "jeanne@localhost",
        "jeanne dupont@exemple.fr",
        "jeanne@exemple.fr, autre@exemple.fr",
        "Jeanne <jeanne@exemple.fr>",
        "jeanne@exemple.fr\r\nBcc: victime@exemple.org",
        "jeanne@exemple.fr\nBcc: victime@exemple.org",
        "jérôme@exemple.fr",
        "a" * 65 + "@exemple.fr",
    ],
)
def test_invalid_addresses_are_refused(db: Session, address: str) -> None:
    with pytest.raises(InvalidEmailError):
        queue_email(db, template="t", to=address, subject=SUBJECT, text=TEXT)
    assert not db.new


@pytest.mark.parametrize(
    "subject",
    [
        "",
        "   ",
        "Objet\r\nBcc: victime@exemple.org",
        "Objet\nX-Injected: 1",
        "Objet\u2028suite",
        "x" * 256,
    ],
)
def test_header_injection_and_bad_subjects_are_refused(db: Session, subject: str) -> None:
    with pytest.raises(InvalidEmailError):
        queue_email(db, template="t", to=TO, subject=subject, text=TEXT)
    assert not db.new


def test_empty_body_is_refused(db: Session) -> None:
    with pytest.raises(InvalidEmailError):
        queue_email(db, template="t", to=TO, subject=SUBJECT, text="  \n")


def test_normalize_address_accepts_usual_addresses() -> None:
    for address in ["a@b.fr", "prenom.nom+segur@sous.domaine-asp.gouv.fr", "O'Brien@exemple.ie"]:
        assert normalize_address(f" {address}\t") == address


# --------------------------------------------------------------------------
# SMTP delivery
# --------------------------------------------------------------------------


def test_queue_and_deliver_over_smtp(
    db: Session, engine: Engine, smtp: SmtpServer, settings: Settings, transport: SmtpTransport
) -> None:
    dossier = make_dossier(db)
    message_id = queue(db, funding_request_id=dossier.id, template="advance_deposit_confirmation")
    now = utcnow()

    report = deliver_due(engine, transport=transport, now=now, settings=settings)

    assert (report.sent, report.retried, report.failed, report.skipped) == (1, 0, 0, 0)
    [received] = smtp.handler.snapshot()
    assert received.mail_from == MAIL_FROM_ADDRESS
    assert received.rcpt_tos == [TO]
    msg = received.message
    assert msg["Subject"] == SUBJECT
    assert msg["From"].addresses[0].display_name == "Portail Ségur Numérique"
    assert msg["From"].addresses[0].addr_spec == MAIL_FROM_ADDRESS
    assert msg["To"] == TO
    assert msg["Message-ID"].startswith(f"<outbox-{message_id}.")
    assert msg["Message-ID"].endswith("@segurnum.asp-public.fr>")
    text_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    assert text_part.get_content_charset() == "utf-8"
    assert text_part.get_content() == TEXT
    assert html_part.get_content() == HTML
    received.raw.decode("ascii")  # 7-bit clean on the wire: headers and bodies encoded

    row = reload(db, message_id)
    assert row.status == EmailStatus.SENT
    assert row.attempts == 1
    assert as_utc(row.sent_at) == now
    assert row.last_error is None
    [event] = audit_events(db, AUDIT_EMAIL_SENT)
    assert event.funding_request_id == dossier.id
    assert "advance_deposit_confirmation" in event.details and TO in event.details

    # Nothing left to do: a second round sends nothing.
    again = deliver_due(
        engine, transport=transport, now=now + timedelta(hours=1), settings=settings
    )
    assert again.processed == 0
    assert len(smtp.handler.snapshot()) == 1


def test_text_only_message(
    db: Session, engine: Engine, smtp: SmtpServer, settings: Settings, transport: SmtpTransport
) -> None:
    queue(db, html=None)
    assert deliver_due(engine, transport=transport, settings=settings).sent == 1
    [received] = smtp.handler.snapshot()
    assert received.message.get_body(preferencelist=("html",)) is None
    assert received.message.get_body(preferencelist=("plain",)).get_content() == TEXT


@pytest.mark.parametrize("outage", ["connection_refused", "451_temporary", "554_refused"])
def test_smtp_down_keeps_message_then_delivers_exactly_once(
    db: Session,
    engine: Engine,
    smtp: SmtpServer,
    settings: Settings,
    transport: SmtpTransport,
    down_transport: SmtpTransport,
    outage: str,
) -> None:
    message_id = queue(db)
    t0 = utcnow()
    if outage == "connection_refused":
        failing = down_transport
    else:
        failing = transport
        smtp.handler.reply = (
            "451 4.3.0 Service temporairement indisponible"
            if outage == "451_temporary"
            else "554 5.3.0 Transaction refusée"
        )

    report = deliver_due(engine, transport=failing, now=t0, settings=settings)

    assert (report.sent, report.retried, report.failed) == (0, 1, 0)
    row = reload(db, message_id)
    assert row.status == EmailStatus.PENDING
    assert row.attempts == 1
    assert row.sent_at is None
    assert row.last_error
    if outage == "451_temporary":
        assert "451" in row.last_error
    elif outage == "554_refused":
        assert "554" in row.last_error
    assert as_utc(row.next_attempt_at) == t0 + timedelta(seconds=30)
    assert smtp.handler.snapshot() == []

    # SMTP is back, but the retry is not due yet: nothing happens.
    smtp.handler.reply = None
    early = deliver_due(
        engine, transport=transport, now=t0 + timedelta(seconds=29), settings=settings
    )
    assert early.processed == 0
    assert smtp.handler.snapshot() == []

    # Time advanced past the back-off: delivered once, and only once.
    later = t0 + timedelta(seconds=31)
    assert deliver_due(engine, transport=transport, now=later, settings=settings).sent == 1
    assert deliver_due(
        engine, transport=transport, now=later + timedelta(days=1), settings=settings
    ).processed == 0
    assert len(smtp.handler.snapshot()) == 1
    row = reload(db, message_id)
    assert row.status == EmailStatus.SENT
    assert row.attempts == 2
    assert as_utc(row.sent_at) == later


def test_backoff_is_exponential_and_capped(
    db: Session, engine: Engine, settings: Settings, down_transport: SmtpTransport
) -> None:
    settings = settings.model_copy(
        update={
            "mail_retry_base_seconds": 10.0,
            "mail_retry_max_seconds": 45.0,
            "mail_max_attempts": 10,
        }
    )
    message_id = queue(db)
    now = utcnow()
    delays = []
    for _ in range(5):
        report = deliver_due(engine, transport=down_transport, now=now, settings=settings)
        assert report.retried == 1
        row = reload(db, message_id)
        next_at = as_utc(row.next_attempt_at)
        delays.append((next_at - now).total_seconds())
        now = next_at
    assert delays == [10, 20, 40, 45, 45]
    assert reload(db, message_id).attempts == 5


def test_retry_delay_formula() -> None:
    assert retry_delay(1, base_seconds=30, max_seconds=3600) == timedelta(seconds=30)
    assert retry_delay(2, base_seconds=30, max_seconds=3600) == timedelta(seconds=60)
    assert retry_delay(5, base_seconds=30, max_seconds=3600) == timedelta(seconds=480)
    assert retry_delay(8, base_seconds=30, max_seconds=3600) == timedelta(seconds=3600)
    assert retry_delay(10_000, base_seconds=30, max_seconds=3600) == timedelta(seconds=3600)


def test_last_error_is_truncated(db: Session, engine: Engine, settings: Settings) -> None:
    class Exploding:
        def send(self, mail: OutgoingMail) -> None:
            raise RuntimeError("x" * 10_000)

    message_id = queue(db)
    assert deliver_due(engine, transport=Exploding(), settings=settings).retried == 1
    row = reload(db, message_id)
    assert row.last_error.startswith("RuntimeError: xxx")
    assert len(row.last_error) <= 2000


def test_max_attempts_marks_failed_then_requeue(
    db: Session,
    engine: Engine,
    smtp: SmtpServer,
    settings: Settings,
    transport: SmtpTransport,
    down_transport: SmtpTransport,
) -> None:
    settings = settings.model_copy(update={"mail_max_attempts": 3})
    dossier = make_dossier(db)
    message_id = queue(db, funding_request_id=dossier.id)
    other_id = queue(db, to="autre@exemple.fr")
    now = utcnow()

    outcomes = []
    for _ in range(3):
        report = deliver_due(engine, transport=down_transport, now=now, settings=settings)
        outcomes.append((report.retried, report.failed))
        now += timedelta(days=1)
    assert outcomes == [(2, 0), (2, 0), (0, 2)]

    row = reload(db, message_id)
    assert row.status == EmailStatus.FAILED
    assert row.attempts == 3
    assert row.last_error
    failed_events = audit_events(db, AUDIT_EMAIL_FAILED)
    assert len(failed_events) == 2
    assert {e.funding_request_id for e in failed_events} == {dossier.id, None}
    # A failed message is never picked up again on its own.
    assert deliver_due(engine, transport=transport, now=now, settings=settings).processed == 0

    # Requeue only one of them: back to pending, due now, attempts reset.
    assert requeue_failed(db, ids=[message_id], now=now) == 1
    db.commit()
    row = reload(db, message_id)
    assert (row.status, row.attempts) == (EmailStatus.PENDING, 0)
    assert reload(db, other_id).status == EmailStatus.FAILED
    assert requeue_failed(db, ids=[]) == 0
    assert requeue_failed(db, ids=[message_id]) == 0  # already pending
    db.commit()  # the caller ends its transaction (SQLite: releases the write lock)

    assert deliver_due(engine, transport=transport, now=now, settings=settings).sent == 1
    assert [r.rcpt_tos for r in smtp.handler.snapshot()] == [[TO]]
    assert reload(db, message_id).status == EmailStatus.SENT

    # Requeue everything that failed.
    assert requeue_failed(db) == 1
    db.commit()
    assert reload(db, other_id).status == EmailStatus.PENDING


def test_concurrent_workers_send_each_message_once(
    db: Session, engine: Engine, smtp: SmtpServer, settings: Settings, transport: SmtpTransport
) -> None:
    for i in range(12):
        queue(db, to=f"destinataire{i}@exemple.fr", commit=False)
    db.commit()
    ids = [row.id for row in db.exec(select(EmailMessage)).all()]
    now = utcnow()
    barrier = threading.Barrier(3)
    reports = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            reports.append(deliver_due(engine, transport=transport, now=now, settings=settings))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=45)
    assert not errors, errors

    received = smtp.handler.snapshot()
    recipients = sorted(r.rcpt_tos[0] for r in received)
    assert recipients == sorted(f"destinataire{i}@exemple.fr" for i in range(12))
    assert sum(r.sent for r in reports) == 12
    assert sum(r.retried + r.failed for r in reports) == 0
    assert len(audit_events(db, AUDIT_EMAIL_SENT)) == 12
    for message_id in ids:
        row = reload(db, message_id)
        assert (row.status, row.attempts) == (EmailStatus.SENT, 1)


def test_claim_is_compare_and_set(
    db: Session, engine: Engine, smtp: SmtpServer, settings: Settings, transport: SmtpTransport
) -> None:
    """A worker whose candidate list went stale does not resend a message.

    Worker A lists both messages, then — while it sends the first — worker B
    runs a full round: B must not see A's claimed message (its lease hides it)
    but sends the second one; A's later claim of the second then fails.
    """
    first = queue(db, to="premier@exemple.fr")
    second = queue(db, to="second@exemple.fr")
    now = utcnow()
    inner_reports = []

    class WorkerBInterleaved:
        def send(self, mail: OutgoingMail) -> None:
            if not inner_reports:
                inner_reports.append(
                    deliver_due(engine, transport=transport, now=now, settings=settings)
                )
            transport.send(mail)

    outer = deliver_due(engine, transport=WorkerBInterleaved(), now=now, settings=settings)

    [inner] = inner_reports
    assert (inner.sent, inner.skipped) == (1, 0)
    assert (outer.sent, outer.skipped) == (1, 1)
    assert sorted(r.rcpt_tos[0] for r in smtp.handler.snapshot()) == [
        "premier@exemple.fr",
        "second@exemple.fr",
    ]
    assert reload(db, first).attempts == 1
    assert reload(db, second).attempts == 1


def test_expired_lease_is_taken_over(
    db: Session, engine: Engine, smtp: SmtpServer, settings: Settings, transport: SmtpTransport
) -> None:
    """A worker that died after claiming only delays the message by its lease."""

    class Crashing:
        def send(self, mail: OutgoingMail) -> None:
            raise KeyboardInterrupt  # not an Exception: escapes like a dying process

    message_id = queue(db)
    now = utcnow()
    with pytest.raises(KeyboardInterrupt):
        deliver_due(
            engine, transport=Crashing(), now=now, settings=settings, lease=timedelta(minutes=5)
        )
    row = reload(db, message_id)
    assert row.status == EmailStatus.PENDING and row.attempts == 0
    before_expiry = now + timedelta(minutes=4)
    after_expiry = now + timedelta(minutes=6)
    early = deliver_due(engine, transport=transport, now=before_expiry, settings=settings)
    assert early.processed == 0
    assert deliver_due(engine, transport=transport, now=after_expiry, settings=settings).sent == 1
    assert len(smtp.handler.snapshot()) == 1


def test_sensitive_bodies_are_blanked_once_sent(
    db: Session, engine: Engine, smtp: SmtpServer, settings: Settings, transport: SmtpTransport
) -> None:
    subject, text, html = mail_templates.account_credentials(
        "jdupont", "Tmp-7f3K9q", assistance_url=ASSISTANCE_URL, login_url="https://portail.example"
    )
    message_id = queue(
        db,
        template=mail_templates.TemplateName.ACCOUNT_CREDENTIALS,
        subject=subject,
        text=text,
        html=html,
    )
    assert deliver_due(engine, transport=transport, settings=settings).sent == 1
    [received] = smtp.handler.snapshot()
    assert "Tmp-7f3K9q" in received.message.get_body(preferencelist=("plain",)).get_content()
    row = reload(db, message_id)
    assert row.body_text == REDACTED_BODY
    assert row.body_html is None
    assert "Tmp-7f3K9q" not in (row.body_text + (row.body_html or ""))


def test_sent_emails_for_dossier_newest_first(
    db: Session, engine: Engine, settings: Settings, transport: SmtpTransport
) -> None:
    dossier = make_dossier(db)
    other = make_dossier(db, number="FINSAS000001", siret="98765432109876")
    ids = [queue(db, funding_request_id=dossier.id, subject=f"Courriel {i}") for i in range(3)]
    queue(db, funding_request_id=other.id)
    now = utcnow()
    for step in range(4):
        when = now + timedelta(minutes=step)
        deliver_due(engine, transport=transport, now=when, settings=settings, batch_size=1)
    pending_id = queue(db, funding_request_id=dossier.id, subject="Pas encore envoyé")

    db.expire_all()
    rows = sent_emails_for_dossier(db, dossier.id)
    assert [r.id for r in rows] == list(reversed(ids))
    assert pending_id not in [r.id for r in rows]
    assert sent_emails_for_dossier(db, 999_999) == []


# --------------------------------------------------------------------------
# File transport
# --------------------------------------------------------------------------


def test_transport_from_settings(tmp_path: Path) -> None:
    file_settings = mail_settings(smtp_port=None, outbox_dir=tmp_path / "outbox")
    chosen = transport_from_settings(file_settings)
    assert isinstance(chosen, FileTransport)
    assert chosen.directory == tmp_path / "outbox"
    smtp_settings = mail_settings(
        smtp_port=2525, outbox_dir=tmp_path, smtp_user="u", smtp_password="p"
    )
    chosen = transport_from_settings(smtp_settings)
    assert isinstance(chosen, SmtpTransport)
    assert chosen.smtp_options() == {
        "host": "127.0.0.1",
        "port": 2525,
        "tls": False,
        "timeout": 5.0,
        "user": "u",
        "password": "p",
    }


def test_file_transport_writes_parseable_eml(
    db: Session, engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outbox = tmp_path / "outbox"
    settings = mail_settings(smtp_port=None, outbox_dir=outbox)
    transport = transport_from_settings(settings)
    message_id = queue(db)

    with caplog.at_level(logging.INFO, logger="segur_app.domain.mail"):
        assert deliver_due(engine, transport=transport, settings=settings).sent == 1

    [path] = list(outbox.glob("*.eml"))
    assert path.name.endswith(f"-{message_id:06d}.eml")
    assert not list(outbox.glob(".tmp-*"))
    raw = path.read_bytes()
    raw.decode("ascii")  # RFC 5322: 7-bit, non-ASCII encoded
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == SUBJECT
    assert msg["From"].addresses[0].display_name == "Portail Ségur Numérique"
    assert msg["To"] == TO
    assert msg["Date"] and msg["Message-ID"].startswith(f"<outbox-{message_id}.")
    assert msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n") == TEXT
    assert HTML in msg.get_body(preferencelist=("html",)).get_content()
    assert SUBJECT in caplog.text
    assert reload(db, message_id).status == EmailStatus.SENT

    # Sending the same outbox row again rewrites its own file, no duplicate.
    row = reload(db, message_id)
    transport.send(
        OutgoingMail(to=TO, subject=SUBJECT, text=TEXT, outbox_id=row.id, created_at=row.created_at)
    )
    assert len(list(outbox.glob("*.eml"))) == 1


# --------------------------------------------------------------------------
# Background worker
# --------------------------------------------------------------------------


async def eventually(condition, what: str, *, timeout: float = 10.0) -> None:
    """Poll ``condition`` (no fixed wait); fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what} after {timeout}s"
        await asyncio.sleep(0.02)


def test_run_mail_worker_is_a_lifespan_task() -> None:
    assert inspect.iscoroutinefunction(run_mail_worker)
    signature = inspect.signature(run_mail_worker)
    assert all(p.default is not inspect.Parameter.empty for p in signature.parameters.values())
    assert "app" not in signature.parameters


def test_run_mail_worker_delivers_and_stops(
    db: Session, engine: Engine, smtp: SmtpServer, settings: Settings, transport: SmtpTransport
) -> None:
    message_id = queue(db)

    async def scenario() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_mail_worker(
                stop, engine=engine, transport=transport, poll_seconds=0.05, settings=settings
            )
        )
        await eventually(lambda: smtp.handler.snapshot(), "the first message")
        # A message queued while the worker runs is picked up too.
        queue(db, to="second@exemple.fr")
        await eventually(lambda: len(smtp.handler.snapshot()) >= 2, "the second message")
        stop.set()
        started = time.monotonic()
        await asyncio.wait_for(task, timeout=3)
        return time.monotonic() - started

    stop_duration = asyncio.run(scenario())

    assert sorted(r.rcpt_tos[0] for r in smtp.handler.snapshot()) == [TO, "second@exemple.fr"]
    assert reload(db, message_id).status == EmailStatus.SENT
    assert stop_duration < 2


def test_run_mail_worker_stops_on_cancel(
    db: Session, engine: Engine, smtp: SmtpServer, settings: Settings, transport: SmtpTransport
) -> None:
    queue(db)

    async def scenario() -> None:
        task = asyncio.create_task(
            run_mail_worker(engine=engine, transport=transport, settings=settings, poll_seconds=10)
        )
        # Once its first round has sent the message, the worker waits 10 s for the next.
        await eventually(lambda: smtp.handler.snapshot(), "the first round")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=3)

    asyncio.run(scenario())


def test_run_mail_worker_survives_errors(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")  # no email_message table

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_mail_worker(stop, engine=broken, settings=settings, poll_seconds=0.02)
        )
        # Two failed rounds in a row: the loop went on after the first one.
        await eventually(lambda: len(failures()) >= 2, "two failed rounds")
        assert not task.done()
        stop.set()
        await asyncio.wait_for(task, timeout=3)

    def failures() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "delivery round failed" in r.getMessage()]

    with caplog.at_level(logging.ERROR, logger="segur_app.domain.mail"):
        asyncio.run(scenario())
    broken.dispose()


# --------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------

GUIDE_TEXT = (
    "Madame, Monsieur,\n\nVotre demande de financement FINSAS009250 dans le cadre du "
    "financement de la « plateforme numérique Service d'Accès aux Soins » en date du "
    "23/05/2023 a bien été réceptionnée par l'Agence. Elle est en cours de traitement.\n\n"
    "Dès que votre demande sera examinée, vous recevrez un autre courriel pour vous "
    "informer du résultat de l'instruction. Aussi, nous vous invitons à consulter "
    "régulièrement les messages reçus y compris dans les courriers indésirables (ou spams) "
    "sur l'adresse électronique que vous nous avez communiquée.\n\nPour toute information "
    "complémentaire, vous pouvez contacter l'assistance mail via le lien "
    "https://segurnum.asp-public.fr/segurnum/contacter-assistance.\n\nCordialement\n\n"
    "L'Agence de services et de paiement.\n\nCe message a été généré automatiquement, "
    "merci de ne pas y répondre."
)


def test_advance_confirmation_matches_the_user_guide() -> None:
    subject, text, html = mail_templates.advance_deposit_confirmation(
        "FINSAS009250",
        datetime(2023, 5, 23, 9, 30, tzinfo=timezone.utc),
        assistance_url=ASSISTANCE_URL,
    )
    assert text == GUIDE_TEXT
    assert "FINSAS009250" in subject
    assert f'<a href="{ASSISTANCE_URL}">{ASSISTANCE_URL}</a>' in html
    assert "L'Agence de services et de paiement." in html
    # A plain date gives the same text.
    assert mail_templates.advance_deposit_confirmation(
        "FINSAS009250", date(2023, 5, 23), assistance_url=ASSISTANCE_URL
    ).text == GUIDE_TEXT


def test_links_default_to_the_portal_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without an explicit URL the templates link to this portal's own pages."""
    monkeypatch.setenv("SEGUR_PUBLIC_URL", "https://segurnum.asp-public.fr/segurnum/")
    get_settings.cache_clear()
    try:
        content = mail_templates.advance_deposit_confirmation("FINSAS000042", "01/02/2024")
        credentials = mail_templates.account_credentials("jdupont", "Tmp-7f3K9q")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert f"via le lien {ASSISTANCE_URL}." in content.text
    assert "Pour vous connecter : https://segurnum.asp-public.fr/segurnum/connexion" in credentials.text
    assert "en date du 01/02/2024" in content.text


def test_dates_are_shown_in_french_time() -> None:
    late_evening_utc = datetime(2023, 5, 23, 22, 30, tzinfo=timezone.utc)  # 00:30 in Paris
    text = mail_templates.advance_deposit_confirmation(
        "FINSAS009250", late_evening_utc, assistance_url=ASSISTANCE_URL
    ).text
    assert "en date du 24/05/2023" in text


def test_every_template_is_signed_and_escapes_html() -> None:
    evil = '<script>alert("x")</script> & co'
    url = ASSISTANCE_URL
    t = mail_templates
    contents = [
        t.advance_deposit_confirmation(evil, "23/05/2023", assistance_url=url),
        t.balance_deposit_confirmation(evil, "23/05/2023", assistance_url=url),
        t.funding_decision(evil, True, assistance_url=url),
        t.funding_decision("FINSAS009250", False, evil, assistance_url=url),
        t.enrolment_acknowledgement(evil, assistance_url=url),
        t.enrolment_decision(evil, True, assistance_url=url),
        t.enrolment_decision("ENRSAS000001", False, evil, assistance_url=url),
        t.account_credentials(evil, evil, assistance_url=url, login_url="https://p.example"),
        t.password_reset(
            "https://p.example/reset?t=abc&u=1",
            assistance_url=url,
            expires_at=datetime(2024, 1, 1, 12, tzinfo=timezone.utc),
        ),
    ]
    asked = [correction_mails.AskedPieceText(evil, evil, evil)]
    contents[-1:-1] = [
        t.email_change_confirmation(evil, "https://p.example/confirmer?jeton=abc"),
        t.email_change_notice(evil, evil),
        # « Demande de compléments » (domain/funding/correction_mails.py)
        correction_mails.correction_request(evil, asked, "23/06/2023", evil, assistance_url=url),
        correction_mails.correction_reminder(evil, asked, "23/06/2023", assistance_url=url),
        correction_mails.corrections_received(evil, evil, [evil], evil),
        correction_mails.corrections_acknowledgement(evil, [evil], "05/12/2026 à 10:12",
                                                     assistance_url=url),
    ]
    for subject, text, html in contents:
        assert text.startswith("Madame, Monsieur,\n\n")
        assert text.endswith(
            "Cordialement\n\nL'Agence de services et de paiement.\n\n"
            "Ce message a été généré automatiquement, merci de ne pas y répondre."
        )
        assert "\n" not in subject and "\r" not in subject and len(subject) <= 255
        assert "<script>" not in html
        assert "Ce message a été généré automatiquement" in html
        if evil in text:
            assert "&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; co" in html
    rejected = mail_templates.funding_decision("FINSAS009250", False, "Facture illisible")
    assert "rejetée" in rejected.subject and "Motif du rejet : Facture illisible" in rejected.text
    validated = mail_templates.funding_decision("FINSAS009250", True)
    assert "validée" in validated.subject and "Motif" not in validated.text
    reset = contents[-1]
    assert '<a href="https://p.example/reset?t=abc&amp;u=1">' in reset.html
    assert "01/01/2024 à 13h00" in reset.text
