"""Login throttling: per-identifiant lockout, per-address limits, no identifiant oracle."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from segur_app.core.security import hash_password
from segur_app.domain import throttling
from segur_app.domain.models import AuditEvent, LoginThrottle, Role, UserAccount, utcnow
from segur_app.domain.accounts import login, recovery

PASSWORD = "Ambre-Lagon-73"
BAD = login.MSG_BAD_CREDENTIALS
LOCKED = login.MSG_BAD_CREDENTIALS_LOCKED
ATTACKER = "198.51.100.66"


@pytest.fixture
def small_address_limit(monkeypatch):
    """The per-address rule with a lower limit, to spare Argon2 work."""
    monkeypatch.setattr(throttling, "MAX_FAILED_LOGINS_PER_ADDRESS", 8)


def make_user(db, identifiant: str) -> UserAccount:
    account = UserAccount(
        identifiant=identifiant, email=f"{identifiant}@le-select.example", first_name="Eishiro",
        last_name="ODA", role=Role.SUPPLIER.value, password_hash=hash_password(PASSWORD),
        must_change_password=False,
    )
    db.add(account)
    db.commit()
    return account


@pytest.fixture
def victim(db) -> UserAccount:
    return make_user(db, "eishiro.oda")


@pytest.fixture
def other(db) -> UserAccount:
    return make_user(db, "jean.dupont")


def attempt(db, identifiant, password="Mauvais-1!", address=ATTACKER, now=None):
    return login.authenticate(db, identifiant=identifiant, password=password,
                                 client_address=address, now=now)


def actions(db, action: str) -> int:
    return db.exec(select(sa.func.count()).select_from(AuditEvent)
                   .where(AuditEvent.action == action)).one()


# --------------------------------------------------------------------------
# Per address: a flood never reaches other addresses
# --------------------------------------------------------------------------


def test_a_flood_from_one_address_never_blocks_another_address(
        db, victim, other, small_address_limit):
    now = utcnow()
    for n in range(3 * throttling.MAX_FAILED_LOGINS_PER_ADDRESS):
        target = victim.identifiant if n % 3 == 0 else f"guess{n}"
        attempt(db, target, now=now)
    # The flooding address is slowed down, even with a right password.
    assert attempt(db, other.identifiant, PASSWORD, now=now).error == login.MSG_THROTTLED
    # Another user from another address logs in normally.
    assert attempt(db, other.identifiant, PASSWORD, address="203.0.113.7", now=now).ok
    assert actions(db, "login_throttled") > 0


def test_refused_attempts_on_a_locked_account_count_for_the_address(
        db, victim, small_address_limit):
    now = utcnow()
    for _ in range(throttling.MAX_FAILED_LOGINS_PER_ADDRESS):
        attempt(db, victim.identifiant, now=now)
    assert actions(db, "login_refused_locked") == (
        throttling.MAX_FAILED_LOGINS_PER_ADDRESS - throttling.MAX_FAILED_LOGINS)
    assert attempt(db, "someone.else", now=now).error == login.MSG_THROTTLED


def test_the_address_limit_is_a_sliding_window(db, other, small_address_limit):
    now = utcnow()
    for n in range(throttling.MAX_FAILED_LOGINS_PER_ADDRESS):
        attempt(db, f"guess{n}", now=now)
    assert attempt(db, other.identifiant, PASSWORD, now=now).error == login.MSG_THROTTLED
    assert attempt(db, other.identifiant, PASSWORD,
                   now=now + throttling.ADDRESS_WINDOW + timedelta(seconds=1)).ok


# --------------------------------------------------------------------------
# Per identifiant: 5 failures -> 15 minutes, never more
# --------------------------------------------------------------------------


def test_many_addresses_cannot_lock_an_account_beyond_fifteen_minutes(db, victim):
    start = utcnow()
    for n in range(throttling.MAX_FAILED_LOGINS):
        result = attempt(db, victim.identifiant, address=f"192.0.2.{n}", now=start)
    assert result.error == LOCKED
    # A botnet keeps trying during the whole lock: refused, not counted, not extended.
    for n in range(20):
        during = start + timedelta(seconds=44 * n)
        assert attempt(db, victim.identifiant, address=f"198.18.{n}.1", now=during).error == LOCKED
    assert not attempt(db, victim.identifiant, PASSWORD, address="203.0.113.7",
                       now=start + timedelta(minutes=14, seconds=59)).ok
    back = start + throttling.LOCK_DURATION + timedelta(seconds=1)
    assert attempt(db, victim.identifiant, PASSWORD, address="203.0.113.7", now=back).ok
    # Locking it again takes 5 fresh failures.
    for n in range(throttling.MAX_FAILED_LOGINS - 1):
        assert attempt(db, victim.identifiant, address=f"192.0.2.{n}", now=back).error == BAD
    assert actions(db, "account_locked") == 1


def test_failures_are_forgotten_after_a_day(db, victim):
    start = utcnow()
    for _ in range(throttling.MAX_FAILED_LOGINS - 1):
        attempt(db, victim.identifiant, now=start)
    later = start + throttling.FAILURE_MEMORY + timedelta(seconds=1)
    assert attempt(db, victim.identifiant, now=later).error == BAD
    for _ in range(throttling.MAX_FAILED_LOGINS - 2):
        assert attempt(db, victim.identifiant, address="192.0.2.1", now=later).error == BAD
    assert attempt(db, victim.identifiant, address="192.0.2.1", now=later).error == LOCKED


def test_a_successful_login_resets_the_count(db, victim):
    now = utcnow()
    for _ in range(throttling.MAX_FAILED_LOGINS - 1):
        attempt(db, victim.identifiant, now=now)
    assert attempt(db, victim.identifiant, PASSWORD, now=now).ok
    for _ in range(throttling.MAX_FAILED_LOGINS - 1):
        assert attempt(db, victim.identifiant, now=now).error == BAD


def test_a_password_reset_by_emailed_link_lifts_the_lock(db, victim):
    now = utcnow()
    for _ in range(throttling.MAX_FAILED_LOGINS):
        attempt(db, victim.identifiant, now=now)
    token = recovery.create_reset_token(db, user=victim, now=now)
    db.commit()
    new = "Corail-Brume-58"
    assert recovery.complete_password_reset(db, token=token, answer="", new_password=new,
                                            confirmation=new, now=now).ok
    db.commit()
    assert attempt(db, victim.identifiant, new, address="203.0.113.7", now=now).ok


# --------------------------------------------------------------------------
# No oracle: an unknown identifiant is answered exactly like a real one
# --------------------------------------------------------------------------


def seven_attempts(db, identifiant: str, start) -> list[str]:
    answers = [attempt(db, identifiant, address=f"192.0.2.{n}", now=start).error
               for n in range(7)]
    after_lock = start + throttling.LOCK_DURATION + timedelta(seconds=1)
    return answers + [attempt(db, identifiant, now=after_lock).error]


def test_unknown_and_real_identifiants_get_the_same_answers(db, victim):
    start = utcnow()
    real = seven_attempts(db, victim.identifiant, start)
    unknown = seven_attempts(db, "eishiro.odaa", start)
    assert real == unknown == [BAD, BAD, BAD, BAD, LOCKED, LOCKED, LOCKED, BAD]
    # Spelling variants of one identifiant share its counter, known or not.
    assert attempt(db, " EISHIRO.ODA ", now=start).error == LOCKED
    assert attempt(db, "Eishiro.Odaa", now=start).error == LOCKED


def test_unknown_identifiants_create_no_account_and_are_not_stored_in_clear(db, victim):
    for _ in range(3):
        attempt(db, "Segur2023!")  # a password typed in the identifiant field
    assert db.exec(select(sa.func.count()).select_from(UserAccount)).one() == 1
    rows = db.exec(select(LoginThrottle)).all()
    assert [r.key_hash for r in rows] == [throttling.identifiant_key("segur2023!")]
    assert "Segur2023" not in rows[0].key_hash and len(rows[0].key_hash) == 64


def test_a_blank_identifiant_is_refused_without_a_counter(db):
    for _ in range(throttling.MAX_FAILED_LOGINS + 1):
        assert attempt(db, "  ").error == BAD
    assert db.exec(select(LoginThrottle)).all() == []


def test_every_answer_costs_one_argon2_verification(db, victim, monkeypatch):
    calls = []
    real_verify = login.verify_password

    def counting_verify(digest, password):
        calls.append(digest)
        return real_verify(digest, password)

    monkeypatch.setattr(login, "verify_password", counting_verify)
    now = utcnow()
    for identifiant in (victim.identifiant, "nobody.here"):
        for n in range(7):  # wrong, then locking, then locked
            calls.clear()
            attempt(db, identifiant, address=f"192.0.2.{n}", now=now)
            assert len(calls) == 1
            assert calls[0].startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_parallel_attempts_cannot_try_more_passwords_than_the_lockout_allows(engine, db, victim):
    """On PostgreSQL the counter's row lock serialises the attempts on one identifiant:
    exactly 5 passwords are tried. SQLite counts every failure (atomic upsert) but
    does not serialise the verification; the account ends locked on both."""
    workers = 10
    barrier = threading.Barrier(workers)
    answers: list[str] = []

    def one(n: int) -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            result = attempt(session, victim.identifiant, address=f"192.0.2.{n}")
            answers.append(result.error)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == workers
    if engine.dialect.name == "postgresql":
        assert actions(db, "login_failed") == throttling.MAX_FAILED_LOGINS
        assert sorted(answers).count(BAD) == throttling.MAX_FAILED_LOGINS - 1
    assert actions(db, "login_failed") + actions(db, "login_refused_locked") == workers
    assert attempt(db, victim.identifiant, PASSWORD, address="203.0.113.7").error == LOCKED


# --------------------------------------------------------------------------
# Housekeeping
# --------------------------------------------------------------------------


def test_stale_counters_are_purged_without_changing_any_answer(db, victim):
    start = utcnow()
    for identifiant in ("old.one", "locked.one"):
        for _ in range(throttling.MAX_FAILED_LOGINS - 1):
            attempt(db, identifiant, now=start)
    later = start + throttling.FAILURE_MEMORY + timedelta(minutes=1)
    attempt(db, "locked.one", now=later - timedelta(minutes=2))  # 5th within a day: locked
    attempt(db, "recent.one", now=later)
    assert throttling.purge_stale_counters(db, now=later) == 1
    db.commit()
    remaining = {r.key_hash for r in db.exec(select(LoginThrottle))}
    assert remaining == {throttling.identifiant_key("locked.one"),
                         throttling.identifiant_key("recent.one")}
    # "old.one" starts from scratch, as it would have without the purge.
    assert attempt(db, "old.one", now=later).error == BAD
    assert attempt(db, "locked.one", now=later).error == LOCKED


def test_housekeeping_purges_login_counters(db, engine, monkeypatch):
    from segur_app import tasks

    long_ago = utcnow() - throttling.FAILURE_MEMORY - timedelta(hours=1)
    attempt(db, "forgotten.one", now=long_ago)
    monkeypatch.setattr(tasks, "session_scope", lambda: _scope(engine))
    assert tasks.purge_login_counters() == 1
    assert db.exec(select(LoginThrottle)).all() == []


def _scope(engine):
    from segur_app.core.db import session_scope

    return session_scope(engine)
