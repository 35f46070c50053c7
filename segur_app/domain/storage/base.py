"""The one small interface every document store implements (:class:`Store`).

A store holds named objects (``ab/ab12…`` for documents, ``staging/ab/ab12…``
for files chosen in a form). It knows nothing of keys, rows or staging: the
layout and the rules are in :mod:`segur_app.domain.storage`, the crash-safety
in :mod:`segur_app.domain.file_commit`, the reconciliation in
:mod:`segur_app.domain.storage_check`. Implementations:
:class:`~segur_app.domain.storage.local.LocalStore` (a private directory, the
default) and :class:`~segur_app.domain.storage.s3.S3Store` (an S3-compatible
object store).

Every object is written whole or not at all (a reader never sees half a
document) and is durable when the write returns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

CHUNK_BYTES = 1024 * 1024

MSG_UNAVAILABLE = (
    "Le service de conservation des documents est momentanément indisponible : "
    "rien n'a été enregistré. Veuillez réessayer dans quelques minutes."
)
"""What a user is told when the store cannot be reached (nothing was stored)."""


class StorageUnavailable(OSError):
    """The store could not be reached or refused the operation (network, credentials,
    server error). The operation did not happen; it may be retried later."""


class StorageMismatch(OSError):
    """A published file is not the one that was checked (never expected)."""


@dataclass(frozen=True)
class Entry:
    """One object of a store."""

    name: str  # relative to the store, "/"-separated: "ab/ab12…", "staging/ab/ab12…"
    size_bytes: int
    mtime: float  # seconds since the epoch (the object's last modification)


@runtime_checkable
class Store(Protocol):
    """A place for private documents (see the module docstring)."""

    location: str
    """Where it is, for reports and logs (a directory, ``s3://bucket/prefix``)."""

    def put_stream(self, name: str, source: BinaryIO) -> None:
        """Write ``name`` from ``source`` (read piece by piece until its end)."""

    def writing(self, name: str) -> contextlib.AbstractContextManager[BinaryIO]:
        """A real local file, open for reading and writing, that becomes ``name``
        when the block ends without error (and leaves nothing when it raises).
        It can be mapped (``fileno``): the upload checks read it in place."""

    def open(self, name: str) -> BinaryIO:
        """``name`` for reading, streamed (raises ``FileNotFoundError``); close it."""

    def exists(self, name: str) -> bool: ...

    def stat(self, name: str) -> Entry | None: ...

    def delete(self, name: str) -> None:
        """Remove ``name``; already gone is not an error."""

    def list(self, prefix: str = "") -> Iterator[Entry]:
        """Every object whose name starts with ``prefix``."""

    def copy(self, source: str, target: str) -> None:
        """``target`` becomes a durable copy of ``source``, modified "now"."""

    def sync(self, file: BinaryIO) -> None:
        """For a file being written by :meth:`writing`, once written: make its
        content durable now (the end of the block then finds nothing to flush), so
        that the wait overlaps other work; nothing when the store keeps no local file."""

    def release(self, file: BinaryIO) -> None:
        """For a file being written by :meth:`writing`, once synced and checked:
        nothing will read it again soon, so the system may drop its pages from
        memory (nothing when the store keeps no local file, or still has to
        read it)."""

    def seal(self, file: BinaryIO) -> str:
        """For a file being written by :meth:`writing`, once written: a token that
        changes whenever it is written again after this call, under its name too
        ("": this store cannot tell, :meth:`unchanged` is then always False)."""

    def unchanged(self, name: str, seal: str) -> bool:
        """``name`` has certainly not been written since :meth:`seal` gave ``seal``."""
