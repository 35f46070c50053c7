"""CacheHeaders: a year for content-hashed files, revalidation for the other
static files and the prerendered pages, nothing stored for the rest.

At the ASGI level on a small Starlette app that serves files like the
compiled portal (Starlette's StaticFiles, as Reflex's static server), with
SecurityHeaders around it as in PortalApp. tests/e2e/test_page_load.py checks
the headers of every request of the real login page.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from segur_app import routes
from segur_app.api.cache_headers import (
    IMMUTABLE,
    NO_STORE,
    PRIVATE,
    REVALIDATE,
    CacheHeaders,
    cache_control,
    is_hashed,
)
from segur_app.api.security_headers import HeaderPolicy, SecurityHeaders

VITE_JS = "/assets/entry.client-DMqNtF3h.js"
VITE_CSS = "/assets/__reflex_global_styles-B-VH2sX5.css"
FONT = "/dsfr-portail/fonts/Marianne-Regular-812177facf.woff2"
ICON = "/dsfr-portail/icons/system/close-line-0be127f1a5.svg"


@pytest.mark.parametrize("path", [VITE_JS, VITE_CSS, "/assets/_connexion_._index-C88z1cj0.js",
                                  "/assets/manifest-7799f920.js", FONT, ICON])
def test_content_hashed_names(path):
    assert is_hashed(path)


@pytest.mark.parametrize("path", [
    "/dsfr-portail/portail.css", "/dsfr/fonts/Marianne-Bold_Italic.woff2", "/dsfr/dsfr.min.css",
    "/connexion/", "/favicon.ico", "/assets/", "/assets/sub/entry-DMqNtF3h.js",
    "/dsfr-portail/fonts/Marianne-Regular-812177FACF.woff2", "/x/assets/entry.client-DMqNtF3h.js",
])
def test_names_that_are_not_content_hashed(path):
    assert not is_hashed(path)


def test_decision_table():
    etag = [(b"etag", b'"1"'), (b"last-modified", b"x")]
    assert cache_control("GET", VITE_JS, 200, etag) == IMMUTABLE
    assert cache_control("HEAD", FONT, 304, etag) == IMMUTABLE
    assert cache_control("GET", "/connexion/", 200, etag) == REVALIDATE
    assert cache_control("GET", "/dsfr-portail/portail.css", 200, etag) == REVALIDATE
    assert cache_control("GET", VITE_JS, 404, etag) == NO_STORE
    assert cache_control("GET", "/connexion", 307, []) == NO_STORE
    assert cache_control("POST", "/connexion/", 200, etag) == NO_STORE
    assert cache_control("GET", "/ping", 200, []) == NO_STORE
    assert cache_control("GET", "/session/deconnexion", 303, [(b"cache-control", b"no-store")]) == PRIVATE
    assert cache_control("GET", "/quelque-part", 200, [(b"Cache-Control", b"max-age=60")]) is None
    for private in (routes.DOCUMENTS + "/7", routes.STAFF_FUNDING_EXPORT, routes.STAFF_ENROLMENT_EXPORT,
                    "/_upload", "/_event/", routes.SESSION_LOGIN):
        assert cache_control("GET", private, 200, etag + [(b"cache-control", b"public")]) == PRIVATE, private


@pytest.fixture
def site(tmp_path):
    """Files laid out like .web/build/client, plus dynamic routes."""
    for path, body in ((VITE_JS, b"console.log(1)"), (FONT, b"wOF2"), ("/dsfr-portail/portail.css", b"a{}"),
                       ("/connexion/index.html", b"<!DOCTYPE html><p>Connexion</p>"),
                       ("/dsfr/favicon/favicon.svg", b"<svg/>")):
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)

    app = Starlette(routes=[
        Route(routes.DOCUMENTS + "/{id}", lambda r: Response(b"%PDF-1.4", media_type="application/pdf")),
        Route(routes.STAFF_FUNDING_EXPORT, lambda r: Response(b"a;b\n", media_type="text/csv")),
        Route("/ping", lambda r: JSONResponse("pong")),
        Route("/html", lambda r: HTMLResponse("<p>Bonjour Camille</p>")),
        Route("/own", lambda r: PlainTextResponse("x", headers={"cache-control": "max-age=60"})),
        Route("/session/connexion", lambda r: RedirectResponse("/espace", 303), methods=["POST"]),
        Mount("/", app=StaticFiles(directory=tmp_path, html=True)),
    ])
    return SecurityHeaders(CacheHeaders(app), HeaderPolicy("http://localhost:3000"))


def fetch(app, *requests) -> list[httpx.Response]:
    async def scenario():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:3000") as client:
            return [await client.request(method, path, headers=headers[0] if headers else None)
                    for method, path, *headers in requests]

    return asyncio.run(scenario())


def test_hashed_files_are_cached_for_a_year(site):
    js, font, head = fetch(site, ("GET", VITE_JS), ("GET", FONT), ("HEAD", FONT))
    for response in (js, font, head):
        assert response.status_code == 200
        assert response.headers["cache-control"] == IMMUTABLE.decode()
        assert "content-security-policy" in response.headers  # SecurityHeaders still there


def test_pages_and_other_static_files_are_revalidated(site):
    page, css, icon = fetch(site, ("GET", "/connexion/"), ("GET", "/dsfr-portail/portail.css"),
                            ("GET", "/dsfr/favicon/favicon.svg"))
    for response in (page, css, icon):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["etag"]
    (again,) = fetch(site, ("GET", "/connexion/", {"if-none-match": page.headers["etag"]}))
    assert again.status_code == 304
    assert again.headers["cache-control"] == "no-cache"


def test_private_and_dynamic_responses_are_never_stored(site):
    document, export, ping, html, missing, redirect, login = fetch(
        site, ("GET", routes.DOCUMENTS + "/7"), ("GET", routes.STAFF_FUNDING_EXPORT), ("GET", "/ping"),
        ("GET", "/html"), ("GET", "/assets/nothing-DMqNtF3h.js"), ("GET", "/connexion"),
        ("POST", "/session/connexion"))
    assert document.headers["cache-control"] == export.headers["cache-control"] == "private, no-store"
    assert login.status_code == 303 and login.headers["cache-control"] == "private, no-store"
    for response in (ping, html, missing, redirect):
        assert response.headers["cache-control"] == "no-store", response.url
    assert missing.status_code == 404 and redirect.status_code == 307


def test_an_application_choice_is_kept_and_sent_once(site):
    (own,) = fetch(site, ("GET", "/own"))
    assert own.headers.get_list("cache-control") == ["max-age=60"]


def test_websockets_and_lifespan_pass_through():
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["type"])

    for kind in ("websocket", "lifespan"):
        asyncio.run(CacheHeaders(app)({"type": kind, "path": "/_event"}, None, None))
    assert calls == ["websocket", "lifespan"]


def test_the_portal_backend_is_wrapped(monkeypatch):
    """PortalApp's ASGI app: SecurityHeaders around CacheHeaders around Reflex's."""
    from segur_app.api import asgi

    sentinel = object()
    monkeypatch.setattr(asgi.rx.App, "__call__", lambda self: sentinel)
    wrapped = asgi.PortalApp.__call__(object.__new__(asgi.PortalApp))
    assert isinstance(wrapped, SecurityHeaders)
    assert isinstance(wrapped.app, CacheHeaders) and wrapped.app.app is sentinel
