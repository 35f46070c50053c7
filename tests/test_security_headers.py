"""SecurityHeaders: every response carries the headers; pages get their inline hashes.

The middleware is tested on small Starlette apps through httpx (which also
checks the bytes are untouched) and by driving the ASGI protocol directly
(granian's ``http.response.pathsend``). tests/e2e/test_hostile.py checks the
same headers on the real compiled portal, and that Chromium reports no
violation.
"""

from __future__ import annotations

import asyncio
import gzip

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from segur_app.api.security_headers import (
    DOCUMENT_CSP,
    PERMISSIONS_POLICY,
    RESOURCE_CSP,
    HeaderPolicy,
    SecurityHeaders,
    csp_hash,
    inline_hashes,
)
from segur_app.core.config import Settings

PAGE = (
    b"<!DOCTYPE html><html><head><style data-emotion=\"css x\">.a{color:red}</style>"
    b"<script>window.__ctx = {\"a\": 1};</script>"
    b"<script type=\"module\" async=\"\">import \"/assets/entry.js\";</script>"
    b"<script src=\"/assets/x.js\"></script></head><body>"
    b"<SCRIPT id=\"_R_\">$RC(\"B:1\",\"S:1\")</SCRIPT></body></html>"
)
HTTP = HeaderPolicy("http://localhost:3000")
HTTPS = HeaderPolicy("https://portail.example.fr/segur/")


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_csp_hashes_follow_the_spec():
    # The example of the CSP specification.
    assert csp_hash(b"alert('Hello, world.');") == "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"


def test_inline_hashes_skip_external_scripts_and_keep_order():
    scripts, styles = inline_hashes(PAGE)
    assert scripts == [csp_hash(b'window.__ctx = {"a": 1};'), csp_hash(b'import "/assets/entry.js";'),
                       csp_hash(b'$RC("B:1","S:1")')]
    assert styles == [csp_hash(b".a{color:red}")]


