"""``/documents/{id}`` with a hostile id is a 404, never a 500 (SQLite and PostgreSQL).

The id is checked before any query: a logged-in staff member (who may read
every document) asks for ids no database column can hold.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette

from segur_app.api import documents
from segur_app.api.ids import MAX_ID, parse_id
from segur_app.core import db as core_db
from segur_app.core.security import SESSION_COOKIE, hash_password
from segur_app.domain.models import Role, UserAccount
from segur_app.domain.accounts import sessions

HOSTILE_IDS = [
    "99999999999999999999",  # beyond int64: SQLite OverflowError, PostgreSQL out of range
    str(MAX_ID + 1),  # beyond int4 (PostgreSQL integer)
    str(2**63),
    "abc", "0", "-1", "+1", " 1", "1_0", "1e3", "٣", "１", "0x1", "1.0",
]


def test_parse_id_accepts_only_plain_in_range_digits():
    assert parse_id("1") == 1
    assert parse_id("0042") == 42
    assert parse_id(str(MAX_ID)) == MAX_ID
    for text in [*HOSTILE_IDS, "", None, "9" * 1000]:
        assert parse_id(text) is None, text


@pytest.fixture
def staff_cookie(db, engine, monkeypatch) -> dict[str, str]:
    monkeypatch.setattr(core_db, "get_engine", lambda: engine)
    staff = UserAccount(identifiant="agent.ids", email="agent.ids@asp.example", first_name="A",
                        last_name="GENT", role=Role.STAFF.value, password_hash=hash_password("x"),
                        must_change_password=False, secret_question="Q ?",
                        secret_answer_hash=hash_password("r"))
    db.add(staff)
    db.commit()
    token = sessions.open_session(db, user=staff)
    db.commit()
    return {SESSION_COOKIE: token}


def _get(paths: list[str], cookies: dict[str, str]) -> list[httpx.Response]:
    app = Starlette(routes=documents.http_routes)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://portail.test",
                                     cookies=cookies) as client:
            return [await client.get(path) for path in paths]

    return asyncio.run(scenario())


@pytest.mark.parametrize("attachment_id", HOSTILE_IDS)
def test_hostile_ids_are_404_for_a_logged_in_reader(staff_cookie, attachment_id):
    (response,) = _get([f"/documents/{attachment_id}"], staff_cookie)
    assert response.status_code == 404
    assert response.text == "Document introuvable."


def test_an_unknown_id_in_range_is_404_and_the_session_still_works(staff_cookie):
    unknown, huge, again = _get(
        [f"/documents/{MAX_ID}", "/documents/99999999999999999999", f"/documents/{MAX_ID}"],
        staff_cookie,
    )
    # The database was asked about MAX_ID (and survived the huge id in between).
    assert [r.status_code for r in (unknown, huge, again)] == [404, 404, 404]
