"""How ``uploads.stage`` copies and hashes an upload (issue 12, goal 2).

* A real file (Reflex's spooled temporary file once a large upload rolled to
  disk) is copied by the kernel (``copy_file_range``, else ``sendfile``);
  anything else (a ``BytesIO``, a small upload still in memory, a descriptor
  the kernel refuses) is read and written in pieces. Both ways give the same
  staged bytes and sha256, from the upload's position, never more than the
  size limit and one byte.
* The sha256 is computed once, from the mapping the checks read, in a
  thread beside the checks (and beside the one that makes the file durable).
* Every check still decides: an oversized upload or a hostile PDF copied by
  the kernel is refused and leaves nothing.
"""

from __future__ import annotations

import errno
import hashlib
import io
import mmap
import os
import tempfile
import threading

import pytest

from segur_app.domain import storage, uploads
from tests import document_samples as s
from tests.test_upload_staging import HIDDEN_IN_OBJECT_STREAMS, POLICY, leftovers

SAMPLES = [
    (s.valid_pdf(), "pv.pdf"),
    (s.pdf_of_size(uploads.MAX_UPLOAD_BYTES), "exactement-4-mo.pdf"),
    (s.valid_png(), "capture.png"),
    (s.multi_picture_jpeg(), "camera.jpeg"),
]
SAMPLE_IDS = ["pdf", "pdf-4-mo", "png", "jpeg"]
OPEN_ACTION_JAVASCRIPT = [
    b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", s.PAGES, s.PAGE,
    b"<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\)) >>",
]


@pytest.fixture
def storage_dir(tmp_path):
    return tmp_path / "storage"


@pytest.fixture
def kernel(monkeypatch):
    """What the kernel copies: ``calls[name]`` lists the bytes of each answer."""
    calls: dict[str, list[int]] = {"copy_file_range": [], "sendfile": []}
    for name in calls:
        real = getattr(os, name)

        def spy(*args, real=real, name=name):
            copied = real(*args)
            calls[name].append(copied)
            return copied

        monkeypatch.setattr(os, name, spy)
    return calls


def real_file(tmp_path, data: bytes, *, prefix: bytes = b""):
    """An upload on disk, positioned after ``prefix``."""
    path = tmp_path / "upload.bin"
    path.write_bytes(prefix + data)
    fh = open(path, "rb")
    fh.seek(len(prefix))
    return fh


def spooled(data: bytes):
    """What Starlette hands Reflex: a spooled temporary file of 1 MiB, at its start."""
    fh = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
    fh.write(data)
    fh.seek(0)
    return fh


def staged_bytes(document: uploads.StagedDocument, storage_dir) -> bytes:
    return storage.staging_path(document.key, store=storage_dir).read_bytes()


def assert_staged(document, data: bytes, storage_dir) -> None:
    assert staged_bytes(document, storage_dir) == data
    assert document.size_bytes == len(data)
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert leftovers(storage_dir) == [storage.staging_path(document.key, store=storage_dir)]


class NoDescriptor(io.BufferedReader):
    """A real file whose descriptor is not given (a wrapper, a network stream...)."""

    def fileno(self) -> int:
        raise OSError(errno.EBADF, "no descriptor here")


class UnderstatedSize(io.FileIO):
    """A real file whose announced size lies (it says 1,000 bytes)."""

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        where = super().seek(pos, whence)
        return min(where, 1000) if whence == os.SEEK_END else where


# --------------------------------------------------------------------------- #
# Both ways give the same staged file
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(("data", "filename"), SAMPLES, ids=SAMPLE_IDS)
def test_a_real_file_is_copied_by_the_kernel(data, filename, tmp_path, storage_dir, kernel):
    with real_file(tmp_path, data) as source:
        document = uploads.stage(source, filename, policy=POLICY, store=storage_dir)
        assert source.tell() == len(data)  # left after what was copied, as a read would
    assert_staged(document, data, storage_dir)
    assert sum(kernel["copy_file_range"]) == len(data) and kernel["sendfile"] == []


def test_the_kernel_copies_from_the_uploads_position(tmp_path, storage_dir, kernel):
    data, prefix = s.valid_pdf(), b"not part of the upload\n"
    with real_file(tmp_path, data, prefix=prefix) as source:
        document = uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
        assert source.tell() == len(prefix) + len(data)
    from_memory = io.BytesIO(prefix + data)
    from_memory.seek(len(prefix))
    in_pieces = uploads.stage(from_memory, "pv.pdf", policy=POLICY, store=storage_dir)
    assert staged_bytes(document, storage_dir) == staged_bytes(in_pieces, storage_dir) == data
    assert document.sha256 == in_pieces.sha256 == hashlib.sha256(data).hexdigest()
    assert kernel["copy_file_range"]


def test_reflexs_spooled_file_of_a_large_upload_is_copied_by_the_kernel(storage_dir, kernel):
    data = s.pdf_of_size(uploads.MAX_UPLOAD_BYTES)
    with spooled(data) as source:
        document = uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
    assert_staged(document, data, storage_dir)
    assert sum(kernel["copy_file_range"]) == len(data)


