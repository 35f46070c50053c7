"""The process cache of validated sessions never outlives a revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from segur_app.core.security import session_key
from segur_app.domain import access, session_cache
from segur_app.domain.access import Audience, Outcome
from segur_app.domain.models import UserAccount, utcnow
from segur_app.domain.accounts import sessions
from tests.state_harness import seed_people


@pytest.fixture
def people(db, tmp_path):
    session_cache.CACHE.clear()
    yield seed_people(db, tmp_path / "storage")
    session_cache.CACHE.clear()


def _authorise(engine, token, audience=Audience.USER, now=None):
    with Session(engine, expire_on_commit=False) as session:
        decision = access.authorise(session, session_key=session_key(token), audience=audience,
                                    now=now)
        session.commit()
        return decision


def _queries(engine):
    seen = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *args: seen.append(statement))
    return seen


def test_a_validated_session_is_decided_with_one_primary_key_read(engine, people):
    assert _authorise(engine, people.owner).allowed
    seen = _queries(engine)
    decision = access.cached_decision(engine, session_key=session_key(people.owner),
                                      audience=Audience.SUPPLIER)
    assert decision.allowed and decision.principal.identifiant == "test.ecomplementaire"
    # At most the epoch read (on SQLite through a dedicated DBAPI connection,
    # invisible here): never the session or account tables.
    assert len(seen) <= 1 and all("auth_epoch" in statement for statement in seen)
    # No key: no query at all.
    assert access.cached_decision(engine, session_key="", audience=Audience.USER).outcome \
        is Outcome.ANONYMOUS
    assert len(seen) <= 1


def test_a_revocation_from_another_process_is_seen_at_the_next_event(engine, people):
    assert _authorise(engine, people.owner).allowed
    # Another worker logs the user out: its own ORM session, its own transaction.
    with Session(engine) as other_worker:
        sessions.revoke_session(other_worker, people.owner)
        other_worker.commit()
    key = session_key(people.owner)
    assert access.cached_decision(engine, session_key=key, audience=Audience.USER) is None
    assert _authorise(engine, people.owner).outcome is Outcome.EXPIRED


@pytest.mark.parametrize("change", [
    lambda user: setattr(user, "must_change_password", True),
    lambda user: setattr(user, "is_active", False),
    lambda user: setattr(user, "role", "staff"),
    lambda user: setattr(user, "password_hash", "changed"),
])
def test_any_change_of_the_accounts_rights_invalidates(engine, people, change):
    assert _authorise(engine, people.owner).allowed
    with Session(engine) as other_worker:
        user = other_worker.exec(sa.select(UserAccount).where(
            UserAccount.identifiant == "test.ecomplementaire")).scalar_one()
        change(user)
        other_worker.add(user)
        other_worker.commit()
    assert access.cached_decision(engine, session_key=session_key(people.owner),
                                  audience=Audience.SUPPLIER) is None


def test_unrelated_writes_keep_the_cache(engine, people):
    assert _authorise(engine, people.owner).allowed
    with Session(engine) as other_worker:
        user = other_worker.exec(sa.select(UserAccount).where(
            UserAccount.identifiant == "agent.asp")).scalar_one()
        user.last_login_at = utcnow()
        other_worker.add(user)
        other_worker.commit()
    assert access.cached_decision(engine, session_key=session_key(people.owner),
                                  audience=Audience.SUPPLIER).allowed


def test_idle_and_absolute_expiry_are_checked_from_the_cache(engine, people):
    assert _authorise(engine, people.owner).allowed
    key = session_key(people.owner)
    later = utcnow() + sessions.SESSION_TOUCH_INTERVAL + timedelta(seconds=1)
    # Time to refresh the idle timer: back to the full check (which writes it).
    assert access.cached_decision(engine, session_key=key, audience=Audience.USER,
                                  now=later) is None
    too_late = utcnow() + sessions.SESSION_IDLE_TIMEOUT + timedelta(minutes=1)
    assert _authorise(engine, people.owner, now=too_late).outcome is Outcome.EXPIRED


def test_role_refusals_are_always_audited_by_the_full_check(engine, people):
    assert _authorise(engine, people.owner).allowed
    assert access.cached_decision(engine, session_key=session_key(people.owner),
                                  audience=Audience.STAFF) is None
