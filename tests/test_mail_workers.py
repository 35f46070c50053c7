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
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from segur_app.core.db import make_engine
from segur_app.domain.mail import SmtpTransport, queue_email, run_mail_worker
from segur_app.domain.models import EmailMessage, EmailStatus
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


def test_two_delivery_loops_on_postgresql_deliver_each_email_once(
    engine: Engine, db: Session, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the multi-worker proof runs on PostgreSQL (SEGUR_TEST_POSTGRES_URL)")
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
