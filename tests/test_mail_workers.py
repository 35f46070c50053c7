"""Several delivery loops on one outbox (N workers × M machines, issue 13).

Two ``run_mail_worker`` loops — each with its own engine (its own connection
pool, as two backend processes or two machines have) and its own event loop in
its own thread — deliver one outbox on PostgreSQL through a real SMTP server
(aiosmtpd), while emails keep being queued and while the SMTP server refuses
mail for a while. Every email must be delivered exactly once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from segur_app.core.db import make_engine
from segur_app.domain.mail import SmtpTransport, queue_email, run_mail_worker
from segur_app.domain.models import EmailMessage, EmailStatus
from tests.conftest import postgres_only
from tests.mail_helpers import mail_settings, running_smtp_server

pytestmark = pytest.mark.timeout(120)

EMAILS = 120


def _loop(url: str, settings, stop: threading.Event, errors: list) -> None:
    engine = make_engine(url)

    async def main() -> None:
        halt = asyncio.Event()
        task = asyncio.create_task(run_mail_worker(
            halt, engine=engine, transport=SmtpTransport.from_settings(settings),
            poll_seconds=0.02, settings=settings, batch_size=7,
        ))
        while not stop.is_set():
            await asyncio.sleep(0.02)
        halt.set()
        await asyncio.wait_for(task, timeout=20)

    try:
        asyncio.run(main())
    except BaseException as exc:  # pragma: no cover - reported by the test
        errors.append(exc)
    finally:
        engine.dispose()


@postgres_only  # the multi-worker proof needs PostgreSQL's concurrency
def test_two_delivery_loops_on_postgresql_deliver_each_email_once(
    engine: Engine, db: Session, tmp_path: Path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with running_smtp_server() as smtp:
        settings = mail_settings(
            smtp_port=smtp.port, outbox_dir=tmp_path / "outbox",
            mail_retry_base_seconds=0.05, mail_retry_max_seconds=0.2, mail_max_attempts=1000,
        )
        stop, errors = threading.Event(), []
        loops = [threading.Thread(target=_loop, args=(url, settings, stop, errors))
                 for _ in range(2)]
        for loop in loops:
            loop.start()
        try:
            for n in range(EMAILS):
                queue_email(db, to=f"fournisseur{n}@exemple.fr", subject=f"Dossier {n}",
                            text=f"Message {n}\n", html=None, template="test_template")
                db.commit()
                if n == EMAILS // 3:
                    smtp.handler.reply = "451 4.3.0 Try again later"  # SMTP "down"
                if n == EMAILS // 2:
                    smtp.handler.reply = None  # back
            deadline = time.monotonic() + 60
            while len(smtp.handler.snapshot()) < EMAILS and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # a duplicate would arrive now
        finally:
            stop.set()
            for loop in loops:
                loop.join(timeout=30)
        assert not errors, errors
        received = smtp.handler.snapshot()
        assert smtp.handler.refused > 0  # the outage did refuse deliveries (then retried)

    ids = Counter(r.message["Message-ID"] for r in received)
    duplicates = {k: v for k, v in ids.items() if v > 1}
    assert not duplicates, duplicates
    assert sorted(r.rcpt_tos[0] for r in received) == sorted(
        f"fournisseur{n}@exemple.fr" for n in range(EMAILS))
    db.expire_all()
    rows = db.exec(select(EmailMessage)).all()
    assert len(rows) == EMAILS
    assert {row.status for row in rows} == {EmailStatus.SENT}


class Relay:
    """A TCP relay to PostgreSQL that can be cut (every connection closed,
    new ones refused) — the database restarting, as the portal sees it."""

    def __init__(self, host: str, port: int) -> None:
        import socket

        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.sockets: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import socket

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self, seconds: float) -> None:
        import socket

        self.up = False
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets = []
        threading.Timer(seconds, lambda: setattr(self, "up", True)).start()


@postgres_only  # the database restart is simulated on PostgreSQL (a TCP relay)
def test_a_sent_email_is_recorded_through_a_database_restart(
    engine: Engine, db: Session, tmp_path: Path
) -> None:
    """The SMTP server accepted the message, then the database went away for
    a moment: the worker records it once the database is back instead of
    leaving it to be sent again when its lease expires."""
    from segur_app.domain.mail import deliver_due

    relay = Relay(engine.url.host or "127.0.0.1", engine.url.port or 5432)
    relayed = make_engine(engine.url.set(host="127.0.0.1", port=relay.port)
                          .render_as_string(hide_password=False))
    queue_email(db, to="fournisseur@exemple.fr", subject="Dossier", text="Message\n",
                html=None, template="test_template")
    db.commit()
    with running_smtp_server() as smtp:
        settings = mail_settings(smtp_port=smtp.port, outbox_dir=tmp_path / "outbox")
        smtp_transport = SmtpTransport.from_settings(settings)

        class CutAfterSending:
            def send(self, mail):
                result = smtp_transport.send(mail)
                relay.cut(1.5)  # accepted by the SMTP server; now the database goes
                return result

        try:
            report = deliver_due(relayed, transport=CutAfterSending(), settings=settings)
            assert report.sent == 1
            later = datetime.now(timezone.utc) + timedelta(hours=1)  # every lease expired
            assert deliver_due(relayed, transport=smtp_transport, settings=settings,
                               now=later).processed == 0
        finally:
            relayed.dispose()
        assert len(smtp.handler.snapshot()) == 1
    db.expire_all()
    assert db.exec(select(EmailMessage)).one().status == EmailStatus.SENT
