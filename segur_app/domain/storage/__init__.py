"""Private document storage: the layout of the documents on one :class:`Store`.

Every document is an object of the configured store — a private directory
(:class:`LocalStore`, ``SEGUR_STORAGE_DIR``, the default) or an S3-compatible
bucket (:class:`S3Store`, ``SEGUR_STORAGE_URL=s3://bucket/prefix``) —
named after a random key; the original filename is metadata only:

- ``<key[:2]>/<key>``: a document that a row references;
- ``staging/<key[:2]>/<key>``: a file chosen in a form, checked, not deposited
  yet. Staged files live in the store too, so the next event of a tab may run
  on another worker or another machine.

Every function takes the store as ``store=``: a :class:`Store`, or a
directory (``Path``), shorthand for ``LocalStore(path)``. The services get it
from :func:`store_from_settings`. How files and rows stay consistent across a
crash is the job of :mod:`segur_app.domain.file_commit` and
:mod:`segur_app.domain.storage_check`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Union

from segur_app.domain.storage.base import (
    CHUNK_BYTES,
    MSG_UNAVAILABLE,
    Entry,
    StorageMismatch,
    StorageUnavailable,
    Store,
)
from segur_app.domain.storage.local import LocalStore

STAGING = "staging"
_HEX = frozenset("0123456789abcdef")

Storage = Union[Path, Store]
"""What every ``store=`` parameter accepts."""

__all__ = [
    "CHUNK_BYTES", "MSG_UNAVAILABLE", "STAGING", "Entry", "LocalStore", "NewFile", "Storage",
    "StorageMismatch", "StorageUnavailable", "Store", "StoredFile", "delete", "discard_staged",
    "file_path", "file_sha256", "is_key", "new_key", "object_name", "open_document",
    "publish_staged", "read_bytes", "release_staged", "resolve", "seal_staged", "sha256_of",
    "stage_bytes", "staging_name", "sync_staged",
    "staging_path", "store_bytes", "store_from_settings", "writing_staged",
]


@dataclass(frozen=True)
class StoredFile:
    key: str
    size_bytes: int
    sha256: str


def resolve(store: Storage) -> Store:
    """The store a ``store=`` argument designates."""
    if isinstance(store, str | os.PathLike):
        return LocalStore(Path(store))
    return store


def is_key(name: str) -> bool:
    return len(name) == 32 and set(name) <= _HEX


def new_key() -> str:
    return secrets.token_hex(16)


def object_name(key: str) -> str:
    """The name of the document ``key`` in its store (ValueError for a malformed key)."""
    if not is_key(key):
        raise ValueError("invalid storage key")
    return f"{key[:2]}/{key}"


def staging_name(key: str) -> str:
    return f"{STAGING}/{object_name(key)}"


def file_path(key: str, *, store: Path | LocalStore) -> Path:
    """Where the document ``key`` lives in a local directory."""
    return _local(store).path(object_name(key))


def staging_path(key: str, *, store: Path | LocalStore) -> Path:
    return _local(store).path(staging_name(key))


def _local(store: Path | LocalStore) -> LocalStore:
    store = resolve(store)
    if not isinstance(store, LocalStore):
        raise TypeError(f"{store!r} has no local files")
    return store


def _sha256_stream(fh: BinaryIO) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return _sha256_stream(fh)


def sha256_of(store: Store, name: str) -> str:
    """The sha256 of an object, streamed (FileNotFoundError when it is missing)."""
    with contextlib.closing(store.open(name)) as fh:
        return _sha256_stream(fh)


# ---------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------


def store_bytes(data: bytes, *, store: Storage) -> StoredFile:
    """A new document (demo files, generated PDFs), durable when this returns.

    The caller registers it with ``file_commit.track_new`` before its row commits.
    """
    key = new_key()
    resolve(store).put_stream(object_name(key), io.BytesIO(data))
    return StoredFile(key=key, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())


def open_document(key: str, *, store: Storage) -> BinaryIO:
    """The document ``key`` for streamed reading (FileNotFoundError, StorageUnavailable)."""
    return resolve(store).open(object_name(key))


def read_bytes(key: str, *, store: Storage) -> bytes:
    with contextlib.closing(open_document(key, store=store)) as fh:
        return fh.read()


def delete(key: str, *, store: Storage) -> None:
    resolve(store).delete(object_name(key))


# ---------------------------------------------------------------------------
# Staging: files chosen in a form but not deposited yet
# ---------------------------------------------------------------------------
#
# A file picked in a form is checked and written to ``staging/`` at once
# (never kept in memory or in the UI state); the deposit then publishes it
# under a new key (see :func:`publish_staged`).


def stage_bytes(data: bytes, *, store: Storage) -> StoredFile:
    key = new_key()
    resolve(store).put_stream(staging_name(key), io.BytesIO(data))
    return StoredFile(key=key, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())


@dataclass(frozen=True)
class NewFile:
    key: str
    file: BinaryIO
    """A real local file, open for reading and writing (it can be mapped)."""


@contextlib.contextmanager
def writing_staged(*, store: Storage) -> Iterator[NewFile]:
    """Write a new staged file piece by piece (``uploads.stage`` streams an upload).

    When the block ends the file becomes ``staging/<key>`` in the store — or
    leaves nothing if the block raised. Locally the file is ``<key>.part`` in
    the staging directory until then; with an object store it is an unnamed
    temporary file, uploaded at the end. The staged name itself is not made
    durable: a staged file lost in a crash only makes the form ask for it
    again, and :func:`publish_staged` makes the final document durable.
    """
    key = new_key()
    with resolve(store).writing(staging_name(key)) as fh:
        yield NewFile(key=key, file=fh)


def seal_staged(staged: NewFile, *, store: Storage) -> str:
    """Seal a staged file once written, before it is checked and hashed
    (``Store.seal``): :func:`publish_staged` skips the sha256 of a file whose seal
    still holds. "" when the store cannot tell (an object store: the published
    copy is read back and hashed)."""
    return resolve(store).seal(staged.file)


def sync_staged(staged: NewFile, *, store: Storage) -> None:
    """Make a staged file's content durable now (``Store.sync``): ``uploads.stage``
    runs it beside the checks, so the disk's wait and the checks overlap."""
    resolve(store).sync(staged.file)


