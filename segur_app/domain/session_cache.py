"""Validated sessions cached in the process, invalidated through ``auth_epoch``.

Every event of a logged-in tab asks the access policy who is there. Without a
cache that is a join, an ORM load and a COMMIT in a worker thread per event.
With it, a session validated less than ``SESSION_TOUCH_INTERVAL`` ago is
decided from memory after ONE primary-key read of the ``auth_epoch`` counter.

Correctness: the counter is bumped in the same transaction as every change
that can end a session or change what it may do — a session revoked (logout,
password change, « fermer mes autres sessions »), or an account's password,
role, activity, names or first-login step changed — by an ORM ``before_flush``
listener, so no code path can forget it. A process that sees a new value
drops its cache; the policy reads the counter BEFORE the session, so a
revocation committed in between is seen at the next event at the latest. A
revoked session is therefore refused on the very next event in every worker
of every machine. Idle and absolute expiry are checked against the cached
times; the idle timer is refreshed (a write) at most once a minute, on the
slow path.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from segur_app.domain.models import AuthEpoch, UserAccount, UserSession

MAX_ENTRIES = 20_000
# Columns of user_account whose change alters a session's rights or display.
SECURITY_COLUMNS = frozenset({
    "identifiant", "first_name", "last_name", "role", "supplier_id", "is_active",
    "password_hash", "must_change_password", "secret_question", "secret_answer_hash",
})
_TABLE = AuthEpoch.__table__


@dataclass(frozen=True)
class Entry:
    principal: object          # domain.access.Principal (kept opaque: no import cycle)
    epoch: int
    valid_until: datetime      # min(absolute expiry, last seen + idle timeout)
    touch_after: datetime      # the idle timer must be refreshed from then on


class SessionCache:
    """A bounded LRU of validated sessions, by session key, for one epoch."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: str, *, epoch: int, now: datetime) -> Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry.epoch != epoch:
                self._entries.clear()  # something changed: start again
                return None
            if now >= entry.valid_until or now >= entry.touch_after:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


CACHE = SessionCache()


class _SqliteEpochReader:
    """The epoch read of the hot path on SQLite: one dedicated DBAPI connection
    (no pool checkout, no SQL compilation). Outside a transaction every SELECT
    of Python's sqlite3 sees the last committed value (WAL: never waits)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._fairy = engine.raw_connection()  # kept for the engine's lifetime
        self._lock = threading.Lock()

    def read(self) -> int:
        with self._lock:
            row = self._fairy.driver_connection.execute(
                "SELECT value FROM auth_epoch WHERE id = 1"
            ).fetchone()
        return int(row[0]) if row else 0


_READERS: "weakref.WeakKeyDictionary[sa.Engine, _SqliteEpochReader]" = weakref.WeakKeyDictionary()
_READERS_LOCK = threading.Lock()


def current_epoch(engine: sa.Engine) -> int:
    """The epoch now, by the cheapest way the engine allows."""
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection:
            return read_epoch(connection)
    reader = _READERS.get(engine)
    if reader is None:
        with _READERS_LOCK:
            reader = _READERS.get(engine) or _READERS.setdefault(engine, _SqliteEpochReader(engine))
    return reader.read()


def read_epoch(connection: sa.Connection) -> int:
    value = connection.execute(sa.select(_TABLE.c.value).where(_TABLE.c.id == 1)).scalar()
    return int(value or 0)


def bump_epoch(connection: sa.Connection) -> None:
    updated = connection.execute(
        sa.update(_TABLE).where(_TABLE.c.id == 1).values(value=_TABLE.c.value + 1)
    )
    if updated.rowcount == 0:  # a database created from the models, not migrated
        connection.execute(sa.insert(_TABLE).values(id=1, value=1))


def _alters_sessions(obj: object) -> bool:
    if isinstance(obj, UserSession):
        return sa.inspect(obj).attrs.revoked_at.history.has_changes()
    if isinstance(obj, UserAccount):
        attrs = sa.inspect(obj).attrs
        return any(attrs[name].history.has_changes() for name in SECURITY_COLUMNS)
    return False


@event.listens_for(OrmSession, "before_flush")
def _bump_on_session_changes(session: OrmSession, _context, _instances) -> None:
    if any(_alters_sessions(obj) for obj in session.dirty) or any(
        isinstance(obj, (UserAccount, UserSession)) for obj in session.deleted
    ):
        bump_epoch(session.connection())


@event.listens_for(_TABLE, "after_create")
def _first_row(target, connection, **_kw) -> None:
    connection.execute(sa.insert(target).values(id=1, value=0))
