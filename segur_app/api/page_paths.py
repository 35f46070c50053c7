"""Pages opened without their trailing slash, served without a redirect.

Reflex prerenders each page as ``<route>/index.html``; Starlette's static
server answers ``GET /connexion`` with a ``307`` to ``/connexion/`` and the
browser asks again. Every link of the portal, of its emails
(``links.absolute_url``) and of its users' bookmarks has no trailing slash, so
each page opened from outside the app paid that round trip before anything
else. :class:`PagesWithoutSlash` hands the static server ``/connexion/``
directly for the portal's page routes (``GET``/``HEAD`` only); the address
the browser shows is unchanged, the page is the same file.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from segur_app import routes

# Route constants that are not pages.
NOT_PAGES = ("/session/", "/documents", "/instruction/export/")


def page_routes() -> frozenset[str]:
    """Every page route of ``segur_app.routes`` but the home page."""
    return frozenset(
        value for name, value in vars(routes).items()
        if name.isupper() and isinstance(value, str) and value.startswith("/") and value != "/"
        and not value.startswith(NOT_PAGES)
    )


class PagesWithoutSlash:
    def __init__(self, app: ASGIApp, pages: frozenset[str] | None = None) -> None:
        self.app = app
        self.pages = page_routes() if pages is None else pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] == "http" and scope.get("method") in ("GET", "HEAD")
                and scope.get("path") in self.pages):
            raw = scope.get("raw_path") or scope["path"].encode()
            scope = {**scope, "path": scope["path"] + "/", "raw_path": raw + b"/"}
        await self.app(scope, receive, send)
