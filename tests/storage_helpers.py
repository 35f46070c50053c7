"""Storage invariants shared by the crash and reconciliation tests."""

from __future__ import annotations

import os
import time
import traceback
from pathlib import Path

from sqlmodel import Session, select

from segur_app.core.db import make_engine
from segur_app.domain import storage, storage_check
from segur_app.domain.models import Attachment

GRACE = 3600.0
STAGING_AGE = 24 * 3600.0
CRASHED = 86  # exit status of a child process killed at the injected point


def after_every_grace_period() -> float:
    return time.time() + max(GRACE, STAGING_AGE) + 1


def sweep(db: Session, storage_dir: Path, *, now: float | None = None):
    return storage_check.sweep(db, storage_dir=storage_dir, grace_seconds=GRACE,
                               staging_max_age_seconds=STAGING_AGE,
                               now=time.time() if now is None else now)


def final_keys(storage_dir: Path) -> set[str]:
    return {e.path.name for e in storage_check.scan(storage_dir) if not e.staged}


def staged_names(storage_dir: Path) -> set[str]:
    return {e.path.name for e in storage_check.scan(storage_dir) if e.staged}


def assert_every_row_has_its_file(db: Session, storage_dir: Path) -> set[str]:
    db.rollback()  # see what other connections committed
    keys = set()
    for row in db.exec(select(Attachment)).all():
        path = storage.file_path(row.storage_key, storage_dir=storage_dir)
        assert path.is_file(), f"attachment {row.id} points to a missing file"
        assert storage.file_sha256(path) == row.sha256, f"attachment {row.id} altered"
        keys.add(row.storage_key)
    return keys


def assert_storage_matches_rows(db: Session, storage_dir: Path) -> None:
    """Both directions: no row without its file, no file without its row."""
    assert final_keys(storage_dir) == assert_every_row_has_its_file(db, storage_dir)


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

    The child has its own engine and connections and ends with ``os._exit``:
    no rollback, no cleanup, no atexit — exactly what a killed process leaves.
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
