"""Private document storage.

Files are written under ``settings.storage_dir`` (outside every publicly served
folder) with a random key as name; the original filename is metadata only.
Writes go to a temporary file first and are renamed into place, so a reader
never sees a half-written document.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    key: str
    size_bytes: int
    sha256: str


def _path_for(storage_dir: Path, key: str) -> Path:
    if len(key) != 32 or not all(c in "0123456789abcdef" for c in key):
        raise ValueError("invalid storage key")
    return storage_dir / key[:2] / key


def store_bytes(data: bytes, *, storage_dir: Path) -> StoredFile:
    key = secrets.token_hex(16)
    path = _path_for(storage_dir, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(tmp, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return StoredFile(key=key, size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())


def read_bytes(key: str, *, storage_dir: Path) -> bytes:
    return _path_for(storage_dir, key).read_bytes()


def delete(key: str, *, storage_dir: Path) -> None:
    _path_for(storage_dir, key).unlink(missing_ok=True)


# ---------------------------------------------------------------------------
# Staging: files chosen in a form but not deposited yet
# ---------------------------------------------------------------------------
#
# A file picked in a form is checked and written to ``storage_dir/staging``
# at once (never kept in memory or in the UI state); the deposit then moves it
# to its final place with a rename, inside the deposit's unit of work.

STAGING = "staging"


def _staging_path(storage_dir: Path, key: str) -> Path:
    return _path_for(storage_dir / STAGING, key)


def stage_bytes(data: bytes, *, storage_dir: Path) -> StoredFile:
    return store_bytes(data, storage_dir=storage_dir / STAGING)


def read_staged(key: str, *, storage_dir: Path) -> bytes:
    return _staging_path(storage_dir, key).read_bytes()


def discard_staged(key: str, *, storage_dir: Path) -> None:
    _staging_path(storage_dir, key).unlink(missing_ok=True)


def promote(key: str, *, storage_dir: Path) -> None:
    """Move a staged file to its final place (same key)."""
    target = _path_for(storage_dir, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(_staging_path(storage_dir, key), target)


def demote(key: str, *, storage_dir: Path) -> None:
    """Undo :func:`promote` (the deposit failed after the move)."""
    source = _path_for(storage_dir, key)
    if source.exists():
        target = _staging_path(storage_dir, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)


def purge_stale_staging(*, storage_dir: Path, older_than_seconds: float, now: float) -> int:
    """Delete staged files abandoned for longer than ``older_than_seconds``."""
    removed = 0
    root = storage_dir / STAGING
    if not root.exists():
        return 0
    for path in root.glob("*/*"):
        try:
            if now - path.stat().st_mtime > older_than_seconds:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed
