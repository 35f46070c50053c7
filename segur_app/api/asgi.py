"""What the portal adds to Reflex's backend ASGI app (see ``rx.App(api_transformer=)``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from segur_app.api import documents


def transform(reflex_app: ASGIApp) -> ASGIApp:
    """Our routes first, then everything else goes to Reflex."""
    return Starlette(routes=[*documents.routes, Mount("", app=reflex_app)])
