"""Server-side checks of uploaded documents (segur_app.domain.uploads)."""

from __future__ import annotations

import hashlib
import random
import struct
import time
import zlib

import pytest

from segur_app.domain import uploads
from segur_app.domain.uploads import (
    ACCEPT_HINT,
    ALLOWED_EXTENSIONS,
    MAX_UPLOAD_BYTES,
    CheckedDocument,
    DocumentRejected,
    check_document,
    format_size,
    safe_display_name,
    sniff_mime,
)
from tests import document_samples as s

LABEL = "Procès-verbal de mise en service"
MIB = 1024 * 1024

MSG_EMPTY = "le fichier est vide."
MSG_SIZE = "le fichier dépasse la taille maximum de 4 Mo."
MSG_NO_NAME = "le fichier n'a pas de nom."
MSG_NO_EXT = "le nom du fichier n'a pas d'extension"
MSG_EXT = "seuls les fichiers .png, .jpg, .jpeg ou .pdf sont acceptés."
MSG_PDF_CORRUPT = "le fichier PDF est illisible ou endommagé."
MSG_PDF_TRAILING = "le fichier PDF contient des données inattendues après la fin du document"
MSG_ENCRYPTED = "les fichiers PDF protégés par mot de passe ne sont pas acceptés."
MSG_ACTIVE = "le fichier PDF contient des éléments actifs (JavaScript, fichiers incorporés…) non acceptés."
MSG_IMAGE = "l'image est illisible ou endommagée."
MSG_IMAGE_SIZE = "les dimensions de l'image dépassent le maximum de 20000 × 20000 pixels."
MSG_IMAGE_TRAILING = "l'image contient des données inattendues après sa fin"
MSG_ARCHIVE = "le fichier contient une archive cachée"


def mismatch(ext: str) -> str:
    return f"le contenu du fichier ne correspond pas à son extension ({ext})"


# --------------------------------------------------------------------------- #
# Corpus builders
# --------------------------------------------------------------------------- #

PDF = s.valid_pdf()
PNG = s.valid_png()
JPEG = s.valid_jpeg()


def replace_once(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) >= 1, old
    return data.replace(old, new, 1)


def pdf_with_startxref(value: bytes) -> bytes:
    head, _, _ = PDF.rpartition(b"startxref\n")
    return head + b"startxref\n" + value + b"\n%%EOF\n"


def pdf_zip_polyglot_with_comment() -> bytes:
    """PDF whose last bytes are a ZIP directory, the ZIP comment carrying a
    genuine-looking ``startxref``/``%%EOF`` tail (valid for both readers)."""
    body, _, tail = PDF.rpartition(b"startxref\n")
    comment = b"\nstartxref\n" + tail
    archive = s.zip_archive(comment=comment)
    return body + archive


def png_with_hidden_zip() -> bytes:
    """A ZIP stored in a private chunk whose directory comment spans IEND."""
    iend = s.png_chunk(b"IEND", b"")
    archive = s.zip_archive()
    archive = archive[:-2] + struct.pack("<H", 4 + len(iend))  # comment: chunk CRC + IEND
    chunk_body = archive
    chunk = struct.pack(">I", len(chunk_body)) + b"zzIP" + chunk_body
    chunk += struct.pack(">I", zlib.crc32(b"zzIP" + chunk_body))
    head = PNG[: -len(iend)]
    return head + chunk + iend


def jpeg_with_hidden_zip() -> bytes:
    """A ZIP inside a COM segment, its directory comment spanning the rest."""
    headers, entropy, eoi = s.jpeg_parts()
    rest = headers[20:] + entropy + eoi  # after SOI (2) + APP0 (18)
    archive = s.zip_archive()
    archive = archive[:-2] + struct.pack("<H", len(rest))
    com = b"\xff\xfe" + struct.pack(">H", len(archive) + 2) + archive
    return headers[:20] + com + rest


def pdf_objects(*extra: bytes, catalog: bytes = s.CATALOG) -> bytes:
    return s.build_pdf([catalog, s.PAGES, s.PAGE, *extra])


def png_from(*chunks: bytes) -> bytes:
    return s.PNG_SIGNATURE + b"".join(chunks)


