"""Background tasks run by the app while it serves (see segur_app.py)."""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.engine import Engine

from segur_app.core.config import Settings, get_settings
from segur_app.core.db import session_scope
from segur_app.domain import (
    missing_documents, pdf_process, receipts, storage, storage_check, throttling,
)
from segur_app.domain.funding import correction_mails
from segur_app.domain.models import utcnow

log = logging.getLogger(__name__)

HOUSEKEEPING_PERIOD_SECONDS = 3600


def sweep_storage(*, settings: Settings | None = None, engine: Engine | None = None,
                  now: float | None = None) -> storage_check.StorageReport:
    """One pass of the storage sweep (see ``storage_check``): removes the files no
    row references and the abandoned staged files past their grace period, and
    logs one line when a row's file is missing or altered. Every worker may run
    it at the same time."""
    settings = settings or get_settings()
    with session_scope(engine) as session:
        return storage_check.sweep(
            session, store=storage.store_from_settings(settings),
            grace_seconds=settings.storage_grace_seconds,
            staging_max_age_seconds=settings.staging_max_age_seconds,
            now=time.time() if now is None else now,
        )


async def run_housekeeping() -> None:
    """Hourly: the storage sweep, the login failure counters that no longer matter,
    the correction reminders due, the receipts and letters dossiers lack."""
    while True:
        try:
            await asyncio.to_thread(sweep_storage)
            await asyncio.to_thread(purge_login_counters)
            await asyncio.to_thread(send_correction_reminders)
            await asyncio.to_thread(issue_missing_documents)
        except Exception:  # keep the loop alive whatever happens
            log.exception("housekeeping failed")
        await asyncio.sleep(HOUSEKEEPING_PERIOD_SECONDS)


async def run_pdf_process() -> None:
    """While the worker serves: its PDF helper process (``pdf_process``), warmed
    up at once so that the first deposit does not wait for it to start."""
    if not get_settings().pdf_process:
        return
    pdf_process.start()
    try:
        await asyncio.to_thread(receipts.warm_up)
        await asyncio.Event().wait()  # until the server stops (cancelled)
    finally:
        pdf_process.stop()


def purge_login_counters() -> int:
    """Delete the stale login failure counters (see throttling.purge_stale_counters)."""
    with session_scope() as session:
        return throttling.purge_stale_counters(session)


def send_correction_reminders(*, engine: Engine | None = None) -> int:
    """Email the reminders of the correction requests due within 7 days (each once,
    whatever the number of workers: see correction_mails.send_due_reminders)."""
    with session_scope(engine) as session:
        sent = correction_mails.send_due_reminders(session)
    if sent:
        log.info("correction reminders: %d queued", sent)
    return sent


def issue_missing_documents(*, engine: Engine | None = None,
                            limit: int = missing_documents.DEFAULT_LIMIT) -> int:
    """Issue the receipts and decision letters of the dossiers that lack them (at
    most ``limit`` a pass: see missing_documents); the number issued."""
    store = storage.store_from_settings(get_settings())
    with session_scope(engine) as session:
        issued = missing_documents.issue_missing(session, store=store, now=utcnow(),
                                                 limit=limit)
    return issued.total
