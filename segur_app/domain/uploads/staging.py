"""A file chosen in a form: checked once, hashed once, staged; later published by a deposit.

:func:`stage` is the one way a form's file enters the storage. It checks the
size and the name first (nothing read yet), then copies the upload to a
local file — by the kernel (``copy_file_range``, else ``sendfile``) when the
upload is a real file, as Reflex's spooled temporary file of a large upload
is, else in 1 MiB pieces — never more than the size limit and one byte,
seals it (``storage.seal_staged``), then maps the written file and checks it
in place (libmagic, structure, active content) while, side by side, its
sha256 is computed from the same mapping, the disk makes it durable and the
antivirus scans it (:mod:`.antivirus`: an infected file is refused, as is
any file while clamd is unavailable when the scan is required), and only then
gives it its key in ``staging/`` of the store (locally the file is renamed;
with an object store it is uploaded from that temporary file). The whole file
is never held in memory: the upload stays in Reflex's spooled temporary file,
the staged copy is read through the page cache, once for the checks and the
hash. A refused file leaves nothing behind.

The deposit (funding request, enrolment, assistance ticket) trusts what was
checked: :func:`publish` publishes the staged file under its final key, and
:func:`segur_app.domain.storage.publish_staged` verifies there that it is
still the one checked — its seal (taken once written: locally its inode,
size and times) still holds, or else its sha256 is still the one computed
while it was checked — and :func:`attachment_row`
writes what was checked on the row. The file is not checked again. Only when that verification fails (the staged file was altered
on disk) is the new content looked at, to say why it is refused.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import mmap
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from segur_app.domain import file_commit, storage
from segur_app.domain.models import Attachment, ScanResult, utcnow
from segur_app.domain.uploads.antivirus import Scanner
from segur_app.domain.uploads.content import check_content, check_name, check_size, check_with_policy
from segur_app.domain.uploads.names import safe_display_name
from segur_app.domain.uploads.policy import DocumentRejected, UploadPolicy

CHUNK_BYTES = 1024 * 1024
MSG_STORAGE_UNAVAILABLE = (
    "le fichier n'a pas pu être enregistré, le service de conservation des documents est "
    "momentanément indisponible. Veuillez le joindre à nouveau dans quelques minutes."
)


@dataclass(frozen=True)
class StagedDocument:
    """A checked file waiting in staging for the deposit (its key stays on the server)."""

    kind: str
    key: str
    original_name: str
    size_bytes: int
    sha256: str
    mime_type: str
    scan_result: str = ScanResult.NOT_SCANNED.value
    """The antivirus verdict (``ScanResult`` value), recorded on the attachment row."""
    seal: str = ""
    """``storage.seal_staged`` once written, before it is hashed: the publication skips the
    sha256 while it holds ("" — an object store, a document staged by an older
    version: it hashes)."""


class StagedFileMissing(Exception):
    """The staged file is gone (discarded, swept as abandoned) or its key is malformed."""


class StagedFileAltered(Exception):
    """The staged file is no longer the one that was checked.

    ``rejection`` is what its new content gets from the checks (None when the
    new content would pass: it is refused all the same).
    """

    def __init__(self, rejection: DocumentRejected | None) -> None:
        super().__init__(rejection.message if rejection else "staged file altered")
        self.rejection = rejection


def _known_size(source: BinaryIO) -> int | None:
    """The size of a seekable upload (Reflex's spooled file, BytesIO), without reading it."""
    try:
        if not source.seekable():
            return None
        start = source.tell()
        size = source.seek(0, os.SEEK_END) - start
        source.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    return size


def stage(
    source: bytes | BinaryIO, filename: str, *, policy: UploadPolicy,
    store: storage.Storage, scanner: Scanner | None = None,
) -> StagedDocument:
    """Check an uploaded file and stage it; raise :class:`DocumentRejected` if refused.

    ``source``: the bytes, or a binary file positioned at the start of the
    upload (``rx.UploadFile.file``). ``policy`` says what the field accepts
    (PDF, PNG, JPEG documents only) and how it is named in messages.
    ``scanner``: the antivirus (default: the one the settings configure).
    """
    scanner = scanner or Scanner.from_settings()
    if not policy.is_document:
        raise ValueError(f"{policy.label}: only PDF, PNG and JPEG documents are staged")
    if isinstance(source, bytes | bytearray | memoryview):
        source = io.BytesIO(source)
    size = _known_size(source)
    if size is not None:
        check_size(size, policy)  # before reading anything: a huge file costs nothing
    extension = check_name(filename, policy)
    try:
        with storage.writing_staged(store=store) as staged:
            written = _copy_upload(source, staged.file, policy.max_bytes + 1)
            check_size(written, policy)  # a size unknown beforehand, or one that lied
            staged.file.flush()
            seal = storage.seal_staged(staged, store=store)  # what is checked next stays so
            # While the file is checked, the disk writes it and it is hashed
            # (from the mapping the checks read), each in a thread of its own;
            # both are joined before the mapping is closed and the block ends,
            # whatever the checks say.
            with (_mapped(staged.file) as mapping,
                  ThreadPoolExecutor(max_workers=2, thread_name_prefix="staged") as pool):
                synced = pool.submit(storage.sync_staged, staged, store=store)
                hashed = pool.submit(_sha256_of, mapping)
                mime_type, scan_result = _check_and_scan(staged.file, mapping, extension,
                                                         policy, scanner)
                sha256 = hashed.result()
                synced.result()
            storage.release_staged(staged, store=store)  # written, durable, checked
    except storage.StorageUnavailable as exc:  # the object store: nothing was staged
        raise policy.rejected(MSG_STORAGE_UNAVAILABLE, "storage_unavailable", str(exc)) from None
    return StagedDocument(
        kind=policy.kind,
        key=staged.key,
        original_name=safe_display_name(filename),
        size_bytes=written,
        sha256=sha256,
        mime_type=mime_type,
        scan_result=scan_result.value,
        seal=seal,
    )


# --------------------------------------------------------------------------- #
# The copy of the upload
# --------------------------------------------------------------------------- #

_NO_KERNEL_COPY = frozenset({errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP,
                             errno.ENOTSUP, errno.EBADF, errno.EPERM})
"""What a kernel copy answers when it cannot copy these two files (another file
system, a kernel or file system without it...): the next way is tried."""


def _copy_upload(source: BinaryIO, target: BinaryIO, limit: int) -> int:
    """Copy ``source`` from its position to ``target`` (new, empty), ``limit``
    bytes at most; the number of bytes copied. Both are left after what was
    copied (as reading and writing would)."""
    copied, finished = _kernel_copy(source, target, limit)
    if not finished:  # not real files, or the kernel could not (the rest of them)
        while chunk := source.read(min(CHUNK_BYTES, limit - copied)):
            copied += len(chunk)
            target.write(chunk)
    return copied


def _kernel_copy(source: BinaryIO, target: BinaryIO, limit: int) -> tuple[int, bool]:
    """Let the kernel copy ``source`` (from its position) to ``target`` when both
    are regular files: (bytes copied, whether the copy is over — the end of the
    source or ``limit`` reached). Not over when the kernel cannot, from where
    it stopped: the caller reads and writes the rest."""
    fds = _regular_files(source, target)
    if fds is None:
        return 0, False
    src, dst = fds
    start, base = source.tell(), target.tell()
    expected = min(limit, max(0, os.fstat(src).st_size - start))
    copied, finished = 0, False
    try:
        for syscall in (_copy_file_range, _sendfile):
            try:
                while copied < limit:
                    count = syscall(src, dst, limit - copied, start + copied, base + copied)
                    if count == 0:
                        break
                    copied += count
            except OSError as exc:
                if exc.errno not in _NO_KERNEL_COPY:
                    raise
                continue
            # The end of the file for the kernel; some file systems answer 0
            # early (nothing copied of what the file holds): then the next way.
            if copied >= expected:
                finished = True
                break
    finally:
        source.seek(start + copied)
        target.seek(base + copied)
    return copied, finished


def _regular_files(source: BinaryIO, target: BinaryIO) -> tuple[int, int] | None:
    """The descriptors of ``source`` and ``target`` when both are regular files."""
    # A SpooledTemporaryFile still in memory (a small upload): asking for its
    # descriptor would first write it to disk (the attribute Starlette reads too).
    if not getattr(source, "_rolled", True):
        return None
    try:
        if not source.seekable():
            return None
        fds = source.fileno(), target.fileno()
        if not all(stat.S_ISREG(os.fstat(fd).st_mode) for fd in fds):
            return None
        source.flush()  # what a writer of the upload may still buffer
        target.flush()
    except (AttributeError, OSError, ValueError):  # BytesIO: io.UnsupportedOperation
        return None
    return fds


def _copy_file_range(src: int, dst: int, count: int, src_offset: int, dst_offset: int) -> int:
    copy_file_range = getattr(os, "copy_file_range", None)  # Linux only
    if copy_file_range is None:
        raise OSError(errno.ENOSYS, "copy_file_range unavailable")
    return copy_file_range(src, dst, count, src_offset, dst_offset)


def _sendfile(src: int, dst: int, count: int, src_offset: int, dst_offset: int) -> int:
    os.lseek(dst, dst_offset, os.SEEK_SET)  # sendfile writes at the target's position
    return os.sendfile(dst, src, src_offset, count)


# --------------------------------------------------------------------------- #
# The checks and the hash of the written file
# --------------------------------------------------------------------------- #


@contextlib.contextmanager
def _mapped(file: BinaryIO):
    """The file just written, mapped: read in place by the checks and the hash."""
    # ACCESS_COPY: a private mapping (never written back) that libmagic can be handed.
    mapping = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_COPY)
    try:
        yield mapping
    finally:
        # An exception's traceback may still hold a view on the mapping; it is
        # then unmapped when that goes.
        with contextlib.suppress(BufferError):
            mapping.close()


