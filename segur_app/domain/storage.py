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
