"""The authorisation matrix, generated from the code.

Every event handler of every state of the portal (enumerated from Reflex's
state tree, not listed here) and every HTTP route of ``api/`` is called as
five visitors: anonymous, a supplier in first login, a supplier of another
company, the owner supplier and an ASP agent. Each handler must declare its
audience (``@guarded(...)`` / ``@public``; ``guarded_route`` for HTTP): one
that declares nothing fails here. Visitors outside the audience are refused
(a redirect, or 401/403/404 over HTTP) and the database is left unchanged;
visitors inside it are not sent to the login page.

The audit log is left out of the comparison on purpose: refusals are audited.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel
from starlette.testclient import TestClient

import segur_app.pages  # noqa: F401  (registers every state of the portal)
from segur_app import routes
from segur_app.api import asgi
from segur_app.api.session import AUDIENCE_ATTRIBUTE as ROUTE_AUDIENCE
from segur_app.core import db as core_db
from segur_app.core.session import cookie_name
from segur_app.domain.access import Audience
from segur_app.state.base import AUDIENCE_ATTRIBUTE, SessionState, state_tree
from tests.state_harness import Tab, redirect_target, seed_people

VISITORS = ("anonymous", "first_login", "other", "owner", "staff")
ALLOWED = {
    Audience.PUBLIC: set(VISITORS),
    Audience.USER: {"other", "owner", "staff"},
    Audience.SUPPLIER: {"other", "owner"},
    Audience.STAFF: {"staff"},
    Audience.PASSWORD_CHANGE: {"first_login"},
    Audience.SECRET_QUESTION: set(),  # none of the five is at that step
}
# Reflex adds a generic `setvar` to every state: it declares no audience, so the
# websocket guard refuses it (tests/test_websocket_guard.py).
FRAMEWORK_HANDLERS = {"setvar"}
SKIPPED_TABLES = {"audit_event"}


def _handlers():
    found = []
    for cls in state_tree():
        for name, handler in cls.event_handlers.items():
            if name not in FRAMEWORK_HANDLERS:
                found.append(pytest.param(cls, name, handler, id=f"{cls.__name__}.{name}"))
    return found


HANDLERS = _handlers()


def test_the_tree_is_the_whole_portal():
    names = {cls.__name__ for cls in state_tree()}
    assert {"SessionState", "DossierState", "AccountState", "AdvanceState",
            "StaffEnrolmentsState", "AssistanceFormState"} <= names
    assert len(HANDLERS) > 60


@pytest.mark.parametrize(("cls", "name", "handler"), HANDLERS)
def test_every_handler_declares_its_audience(cls, name, handler):
    audience = getattr(handler.fn, AUDIENCE_ATTRIBUTE, None)
    assert isinstance(audience, Audience), (
        f"{cls.__name__}.{name} declares no audience: decorate it with "
        "@guarded(Audience...) or @public (segur_app/state/base.py)"
    )


def _dummy_arguments(fn) -> list:
    """Harmless values of the declared types (what a hostile client could send)."""
    values = []
    for parameter in list(inspect.signature(fn).parameters.values())[1:]:
        annotation = str(parameter.annotation)
        if annotation.startswith("dict"):
            values.append({})
        elif annotation.startswith("list"):
            values.append([])
        elif annotation.startswith("int"):
            values.append(0)
        elif annotation.startswith("bool"):
            values.append(False)
        else:
            values.append("")
    return values


def _snapshot(engine) -> dict[str, list]:
    rows = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in SKIPPED_TABLES:
                continue
            columns = [c for c in table.columns if c.name != "last_seen_at"]
            rows[table.name] = [tuple(r) for r in conn.execute(
                sa.select(*columns).order_by(*table.primary_key.columns)
            )]
    return rows


@pytest.fixture(scope="module")
def matrix_world(engine, tmp_path_factory):
    """One database for the whole matrix (cleared afterwards)."""
    from sqlmodel import Session

    storage = tmp_path_factory.mktemp("matrix") / "storage"
    with Session(engine, expire_on_commit=False) as db:
        people = seed_people(db, storage)
    yield people, storage
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def world(matrix_world, engine, monkeypatch):
    people, storage = matrix_world
    monkeypatch.setattr(core_db, "get_engine", lambda: engine)
    monkeypatch.setenv("SEGUR_STORAGE_DIR", str(storage))
    from segur_app.core.config import get_settings

    get_settings.cache_clear()
    yield people
    get_settings.cache_clear()


def _token(people, visitor: str) -> str | None:
    return None if visitor == "anonymous" else getattr(people, visitor)


@pytest.mark.parametrize(("cls", "name", "handler"), HANDLERS)
def test_each_handler_refuses_whoever_is_outside_its_audience(world, engine, cls, name, handler):
    audience = getattr(handler.fn, AUDIENCE_ATTRIBUTE, None)
    assert audience is not None, f"{cls.__name__}.{name} declares no audience"
    arguments = _dummy_arguments(handler.fn)

    async def call(visitor: str) -> list:
        tab = Tab(token=_token(world, visitor), path=routes.HOME,
                  tab_token=f"tab-{visitor}")
        return await tab.run(handler, *arguments)

    for visitor in VISITORS:
        before = _snapshot(engine)
        outputs = asyncio.run(call(visitor))
        target = redirect_target(outputs)
        if visitor in ALLOWED[audience]:
            assert target != routes.LOGIN, f"{cls.__name__}.{name} refused {visitor}"
        else:
            assert target is not None, f"{cls.__name__}.{name} ran for {visitor}"
            assert _snapshot(engine) == before, f"{cls.__name__}.{name} changed data for {visitor}"


# --- HTTP routes -------------------------------------------------------------------


async def _not_found(scope, receive, send):
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _http_routes():
    app = asgi.transform(_not_found)
    while not hasattr(app, "routes"):  # inside the upload guards
        app = app.app
    return [route for route in app.routes if hasattr(route, "endpoint")]


HTTP_ROUTES = [pytest.param(route, id=route.path) for route in _http_routes()]


@pytest.mark.parametrize("route", HTTP_ROUTES)
def test_every_http_route_declares_its_audience(route):
    assert isinstance(getattr(route.endpoint, ROUTE_AUDIENCE, None), Audience), (
        f"{route.path} declares no audience: use guarded_route or public_route "
        "(segur_app/api/session.py)"
    )


@pytest.mark.parametrize("route", HTTP_ROUTES)
def test_each_private_route_refuses_whoever_is_outside_its_audience(world, engine, route):
    audience = getattr(route.endpoint, ROUTE_AUDIENCE)
    if audience is Audience.PUBLIC:
        return
    path = (route.path.replace("{attachment_id}", str(world.attachment_id))
            .replace("{number}", world.dossier_number))
    client = TestClient(asgi.transform(_not_found), base_url="http://localhost:3000",
                        follow_redirects=False)
    for visitor in VISITORS:
        token = _token(world, visitor)
        before = _snapshot(engine)
        response = client.get(path, headers={"Cookie": f"{cookie_name()}={token}"} if token else {})
        if visitor in ALLOWED[audience] and visitor != "other":
            # 303: the receipt's link leads to the document itself (checked again there).
            assert response.status_code in (200, 303), f"{path} refused {visitor}"
        elif visitor == "other" and ("{attachment_id}" in route.path or "{number}" in route.path):
            # A supplier of another company: the document does not exist for them.
            assert response.status_code == 404
        else:
            assert response.status_code in (401, 403, 404), f"{path} served {visitor}"
            assert _snapshot(engine) == before


def test_session_state_is_the_root_of_every_portal_state():
    for cls in state_tree():
        assert issubclass(cls, SessionState)


def test_every_private_page_loads_through_a_handler_of_its_audience():
    """A private page runs one guarded loader on load: its audience is the page's
    (the first-login screens accept the first-login steps instead)."""
    from segur_app.components.private import PRIVATE_PAGES

    assert len(PRIVATE_PAGES) >= 15
    first_login = {routes.FIRST_LOGIN_PASSWORD, routes.FIRST_LOGIN_SECRET_QUESTION}
    for page in PRIVATE_PAGES:
        declared = getattr(page.first_load.fn, AUDIENCE_ATTRIBUTE, None)
        if page.route in first_login:
            assert declared in (Audience.PASSWORD_CHANGE, Audience.SECRET_QUESTION)
        else:
            assert declared is page.audience, f"{page.route}: loader for {declared}"