def _sha256_of(mapping: mmap.mmap) -> str:
    """The sha256 of the written file, read through its mapping (hashlib releases
    the GIL: it runs while the checks do)."""
    return hashlib.sha256(mapping).hexdigest()


def _check_and_scan(file: BinaryIO, mapping: mmap.mmap, extension: str, policy: UploadPolicy,
                    scanner: Scanner) -> tuple[str, ScanResult]:
    """The content checks and the antivirus scan of the file just written, side by
    side (clamd works in its own process while the checks run here; the scan
    reads through ``file``, the checks through its ``mapping``).

    An infected file is refused as such whatever the checks say; otherwise a
    content problem is reported before an unavailable antivirus."""
    if not scanner.enabled:
        return check_content(mapping, extension, policy), ScanResult.NOT_SCANNED
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="clamd") as pool:
        scan = pool.submit(scanner.check, file, policy)
        try:
            mime_type = check_content(mapping, extension, policy)
        except DocumentRejected as content_problem:
            try:
                scan.result()
            except DocumentRejected as scan_problem:
                if scan_problem.reason == "infected":
                    raise scan_problem from None
            raise content_problem
        return mime_type, scan.result()


def publish(session, document: StagedDocument, *, policy: UploadPolicy, store: storage.Storage) -> str:
    """Publish a staged file for a row of ``session``'s transaction (see
    :func:`segur_app.domain.file_commit.publish`); the key to store.

    Raises :class:`StagedFileMissing` or :class:`StagedFileAltered` (nothing
    published), or ``storage.StorageUnavailable`` (the object store cannot be
    reached: nothing more is published); the caller refuses the deposit and
    rolls back.
    """
    if document.kind != policy.kind or not storage.is_key(document.key):
        raise StagedFileMissing()
    try:
        return file_commit.publish(session, document, store=store)
    except FileNotFoundError:
        raise StagedFileMissing() from None
    except storage.StorageMismatch:
        raise StagedFileAltered(_rejection_of_altered(document, policy, store)) from None


