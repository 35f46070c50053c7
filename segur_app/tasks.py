"""Background tasks run by the app while it serves (see segur_app.py)."""

from __future__ import annotations

import asyncio
import logging
import time

from segur_app.core.config import get_settings
from segur_app.core.db import session_scope
from segur_app.domain import storage, throttling

log = logging.getLogger(__name__)

STAGING_MAX_AGE_SECONDS = 24 * 3600
HOUSEKEEPING_PERIOD_SECONDS = 3600


async def run_housekeeping() -> None:
    """Hourly: delete files chosen in a form but never deposited (after 24 h), and
    login failure counters that no longer matter."""
    while True:
        try:
            removed = await asyncio.to_thread(
                storage.purge_stale_staging,
                storage_dir=get_settings().storage_dir,
                older_than_seconds=STAGING_MAX_AGE_SECONDS,
                now=time.time(),
            )
            if removed:
                log.info("housekeeping: %d abandoned staged file(s) removed", removed)
            await asyncio.to_thread(purge_login_counters)
        except Exception:  # keep the loop alive whatever happens
            log.exception("housekeeping failed")
        await asyncio.sleep(HOUSEKEEPING_PERIOD_SECONDS)


def purge_login_counters() -> int:
    """Delete the stale login failure counters (see throttling.purge_stale_counters)."""
    with session_scope() as session:
        return throttling.purge_stale_counters(session)
