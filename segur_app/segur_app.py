"""The Reflex application: DSFR assets in <head>, French document, pages."""

import reflex as rx

from segur_app import pages  # noqa: F401  (declares every @template page)
from segur_app.api import asgi, redis_health, websocket_guard
from segur_app.components.template import add_pages
from segur_app.core.log_redaction import install_log_redaction
from segur_app.domain.mail import run_mail_worker
from segur_app.frontend import dsfr_bundle
from segur_app.state.binding import TabBinding
from segur_app.tasks import run_housekeeping, run_pdf_process

DSFR = "/dsfr"


def _head_components() -> list[rx.Component]:
    """The stylesheet (the DSFR reduced to what the pages use, then segur.css:
    frontend/dsfr_bundle.py), the preloaded fonts of the first screen, favicons."""
    preloads = [
        rx.el.link(rel=link["rel"], href=link["href"], type=link["type"],
                   cross_origin=link["crossorigin"], custom_attrs={"as": link["as"]})
        for link in dsfr_bundle.preload_links()
    ]
    return [
        *preloads,
        rx.el.link(rel="stylesheet", href=dsfr_bundle.STYLESHEET_URL),
        rx.el.link(rel="apple-touch-icon", href=f"{DSFR}/favicon/apple-touch-icon.png"),
        rx.el.link(rel="icon", href=f"{DSFR}/favicon/favicon.svg", type="image/svg+xml"),
        rx.el.link(rel="manifest", href=f"{DSFR}/favicon/manifest.webmanifest"),
        rx.el.meta(name="theme-color", content="#000091"),
    ]


# PortalApp: rx.App whose whole backend carries the security headers (api/asgi.py).
app = asgi.PortalApp(
    head_components=_head_components(),
    html_lang="fr",
    # The DSFR brings its own reset and typography: no Reflex reset, no Radix theme.
    reset_style=False,
    theme=None,
    # Authorised document downloads, the upload size guard and checks.
    api_transformer=asgi.transform,
    # A failing handler: one short log line and a French message (no traceback flood).
    backend_exception_handler=websocket_guard.backend_exception_handler,
)

add_pages(app)

# Before any event of a tab (hydrate included): its states belong to one session.
app.add_middleware(TabBinding(), index=0)

# Websocket events: per-connection rate limit and shape checks (api/websocket_guard.py).
websocket_guard.install_event_guard(app)
# No secret in the logs: now, and again once the server has set up its logging.
install_log_redaction()
app.register_lifespan_task(install_log_redaction)

# Background tasks: deliver the outbox emails (with retries) while the app runs,
# and remove files chosen in forms but never deposited.
app.register_lifespan_task(run_mail_worker)
app.register_lifespan_task(run_housekeeping)
# Receipts rendered in a helper process beside each worker (domain/pdf_process.py).
app.register_lifespan_task(run_pdf_process)
# With Redis: fail closed while it is down, recover when it returns.
app.register_lifespan_task(redis_health.watch_redis)