def release_staged(staged: NewFile, *, store: Storage) -> None:
    """A staged file synced and checked: its pages may leave memory (``Store.release``)."""
    resolve(store).release(staged.file)


def discard_staged(key: str, *, store: Storage) -> None:
    resolve(store).delete(staging_name(key))


def publish_staged(key: str, *, sha256: str, store: Storage, seal: str = "") -> str:
    """Give the staged file ``key`` a final place under a NEW random key.

    The staged file stays where it is (the caller discards it once the row is
    committed). The final document is a copy (a hard link locally, a
    server-side copy in an object store), its content is the checked one and
    it is durable before this returns. Its modification time is
    "now", so the reconciliation sweep leaves it alone for the grace period
    while the row is committed. Raises ``FileNotFoundError`` when the staged
    file is gone, :class:`StorageMismatch` when it is not the checked one.

    "The checked one": when the staged file's ``seal`` (:func:`seal_staged`,
    taken once it was written, before it was checked and hashed) still holds, it was not written since,
    so the copy — the same inode — is not hashed again; otherwise (an object
    store, a file touched since) the copy is read back and its sha256 compared
    with ``sha256``. Staged files are named by random keys that never leave the
    server and nothing of the portal writes one once staged: the seal only
    breaks by a mistake or an intrusion, and then the hash decides.
    """
    store = resolve(store)
    final_key = new_key()
    target = object_name(final_key)
    trusted = bool(seal) and store.unchanged(staging_name(key), seal)
    store.copy(staging_name(key), target)
    try:
        if not trusted and sha256_of(store, target) != sha256:
            raise StorageMismatch(f"published file {final_key} differs from the checked one")
    except BaseException:
        with contextlib.suppress(Exception):  # unreachable store: left to the sweep
            store.delete(target)
        raise
    return final_key


# ---------------------------------------------------------------------------
# The configured store
# ---------------------------------------------------------------------------


def store_from_settings(settings=None) -> Store:
    """The store the settings designate: ``SEGUR_STORAGE_URL`` (``s3://…``) when
    set, else the directory ``SEGUR_STORAGE_DIR``. One S3 client per process."""
    from segur_app.core.config import get_settings

    settings = settings or get_settings()
    if not settings.storage_url:
        return LocalStore(settings.storage_dir)
    secret = settings.s3_secret_access_key
    return _s3_store(settings.storage_url, settings.s3_endpoint_url, settings.s3_region,
                     settings.s3_access_key_id,
                     secret.get_secret_value() if secret is not None else None,
                     settings.s3_timeout_seconds, settings.s3_max_attempts)


@lru_cache(maxsize=8)
def _s3_store(url: str, *options) -> Store:
    from segur_app.domain.storage import s3  # boto3 is imported only when used

    return s3.S3Store.from_url(url, s3.S3Settings(*options))