def attachment_row(document: StagedDocument, *, kind: str, storage_key: str,
                   uploaded_at: datetime | None = None, **owner: int | None) -> Attachment:
    """The ``Attachment`` row of a staged file once published under ``storage_key``:
    name, size, sha256, type and antivirus verdict as checked when it was staged.

    ``owner``: who uploaded it and what it belongs to (``uploaded_by_id=…``,
    ``funding_request_id=…``, ``replaces_id=…``…); ``uploaded_at`` defaults to now.
    """
    return Attachment(
        kind=kind,
        original_name=document.original_name,
        size_bytes=document.size_bytes,
        sha256=document.sha256,
        mime_type=document.mime_type,
        scan_result=document.scan_result,
        storage_key=storage_key,
        uploaded_at=uploaded_at or utcnow(),
        **owner,
    )


def _rejection_of_altered(
    document: StagedDocument, policy: UploadPolicy, store: storage.Storage
) -> DocumentRejected | None:
    """Why the altered content would be refused (only on this abnormal path)."""
    try:
        with contextlib.closing(storage.resolve(store).open(
                storage.staging_name(document.key))) as fh:
            data = fh.read(policy.max_bytes + 1)
    except OSError:
        return None
    try:
        check_with_policy(data, document.original_name, policy)
    except DocumentRejected as exc:
        return exc
    return None
