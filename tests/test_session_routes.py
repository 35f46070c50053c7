"""Login and logout as HTTP form POSTs: the HttpOnly cookie, CSRF, revocation."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from segur_app import routes
from segur_app.api import asgi
from segur_app.core import db as core_db
from segur_app.core.config import get_settings
from segur_app.core.security import SECURE_SESSION_COOKIE, SESSION_COOKIE, session_key
from segur_app.domain import access
from tests.state_harness import seed_people

ORIGIN = "http://localhost:3000"


async def _not_found(scope, receive, send):
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def client(db, engine, tmp_path, monkeypatch):
    monkeypatch.setattr(core_db, "get_engine", lambda: engine)
    seed_people(db, tmp_path / "storage")
    get_settings.cache_clear()
    yield TestClient(asgi.transform(_not_found), base_url=ORIGIN, follow_redirects=False)
    get_settings.cache_clear()


def _login(client, identifiant="agent.asp", password="Instruct2023!", origin=ORIGIN, **headers):
    return client.post(routes.SESSION_LOGIN, data={"identifiant": identifiant, "password": password},
                       headers={"Origin": origin, **headers})


def test_login_sets_an_httponly_strict_cookie_and_lands_on_the_users_screen(client, db):
    response = _login(client)
    assert response.status_code == 303
    assert response.headers["location"].endswith(routes.STAFF_HOME)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    for attribute in ("HttpOnly", "Path=/", "SameSite=strict"):
        assert attribute in cookie
    assert "Secure" not in cookie and "Max-Age" not in cookie  # http; ends with the browser
    token = cookie.split(";")[0].split("=", 1)[1]
    assert access.live_session(db, session_key(token)) is not None


def test_a_failed_login_says_why_with_a_code_never_free_text(client):
    response = _login(client, password="wrong")
    assert response.status_code == 303 and "set-cookie" not in response.headers
    assert response.headers["location"].endswith(
        f"{routes.LOGIN}?{routes.LOGIN_MESSAGE_PARAM}=echec")
    assert _login(client, password="").headers["location"].endswith("=incomplet")


@pytest.mark.parametrize("headers", [
    {"Origin": "https://attacker.example"},
    {"Origin": "null"},
    {"Origin": ORIGIN, "Sec-Fetch-Site": "cross-site"},
])
def test_a_cross_site_login_is_refused(client, headers):
    response = client.post(routes.SESSION_LOGIN,
                           data={"identifiant": "agent.asp", "password": "Instruct2023!"},
                           headers=headers)
    assert response.headers["location"].endswith("=refuse") and "set-cookie" not in response.headers


def test_the_reset_pages_no_referrer_policy_does_not_break_login(client):
    """Chrome sends ``Origin: null`` under ``no-referrer``; Sec-Fetch-Site says it all."""
    response = _login(client, origin="null", **{"Sec-Fetch-Site": "same-origin"})
    assert "set-cookie" in response.headers


def test_logout_revokes_clears_the_cookie_and_the_tab_storage(client, db):
    token = _login(client).headers["set-cookie"].split(";")[0].split("=", 1)[1]
    client.cookies.set(SESSION_COOKIE, token)
    response = client.post(routes.SESSION_LOGOUT, headers={"Origin": ORIGIN})
    assert response.status_code == 303
    assert response.headers["location"].endswith("=deconnecte")
    assert response.headers["clear-site-data"] == '"storage"'
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    db.expire_all()
    assert access.live_session(db, session_key(token)) is None


def test_a_cross_site_logout_changes_nothing(client, db):
    token = _login(client).headers["set-cookie"].split(";")[0].split("=", 1)[1]
    client.cookies.set(SESSION_COOKIE, token)
    response = client.post(routes.SESSION_LOGOUT, headers={"Origin": "https://attacker.example"})
    assert "set-cookie" not in response.headers
    assert access.live_session(db, session_key(token)) is not None


def test_over_https_the_cookie_is_secure_with_the_host_prefix(client, monkeypatch):
    monkeypatch.setenv("SEGUR_PUBLIC_URL", "https://segurnum.example")
    get_settings.cache_clear()
    response = _login(client, origin="https://segurnum.example")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SECURE_SESSION_COOKIE}=") and "Secure" in cookie
    assert "Domain" not in cookie and "Path=/" in cookie


def test_an_oversized_or_garbled_form_is_refused_without_error(client):
    big = client.post(routes.SESSION_LOGIN, content=b"identifiant=" + b"a" * 20_000,
                      headers={"Origin": ORIGIN,
                               "Content-Type": "application/x-www-form-urlencoded"})
    assert big.status_code == 303 and big.headers["location"].endswith("=refuse")
    garbled = client.post(routes.SESSION_LOGIN, content=b"\xff\xfe--garbage",
                          headers={"Origin": ORIGIN, "Content-Type": "multipart/form-data"})
    assert garbled.status_code == 303
