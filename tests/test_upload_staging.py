"""The deposit optimisations of issue 12 keep every check.

* ``uploads.stage`` checks the file it has just written (mapped, in one
  pass) and refuses exactly what ``check_document`` refuses, with the same
  message; it streams the upload in pieces and leaves nothing behind a refusal.
* The PDF walk (C-speed searches instead of regular expressions at every
  byte) decides like the former whole-file regular expressions
  (``tests/former_checks.py``) on the test corpus and on random mutations;
  active content hidden in object streams, truncated cross-references and
  fake headers are still refused.
* The deposits trust the sha256 of what was checked: they neither check nor
  read the staged files again (the publication reads one back for its sha256
  only when its seal no longer holds — always with an object store), and a
  staged file altered on disk between staging and deposit — rewritten,
  written in place within the same clock tick, replaced by another file whose
  times were copied — is still refused, with the message it always had.
"""

from __future__ import annotations

import dataclasses
import io
import os
import random
import threading
import zlib
from pathlib import Path

import pytest
from sqlmodel import select

from segur_app.domain import storage, uploads
from segur_app.domain.funding import deposit as funding_deposit
from segur_app.domain.enrolment import rules
from segur_app.domain.funding.deposit import ADVANCE_DOCUMENTS, DepositRefused
from segur_app.domain.models import Attachment, AssistanceTicket, Enrolment, FundingRequest
from segur_app.domain.uploads import images, pdf
from segur_app.domain.uploads.policy import FormatProblem
from segur_app.domain.assistance import tickets
from tests import document_samples as s
from tests import former_checks as former
from tests.test_assistance import create as create_ticket
from tests.test_assistance import stage as stage_ticket_attachment
from tests.test_enrolment import stage_rib, submit
from tests.test_funding import DEMO_FILES, deposit, final_files, stage_all, staged_files
from tests.test_image_bombs import jpeg_announcing, png_bomb
from tests.test_uploads import BAD_FILES, LABEL

POLICY = uploads.UploadPolicy(label=LABEL)


@pytest.fixture
def storage_dir(tmp_path) -> Path:
    return tmp_path / "storage"


def leftovers(storage_dir: Path) -> list[Path]:
    """Everything under staging, ``.part`` files included."""
    return sorted(p for p in (storage_dir / storage.STAGING).rglob("*") if p.is_file())


