"""Private document storage (file operations only).

Files are written under ``settings.storage_dir`` (outside every publicly served
folder) with a random key as name; the original filename is metadata only.
Writes go to a temporary file first, are fsynced and renamed into place, so a
reader never sees a half-written document.

Layout: ``<storage_dir>/<key[:2]>/<key>`` for documents that rows reference,
``<storage_dir>/staging/<key[:2]>/<key>`` for files chosen in a form but not
deposited yet. How files and rows stay consistent across a crash is the job of
:mod:`segur_app.domain.file_commit` and :mod:`segur_app.domain.storage_check`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

STAGING = "staging"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class StoredFile:
    key: str
    size_bytes: int
    sha256: str


class StorageMismatch(OSError):
    """A published file is not the one that was checked (never expected)."""


def is_key(name: str) -> bool:
    return len(name) == 32 and set(name) <= _HEX


def file_path(key: str, *, storage_dir: Path) -> Path:
    """Where the document ``key`` lives (raises ValueError for a malformed key)."""
    if not is_key(key):
        raise ValueError("invalid storage key")
    return storage_dir / key[:2] / key


def staging_path(key: str, *, storage_dir: Path) -> Path:
    return file_path(key, storage_dir=storage_dir / STAGING)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    """Make a directory entry (a rename or a link) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_new(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def store_bytes(data: bytes, *, storage_dir: Path) -> StoredFile:
    key = secrets.token_hex(16)
    _write_new(file_path(key, storage_dir=storage_dir), data)
    return StoredFile(key=key, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())


def read_bytes(key: str, *, storage_dir: Path) -> bytes:
    return file_path(key, storage_dir=storage_dir).read_bytes()


def delete(key: str, *, storage_dir: Path) -> None:
    file_path(key, storage_dir=storage_dir).unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# Staging: files chosen in a form but not deposited yet
# ---------------------------------------------------------------------------
#
# A file picked in a form is checked and written to ``storage_dir/staging``
# at once (never kept in memory or in the UI state); the deposit then
# publishes it under a new key (see :func:`publish_staged`).


def stage_bytes(data: bytes, *, storage_dir: Path) -> StoredFile:
    return store_bytes(data, storage_dir=storage_dir / STAGING)


@dataclass(frozen=True)
class NewFile:
    key: str
    file: BinaryIO
    """Open for reading and writing (``<key>.part`` until the file is complete)."""


@contextlib.contextmanager
def writing_staged(*, storage_dir: Path) -> Iterator[NewFile]:
    """Write a new staged file piece by piece (``uploads.stage`` streams an upload).

    Inside the block the file is ``<key>.part``; when the block ends it is
    fsynced and renamed to its key — or removed if the block raised. The
    staging directory itself is not fsynced: a staged name lost in a crash
    only makes the form ask for the file again, and :func:`publish_staged`
    makes the final name durable.
    """
    key = secrets.token_hex(16)
    path = staging_path(key, storage_dir=storage_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "x+b") as fh:
        try:
            yield NewFile(key=key, file=fh)
            fh.flush()
            os.fsync(fh.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    os.replace(tmp, path)


def discard_staged(key: str, *, storage_dir: Path) -> None:
    staging_path(key, storage_dir=storage_dir).unlink(missing_ok=True)


_NO_LINK = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}


def publish_staged(key: str, *, sha256: str, storage_dir: Path) -> str:
    """Give the staged file ``key`` a final place under a NEW random key.

    The staged file stays where it is (the caller discards it once the row is
    committed). The final file is a hard link (a copy where links are not
    supported), its content is verified against ``sha256`` and it is durable
    before this returns. Its modification time is "now", so the reconciliation
    sweep leaves it alone for the grace period while the row is committed.
    """
    source = staging_path(key, storage_dir=storage_dir)
    final_key = secrets.token_hex(16)
    target = file_path(final_key, storage_dir=storage_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.utime(source)  # a link shares the inode: the final file's age starts now
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in _NO_LINK:
            raise
        _write_new(target, source.read_bytes())
    try:
        if file_sha256(target) != sha256:
            raise StorageMismatch(f"published file {final_key} differs from the checked one")
        _fsync_dir(target.parent)
        _fsync_dir(storage_dir)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return final_key

