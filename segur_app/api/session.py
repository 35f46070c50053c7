"""The session cookie: login and logout as HTTP form POSTs, and the handshake.

The session token lives only in an ``HttpOnly`` cookie (``SameSite=Strict``,
``Secure`` with the ``__Host-`` prefix over https), set and cleared here by
HTTP responses — never by JavaScript, never in Reflex state:

* ``POST routes.SESSION_LOGIN`` (the « Accéder à mon espace personnel »
  form posts there natively, so it works before the page has hydrated)
  checks the credentials (Argon2id in a worker thread), sets the cookie and
  answers ``303`` to the user's next screen, or back to the login page with
  a message code;
* ``POST routes.SESSION_LOGOUT`` revokes the session, clears the cookie and
  the tab's storage (``Clear-Site-Data``: the next page gets a fresh tab
  token) and answers ``303`` to the login page.

Both refuse a cross-site ``Origin`` (login CSRF).

:class:`SessionHandshake` wraps the backend: on the websocket handshake and
the upload requests it replaces the ``Cookie`` header by an ``Authorization:
SegurSession <sha256 of the token>`` header. Reflex copies handshake headers
into its state (and from there to ``.states/`` or Redis) and logs them with
failed events: they only ever see the hash, which the database also stores
and which cannot be used as a cookie. Reflex never sends ``Authorization``
to the browser.

:func:`authorise_request` is the access policy for the HTTP routes
(``/documents``, the CSV exports): the same ``domain.access.authorise`` as
the state handlers.
"""

from __future__ import annotations

import asyncio
import logging
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from reflex.config import get_config
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from segur_app import routes
from segur_app.core import client_address
from segur_app.core.config import get_settings
from segur_app.core.db import session_scope
from segur_app.core.security import session_key
from segur_app.core.session import (
    AUTH_SCHEME,
    CODE_OF_ERROR,
    decide,
    begin_upload,
    cookie_name,
    end_upload,
    home_route,
    key_from_authorization,
    login_url,
)
from segur_app.domain import access
from segur_app.domain.access import AUDIENCE_ATTRIBUTE, Audience, Decision
from segur_app.domain.passwords import MAX_LENGTH
from segur_app.domain.accounts import login as account_login, sessions

logger = logging.getLogger(__name__)

# Paths whose requests reach Reflex state: the websocket and the uploads.
HANDSHAKE_PREFIXES = ("/_event", "/_upload")
MAX_FORM_BYTES = 8 * 1024


# --- the websocket / upload handshake ---------------------------------------------