def test_a_small_upload_still_in_memory_is_not_written_to_disk_to_be_copied(storage_dir,
                                                                          kernel):
    data = s.valid_png()
    with spooled(data) as source:
        document = uploads.stage(source, "capture.png", policy=POLICY, store=storage_dir)
        assert not source._rolled  # fileno() would have rolled it over to a file
    assert_staged(document, data, storage_dir)
    assert kernel == {"copy_file_range": [], "sendfile": []}


@pytest.mark.parametrize(("data", "filename"), SAMPLES, ids=SAMPLE_IDS)
def test_the_fallbacks_give_the_same_staged_file(data, filename, tmp_path, storage_dir,
                                                 monkeypatch, kernel):
    with real_file(tmp_path, data) as source:
        by_kernel = uploads.stage(source, filename, policy=POLICY, store=storage_dir)
    assert kernel["copy_file_range"]
    kernel["copy_file_range"].clear()

    from_memory = uploads.stage(io.BytesIO(data), filename, policy=POLICY, store=storage_dir)
    with NoDescriptor(io.FileIO(tmp_path / "upload.bin")) as source:
        no_descriptor = uploads.stage(source, filename, policy=POLICY, store=storage_dir)
    assert kernel == {"copy_file_range": [], "sendfile": []}

    def cross_device(*args):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", cross_device)
    with real_file(tmp_path, data) as source:
        by_sendfile = uploads.stage(source, filename, policy=POLICY, store=storage_dir)
    assert sum(kernel["sendfile"]) == len(data)

    def unsupported(*args):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(os, "sendfile", unsupported)
    with real_file(tmp_path, data) as source:
        in_pieces = uploads.stage(source, filename, policy=POLICY, store=storage_dir)
        assert source.tell() == len(data)

    documents = [by_kernel, from_memory, no_descriptor, by_sendfile, in_pieces]
    assert {staged_bytes(d, storage_dir) for d in documents} == {data}
    assert {d.sha256 for d in documents} == {hashlib.sha256(data).hexdigest()}
    assert {(d.size_bytes, d.mime_type) for d in documents} == {(len(data), by_kernel.mime_type)}


def test_a_kernel_copy_refused_midway_is_finished_another_way(tmp_path, storage_dir,
                                                              monkeypatch):
    data = s.pdf_of_size(uploads.MAX_UPLOAD_BYTES)
    real = os.copy_file_range
    answers = []

    def first_piece_then_refused(src, dst, count, src_offset, dst_offset):
        if answers:
            raise OSError(errno.ENOSYS, "Function not implemented")
        answers.append(real(src, dst, min(count, 1_000_001), src_offset, dst_offset))
        return answers[-1]

    def refused(*args):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(os, "copy_file_range", first_piece_then_refused)
    monkeypatch.setattr(os, "sendfile", refused)
    with real_file(tmp_path, data) as source:
        document = uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
    assert answers == [1_000_001]
    assert_staged(document, data, storage_dir)


def test_a_kernel_answering_the_end_too_early_is_not_believed(tmp_path, storage_dir,
                                                              monkeypatch):
    """Some file systems answer 0 (the end) to copy_file_range with data left."""
    data = s.pdf_of_size(uploads.MAX_UPLOAD_BYTES)
    monkeypatch.setattr(os, "copy_file_range", lambda *args: 0)
    with real_file(tmp_path, data) as source:
        document = uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
    assert_staged(document, data, storage_dir)


def test_other_errors_of_the_kernel_copy_refuse_and_leave_nothing(tmp_path, storage_dir,
                                                                  monkeypatch):
    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "copy_file_range", disk_full)
    with real_file(tmp_path, s.valid_pdf()) as source, pytest.raises(OSError) as raised:
        uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
    assert raised.value.errno == errno.ENOSPC
    assert leftovers(storage_dir) == []


# --------------------------------------------------------------------------- #
# The limit and the checks still decide
# --------------------------------------------------------------------------- #


def test_an_oversized_real_file_is_refused_before_any_copy(tmp_path, storage_dir, kernel):
    with real_file(tmp_path, s.pdf_of_size(uploads.MAX_UPLOAD_BYTES + 1)) as source:
        with pytest.raises(uploads.DocumentRejected) as refused:
            uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
    assert refused.value.reason == "too_large"
    assert kernel == {"copy_file_range": [], "sendfile": []}
    assert leftovers(storage_dir) == []


