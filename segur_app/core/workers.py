"""Backend worker processes (``reflex run --env prod``, granian).

Reflex 0.10 starts granian's ``Server`` itself (``reflex.utils.exec.
run_granian_backend_prod``) with only the worker count (``GRANIAN_WORKERS``,
set from ``SEGUR_WORKERS`` in rxconfig.py) and granian's defaults — among them
``respawn_failed_workers=False``: a worker that dies (OOM killer, SIGKILL, a
crash in a native library) would not be replaced, and the machine would serve
on fewer workers until the service restarts. :func:`respawn_failed_workers`
makes granian replace it (its own ``respawn_failed_workers`` option, after
``respawn_interval`` seconds); the supervisor process keeps its socket, so the
other workers serve meanwhile and the tabs of the dead one reconnect to them
(their states are in Redis, their sessions in the database).

Called from rxconfig.py, i.e. in the process that builds granian's server.
"""

from __future__ import annotations

import functools


def respawn_failed_workers(interval: float = 1.0) -> None:
    """Give granian's server ``respawn_failed_workers=True`` by default."""
    try:
        import granian.server as granian_server
    except ImportError:  # pragma: no cover - granian comes with Reflex
        return
    server = granian_server.Server
    if getattr(server, "_segur_respawn", False):
        return

    class RespawningServer(server):  # type: ignore[misc, valid-type]
        _segur_respawn = True

        @functools.wraps(server.__init__)
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("respawn_failed_workers", True)
            kwargs.setdefault("respawn_interval", interval)
            super().__init__(*args, **kwargs)

    granian_server.Server = RespawningServer
