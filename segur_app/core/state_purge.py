"""The disk state manager's purge of expired tab states, at most once a minute.

Without Redis, Reflex 0.10 keeps each tab's state in ``.states/`` (one pickle
per tab) and its write loop (``StateManagerDisk._process_write_queue``) calls
``_purge_expired_states`` on **every** turn, i.e. after each debounce period
whenever a state was written: it lists the whole directory and stats every
file, on a worker thread, while the portal serves. With a few thousand tabs
that is a directory scan every few tenths of a second, competing with the
events and the deposits for the same cores (and for the GIL while it builds
the paths). A state expires after ``token_expiration`` (an hour by default):
scanning once a minute removes it at most a minute later, which changes
nothing for anyone. The first call (at start, from the manager's
``__post_init__``) always runs.

:func:`throttle_disk_state_purge` is called from rxconfig.py, in every
process that may create the state manager.
"""

from __future__ import annotations

import functools
import threading
import time

PURGE_PERIOD_SECONDS = 60.0


def throttle_disk_state_purge(period: float = PURGE_PERIOD_SECONDS) -> bool:
    """Make ``StateManagerDisk._purge_expired_states`` run at most once per
    ``period`` seconds in this process. Idempotent; False when Reflex has no
    such method (another version: nothing is changed)."""
    try:
        from reflex.istate.manager.disk import StateManagerDisk
    except ImportError:  # pragma: no cover - Reflex 0.10 has it
        return False
    purge = getattr(StateManagerDisk, "_purge_expired_states", None)
    if purge is None:  # pragma: no cover
        return False
    if getattr(purge, "_segur_throttled", False):
        return True
    lock = threading.Lock()
    last_run = [float("-inf")]

    @functools.wraps(purge)
    def throttled(self) -> None:
        now = time.monotonic()
        with lock:
            if now - last_run[0] < period:
                return
            last_run[0] = now
        purge(self)

    throttled._segur_throttled = True  # type: ignore[attr-defined]
    throttled._segur_original = purge  # type: ignore[attr-defined]
    StateManagerDisk._purge_expired_states = throttled  # type: ignore[method-assign]
    return True