# --------------------------------------------------------------------------- #
# Staging: the same checks, on the written file
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("data", "filename", "reason"),
    [(case[1], case[2], case[4]) for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_staging_refuses_what_the_checks_refuse_and_leaves_nothing(data, filename, reason,
                                                                   storage_dir):
    with pytest.raises(uploads.DocumentRejected) as in_memory:
        uploads.check_document(data, filename, field_label=LABEL)
    with pytest.raises(uploads.DocumentRejected) as staged:
        uploads.stage(io.BytesIO(data), filename, policy=POLICY, store=storage_dir)
    assert staged.value.reason == in_memory.value.reason == reason
    assert staged.value.message == in_memory.value.message
    assert leftovers(storage_dir) == []


@pytest.mark.parametrize("accepted", [True, False], ids=["accepted", "refused"])
def test_the_staged_file_is_made_durable_while_it_is_checked(storage_dir, monkeypatch, accepted):
    """The fsync overlaps the checks (it waits here until they have begun) and is
    over before the file gets its name — or, refused, before it is removed."""
    checking, events = threading.Event(), []
    real_check, real_replace = uploads.staging.check_content, os.replace

    def check(*args, **kwargs):
        events.append("check")
        checking.set()
        return real_check(*args, **kwargs)

    def sync(self, file):
        assert checking.wait(30), "the checks never started while the file was synced"
        os.fsync(file.fileno())
        events.append(("synced", file.name.endswith(".part")))

    def rename(source, target):
        events.append("named")
        return real_replace(source, target)

    monkeypatch.setattr(uploads.staging, "check_content", check)
    monkeypatch.setattr(storage.LocalStore, "sync", sync)
    monkeypatch.setattr(os, "replace", rename)
    data = s.valid_pdf() if accepted else s.valid_pdf().replace(b"/Pages", b"/JavaScript", 1)
    try:
        uploads.stage(data, "pv.pdf", policy=POLICY, store=storage_dir)
    except uploads.DocumentRejected:
        assert not accepted
        assert events == ["check", ("synced", True)] and leftovers(storage_dir) == []
    else:
        assert accepted and events == ["check", ("synced", True), "named"]


@pytest.mark.parametrize(("data", "filename"), [
    (s.valid_pdf(), "pv.pdf"), (s.build_xref_stream_pdf(), "xref-stream.pdf"),
    (s.valid_png(), "capture.png"), (s.interlaced_png(), "interlaced.png"),
    (s.valid_jpeg(16, 24), "photo.JPG"), (s.multi_picture_jpeg(), "camera.jpeg"),
    (s.pdf_of_size(uploads.MAX_UPLOAD_BYTES), "exactement-4-mo.pdf"),
])
def test_staging_keeps_what_the_checks_accept_with_its_sha256(data, filename, storage_dir):
    checked = uploads.check_document(data, filename, field_label=LABEL)
    staged = uploads.stage(io.BytesIO(data), filename, policy=POLICY, store=storage_dir)
    assert (staged.original_name, staged.mime_type, staged.size_bytes, staged.sha256) == (
        checked.original_name, checked.mime_type, checked.size_bytes, checked.sha256)
    path = storage.staging_path(staged.key, store=storage_dir)
    assert path.read_bytes() == data
    assert storage.file_sha256(path) == staged.sha256
    assert leftovers(storage_dir) == [path]  # no .part left


class CountingReader(io.BytesIO):
    """A seekable upload (like Reflex's spooled file) that records its reads."""

    def __init__(self, data: bytes, *, seekable: bool = True) -> None:
        super().__init__(data)
        self.reads: list[int] = []
        self._seekable = seekable

    def seekable(self) -> bool:
        return self._seekable

    def read(self, size: int | None = -1) -> bytes:
        self.reads.append(-1 if size is None else size)
        return super().read(size)


def test_staging_streams_the_upload_in_pieces(storage_dir):
    data = s.pdf_of_size(uploads.MAX_UPLOAD_BYTES)
    source = CountingReader(data)
    staged = uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
    assert staged.size_bytes == len(data)
    assert source.reads and all(0 < size <= 1024 * 1024 for size in source.reads)


def test_an_upload_announcing_too_much_is_refused_before_any_read(storage_dir):
    source = CountingReader(s.pdf_of_size(uploads.MAX_UPLOAD_BYTES + 1))
    with pytest.raises(uploads.DocumentRejected) as refused:
        uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
    assert refused.value.reason == "too_large"
    assert source.reads == []
    assert leftovers(storage_dir) == []


def test_an_upload_of_unknown_size_is_read_up_to_the_limit_only(storage_dir):
    source = CountingReader(bytes(20 * 1024 * 1024), seekable=False)
    with pytest.raises(uploads.DocumentRejected) as refused:
        uploads.stage(source, "pv.pdf", policy=POLICY, store=storage_dir)
    assert refused.value.reason == "too_large"
    assert sum(source.reads) <= uploads.MAX_UPLOAD_BYTES + 1
    assert leftovers(storage_dir) == []


@pytest.mark.parametrize(("data", "filename"), [
    (png_bomb(10_000, 10_000), "scan.png"), (jpeg_announcing(10_000, 10_000), "photo.jpg"),
])
def test_staging_refuses_image_bombs_before_any_pixel_is_inflated(data, filename, storage_dir,
                                                                  monkeypatch):
    def must_not_inflate(*args, **kwargs):
        raise AssertionError("pixel data inflated before the pixel count was checked")

    monkeypatch.setattr(images, "check_png_pixels", must_not_inflate)
    with pytest.raises(uploads.DocumentRejected) as refused:
        uploads.stage(data, filename, policy=POLICY, store=storage_dir)
    assert refused.value.reason == "image_too_many_pixels"
    assert leftovers(storage_dir) == []


def test_only_documents_are_staged(storage_dir):
    from segur_app.domain.referencing import JSON_UPLOAD

    with pytest.raises(ValueError):
        uploads.stage(b"{}", "ref.json", policy=JSON_UPLOAD, store=storage_dir)


# --------------------------------------------------------------------------- #
# The PDF walk decides as the former whole-file regular expressions did
# --------------------------------------------------------------------------- #


def decision(check, data: bytes) -> str | None:
    try:
        check(data)
    except (FormatProblem, former.Problem) as problem:
        return problem.reason
    return None


def flate_object_stream_pdf(*objects: bytes, catalog: bytes = s.CATALOG) -> bytes:
    """Objects 2.. in a Flate object stream, the catalog outside: what the
    compressed objects say is visible only once the stream is inflated."""
    compressed = {2: s.PAGES, 3: s.PAGE}
    compressed.update({4 + n: body for n, body in enumerate(objects)})
    return s.build_xref_stream_pdf(compressed, catalog=catalog)


def fake_framed_object_stream() -> bytes:
    """An image whose binary body contains what looks like a whole object
    stream carrying JavaScript: every ``stream`` keyword is examined."""
    inner = zlib.compress(b"4 0 << /S /JavaScript /JS (app.alert\\(1\\)) >>\n")
    hidden = (b"9 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >>\nstream\n"
              + inner + b"\nendstream\nendobj\n")
    body = b"\x00\xff" * 64 + hidden + b"\x10\x80" * 64
    image = (b"<< /Type /XObject /Subtype /Image /Length %d >>\nstream\n" % len(body)
             + body + b"\nendstream")
    return s.build_pdf([s.CATALOG, s.PAGES, s.PAGE, image])


HIDDEN_IN_OBJECT_STREAMS = [
    ("open-action-javascript",
     flate_object_stream_pdf(b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
                             catalog=b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"),
     "pdf_active_content"),
    ("embedded-file-spec", flate_object_stream_pdf(
        b"<< /Type /Filespec /F (facture.exe) /EF << /F 9 0 R >> >>"), "pdf_active_content"),
    ("embedded-files-name-tree", flate_object_stream_pdf(
        b"<< /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>"), "pdf_active_content"),
    ("launch", flate_object_stream_pdf(b"<< /S /Launch /F (cmd.exe) >>"), "pdf_active_content"),
    ("escaped-javascript", flate_object_stream_pdf(b"<< /S /J#61vaScript /J#53 (x) >>"),
     "pdf_active_content"),
    ("xfa", flate_object_stream_pdf(b"<< /XFA 9 0 R >>"), "pdf_active_content"),
    ("encrypt", flate_object_stream_pdf(b"<< /Encrypt 9 0 R >>"), "pdf_encrypted"),
    ("hex-richmedia", s.build_xref_stream_pdf(
        {2: s.PAGES, 3: s.PAGE, 4: b"<< /Subtype /RichMedia >>"}, objstm_filter=b"/ASCIIHexDecode"),
     "pdf_active_content"),
    ("fake-framing", fake_framed_object_stream(), "pdf_active_content"),
]
BROKEN_STRUCTURE = [
    ("xref-longer-than-its-entries", s.valid_pdf().replace(b"xref\n0 6\n", b"xref\n0 9\n", 1),
     "pdf_corrupt"),
    ("xref-entry-missing", s.valid_pdf().replace(b"0000000000 65535 f \n", b"", 1), "pdf_corrupt"),
    ("xref-truncated-file", s.valid_pdf()[: s.valid_pdf().index(b"trailer")], "pdf_corrupt"),
    ("fake-header-letters", s.valid_pdf().replace(b"%PDF-1.4", b"%PDF-1.x", 1), "pdf_corrupt"),
    ("fake-header-three-digits", s.valid_pdf().replace(b"%PDF-1.4", b"%PDF-1.45", 1)[:-1],
     "pdf_corrupt"),
    ("fake-header-postscript", s.valid_pdf().replace(b"%PDF-1.4", b"%!PS-1.4", 1), "pdf_corrupt"),
    ("object-stream-without-endstream", s.build_pdf([
        s.CATALOG, s.PAGES, s.PAGE,
        b"<< /Type /ObjStm /N 1 /First 4 /Length 10 >>\nstream\n0123456789\nendstreax"]),
     "pdf_corrupt"),
]


@pytest.mark.parametrize(("data", "reason"), [case[1:] for case in HIDDEN_IN_OBJECT_STREAMS
                                              + BROKEN_STRUCTURE],
                         ids=[case[0] for case in HIDDEN_IN_OBJECT_STREAMS + BROKEN_STRUCTURE])
def test_bad_pdfs_are_still_refused_after_the_single_pass(data, reason, storage_dir):
    assert decision(pdf.check_pdf, data) == reason
    assert decision(former.check_pdf, data) == reason
    with pytest.raises(uploads.DocumentRejected) as in_memory:
        uploads.check_document(data, "pv.pdf", field_label=LABEL)
    with pytest.raises(uploads.DocumentRejected) as staged:
        uploads.stage(data, "pv.pdf", policy=POLICY, store=storage_dir)
    assert staged.value.message == in_memory.value.message
    # libmagic refuses first what does not even start like a PDF.
    expected = reason if data.startswith(b"%PDF-") else "content_not_allowed"
    assert staged.value.reason == in_memory.value.reason == expected
    assert leftovers(storage_dir) == []


def test_active_names_out_of_sight_in_the_raw_file_are_the_point():
    """Those object streams are compressed: nothing in the raw bytes says JavaScript."""
    data = dict((case[0], case[1]) for case in HIDDEN_IN_OBJECT_STREAMS)["open-action-javascript"]
    assert b"JavaScript" not in data and b"/JS" not in data


def test_short_names_in_a_4_mb_binary_body_are_data_and_long_names_are_not():
    rng = random.Random(12)
    noise = bytearray(rng.randbytes(4_000_000))
    for at in range(1000, len(noise) - 100, 97_003):  # fake keywords and short names
        noise[at:at + 22] = b"/JS /EF\nstream\r\n/XFA>>"
    image = b"<< /Length %d >>\nstream\n" % len(noise) + bytes(noise) + b"\nendstream"
    data = s.build_pdf([s.CATALOG, s.PAGES, s.PAGE, image])
    assert decision(pdf.check_pdf, data) is None
    assert decision(former.check_pdf, data) is None
    noise[2_000_000:2_000_012] = b"/JavaScript "
    image = b"<< /Length %d >>\nstream\n" % len(noise) + bytes(noise) + b"\nendstream"
    data = s.build_pdf([s.CATALOG, s.PAGES, s.PAGE, image])
    assert decision(pdf.check_pdf, data) == "pdf_active_content"


MUTATION_TOKENS = [
    b"stream\n", b"stream\r\n", b"stream\r", b"endstream", b"xstream\n", b"1stream\n",
    b"obj", b" 7 0 obj\n", b"/ObjStm", b"/Type /ObjStm ", b"/Filter /FlateDecode ",
    b"/Filter [/AHx] ", b"/JS", b"/J#53", b"/EF ", b"/XFA", b"/JavaScript", b"/J#61vaScript",
    b"/Launch", b"/Encrypt", b"/EmbeddedFiles", b"/GoToE/", b"%%EOF", b"startxref\n12\n",
    b"\n", b" ", b"<<", b">>", b"#", b"/", zlib.compress(b"<< /JS 1 >>"),
]


def mutated_pdfs(count: int, seed: int = 20261201):
    rng = random.Random(seed)
    bases = [
        s.valid_pdf(), s.build_xref_stream_pdf(), s.build_pdf(eol=b"\r\n"),
        s.build_xref_stream_pdf(objstm_filter=b"/ASCIIHexDecode"), fake_framed_object_stream(),
        s.build_pdf([s.CATALOG, s.PAGES, s.PAGE,
                     b"<< /Length 40 >>\nstream\n" + bytes(range(200, 240)) + b"\nendstream"]),
    ]
    for _ in range(count):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(data))
            action = rng.random()
            if action < 0.6:
                data[at:at] = rng.choice(MUTATION_TOKENS)
            elif action < 0.8:
                del data[at:at + rng.randint(1, 12)]
            else:
                token = rng.choice(MUTATION_TOKENS)
                data[at:at + len(token)] = token
        yield bytes(data)


def test_the_walk_decides_as_the_former_regular_expressions_on_random_mutations():
    corpus = [case[1] for case in BAD_FILES if case[2].endswith(".pdf")]
    corpus += [case[1] for case in HIDDEN_IN_OBJECT_STREAMS + BROKEN_STRUCTURE]
    corpus += list(mutated_pdfs(600))
    disagreements = [
        (n, decision(former.check_pdf, data), decision(pdf.check_pdf, data))
        for n, data in enumerate(corpus)
        if decision(former.check_pdf, data) != decision(pdf.check_pdf, data)
    ]
    assert disagreements == []
    decided = {decision(pdf.check_pdf, data) for data in corpus}
    assert {None, "pdf_corrupt", "pdf_active_content", "pdf_encrypted",
            "pdf_trailing_data"} <= decided  # the mutations reach every outcome


# --------------------------------------------------------------------------- #
# Deposits trust what was checked at staging
# --------------------------------------------------------------------------- #


@pytest.fixture
def supplier(db, storage_dir):
    from segur_app.domain import demo

    summary = demo.load_demo_data(db, store=storage_dir, env="test")
    db.commit()
    return summary


@pytest.fixture
def forbid_a_second_look(monkeypatch):
    """From the call on, fail if a file is checked again; returns the names
    whose sha256 the publication verified (its only read of a staged file)."""

    def forbid() -> list[str]:
        verified: list[str] = []
        real_sha256 = storage.sha256_of

        def forbidden(*args, **kwargs):
            raise AssertionError("the staged file was checked or read again")

        def counting_sha256(store, name):
            verified.append(name)
            return real_sha256(store, name)

        monkeypatch.setattr(uploads.content.magic, "from_buffer", forbidden)
        monkeypatch.setattr(pdf, "check_pdf", forbidden)
        monkeypatch.setattr(images, "check_png", forbidden)
        monkeypatch.setattr(images, "check_jpeg", forbidden)
        monkeypatch.setattr(storage, "sha256_of", counting_sha256)
        monkeypatch.setattr(uploads.staging, "open", forbidden, raising=False)  # no re-read
        return verified

    return forbid


def test_the_deposit_neither_checks_nor_reads_the_files_again(db, supplier, storage_dir,
                                                              forbid_a_second_look):
    documents = stage_all(storage_dir)
    verified = forbid_a_second_look()
    result = deposit(db, supplier, storage_dir, documents=documents)
    assert result.dossier_number
    assert verified == []  # sealed when staged, untouched since: not hashed again
    rows = db.exec(select(Attachment).where(
        Attachment.funding_request_id == result.funding_request_id)).all()
    assert sorted(r.sha256 for r in rows) == sorted(d.sha256 for d in documents.values())


def test_enrolment_and_assistance_trust_the_staged_files_too(db, storage_dir,
                                                             forbid_a_second_look):
    rib, attachment = stage_rib(storage_dir), stage_ticket_attachment(storage_dir)
    verified = forbid_a_second_look()
    assert submit(db, storage_dir, rib=rib).number
    assert create_ticket(db, storage_dir, attachment=attachment).number
    assert verified == []


def test_a_staged_file_without_its_seal_is_hashed_at_publication(db, supplier, storage_dir,
                                                                forbid_a_second_look):
    """Staged by an older version (no seal), or touched since: the sha256 decides."""
    documents = {kind: dataclasses.replace(document, seal="") if n == 0 else document
                 for n, (kind, document) in enumerate(stage_all(storage_dir).items())}
    touched = documents[ADVANCE_DOCUMENTS[1].value]
    os.utime(storage.staging_path(touched.key, store=storage_dir))  # same bytes, new time
    verified = forbid_a_second_look()
    assert deposit(db, supplier, storage_dir, documents=documents).dossier_number
    assert len(verified) == 2


def alter(document: uploads.StagedDocument, storage_dir: Path, *, still_valid: bool) -> None:
    """Change the staged file on disk: one letter of its text (the PDF stays
    valid, same size), or its whole content (an executable)."""
    path = storage.staging_path(document.key, store=storage_dir)
    data = bytearray(path.read_bytes())
    if still_valid:
        at = data.index(b") Tj") - 1
        data[at] = ord("x") if data[at] != ord("x") else ord("y")
        assert uploads.check_document(bytes(data), "x.pdf", field_label=LABEL)
    else:
        data = bytearray(s.pe_executable())
    path.write_bytes(bytes(data))


def alter_in_place(document: uploads.StagedDocument, storage_dir: Path) -> None:
    """One byte rewritten in place right away (same size, within the same tick of a
    coarse file system clock as the staging)."""
    path = storage.staging_path(document.key, store=storage_dir)
    data = path.read_bytes()
    at = data.index(b") Tj") - 1
    with open(path, "r+b") as fh:
        fh.seek(at)
        fh.write(b"x" if data[at] != ord("x") else b"y")


def replace_keeping_times(document: uploads.StagedDocument, storage_dir: Path) -> None:
    """Another file of the same size put in its place, its times copied from it."""
    path = storage.staging_path(document.key, store=storage_dir)
    before = path.stat()
    data = bytearray(path.read_bytes())
    at = data.index(b") Tj") - 1
    data[at] = ord("x") if data[at] != ord("x") else ord("y")
    other = path.with_name("other")
    other.write_bytes(bytes(data))
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(other, path)
    assert path.stat().st_mtime_ns == before.st_mtime_ns


@pytest.mark.parametrize("how", ["in-place", "replaced"])
def test_a_staged_piece_altered_without_changing_its_size_or_times_is_refused(
        db, supplier, storage_dir, how):
    documents = stage_all(storage_dir)
    piece = documents[ADVANCE_DOCUMENTS[0].value]
    (alter_in_place if how == "in-place" else replace_keeping_times)(piece, storage_dir)
    with pytest.raises(DepositRefused) as refused:
        deposit(db, supplier, storage_dir, documents=documents)
    assert refused.value.message == funding_deposit.MSG_DEPOSIT_FAILED
    assert db.exec(select(FundingRequest)).all() == []
    assert len(final_files(storage_dir)) == DEMO_FILES


@pytest.mark.parametrize("still_valid", [True, False], ids=["same-size-valid", "executable"])
def test_a_staged_piece_altered_before_the_deposit_is_refused(db, supplier, storage_dir,
                                                              still_valid):
    documents = stage_all(storage_dir)
    piece = ADVANCE_DOCUMENTS[1]
    alter(documents[piece.value], storage_dir, still_valid=still_valid)
    with pytest.raises(DepositRefused) as refused:
        deposit(db, supplier, storage_dir, documents=documents)
    if still_valid:
        assert refused.value.message == funding_deposit.MSG_DEPOSIT_FAILED
    else:
        message = refused.value.field_errors[piece.value]
        assert message.startswith(f"{piece.label} : le contenu du fichier ne correspond pas")
        assert refused.value.message == message
    assert db.exec(select(FundingRequest)).all() == []
    assert len(final_files(storage_dir)) == DEMO_FILES  # what was published is removed
    assert len(staged_files(storage_dir)) == len(ADVANCE_DOCUMENTS)  # kept for a new attempt


def test_a_staged_piece_gone_before_the_deposit_is_required_again(db, supplier, storage_dir):
    documents = stage_all(storage_dir)
    piece = ADVANCE_DOCUMENTS[2]
    storage.discard_staged(documents[piece.value].key, store=storage_dir)
    with pytest.raises(DepositRefused) as refused:
        deposit(db, supplier, storage_dir, documents=documents)
    assert refused.value.field_errors == {piece.value: funding_deposit.MSG_DOCUMENT_REQUIRED}
    assert db.exec(select(FundingRequest)).all() == []
    assert len(final_files(storage_dir)) == DEMO_FILES


def test_an_altered_rib_or_attachment_is_refused(db, storage_dir):
    rib = stage_rib(storage_dir)
    alter(rib, storage_dir, still_valid=True)
    with pytest.raises(rules.EnrolmentRefused) as refused:
        submit(db, storage_dir, rib=rib)
    assert refused.value.message == rules.MSG_SUBMISSION_FAILED
    assert db.exec(select(Enrolment)).all() == []

    attachment = stage_ticket_attachment(storage_dir)
    alter(attachment, storage_dir, still_valid=True)
    with pytest.raises(tickets.TicketRefused) as refused:
        create_ticket(db, storage_dir, attachment=attachment)
    assert refused.value.message == tickets.MSG_SENDING_FAILED
    assert db.exec(select(AssistanceTicket)).all() == []


# --------------------------------------------------------------------------- #
# JPEG scans: one search for the next marker instead of a loop over every 0xFF
# --------------------------------------------------------------------------- #


def test_jpeg_scans_are_decided_as_by_the_former_loop():
    rng = random.Random(7)
    pieces = [b"\xff\x00", b"\xff\xd0", b"\xff\xd7", b"\xff\xff", b"\xff", b"\x00", b"\xd9",
              b"\xffXY", b"\xff\xd8", b"\x12\x34"]
    headers, entropy, eoi = s.jpeg_parts()
    bases = [headers + entropy + eoi, s.valid_jpeg(64, 64), s.multi_picture_jpeg()]
    decided = set()
    for _ in range(800):
        data = bytearray(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(headers) - 4, len(data) + 1)
            data[at:at] = b"".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        if rng.random() < 0.3:
            del data[rng.randrange(len(data) - 8, len(data)):]
        expected = decision(former.check_jpeg, bytes(data))
        assert decision(images.check_jpeg, bytes(data)) == expected, bytes(data[-40:])
        decided.add(expected)
    assert {None, "image_corrupt", "image_trailing_data"} <= decided
