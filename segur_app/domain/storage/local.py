"""A private directory as a document store (the embedded default).

Objects are files under ``root`` (``root/ab/ab12…``). A write goes to
``<name>.part`` first, is fsynced and renamed into place, and the directory
entry is fsynced, so a reader never sees a half-written document and a
document is durable when the write returns. A copy is a hard link where the
file system allows it (a streamed copy otherwise).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from segur_app.domain.storage.base import CHUNK_BYTES, Entry

_NO_LINK = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}


def fsync_dir(path: Path) -> None:
    """Make a directory entry (a rename or a link) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _seal(st: os.stat_result) -> str:
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"


class LocalStore:
    """Objects as files of a private directory (see the module docstring)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.location = str(self.root)

    def __repr__(self) -> str:
        return f"LocalStore({self.location!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LocalStore) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    def path(self, name: str) -> Path:
        """The file of ``name`` (names come from the storage layout, never from users)."""
        if not name or name.startswith("/") or ".." in name.split("/"):
            raise ValueError("invalid object name")
        return self.root / name

    @contextlib.contextmanager
    def _new_file(self, name: str, *, durable_name: bool) -> Iterator[BinaryIO]:
        path = self.path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "x+b") as fh:
            try:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        os.replace(tmp, path)
        if durable_name:
            fsync_dir(path.parent)

    def writing(self, name: str):
        # The name itself is not fsynced: a staged name lost in a crash only
        # makes the form ask for the file again; publishing makes the final
        # name durable.
        return self._new_file(name, durable_name=False)

    def put_stream(self, name: str, source: BinaryIO) -> None:
        with self._new_file(name, durable_name=True) as fh:
            shutil.copyfileobj(source, fh, CHUNK_BYTES)

    def open(self, name: str) -> BinaryIO:
        return open(self.path(name), "rb")

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def stat(self, name: str) -> Entry | None:
        try:
            st = self.path(name).stat()
        except FileNotFoundError:
            return None
        return Entry(name=name, size_bytes=st.st_size, mtime=st.st_mtime)

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[Entry]:
        for directory, subdirs, files in os.walk(self.root):
            subdirs.sort()
            base = Path(directory).relative_to(self.root).as_posix()
            for filename in sorted(files):
                name = filename if base == "." else f"{base}/{filename}"
                if not name.startswith(prefix):
                    continue
                try:
                    st = os.lstat(os.path.join(directory, filename))
                except FileNotFoundError:
                    continue
                if stat.S_ISREG(st.st_mode):  # never a symlink
                    yield Entry(name=name, size_bytes=st.st_size, mtime=st.st_mtime)

    def sync(self, file: BinaryIO) -> None:
        os.fsync(file.fileno())

    def release(self, file: BinaryIO) -> None:
        """Drop the file's pages from the page cache (``POSIX_FADV_DONTNEED``; its
        content is on the disk already, :meth:`sync`). Each deposit writes
        megabytes the portal does not read again soon (a document is read when
        someone downloads it): kept cached, they would crowd out what is read
        often (the database's files) and, once memory is full, make every next
        upload's copy wait for the cache to be reclaimed (``bench/README.md``,
        « the deposit's drift »). A system without the advice keeps its pages."""
        advise = getattr(os, "posix_fadvise", None)
        if advise is not None:
            with contextlib.suppress(OSError):
                advise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)

    def seal(self, file: BinaryIO) -> str:
        """The file's identity and state: device, inode, size, modification time.

        Its modification time is first set one second back: any later write
        (``write``, ``truncate``, a mapping) sets it to the current time, so it
        differs from the sealed value even within one tick of the file system's
        clock (timestamps may be coarse); a replacement changes the inode. The
        change time is left out: the rename into place changes it."""
        fd = file.fileno()
        before = os.fstat(fd)
        os.utime(fd, ns=(before.st_atime_ns, before.st_mtime_ns - 1_000_000_000))
        return _seal(os.fstat(fd))

    def unchanged(self, name: str, seal: str) -> bool:
        try:
            return bool(seal) and _seal(self.path(name).stat()) == seal
        except FileNotFoundError:
            return False

    def copy(self, source: str, target: str) -> None:
        src, dst = self.path(source), self.path(target)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.utime(src)  # a link shares the inode: the copy's age starts now
        try:
            os.link(src, dst)
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
            with open(src, "rb") as fh:
                self.put_stream(target, fh)
        try:
            fsync_dir(dst.parent)
            fsync_dir(self.root)  # the shard directory may be new
        except BaseException:
            dst.unlink(missing_ok=True)
            raise
