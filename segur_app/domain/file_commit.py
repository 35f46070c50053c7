"""Documents and rows committed together, crash-safe.

The rule: **a final file is written (durably) before the row that points to
it is committed, and the row is its only reference.**

1. :func:`publish` gives a staged file its final place under a new random key
   (a hard link or a server-side copy, verified: its seal or its sha256, durable) — before the
   commit;
2. the caller adds the ``Attachment`` row with that key and commits;
3. after the commit the staged copy is discarded (:func:`publish`) and the
   files of deleted rows are removed (:func:`delete_after_commit`).

A crash (or a failure) at any point therefore leaves either the row and its
file, or no row; what may remain are files no row references — a final file
published by a transaction that never committed, a staged copy, the file of a
deleted row. The reconciliation sweep (:mod:`segur_app.domain.storage_check`)
removes them once older than the grace period. A row never points to a
missing file, because files are only deleted after the commit that dropped
their rows.

The bookkeeping rides on SQLAlchemy session events, so the domain services
keep their shape (``session.flush()`` … ``session.commit()``, and
``session.rollback()`` on error):

- rollback before the commit was attempted: the transaction certainly did not
  commit, the files it published are removed at once;
- rollback after ``commit()`` failed: the outcome is unknown (the connection
  may have dropped after COMMIT reached the server), the files are left to the
  sweep, which keeps them if the row exists;
- after the commit: staged copies and the files of deleted rows are removed
  (errors are logged, never raised: the commit has happened).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import event
from sqlmodel import Session

from segur_app.domain import storage

log = logging.getLogger(__name__)

_INFO_KEY = "segur_file_commit"


class Checked(Protocol):
    """A staged document already checked (``uploads.StagedDocument``)."""

    key: str
    sha256: str
    seal: str  # storage.seal_staged when it was checked ("" : none)


@dataclass
class _Pending:
    published: list[tuple[storage.Storage, str]] = field(default_factory=list)
    staged: list[tuple[storage.Storage, str]] = field(default_factory=list)
    doomed: list[tuple[storage.Storage, str]] = field(default_factory=list)
    committing: bool = False

    def clear(self) -> None:
        self.published.clear()
        self.staged.clear()
        self.doomed.clear()
        self.committing = False


def _pending(session: Session) -> _Pending:
    pending = session.info.get(_INFO_KEY)
    if pending is None:
        pending = session.info[_INFO_KEY] = _Pending()
        event.listen(session, "before_commit", _before_commit)
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
    return pending


def publish(session: Session, document: Checked, *, store: storage.Storage) -> str:
    """Publish a checked staged document for a row of this transaction.

    Returns the key to store in ``Attachment.storage_key``.
    """
    key = storage.publish_staged(document.key, sha256=document.sha256, store=store,
                                 seal=getattr(document, "seal", ""))
    pending = _pending(session)
    pending.published.append((store, key))
    pending.staged.append((store, document.key))
    return key


def track_new(session: Session, key: str, *, store: storage.Storage) -> None:
    """A final file just written for a row of this transaction (removed on rollback)."""
    _pending(session).published.append((store, key))


def delete_after_commit(session: Session, keys, *, store: storage.Storage) -> None:
    """Remove these final files once the transaction deleting their rows commits."""
    _pending(session).doomed.extend((store, key) for key in keys)


def _remove(entries: list[tuple[storage.Storage, str]], remover) -> None:
    for store, key in entries:
        try:
            remover(key, store=store)
        except Exception:  # the sweep will catch up; the caller's outcome stands
            log.warning("storage: could not remove %s (left to the sweep)", key, exc_info=True)


def _before_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        _pending(session).committing = True


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    pending = _pending(session)
    staged, doomed = list(pending.staged), list(pending.doomed)
    pending.clear()
    _remove(staged, storage.discard_staged)
    _remove(doomed, storage.delete)


def _after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return
    pending = _pending(session)
    published = [] if pending.committing else list(pending.published)
    pending.clear()
    _remove(published, storage.delete)