@pytest.mark.parametrize("way", ["copy_file_range", "sendfile"])
def test_an_oversized_upload_whose_size_lied_is_copied_up_to_the_limit_only(
        way, tmp_path, storage_dir, monkeypatch, kernel):
    path = tmp_path / "huge.pdf"
    path.write_bytes(s.pdf_of_size(20 * 1024 * 1024))
    if way == "sendfile":
        def cross_device(*args):
            raise OSError(errno.EXDEV, "Invalid cross-device link")

        monkeypatch.setattr(os, "copy_file_range", cross_device)
    with UnderstatedSize(path) as source:
        with pytest.raises(uploads.DocumentRejected) as refused:
            uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
    assert refused.value.reason == "too_large"
    assert sum(kernel[way]) == uploads.MAX_UPLOAD_BYTES + 1
    assert leftovers(storage_dir) == []


@pytest.mark.parametrize(
    "data",
    [s.pdf_with_javascript(), s.build_pdf(OPEN_ACTION_JAVASCRIPT, padding=3_000_000)]
    + [case[1] for case in HIDDEN_IN_OBJECT_STREAMS if case[2] == "pdf_active_content"],
    ids=["catalog-open-action", "catalog-open-action-3-mb"] + [case[0] for case in HIDDEN_IN_OBJECT_STREAMS
                          if case[2] == "pdf_active_content"],
)
def test_a_hostile_pdf_copied_by_the_kernel_is_still_refused(data, tmp_path, storage_dir,
                                                             kernel):
    with pytest.raises(uploads.DocumentRejected) as in_memory:
        uploads.check_document(data, "pv.pdf", field_label=POLICY.label)
    with real_file(tmp_path, data) as source:
        with pytest.raises(uploads.DocumentRejected) as staged:
            uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
    assert staged.value.reason == in_memory.value.reason == "pdf_active_content"
    assert staged.value.message == in_memory.value.message
    assert sum(kernel["copy_file_range"]) == len(data)
    assert leftovers(storage_dir) == []


# --------------------------------------------------------------------------- #
# Hashed once, from the mapping, beside the checks
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("accepted", [True, False], ids=["accepted", "refused"])
def test_the_file_is_hashed_once_from_its_mapping_while_it_is_checked(
        accepted, tmp_path, storage_dir, monkeypatch):
    """The checks wait here until the hash has begun: a hash after them would
    never begin. One sha256, of the mapping, in a thread of the staging's pool."""
    hashing, hashed = threading.Event(), []
    real_sha256, real_check = hashlib.sha256, uploads.staging.check_content

    def sha256(data=b"", **kwargs):
        hashed.append((type(data), threading.current_thread().name))
        hashing.set()
        return real_sha256(data, **kwargs)

    def check(*args, **kwargs):
        assert hashing.wait(30), "the file was not hashed while it was checked"
        return real_check(*args, **kwargs)

    data = (s.pdf_of_size(uploads.MAX_UPLOAD_BYTES) if accepted
            else s.build_pdf(OPEN_ACTION_JAVASCRIPT, padding=3_000_000))
    monkeypatch.setattr(hashlib, "sha256", sha256)
    monkeypatch.setattr(uploads.staging, "check_content", check)
    with real_file(tmp_path, data) as source:
        try:
            document = uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
        except uploads.DocumentRejected as refused:
            assert not accepted and refused.reason == "pdf_active_content"
            assert leftovers(storage_dir) == []
        else:
            assert accepted and document.sha256 == real_sha256(data).hexdigest()
            assert staged_bytes(document, storage_dir) == data
    assert len(hashed) == 1
    kind, thread = hashed[0]
    assert kind is mmap.mmap and thread.startswith("staged")


# --------------------------------------------------------------------------- #
# The staged file leaves the page cache (bench/README.md, « the deposit's drift »)
# --------------------------------------------------------------------------- #

def resident_pages(path) -> tuple[int, int]:
    """(pages of ``path`` in the page cache, pages of the file): ``mincore(2)`` on a
    private mapping, which reports the cache's pages until one is written."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    size = os.path.getsize(path)
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_COPY) as mapping:
        start = ctypes.c_char.from_buffer(mapping)
        try:
            vector = (ctypes.c_ubyte * pages)()
            if libc.mincore(ctypes.c_void_p(ctypes.addressof(start)), ctypes.c_size_t(size), vector):
                raise OSError(ctypes.get_errno(), "mincore")
            return sum(page & 1 for page in vector), pages
        finally:
            del start  # the mapping can only close once no buffer refers to it


def test_a_staged_file_leaves_the_page_cache_once_synced_and_checked(storage_dir, tmp_path):
    data, name = s.pdf_of_size(uploads.MAX_UPLOAD_BYTES), "exactement-4-mo.pdf"
    written = tmp_path / "written.bin"  # the control: this system keeps written pages cached
    with open(written, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    assert resident_pages(written)[0] > 0
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as upload:
        upload.write(data)
        upload.seek(0)
        document = uploads.stage(upload, name, policy=POLICY, store=storage_dir)
    path = storage.staging_path(document.key, store=storage_dir)
    assert resident_pages(path) == (0, (len(data) + mmap.PAGESIZE - 1) // mmap.PAGESIZE)
    assert path.read_bytes() == data  # read back from the disk, whole
    assert document.sha256 == hashlib.sha256(data).hexdigest()
