"""The background mail worker: :func:`deliver_due` every few seconds (a Reflex lifespan task)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.engine import Engine

from segur_app.core.config import Settings, get_settings
from segur_app.core.db import get_engine
from segur_app.domain.mail.delivery import deliver_due
from segur_app.domain.mail.transports import MailTransport, transport_from_settings

logger = logging.getLogger(__name__)

__all__ = ["run_mail_worker"]


async def run_mail_worker(
    stop: asyncio.Event | None = None,
    *,
    engine: Engine | None = None,
    transport: MailTransport | None = None,
    poll_seconds: float | None = None,
    settings: Settings | None = None,
    batch_size: int = 50,
) -> None:
    """Deliver due emails every ``poll_seconds`` until ``stop`` is set or cancelled.

    Usable as is as a Reflex lifespan task
    (``app.register_lifespan_task(run_mail_worker)``): no required argument;
    Reflex cancels it on shutdown. Each round runs :func:`deliver_due` in a
    thread; any exception is logged and the loop goes on. When a round fills a
    whole batch, the next one starts at once. A cancellation does not interrupt
    a round already running in its thread: that round finishes in the
    background (its claims protect the messages either way).
    """
    settings = settings or get_settings()
    poll = settings.mail_poll_seconds if poll_seconds is None else poll_seconds
    stop = stop or asyncio.Event()
    chosen_transport = transport or transport_from_settings(settings)
    logger.info("Mail worker started (%r, every %ss)", chosen_transport, poll)
    try:
        while not stop.is_set():
            backlog = False
            try:
                report = await asyncio.to_thread(
                    deliver_due,
                    engine or get_engine(),
                    transport=chosen_transport,
                    settings=settings,
                    batch_size=batch_size,
                )
                if report.processed or report.skipped:
                    logger.info(
                        "Mail worker: %s sent, %s to retry, %s failed, %s skipped",
                        report.sent, report.retried, report.failed, report.skipped,
                    )
                backlog = report.processed + report.skipped >= batch_size
            except Exception:
                logger.exception("Mail worker: delivery round failed; next try in %ss", poll)
            if backlog:
                await asyncio.sleep(0)
                continue
            try:
                await asyncio.wait_for(stop.wait(), timeout=poll)
            except TimeoutError:
                pass
    except asyncio.CancelledError:
        logger.info("Mail worker cancelled")
        raise
    logger.info("Mail worker stopped")