class SessionHandshake:
    """ASGI middleware: the state layer sees the session key, never the token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope.get("path", "").startswith(
            HANDSHAKE_PREFIXES
        ):
            await self.app(scope, receive, send)
            return
        headers = _hashed_headers(scope.get("headers") or [])
        scope = dict(scope, headers=headers)
        tab = _header(headers, b"reflex-client-token")
        if scope["type"] != "http" or not scope["path"].startswith("/_upload") or not tab:
            await self.app(scope, receive, send)
            return
        key = key_from_authorization(_header(headers, b"authorization"))
        begin_upload(tab, key)
        try:
            await self.app(scope, receive, send)
        finally:
            end_upload(tab, key)


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def _hashed_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    name = cookie_name()
    token = ""
    kept = []
    for key, value in headers:
        lowered = key.lower()
        if lowered == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed Cookie header: no session
                continue
            if name in jar:
                token = jar[name].value
        elif lowered != b"authorization":  # a client-sent one would be forged
            kept.append((key, value))
    if token:
        kept.append((b"authorization", f"{AUTH_SCHEME} {session_key(token)}".encode()))
    return kept


# --- the private HTTP routes -----------------------------------------------------


def request_session_key(request: Request) -> str:
    return session_key(request.cookies.get(cookie_name()))



async def authorise_request(request: Request, audience: Audience) -> Decision:
    """The access policy for an HTTP request (the caller answers 401/403)."""
    return await decide(
        request_session_key(request), audience, route=request.url.path,
        client_address=client_address.from_scope(request.scope),
    )


def refusal(decision: Decision) -> Response:
    """The HTTP answer to a refused decision."""
    if decision.principal is None:
        return PlainTextResponse("Authentification requise.", status_code=401)
    return PlainTextResponse("Accès refusé.", status_code=403)


def guarded_route(path: str, audience: Audience, *, methods: tuple[str, ...] = ("GET",)):
    """Declare a private HTTP route: ``endpoint(request, principal)`` runs only
    once the access policy allows ``audience`` (the same declaration as the
    state handlers' ``@guarded``; the authorisation matrix test reads it)."""

    def decorate(endpoint) -> Route:
        async def run(request: Request) -> Response:
            decision = await authorise_request(request, audience)
            if not decision.allowed:
                return refusal(decision)
            return await endpoint(request, decision.principal)

        setattr(run, AUDIENCE_ATTRIBUTE, audience)
        run.__name__ = endpoint.__name__
        return Route(path, run, methods=list(methods))

    return decorate


def public_route(path: str, *, methods: tuple[str, ...] = ("GET",)):
    def decorate(endpoint) -> Route:
        setattr(endpoint, AUDIENCE_ATTRIBUTE, Audience.PUBLIC)
        return Route(path, endpoint, methods=list(methods))

    return decorate


# --- login / logout ------------------------------------------------------------


def _same_origin(request: Request) -> bool:
    """The form was posted from one of our own pages.

    ``Sec-Fetch-Site`` first (sent by every current browser, whatever the
    referrer policy: the reset page's ``no-referrer`` makes Chrome send
    ``Origin: null``), else ``Origin``, else ``Referer``.
    """
    fetch_site = request.headers.get("sec-fetch-site", "")
    if fetch_site == "same-origin":
        return True
    if fetch_site == "cross-site":
        return False
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    if not source or source == "null":
        return False
    netloc = urlsplit(source).netloc
    allowed = {request.headers.get("host", ""), urlsplit(get_settings().public_url).netloc}
    return netloc in allowed


def _redirect(route: str) -> RedirectResponse:
    """303 to a page. Relative in production (single port: the browser stays on
    the origin it used, where the cookie was set); to the frontend in dev."""
    from reflex_base.environment import environment

    if environment.REFLEX_ENV_MODE.get().value == "dev":
        route = get_config().deploy_url.rstrip("/") + route
    return RedirectResponse(route, status_code=303, headers={"Cache-Control": "no-store"})


async def _read_form(request: Request) -> dict[str, str] | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        return None
    try:
        form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM_BYTES)
    except Exception:  # malformed body: treated as an empty form
        return {}
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _set_cookie(response: Response, token: str) -> None:
    settings = get_settings()
    response.set_cookie(
        cookie_name(), token, path="/", httponly=True, samesite="strict",
        secure=settings.is_https,
    )


def _clear_cookie(response: Response) -> None:
    settings = get_settings()
    response.delete_cookie(
        cookie_name(), path="/", httponly=True, samesite="strict", secure=settings.is_https,
    )


@public_route(routes.SESSION_LOGIN, methods=("POST",))
async def login(request: Request) -> Response:
    if not _same_origin(request):
        logger.warning("login refused: cross-site post (origin %.100r, host %.100r)",
                       request.headers.get("origin"), request.headers.get("host"))
        return _redirect(login_url("refuse"))
    form = await _read_form(request)
    if form is None:
        return _redirect(login_url("refuse"))
    identifiant = form.get("identifiant", "")[:64].strip()
    password = form.get("password", "")[: MAX_LENGTH + 1]
    if not identifiant or not password:
        return _redirect(login_url("incomplet"))
    address = client_address.from_scope(request.scope)
    user_agent = request.headers.get("user-agent", "")[:255] or None

    def work():
        with session_scope() as session:
            result = account_login.authenticate(
                session, identifiant=identifiant, password=password,
                client_address=address, user_agent=user_agent,
            )
            if not result.ok:
                return result, None
            decision = access.authorise(
                session, session_key=session_key(result.token), audience=Audience.PUBLIC
            )
            return result, decision.principal

    result, principal = await asyncio.to_thread(work)
    if not result.ok or principal is None:
        return _redirect(login_url(CODE_OF_ERROR.get(result.error or "", "echec")))
    response = _redirect(home_route(principal))
    _set_cookie(response, result.token)
    return response


@public_route(routes.SESSION_LOGOUT, methods=("POST",))
async def logout(request: Request) -> Response:
    response = _redirect(login_url("deconnecte"))
    if not _same_origin(request):
        return response  # a cross-site POST changes nothing
    token = request.cookies.get(cookie_name())

    def work():
        with session_scope() as session:
            sessions.revoke_session(session, token)

    if token:
        await asyncio.to_thread(work)
    _clear_cookie(response)
    # The tab's sessionStorage holds Reflex's tab token: a fresh one after logout.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


http_routes = [login, logout]
