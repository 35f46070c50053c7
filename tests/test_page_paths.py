"""PagesWithoutSlash: /connexion is the prerendered page, without the 307 to /connexion/."""

from __future__ import annotations

import asyncio

import httpx
from starlette.staticfiles import StaticFiles

from segur_app import routes
from segur_app.api.page_paths import PagesWithoutSlash, page_routes


def test_page_routes_are_the_pages_of_routes_py():
    pages = page_routes()
    assert {routes.LOGIN, routes.STAFF_FUNDING_REQUEST, routes.PRIVATE_HOME} <= pages
    assert routes.HOME not in pages
    assert not {routes.SESSION_LOGIN, routes.DOCUMENTS, routes.STAFF_FUNDING_EXPORT} & pages


def test_a_page_without_its_slash_is_served_directly(tmp_path):
    for name in ("connexion", "autre"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "index.html").write_text(f"<p>{name}</p>")
    app = PagesWithoutSlash(StaticFiles(directory=tmp_path, html=True), frozenset({"/connexion"}))

    async def scenario():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:3000") as client:
            return [await client.request(method, path) for method, path in
                    (("GET", "/connexion"), ("HEAD", "/connexion"), ("GET", "/connexion/"),
                     ("GET", "/connexion?erreur=1"), ("GET", "/autre"))]

    plain, head, slash, query, other = asyncio.run(scenario())
    assert plain.status_code == head.status_code == slash.status_code == query.status_code == 200
    assert plain.text == slash.text == query.text == "<p>connexion</p>"
    assert other.status_code == 307 and other.headers["location"].endswith("/autre/")


def test_only_reads_of_pages_are_rewritten():
    seen = []

    async def app(scope, receive, send):
        seen.append((scope["type"], scope.get("method"), scope["path"], scope.get("raw_path")))

    guard = PagesWithoutSlash(app, frozenset({"/connexion"}))
    for scope in ({"type": "http", "method": "GET", "path": "/connexion", "raw_path": b"/connexion"},
                  {"type": "http", "method": "POST", "path": "/connexion"},
                  {"type": "http", "method": "GET", "path": "/connexion/x"},
                  {"type": "websocket", "path": "/connexion"}):
        asyncio.run(guard(scope, None, None))
    assert seen == [("http", "GET", "/connexion/", b"/connexion/"), ("http", "POST", "/connexion", None),
                    ("http", "GET", "/connexion/x", None), ("websocket", None, "/connexion", None)]
