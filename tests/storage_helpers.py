"""Storage invariants shared by the crash and reconciliation tests (any store)."""

from __future__ import annotations

import os
import time
import traceback

from sqlmodel import Session, select

from segur_app.core.db import make_engine
from segur_app.domain import storage, storage_check
from segur_app.domain.models import Attachment

GRACE = 3600.0
STAGING_AGE = 24 * 3600.0
CRASHED = 86  # exit status of a child process killed at the injected point


def after_every_grace_period() -> float:
    return time.time() + max(GRACE, STAGING_AGE) + 1


def store_env(store) -> dict[str, str]:
    """The environment variables that point the portal at ``store``."""
    if isinstance(store, storage.LocalStore):
        return {"SEGUR_STORAGE_DIR": str(store.root), "SEGUR_STORAGE_URL": ""}
    s3 = store.settings
    return {"SEGUR_STORAGE_URL": store.location, "SEGUR_S3_ENDPOINT_URL": s3.endpoint_url,
            "SEGUR_S3_REGION": s3.region, "SEGUR_S3_ACCESS_KEY_ID": s3.access_key_id,
            "SEGUR_S3_SECRET_ACCESS_KEY": s3.secret_access_key}


def make_old(store, names, *, older_than: float) -> None:
    """Make these objects older than ``older_than`` seconds: a file's date is set
    back; an object's date cannot be, so this waits until they are that old."""
    if isinstance(store, storage.LocalStore):
        past = time.time() - 2 * 24 * 3600
        for name in names:
            os.utime(store.path(name), (past, past))
        return
    deadline = time.monotonic() + older_than + 30
    while any(time.time() - store.stat(name).mtime <= older_than for name in names):
        assert time.monotonic() < deadline, "the objects never aged"
        time.sleep(0.1)


def sweep(db: Session, store, *, now: float | None = None):
    return storage_check.sweep(db, store=store, grace_seconds=GRACE,
                               staging_max_age_seconds=STAGING_AGE,
                               now=time.time() if now is None else now)


def final_keys(store) -> set[str]:
    return {e.name.rsplit("/", 1)[-1] for e in storage_check.scan(store) if not e.staged}


def staged_names(store) -> set[str]:
    return {e.name.rsplit("/", 1)[-1] for e in storage_check.scan(store) if e.staged}


def assert_every_row_has_its_file(db: Session, store) -> set[str]:
    db.rollback()  # see what other connections committed
    store = storage.resolve(store)
    keys = set()
    for row in db.exec(select(Attachment)).all():
        name = storage.object_name(row.storage_key)
        assert store.exists(name), f"attachment {row.id} points to a missing file"
        assert storage.sha256_of(store, name) == row.sha256, f"attachment {row.id} altered"
        keys.add(row.storage_key)
    return keys


def assert_storage_matches_rows(db: Session, store) -> None:
    """Both directions: no row without its file, no file without its row."""
    assert final_keys(store) == assert_every_row_has_its_file(db, store)


def die(when: str, owner, name: str, nth: int = 1) -> None:
    """In a child process: exit abruptly before/after the nth call of owner.name."""
    real = getattr(owner, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if when == "before" and calls[0] == nth:
            os._exit(CRASHED)
        result = real(*args, **kwargs)
        if when == "after" and calls[0] == nth:
            os._exit(CRASHED)
        return result

    setattr(owner, name, wrapper)


def run_until_death(db: Session, work, inject) -> int:
    """Run ``work(session)`` in a forked process that ``inject`` arranges to kill.

    The child has its own engine and connections (an S3 store makes its own
    client in a new process) and ends with ``os._exit``: no rollback, no
    cleanup, no atexit — exactly what a killed process leaves.
    Returns the child's exit status (``CRASHED`` when the injected point was hit).
    """
    db.commit()  # the parent holds no transaction while the child writes
    url = db.get_bind().url.render_as_string(hide_password=False)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child process
        code = 1
        try:
            inject()
            engine = make_engine(url)
            with Session(engine, expire_on_commit=False) as session:
                work(session)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