def test_page_policy_is_strict():
    csp = directives(HTTP.page_csp(["'sha256-abc='"]))
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'", "'unsafe-eval'", "'sha256-abc='"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert csp["script-src-attr"] == ["'none'"]
    assert csp["style-src"] == ["'self'", "'unsafe-inline'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["connect-src"] == ["'self'", "http://localhost:3000", "ws://localhost:3000"]
    for name, value in (("object-src", "'none'"), ("frame-ancestors", "'none'"),
                        ("base-uri", "'self'"), ("form-action", "'self'"), ("frame-src", "'self'")):
        assert csp[name] == [value]
    assert "upgrade-insecure-requests" not in csp


def test_https_adds_wss_hsts_and_upgrade():
    csp = directives(HTTPS.page_csp())
    assert csp["connect-src"] == ["'self'", "https://portail.example.fr", "wss://portail.example.fr"]
    assert "upgrade-insecure-requests" in csp
    headers = dict(HTTPS.common_headers("/"))
    assert headers[b"strict-transport-security"] == b"max-age=31536000; includeSubDomains"
    assert b"strict-transport-security" not in dict(HTTP.common_headers("/"))


def test_extra_origins_are_allowed_to_connect():
    policy = HeaderPolicy("https://portail.example.fr", extra_origins=("http://localhost:8000/",))
    assert policy.connect_sources() == [
        "'self'", "https://portail.example.fr", "wss://portail.example.fr",
        "http://localhost:8000", "ws://localhost:8000",
    ]
    with pytest.raises(ValueError):
        HeaderPolicy("portail.example.fr")


def test_allowed_origins_come_from_the_public_url():
    prod = Settings(env="production", public_url="https://Portail.Example.fr/segur/")
    assert prod.public_origin == "https://portail.example.fr"
    assert prod.allowed_origins == ["https://portail.example.fr"]
    dev = Settings(env="development", public_url="http://localhost:3000")
    assert dev.allowed_origins == ["http://localhost:3000", "http://127.0.0.1:3000"]
    # `make run PORT=3400`: the portal's port under both names, and Vite's.
    other_port = Settings(env="development", public_url="http://127.0.0.1:3400")
    assert other_port.allowed_origins == ["http://127.0.0.1:3400", "http://localhost:3400",
                                          "http://localhost:3000", "http://127.0.0.1:3000"]
    # Only on this machine, and only in development.
    assert Settings(env="development", public_url="http://demo.example:8080").allowed_origins == [
        "http://demo.example:8080", "http://localhost:3000", "http://127.0.0.1:3000"]
    assert Settings(env="test", public_url="http://127.0.0.1:3400").allowed_origins == [
        "http://127.0.0.1:3400"]
    with pytest.raises(ValueError):
        Settings(public_url="portail.example.fr").public_origin  # noqa: B018


def test_rxconfig_restricts_cors_and_the_websocket_to_those_origins():
    import rxconfig
    from segur_app.core.config import get_settings

    assert list(rxconfig.config.cors_allowed_origins) == get_settings().allowed_origins
    assert "*" not in rxconfig.config.cors_allowed_origins


# --------------------------------------------------------------------------- #
# The middleware on a small app
# --------------------------------------------------------------------------- #


@pytest.fixture
def site(tmp_path):
    (tmp_path / "index.html").write_bytes(PAGE)
    (tmp_path / "app.js").write_bytes(b"console.log(1)")
    gzipped = gzip.compress(PAGE)

    async def gzip_page(request):
        return Response(gzipped, media_type="text/html", headers={"content-encoding": "gzip"})

    async def streamed_page(request):
        async def chunks():
            for i in range(0, len(PAGE), 7):
                yield PAGE[i:i + 7]
        from starlette.responses import StreamingResponse
        return StreamingResponse(chunks(), media_type="text/html; charset=utf-8")

    async def own_csp(request):
        return HTMLResponse("<p>x</p>", headers={"content-security-policy": "default-src 'none'",
                                                 "x-content-type-options": "sniff-me"})

    async def boom(request):
        raise RuntimeError("bug")

    app = Starlette(routes=[
        Route("/page", lambda r: HTMLResponse(PAGE)),
        Route("/file", lambda r: FileResponse(tmp_path / "index.html")),
        Route("/gzip", gzip_page),
        Route("/stream", streamed_page),
        Route("/api", lambda r: JSONResponse({"ok": True})),
        Route("/documents/{id}", lambda r: Response(b"%PDF-1.4", media_type="application/pdf")),
        Route("/own", own_csp),
        Route("/boom", boom),
        Mount("/static", app=StaticFiles(directory=tmp_path)),
    ])
    return SecurityHeaders(app, HTTP)


def fetch(app, *requests) -> list[httpx.Response]:
    """``(method, path[, headers])`` requests, in order, through httpx."""
    async def scenario():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:3000") as client:
            responses = []
            for method, path, *headers in requests:
                responses.append(await client.request(method, path, headers=headers[0] if headers else None))
            return responses

    return asyncio.run(scenario())


def assert_common(response: httpx.Response, *, frame: str = "DENY") -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["permissions-policy"] == PERMISSIONS_POLICY
    assert response.headers["x-frame-options"] == frame
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert "strict-transport-security" not in response.headers


def test_pages_get_the_hashes_of_their_own_inline_scripts(site):
    for response in fetch(site, ("GET", "/page"), ("GET", "/file"), ("GET", "/gzip"),
                          ("GET", "/stream"), ("GET", "/static/index.html")):
        assert response.status_code == 200
        assert response.content == PAGE  # bytes untouched (httpx decodes the gzip one)
        assert_common(response)
        assert response.headers["content-security-policy"] == HTTP.page_csp(inline_hashes(PAGE)[0])


def test_other_responses_get_a_deny_all_policy(site):
    js, api, missing, error = fetch(site, ("GET", "/static/app.js"), ("GET", "/api"),
                                    ("GET", "/nowhere"), ("GET", "/boom"))
    for response in (js, api, missing, error):
        assert_common(response)
        assert response.headers["content-security-policy"] == RESOURCE_CSP
    assert error.status_code == 500


def test_documents_may_be_framed_by_the_portal_only(site):
    (document,) = fetch(site, ("GET", "/documents/7"))
    assert_common(document, frame="SAMEORIGIN")
    assert document.headers["content-security-policy"] == DOCUMENT_CSP
    assert "frame-ancestors 'self'" in DOCUMENT_CSP


def test_an_application_policy_is_kept_but_our_headers_win(site):
    (own,) = fetch(site, ("GET", "/own"))
    assert own.headers["content-security-policy"] == "default-src 'none'"
    assert own.headers.get_list("x-content-type-options") == ["nosniff"]


def test_not_modified_keeps_the_cached_policy(site):
    (first,) = fetch(site, ("GET", "/static/index.html"))
    (again,) = fetch(site, ("GET", "/static/index.html", {"if-none-match": first.headers["etag"]}))
    assert again.status_code == 304
    assert "content-security-policy" not in again.headers
    assert_common(again)


def test_head_of_a_page_gets_the_page_policy_without_a_body(site):
    (head,) = fetch(site, ("HEAD", "/page"))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-security-policy"] == HTTP.page_csp()


def test_only_decodable_encodings_are_asked_of_the_app():
    seen = {}

    async def app(scope, receive, send):
        seen.update(dict(scope["headers"]))
        await HTMLResponse("<p>x</p>")(scope, receive, send)

    (response,) = fetch(SecurityHeaders(app, HTTP), ("GET", "/", {"accept-encoding": "br;q=1, zstd, gzip;q=0.5"}))
    assert seen[b"accept-encoding"] == b"gzip;q=0.5"
    assert response.status_code == 200


def test_pathsend_pages_are_read_and_hashed(tmp_path):
    """granian sends files by path (``http.response.pathsend``): the page is
    read to compute its hashes and sent as an ordinary body."""
    path = tmp_path / "page.html"
    path.write_bytes(PAGE)

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8"),
                                (b"content-length", str(len(PAGE)).encode())]})
        await send({"type": "http.response.pathsend", "path": str(path)})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/page", "headers": [],
             "extensions": {"http.response.pathsend": {}}}
    asyncio.run(SecurityHeaders(app, HTTP)(scope, receive, send))
    start, body = sent
    headers = dict(start["headers"])
    assert headers[b"content-security-policy"].decode() == HTTP.page_csp(inline_hashes(PAGE)[0])
    assert body == {"type": "http.response.body", "body": PAGE, "more_body": False}


def test_websockets_and_lifespan_pass_through():
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["type"])

    guard = SecurityHeaders(app, HTTP)
    for kind in ("websocket", "lifespan"):
        asyncio.run(guard({"type": kind, "path": "/_event"}, None, None))
    assert calls == ["websocket", "lifespan"]