def jpeg_with_frame(width: int, height: int) -> bytes:
    headers, entropy, eoi = s.jpeg_parts()
    frame = b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08"
    patched = b"\xff\xc0\x00\x0b\x08" + struct.pack(">HH", height, width)
    return replace_once(headers, frame, patched) + entropy + eoi


IEND = s.png_chunk(b"IEND", b"")

# (id, data, filename, expected message fragment, reason)
BAD_FILES = [
    # --- empty / names / extensions ---------------------------------------
    ("empty", b"", "pv.pdf", MSG_EMPTY, "empty"),
    ("no-name", PDF, "", MSG_NO_NAME, "no_name"),
    ("name-is-a-directory", PDF, "C:\\Documents\\", MSG_NO_NAME, "no_name"),
    ("no-extension", PDF, "proces-verbal", MSG_NO_EXT, "no_extension"),
    ("double-extension-exe", PDF, "archive.pdf.exe", MSG_EXT, "extension_not_allowed"),
    ("nul-byte-extension", PDF, "facture.pdf\x00.exe", MSG_EXT, "extension_not_allowed"),
    ("rtl-override-exe", s.pe_executable(), "facture\u202efdp.exe", MSG_EXT, "extension_not_allowed"),
    ("docx", s.docx(), "rib.docx", MSG_EXT, "extension_not_allowed"),
    ("gif-extension", s.GIF, "photo.gif", MSG_EXT, "extension_not_allowed"),
    ("svg-extension", s.SVG, "logo.svg", MSG_EXT, "extension_not_allowed"),
    ("html-extension", s.HTML, "facture.html", MSG_EXT, "extension_not_allowed"),
    # --- content not allowed (renamed files) -----------------------------
    ("elf-as-pdf", s.elf_executable(), "pv.pdf", mismatch(".pdf"), "content_not_allowed"),
    ("elf-as-png", s.elf_executable(), "pv.png", mismatch(".png"), "content_not_allowed"),
    ("pe-as-pdf", s.pe_executable(), "facture.pdf", mismatch(".pdf"), "content_not_allowed"),
    ("pe-as-jpg", s.pe_executable(), "photo.jpg", mismatch(".jpg"), "content_not_allowed"),
    ("html-as-pdf", s.HTML, "facture.pdf", mismatch(".pdf"), "content_not_allowed"),
    ("svg-as-png", s.SVG, "logo.png", mismatch(".png"), "content_not_allowed"),
    ("text-as-jpg", s.TEXT, "rib.jpg", mismatch(".jpg"), "content_not_allowed"),
    ("zip-as-pdf", s.zip_archive(), "pv.pdf", mismatch(".pdf"), "content_not_allowed"),
    ("docx-as-pdf", s.docx(), "pv.pdf", mismatch(".pdf"), "content_not_allowed"),
    ("gif-as-png", s.GIF, "photo.png", mismatch(".png"), "content_not_allowed"),
    ("webp-as-jpg", s.webp(), "photo.jpg", mismatch(".jpg"), "content_not_allowed"),
    ("gifar-as-png", s.GIF + s.zip_archive(), "photo.png", mismatch(".png"), "content_not_allowed"),
    ("zeros-as-pdf", b"\x00" * 4096, "pv.pdf", mismatch(".pdf"), "content_not_allowed"),
    # --- extension / content disagreement -------------------------------
    ("png-as-jpg", PNG, "photo.jpg", mismatch(".jpg") + " : c'est une image PNG.", "content_mismatch"),
    ("pdf-as-png", PDF, "scan.png", mismatch(".png") + " : c'est un document PDF.", "content_mismatch"),
    ("jpeg-as-pdf", JPEG, "scan.pdf", mismatch(".pdf") + " : c'est une image JPEG.", "content_mismatch"),
    ("jpeg-as-png", JPEG, "scan.PNG", mismatch(".png"), "content_mismatch"),
    ("png-as-pdf", PNG, "scan.pdf", mismatch(".pdf"), "content_mismatch"),
    # --- polyglots --------------------------------------------------------
    ("pdf+zip", PDF + s.zip_archive(), "pv.pdf", MSG_PDF_TRAILING, "pdf_trailing_data"),
    ("pdf+html", PDF + s.HTML, "pv.pdf", MSG_PDF_TRAILING, "pdf_trailing_data"),
    ("pdf+zip-comment-tail", pdf_zip_polyglot_with_comment(), "pv.pdf", MSG_ARCHIVE, "hidden_archive"),
    ("png+html", PNG + s.HTML, "photo.png", MSG_IMAGE_TRAILING, "image_trailing_data"),
    ("png+zip", PNG + s.zip_archive(), "photo.png", MSG_IMAGE_TRAILING, "image_trailing_data"),
    ("png-hidden-zip-chunk", png_with_hidden_zip(), "photo.png", MSG_ARCHIVE, "hidden_archive"),
    ("jpeg+zip", JPEG + s.zip_archive(), "photo.jpg", MSG_IMAGE_TRAILING, "image_trailing_data"),
    ("jpeg+jar", JPEG + s.zip_archive({"META-INF/MANIFEST.MF": b"Main-Class: X\n"}),
     "photo.jpeg", MSG_IMAGE_TRAILING, "image_trailing_data"),
    ("jpeg-hidden-zip-comment", jpeg_with_hidden_zip(), "photo.jpg", MSG_ARCHIVE, "hidden_archive"),
    ("jpeg+jpeg-without-mpf", JPEG + JPEG, "photo.jpg", MSG_IMAGE_TRAILING, "image_trailing_data"),
    ("jpeg+17-zero-bytes", JPEG + b"\x00" * 17, "photo.jpg", MSG_IMAGE_TRAILING, "image_trailing_data"),
    # --- corrupt PDFs -----------------------------------------------------
    ("pdf-truncated-25%", PDF[: len(PDF) // 4], "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-truncated-50%", PDF[: len(PDF) // 2], "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-truncated-90%", PDF[: len(PDF) * 9 // 10], "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-truncated-in-eof", PDF[:-3], "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-header-only", b"%PDF-1.7\n", "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-missing-eof", PDF.replace(b"%%EOF", b"%%XXX"), "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-eof-too-early", PDF + b" " * 2000, "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-startxref-beyond-file", pdf_with_startxref(b"99999999"), "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-startxref-into-object", pdf_with_startxref(b"40"), "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-startxref-not-number", pdf_with_startxref(b"abc"), "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-startxref-missing", PDF.replace(b"startxref", b"startxrex"), "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-header-after-newline", b"\n" + PDF, "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-header-after-bom", b"\xef\xbb\xbf" + PDF, "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-header-after-junk", b"MZjunk" + PDF, "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-bad-version", PDF.replace(b"%PDF-1.4", b"%PDF-9.9", 1), "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-xref-garbled", replace_once(PDF, b"0000000000 65535 f", b"00000000zz 65535 f"),
     "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-no-root", replace_once(PDF, b"/Root 1 0 R", b"/Info 1 0 R"), "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-stream-without-endstream", replace_once(PDF, b"endstream", b"endstrea_"),
     "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-objstm-unknown-filter", s.build_xref_stream_pdf(objstm_filter=b"/LZWDecode"),
     "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    ("pdf-objstm-bad-flate", replace_once(s.build_xref_stream_pdf(), b"/ObjStm", b"/ObjStm/Filter/ASCIIHexDecode /X"),
     "pv.pdf", MSG_PDF_CORRUPT, "pdf_corrupt"),
    # --- encrypted / active PDFs -----------------------------------------
    ("pdf-encrypted", s.encrypted_pdf(), "pv.pdf", MSG_ENCRYPTED, "pdf_encrypted"),
    ("pdf-encrypted-xref-stream", s.build_xref_stream_pdf(xref_extra=b"/Encrypt 9 0 R "),
     "pv.pdf", MSG_ENCRYPTED, "pdf_encrypted"),
    ("pdf-javascript", s.pdf_with_javascript(), "pv.pdf", MSG_ACTIVE, "pdf_active_content"),
    ("pdf-javascript-hex-escaped",
     pdf_objects(b"<< /S /J#61va#53cript /J#53 (app.alert\\(1\\)) >>"), "pv.pdf", MSG_ACTIVE, "pdf_active_content"),
    ("pdf-js-key-only", pdf_objects(b"<< /JS(app.alert\\(1\\)) >>"), "pv.pdf", MSG_ACTIVE, "pdf_active_content"),
    ("pdf-js-in-flate-objstm",
     s.build_xref_stream_pdf({2: s.PAGES, 3: s.PAGE, 4: b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"}),
     "pv.pdf", MSG_ACTIVE, "pdf_active_content"),
    ("pdf-js-in-hex-objstm",
     s.build_xref_stream_pdf({2: s.PAGES, 3: s.PAGE, 4: b"<< /JS 5 0 R >>"}, objstm_filter=b"/ASCIIHexDecode"),
     "pv.pdf", MSG_ACTIVE, "pdf_active_content"),
    ("pdf-launch", pdf_objects(b"<< /S /Launch /F (cmd.exe) >>"), "pv.pdf", MSG_ACTIVE, "pdf_active_content"),
    ("pdf-embedded-files",
     pdf_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles 4 0 R >> >>"),
     "pv.pdf", MSG_ACTIVE, "pdf_active_content"),
    ("pdf-file-attachment-ef", pdf_objects(b"<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>"),
     "pv.pdf", MSG_ACTIVE, "pdf_active_content"),
    ("pdf-xfa", pdf_objects(catalog=b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /XFA 4 0 R >> >>"),
     "pv.pdf", MSG_ACTIVE, "pdf_active_content"),
    ("pdf-richmedia", pdf_objects(b"<< /Type /Annot /Subtype /RichMedia >>"), "pv.pdf", MSG_ACTIVE,
     "pdf_active_content"),
    # --- corrupt PNGs -----------------------------------------------------
    ("png-bad-crc", PNG[:-5] + bytes([PNG[-5] ^ 0xFF]) + PNG[-4:], "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-bad-ihdr-crc", png_from(s.png_chunk(b"IHDR", PNG[16:29], crc=0), s.png_idat(3, 2), IEND),
     "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-truncated-in-idat", PNG[:60], "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-without-iend", PNG[: -len(IEND)], "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-signature-only", s.PNG_SIGNATURE, "photo.png", mismatch(".png"), "content_not_allowed"),
    ("png-ihdr-only", png_from(s.png_ihdr(3, 2)), "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-0x0", png_from(s.png_ihdr(0, 0), s.png_idat(0, 0), IEND), "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-30000-wide", png_from(s.png_ihdr(30000, 1), s.png_idat(1, 1), IEND), "photo.png",
     MSG_IMAGE_SIZE, "image_too_large"),
    ("png-ihdr-not-first", png_from(s.png_chunk(b"tEXt", b"a\x00b"), s.png_ihdr(3, 2), s.png_idat(3, 2), IEND),
     "photo.png", mismatch(".png"), "content_not_allowed"),
    ("png-ihdr-wrong-length", png_from(s.png_chunk(b"IHDR", PNG[16:29] + b"\x00"), s.png_idat(3, 2), IEND),
     "photo.png", mismatch(".png"), "content_not_allowed"),
    ("png-duplicate-ihdr", png_from(s.png_ihdr(3, 2), s.png_ihdr(3, 2), s.png_idat(3, 2), IEND),
     "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-bad-colour-type", png_from(s.png_ihdr(3, 2, colour=5), s.png_idat(3, 2), IEND),
     "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-no-idat", png_from(s.png_ihdr(3, 2), IEND), "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-idat-not-zlib", png_from(s.png_ihdr(3, 2), s.png_chunk(b"IDAT", b"not zlib at all"), IEND),
     "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-idat-too-short", png_from(s.png_ihdr(3, 2), s.png_chunk(b"IDAT", zlib.compress(b"\x00" * 5)), IEND),
     "photo.png", MSG_IMAGE, "image_corrupt"),
    ("png-idat-too-long", png_from(s.png_ihdr(3, 2), s.png_chunk(b"IDAT", zlib.compress(b"\x00" * 500)), IEND),
     "photo.png", MSG_IMAGE, "image_corrupt"),
    # --- corrupt JPEGs ----------------------------------------------------
    ("jpeg-without-eoi", JPEG[:-2], "photo.jpg", MSG_IMAGE, "image_corrupt"),
    ("jpeg-truncated-in-headers", JPEG[:60], "photo.jpg", MSG_IMAGE, "image_corrupt"),
    ("jpeg-truncated-in-scan", s.valid_jpeg(64, 64)[:-6], "photo.jpg", MSG_IMAGE, "image_corrupt"),
    ("jpeg-soi-eoi-only", b"\xff\xd8\xff\xd9", "photo.jpg", MSG_IMAGE, "image_corrupt"),
    ("jpeg-0x0", jpeg_with_frame(0, 0), "photo.jpg", MSG_IMAGE, "image_corrupt"),
    ("jpeg-25000-wide", jpeg_with_frame(25000, 8), "photo.jpeg", MSG_IMAGE_SIZE, "image_too_large"),
    ("jpeg-scan-before-frame",
     replace_once(JPEG, b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00", b""),
     "photo.jpg", MSG_IMAGE, "image_corrupt"),
    ("jpeg-bad-segment-length", replace_once(JPEG, b"\xff\xdb\x00\x43", b"\xff\xdb\x7f\xff"),
     "photo.jpg", MSG_IMAGE, "image_corrupt"),
]


def test_corpus_is_large_and_distinct():
    assert len(BAD_FILES) >= 30
    assert len({case[0] for case in BAD_FILES}) == len(BAD_FILES)
    assert len({(case[1], case[2]) for case in BAD_FILES}) == len(BAD_FILES)


@pytest.mark.parametrize(
    ("data", "filename", "fragment", "reason"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_file_is_refused_with_precise_message(data, filename, fragment, reason):
    with pytest.raises(DocumentRejected) as caught:
        check_document(data, filename, field_label=LABEL)
    error = caught.value
    assert error.reason == reason, error.detail
    assert error.message.startswith(f"{LABEL} : ")
    assert fragment in error.message
    assert str(error) == error.message
    assert isinstance(error, ValueError)
    assert error.field_label == LABEL


# --------------------------------------------------------------------------- #
# Size limits
# --------------------------------------------------------------------------- #


def test_exactly_4_mo_valid_pdf_is_accepted_and_one_more_byte_refused():
    exact = s.pdf_of_size(MAX_UPLOAD_BYTES)
    assert len(exact) == 4 * 1024 * 1024
    checked = check_document(exact, "pv.pdf", field_label=LABEL)
    assert checked.size_bytes == MAX_UPLOAD_BYTES

    over = s.pdf_of_size(MAX_UPLOAD_BYTES + 1)
    with pytest.raises(DocumentRejected) as caught:
        check_document(over, "pv.pdf", field_label=LABEL)
    assert caught.value.reason == "too_large"
    assert caught.value.message == f"{LABEL} : {MSG_SIZE}"


def test_huge_file_refused_on_size_before_any_content_inspection(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("content inspected")

    monkeypatch.setattr(uploads.content.magic, "from_buffer", forbidden)
    monkeypatch.setattr(uploads.pdf, "check_pdf", forbidden)
    huge = bytes(50 * MIB)
    started = time.perf_counter()
    with pytest.raises(DocumentRejected) as caught:
        check_document(huge, "../../gros.pdf", field_label=LABEL)
    assert time.perf_counter() - started < 0.2
    assert caught.value.reason == "too_large"
    assert MSG_SIZE in caught.value.message


def test_custom_limit_is_written_in_french_units():
    with pytest.raises(DocumentRejected) as caught:
        check_document(PDF, "pv.pdf", field_label="RIB", max_bytes=500)
    assert caught.value.message == "RIB : le fichier dépasse la taille maximum de 500 octets."
    assert format_size(MAX_UPLOAD_BYTES) == "4 Mo"
    assert format_size(500 * 1024) == "500 ko"
    assert format_size(3 * MIB // 2) == "1,5 Mo"


def test_empty_check_comes_first_even_without_a_name():
    with pytest.raises(DocumentRejected) as caught:
        check_document(b"", "", field_label=LABEL)
    assert caught.value.message == f"{LABEL} : {MSG_EMPTY}"


def test_checking_4_mo_documents_is_fast():
    rng = random.Random(1)
    image = bytes(rng.getrandbits(8) for _ in range(MIB))  # binary stream data
    objects = [s.CATALOG, s.PAGES, s.PAGE,
               b"<< /Type /XObject /Subtype /Image /Length %d >>\nstream\n" % (len(image) * 3)
               + image * 3 + b"\nendstream"]
    pdf = s.build_pdf(objects)
    png, jpeg = s.valid_png(1000, 1000), s.valid_jpeg(4000, 4000)
    # CPU time of this process, not wall time: a loaded machine does not fail it,
    # a check that stopped being linear (a regex over the whole PDF…) does.
    started = time.process_time()
    check_document(pdf, "scan.pdf", field_label=LABEL)
    check_document(png, "scan.png", field_label=LABEL)
    check_document(jpeg, "scan.jpg", field_label=LABEL)
    assert time.process_time() - started < 2


# --------------------------------------------------------------------------- #
# Valid documents
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("data", "filename", "mime", "extension"),
    [
        (PDF, "pv.pdf", "application/pdf", ".pdf"),
        (PDF, "PV-SIGNE.PDF", "application/pdf", ".pdf"),
        (PNG, "capture.png", "image/png", ".png"),
        (PNG, "CAPTURE.PNG", "image/png", ".png"),
        (JPEG, "photo.jpg", "image/jpeg", ".jpg"),
        (JPEG, "photo.jpeg", "image/jpeg", ".jpeg"),
        (JPEG, "PHOTO.JPEG", "image/jpeg", ".jpeg"),
        (JPEG, "Photo.JpG", "image/jpeg", ".jpg"),
    ],
)
def test_valid_documents_are_accepted(data, filename, mime, extension):
    checked = check_document(data, filename, field_label=LABEL)
    assert checked == CheckedDocument(
        original_name=filename,
        extension=extension,
        mime_type=mime,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    assert extension in ALLOWED_EXTENSIONS


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (s.build_xref_stream_pdf(), "xref-stream.pdf"),
        (s.build_xref_stream_pdf(objstm_filter=b"/ASCIIHexDecode"), "objstm-hex.pdf"),
        (s.build_pdf(eol=b"\r\n"), "crlf.pdf"),
        (s.build_pdf(version=b"2.0"), "pdf20.pdf"),
        (PDF.rstrip(b"\n"), "no-final-newline.pdf"),
        (PDF + b"\r\n  \n", "trailing-whitespace.pdf"),
        (pdf_objects(b"<< /S /URI /URI (https://www.asp-public.fr/) >>"), "link.pdf"),
        (pdf_objects(b"<< /Type /Font /Subtype /Type1 /BaseFont /JS1 /Name /EFx >>"), "names.pdf"),
        (s.interlaced_png(), "interlaced.png"),
        (png_from(s.png_ihdr(20000, 1, colour=0, depth=1), s.png_chunk(b"IDAT", zlib.compress(b"\x00" * 2501)),
                  IEND), "20000-wide.png"),
        (s.valid_jpeg(16, 24), "16x24.jpg"),
        (JPEG + b"\x00" * 16, "padded.jpg"),
        (JPEG + b"\r\n", "crlf-padded.jpg"),
        (s.multi_picture_jpeg(), "camera-mpf.jpg"),
    ],
)
def test_valid_variants_are_accepted(data, filename):
    checked = check_document(data, filename, field_label=LABEL)
    assert checked.size_bytes == len(data)


def test_binary_stream_data_never_triggers_active_content():
    """Short names (/JS, /EF, /XFA) inside stream bodies are just bytes."""
    noise = b"\x00/JS (x)\xff/EF<<\x80/XFA[\x01" * 100
    pdf = pdf_objects(b"<< /Length %d >>\nstream\n" % len(noise) + noise + b"\nendstream")
    assert check_document(pdf, "pv.pdf", field_label=LABEL).mime_type == "application/pdf"


def test_fake_stream_framing_does_not_hide_javascript():
    """A string that looks like a stream start cannot mask a later action."""
    pdf = pdf_objects(
        b"<< /Title (\nstream\n) >>",
        b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",
        b"<< /Length 3 >>\nstream\nabc\nendstream",
    )
    with pytest.raises(DocumentRejected) as caught:
        check_document(pdf, "pv.pdf", field_label=LABEL)
    assert caught.value.reason == "pdf_active_content"


# --------------------------------------------------------------------------- #
# Names
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\system32\\facture.pdf", "facture.pdf"),
        ("C:\\Users\\Jean\\Bureau\\PV signé.PDF", "PV signé.PDF"),
        ("fac\x00tu\x1bre\x7f.pdf", "facture.pdf"),
        ("photo\u202egnp.pdf", "photognp.pdf"),
        ("rapport\u200b\u2066final\u2069.pdf", "rapportfinal.pdf"),
        ("  ...cache.pdf", "cache.pdf"),
        ("  mon \t  PV \n signé .pdf", "mon PV signé.pdf"),
        ("請求書_2024年.pdf", "請求書_2024年.pdf"),
        ("فاتورة رقم ١٢.pdf", "فاتورة رقم ١٢.pdf"),
        ("Счёт.jpeg", "Счёт.jpeg"),
        ("e\u0301te\u0301.png", "été.png"),
        (".pdf", "document.pdf"),
        ("..", "document"),
        ("", "document"),
        ("a/b/", "document"),
        ("facture.pdf. . ", "facture.pdf"),
    ],
)
def test_safe_display_name(raw, shown):
    assert safe_display_name(raw) == shown


def test_safe_display_name_caps_length_and_keeps_extension():
    shown = safe_display_name("é" * 500 + ".pdf")
    assert len(shown) == 120
    assert shown == "é" * 116 + ".pdf"
    assert len(safe_display_name("x" * 500)) == 120


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/tmp/../../../root/.ssh/id_rsa.pdf", "id_rsa.pdf"),
        ("fac\x00ture\r\n.pdf", "facture.pdf"),
        ("scan\u202efdp.pdf", "scanfdp.pdf"),
        ("Procès-verbal " + "très long " * 50 + ".pdf", None),
        ("請求書.pdf", "請求書.pdf"),
        ("محضر الاستلام.pdf", "محضر الاستلام.pdf"),
        (".pdf", "document.pdf"),
    ],
)
def test_odd_names_are_accepted_but_sanitised(raw, shown):
    checked = check_document(PDF, raw, field_label=LABEL)
    if shown is None:
        assert len(checked.original_name) == 120
        assert checked.original_name.endswith(".pdf")
        assert checked.original_name.startswith("Procès-verbal très long")
    else:
        assert checked.original_name == shown
    assert checked.extension == ".pdf"
    assert "/" not in checked.original_name and "\\" not in checked.original_name


# --------------------------------------------------------------------------- #
# Constants and helpers
# --------------------------------------------------------------------------- #


def test_constants():
    assert MAX_UPLOAD_BYTES == 4 * 1024 * 1024
    assert ALLOWED_EXTENSIONS == {".png", ".jpg", ".jpeg", ".pdf"}
    assert ACCEPT_HINT == "Fichier de type .png, .jpg, .jpeg ou .pdf. Taille maximum : 4 Mo"


def test_sniff_mime_uses_libmagic_on_content():
    assert sniff_mime(PDF) == "application/pdf"
    assert sniff_mime(PNG) == "image/png"
    assert sniff_mime(JPEG) == "image/jpeg"
    assert sniff_mime(s.HTML) == "text/html"


def test_sniff_mime_normalises_aliases_and_failures(monkeypatch):
    monkeypatch.setattr(uploads.content.magic, "from_buffer", lambda data, mime: "image/jpg")
    assert sniff_mime(b"x") == "image/jpeg"

    def broken(data, mime):
        raise uploads.content.magic.MagicException("boom")

    monkeypatch.setattr(uploads.content.magic, "from_buffer", broken)
    assert sniff_mime(b"x") == "application/octet-stream"


def test_module_does_not_import_reflex():
    import ast
    from pathlib import Path

    modules = sorted(Path(uploads.__file__).parent.glob("*.py"))
    assert len(modules) >= 6
    for module in modules:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
        }
        assert "reflex" not in imported, module.name
