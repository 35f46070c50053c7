"""Nothing of a user stays in a tab once their session is gone.

Driven without a browser (tests/state_harness.py): the tab's whole state tree
is inspected as Reflex would send it. The Chromium round trip is in
tests/e2e/test_session_security.py.
"""

from __future__ import annotations

import asyncio

import pytest

from segur_app import routes
from segur_app.core import db as core_db
from segur_app.state.access import LoginState
from segur_app.state.account import AccountState
from segur_app.state.base import SessionState
from segur_app.state.instruction import DossierState
from segur_app.domain.accounts import sessions
from tests.state_harness import Tab, redirect_target, seed_people, tab_text


@pytest.fixture
def people(db, engine, tmp_path, monkeypatch):
    monkeypatch.setattr(core_db, "get_engine", lambda: engine)
    return seed_people(db, tmp_path / "storage")


def _compact(text: str) -> str:
    return text.replace(" ", "")


async def _open_dossier(people) -> Tab:
    tab = Tab(token=people.staff, path=routes.STAFF_FUNDING_REQUEST,
              query={routes.PARAM_NUMBER: people.dossier_number})
    assert await tab.run(DossierState.load) == []
    shown = _compact(tab_text(tab))
    assert people.iban in shown and people.dossier_number in shown
    return tab


def _assert_clean(tab: Tab, people) -> None:
    shown = _compact(tab_text(tab))
    assert people.iban not in shown
    assert people.dossier_number not in shown
    assert "agent.asp" not in shown


def test_logout_wipes_every_state_of_the_tab(db, people):
    async def scenario():
        tab = await _open_dossier(people)
        # Logout cleared the cookie: the next event of this tab (here the login
        # page's) presents no session.
        tab.set_cookie(None)
        tab.navigate(routes.LOGIN)
        await tab.run(LoginState.clear_messages)
        _assert_clean(tab, people)
        assert (await tab.state(SessionState)).authenticated is False

    asyncio.run(scenario())


def test_a_new_login_in_the_same_tab_starts_from_nothing(db, people):
    async def scenario():
        tab = await _open_dossier(people)
        tab.set_cookie(people.owner)  # another user logs in in this tab
        tab.navigate(routes.ACCOUNT)
        await tab.run(AccountState.load)
        _assert_clean(tab, people)
        assert (await tab.state(SessionState)).user_identifiant == "test.ecomplementaire"

    asyncio.run(scenario())


def test_revocation_and_expiry_wipe_the_tab_at_the_next_event(db, people):
    async def scenario():
        tab = await _open_dossier(people)
        sessions.revoke_session(db, people.staff)  # e.g. « fermer mes autres sessions »
        db.commit()
        out = await tab.run(DossierState.load)
        assert redirect_target(out) == routes.LOGIN
        _assert_clean(tab, people)
        assert (await tab.state(SessionState)).notice.startswith("Votre session a expiré")

    asyncio.run(scenario())


def test_a_replayed_tab_token_without_the_cookie_gets_nothing(db, people):
    """Someone who learnt the tab token (it travels in the websocket URL) but
    not the HttpOnly cookie connects: the hydrate sends defaults only."""

    async def scenario():
        tab = await _open_dossier(people)
        tab.set_cookie(people.other)  # the attacker's own valid session
        tab.navigate(routes.HOME)
        await tab.run(LoginState.clear_messages)
        _assert_clean(tab, people)

    asyncio.run(scenario())


def test_the_tab_keeps_its_states_while_the_session_lives(db, people):
    async def scenario():
        tab = await _open_dossier(people)
        tab.navigate(routes.STAFF_FUNDING_REQUEST, {routes.PARAM_NUMBER: people.dossier_number})
        await tab.run(DossierState.load)
        assert people.iban in _compact(tab_text(tab))

    asyncio.run(scenario())


# --- uploads carry no router data: they are bound to the tab's session too --------


def _upload_event(tab_token: str):
    import io

    import reflex as rx
    from reflex_base.event import Event

    files = [rx.UploadFile(file=io.BytesIO(b"%PDF-1.4\n"), path=None)]
    return Event(name="stage_file", payload={"kind": "pv_verification", "files": files})


def test_an_upload_sent_with_another_cookie_never_runs_in_the_tab(db, people):
    from segur_app.core.security import session_key
    from segur_app.core.session import begin_upload, end_upload
    from segur_app.state.binding import TabBinding

    async def scenario():
        tab = Tab(token=people.owner, path=routes.FUNDING_ADVANCE, tab_token="tab-victim")
        await tab.run(AccountState.load)
        event = _upload_event("tab-victim")
        for key, refused in ((session_key(people.other), True), ("", True),
                             (session_key(people.owner), False)):
            begin_upload("tab-victim", key)
            try:
                update = await TabBinding().preprocess(app=None, state=tab.root, event=event)
            finally:
                end_upload("tab-victim", key)
            assert (update is not None) is refused
            if refused:
                assert not update.delta
        # A websocket event of the tab is never held back by an upload of someone else.
        begin_upload("tab-victim", session_key(people.other))
        try:
            plain = await TabBinding().preprocess(app=None, state=tab.root, event=None)
        finally:
            end_upload("tab-victim", session_key(people.other))
        assert plain is None

    asyncio.run(scenario())


def test_the_handshake_replaces_the_cookie_by_its_hash_and_tracks_uploads():
    from segur_app.api.session import SessionHandshake
    from segur_app.core.security import session_key
    from segur_app.core.session import cookie_name, upload_keys

    seen = {}

    async def inner(scope, receive, send):
        seen["headers"] = dict(scope["headers"])
        seen["uploads"] = upload_keys("tab-1")

    async def scenario():
        scope = {"type": "http", "path": "/_upload", "method": "POST", "headers": [
            (b"cookie", f"other=1; {cookie_name()}=the-token".encode()),
            (b"authorization", b"SegurSession forged"),
            (b"reflex-client-token", b"tab-1"),
        ]}
        await SessionHandshake(inner)(scope, None, None)

    asyncio.run(scenario())
    assert b"cookie" not in seen["headers"]
    assert seen["headers"][b"authorization"] == f"SegurSession {session_key('the-token')}".encode()
    assert seen["uploads"] == {session_key("the-token")}
    assert upload_keys("tab-1") == set()
