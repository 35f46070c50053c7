"""Server-side checks of uploaded documents (attachments, RIB, invoices...).

Nothing the browser says is trusted: not the declared type, not the size
(``rx.upload`` limits are a convenience only), not the name. A document is
accepted only when all of these hold, checked in this order (the first failure
gives a precise French message naming the form field):

1. it is not empty and weighs at most ``MAX_UPLOAD_BYTES`` (4 Mo = 4 × 1024 ×
   1024 bytes) — checked before any content inspection, so a huge file costs
   nothing;
2. its name has an extension among ``ALLOWED_EXTENSIONS`` (case-insensitive,
   taken after stripping directories and control characters, so
   ``"facture.pdf\\x00.exe"`` is an ``.exe``). The name itself is only metadata,
   sanitised for display by :func:`safe_display_name`;
3. libmagic (python-magic) recognises the bytes as ``image/png``,
   ``image/jpeg`` or ``application/pdf`` and that type agrees with the
   extension (.png ↔ PNG, .jpg/.jpeg ↔ JPEG, .pdf ↔ PDF);
4. the format structure is sound (no PDF library is available, so these are
   hand-written structural checks, deliberately conservative):

   * **PDF** — ``%PDF-1.x``/``%PDF-2.0`` header at offset 0; last ``%%EOF``
     within the last 1024 bytes and followed by whitespace only (anything else
     is appended data, the classic PDF/ZIP polyglot); ``startxref`` giving an
     offset inside the file that points at a well-formed classic ``xref`` table
     (followed by ``trailer``) or at an ``N G obj`` cross-reference stream
     (``/Type /XRef``); a ``/Root`` entry; every ``stream`` closed by
     ``endstream``.
     **Encrypted PDFs** (``/Encrypt`` in the trailer) are refused: the portal
     and the instructing staff must be able to open them without a password.
     **Active content is refused** — the names ``/JavaScript``, ``/JS``,
     ``/Launch``, ``/EmbeddedFile(s)``, ``/EF``, ``/GoToE``, ``/RichMedia`` and
     ``/XFA``. A supporting document (minutes, invoice, bank details) never
     needs scripts, launched programs, attached files or XFA forms, while those
     are the usual carriers of PDF malware; staff download these documents, so
     the portal must not deliver them. Names are matched as PDF tokens (``#xx``
     escapes decoded, so ``/J#61vaScript`` is caught, ``/JS1`` is not ``/JS``):
     the long names (and ``/Encrypt``) in the whole file; the short ones
     (``/JS``, ``/EF``, ``/XFA``), which random binary data could contain, only
     outside stream bodies; all of them inside object streams (``/ObjStm``,
     Flate/ASCIIHex/ASCII85 decoded with a 32 MiB output cap; another filter
     there makes the file unverifiable, hence refused). Consequences: forms
     carrying scripts (some CERFA) must be "printed to PDF" before upload —
     the message says so — and PDF/A-3 invoices with an embedded XML
     (Factur-X) are refused too.
   * **PNG** — signature; first chunk ``IHDR`` (valid depth/colour type,
     1 ≤ width, height ≤ 20000, width × height ≤ 50 megapixels); every
     chunk's CRC verified up to ``IEND``; at
     least one ``IDAT`` whose zlib data decompresses (up to 64 MiB) to the size
     the header implies; nothing after ``IEND``.
   * **JPEG** — ``FFD8FF`` start; marker segments walked to a frame header
     (SOFn, 1 ≤ width, height ≤ 20000, at most 50 megapixels) and through
     every scan to ``EOI``;
     after ``EOI`` at most 16 bytes of NUL/whitespace padding. Exception:
     multi-picture files (camera ``MPF`` APP2 segment) may be followed by
     further complete JPEG images, each checked the same way.

   **Decompression bombs**: the pixel count is read from the header (PNG
   ``IHDR``, JPEG ``SOFn``) and checked against ``MAX_IMAGE_PIXELS`` before
   any pixel data is inflated or walked, so a tiny file announcing a huge
   image costs nothing. Every stored image passed this check, so the staff's
   previews (the browser decodes them) are bounded too. (Pillow is not used;
   should it be, set ``PIL.Image.MAX_IMAGE_PIXELS`` to the same limit.)

   Finally, for every format, a ZIP "end of central directory" record ending
   exactly at the end of the file is refused (an archive hidden inside a
   chunk, a segment or a comment).

:func:`check_document` returns a :class:`CheckedDocument` (display name,
extension, detected type, size, SHA-256) or raises :class:`DocumentRejected`.
This module is plain Python (no Reflex import) so it can be used from states,
API routes, CLI scripts and tests alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass

import magic

__all__ = [
    "ACCEPT_HINT",
    "ALLOWED_EXTENSIONS",
    "ALLOWED_MIME_TYPES",
    "MAX_IMAGE_PIXELS",
    "MAX_IMAGE_SIDE",
    "MAX_UPLOAD_BYTES",
    "CheckedDocument",
    "DocumentRejected",
    "check_document",
    "format_size",
    "safe_display_name",
    "sniff_mime",
]

MAX_UPLOAD_BYTES = 4 * 1024 * 1024
"""« Taille maximum : 4 Mo » — 4 MiB, as the DSFR upload hint says."""

EXTENSION_MIME_TYPES: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".pdf": "application/pdf",
}
ALLOWED_EXTENSIONS: frozenset[str] = frozenset(EXTENSION_MIME_TYPES)
ALLOWED_MIME_TYPES: frozenset[str] = frozenset(EXTENSION_MIME_TYPES.values())
ACCEPT_HINT = "Fichier de type .png, .jpg, .jpeg ou .pdf. Taille maximum : 4 Mo"
MAX_IMAGE_SIDE = 20000
MAX_IMAGE_PIXELS = 50_000_000
"""50 megapixels: far above any scan or photo of a document, far below a bomb."""
MAX_DISPLAY_NAME = 120
DEFAULT_DISPLAY_STEM = "document"

_MIME_ALIASES = {
    "image/apng": "image/png",
    "image/x-png": "image/png",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
}
_KIND_LABELS = {
    "image/png": "une image PNG",
    "image/jpeg": "une image JPEG",
    "application/pdf": "un document PDF",
}
_ALLOWED_LIST = ".png, .jpg, .jpeg ou .pdf"


class DocumentRejected(ValueError):
    """An uploaded document refused by :func:`check_document`.

    ``message`` is the French text to show next to the field (it starts with
    the field label); ``reason`` is a stable code for tests and logs;
    ``detail`` an optional technical explanation (English, never shown).
    """

    def __init__(
        self, message: str, *, field_label: str, reason: str, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field_label = field_label
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class CheckedDocument:
    original_name: str
    """The uploaded name, sanitised for display (metadata only, never a path)."""
    extension: str
    """Lower-case, with the dot: ``.png``, ``.jpg``, ``.jpeg`` or ``.pdf``."""
    mime_type: str
    """Detected from the content: ``image/png``, ``image/jpeg`` or ``application/pdf``."""
    size_bytes: int
    sha256: str


# --------------------------------------------------------------------------- #
# Names
# --------------------------------------------------------------------------- #

# Control, format (bidi overrides, zero-width...), surrogate and private-use
# characters are dropped; line/paragraph separators become spaces.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_SPACE_CATEGORIES = frozenset({"Zl", "Zp"})
_EXT_RE = re.compile(r"\.[^\s.]{1,10}")


def _clean_base(name: str | None) -> str:
    """Last path component, without control/format characters (incl. bidi
    overrides such as U+202E), whitespace collapsed, outer spaces and trailing
    dots removed. Leading dots are kept (they matter for the extension)."""
    text = unicodedata.normalize("NFC", name or "")
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if category in _SPACE_CATEGORIES:
            kept.append(" ")
        elif category not in _DROPPED_CATEGORIES:
            kept.append(char)
    text = "".join(kept)
    text = re.split(r"[/\\]", text)[-1]
    text = " ".join(text.split())
    return text.strip().rstrip(". ")


def _split_extension(base: str) -> tuple[str, str]:
    """(stem, extension) of a cleaned base name; the extension keeps its dot
    and case. ``".pdf"`` gives ``("", ".pdf")``; no dot gives ``(base, "")``."""
    stem, dot, ext = base.rpartition(".")
    if not dot:
        return base, ""
    return stem, "." + ext


def safe_display_name(name: str | None) -> str:
    """A harmless name to show for an uploaded file.

    Directories (``/`` and ``\\``), control and invisible formatting characters
    (bidi overrides...) are removed, whitespace collapsed, leading dots/spaces
    stripped; letters of every script are kept. At most 120 characters, the
    extension kept. An empty result (or ``..``) becomes ``document`` + extension.
    """
    stem, ext = _split_extension(_clean_base(name))
    if ext and not _EXT_RE.fullmatch(ext):
        stem, ext = f"{stem}{ext}", ""
    stem = stem.strip(". ")
    if not stem:
        stem = DEFAULT_DISPLAY_STEM
    if len(stem) + len(ext) > MAX_DISPLAY_NAME:
        stem = stem[: MAX_DISPLAY_NAME - len(ext)].rstrip(". ") or DEFAULT_DISPLAY_STEM
    return stem + ext


def format_size(num_bytes: int) -> str:
    """French size for messages: ``4 Mo``, ``500 ko``, ``1,5 Mo``."""
    if num_bytes >= 1024 * 1024:
        value, unit = num_bytes / (1024 * 1024), "Mo"
    elif num_bytes >= 1024:
        value, unit = num_bytes / 1024, "ko"
    else:
        return f"{num_bytes} octets"
    text = f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} {unit}"


# --------------------------------------------------------------------------- #
# Content type
# --------------------------------------------------------------------------- #


def sniff_mime(data: bytes) -> str:
    """MIME type detected by libmagic from the content (never from the name).

    Only the first ``MAX_UPLOAD_BYTES`` are examined; aliases are normalised
    (``image/jpg`` → ``image/jpeg``...). ``application/octet-stream`` when
    libmagic fails.
    """
    try:
        detected = magic.from_buffer(bytes(data[:MAX_UPLOAD_BYTES]), mime=True)
    except Exception:  # libmagic errors on odd input: treat as unknown
        return "application/octet-stream"
    detected = (detected or "application/octet-stream").split(";")[0].strip().lower()
    return _MIME_ALIASES.get(detected, detected)


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #


def check_document(
    data: bytes,
    filename: str,
    *,
    field_label: str,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> CheckedDocument:
    """Validate an uploaded document; raise :class:`DocumentRejected` if refused."""

    def reject(text: str, reason: str, detail: str | None = None) -> DocumentRejected:
        return DocumentRejected(
            f"{field_label} : {text}", field_label=field_label, reason=reason, detail=detail
        )

    size = len(data)
    if size == 0:
        raise reject("le fichier est vide.", "empty")
    if size > max_bytes:
        raise reject(
            f"le fichier dépasse la taille maximum de {format_size(max_bytes)}.",
            "too_large",
            f"{size} bytes > {max_bytes}",
        )

    if not isinstance(data, bytes):
        data = bytes(data)  # bytearray / memoryview: only once the size is known

    base = _clean_base(filename)
    if not base:
        raise reject("le fichier n'a pas de nom.", "no_name")
    _, raw_ext = _split_extension(base)
    if not raw_ext:
        raise reject(
            f"le nom du fichier n'a pas d'extension ; seuls les fichiers {_ALLOWED_LIST} "
            "sont acceptés.",
            "no_extension",
        )
    extension = raw_ext.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise reject(
            f"seuls les fichiers {_ALLOWED_LIST} sont acceptés.",
            "extension_not_allowed",
            f"extension {extension!r}",
        )

    mime_type = sniff_mime(data)
    expected = EXTENSION_MIME_TYPES[extension]
    if mime_type not in ALLOWED_MIME_TYPES:
        raise reject(
            f"le contenu du fichier ne correspond pas à son extension ({extension}) : "
            "seuls les documents PDF et les images PNG ou JPEG sont acceptés.",
            "content_not_allowed",
            f"detected {mime_type}",
        )
    if mime_type != expected:
        raise reject(
            f"le contenu du fichier ne correspond pas à son extension ({extension}) : "
            f"c'est {_KIND_LABELS[mime_type]}.",
            "content_mismatch",
            f"detected {mime_type}, expected {expected}",
        )

    try:
        if mime_type == "application/pdf":
            _check_pdf(data)
        elif mime_type == "image/png":
            _check_png(data)
        else:
            _check_jpeg(data)
        if _ends_with_zip_directory(data):
            raise _Problem("hidden_archive", "ZIP end of central directory at end of file")
    except _Problem as problem:
        raise reject(_PROBLEM_MESSAGES[problem.reason], problem.reason, problem.detail) from None

    return CheckedDocument(
        original_name=safe_display_name(filename),
        extension=extension,
        mime_type=mime_type,
        size_bytes=size,
        sha256=hashlib.sha256(data).hexdigest(),
    )


class _Problem(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


_PROBLEM_MESSAGES = {
    "pdf_corrupt": "le fichier PDF est illisible ou endommagé.",
    "pdf_trailing_data": (
        "le fichier PDF contient des données inattendues après la fin du document "
        "(fichier modifié ou composite)."
    ),
    "pdf_encrypted": "les fichiers PDF protégés par mot de passe ne sont pas acceptés.",
    "pdf_active_content": (
        "le fichier PDF contient des éléments actifs (JavaScript, fichiers incorporés…) "
        "non acceptés. Enregistrez-le à nouveau avec « Imprimer en PDF » puis déposez "
        "cette copie."
    ),
    "image_corrupt": "l'image est illisible ou endommagée.",
    "image_too_large": (
        f"les dimensions de l'image dépassent le maximum de {MAX_IMAGE_SIDE} × "
        f"{MAX_IMAGE_SIDE} pixels."
    ),
    "image_too_many_pixels": (
        "l'image compte trop de pixels (image de décompression abusive) : le maximum est "
        f"de {MAX_IMAGE_PIXELS // 1_000_000} mégapixels. Enregistrez-la dans une définition "
        "plus faible puis déposez-la à nouveau."
    ),
    "image_trailing_data": (
        "l'image contient des données inattendues après sa fin (fichier modifié ou composite)."
    ),
    "hidden_archive": "le fichier contient une archive cachée et n'est pas accepté.",
}


def _ends_with_zip_directory(data: bytes) -> bool:
    """A ZIP end-of-central-directory record whose comment ends the file."""
    start = max(0, len(data) - (22 + 0xFFFF))
    pos = data.rfind(b"PK\x05\x06", start)
    while pos >= 0:
        if pos + 22 <= len(data):
            comment_length = int.from_bytes(data[pos + 20 : pos + 22], "little")
            if pos + 22 + comment_length == len(data):
                return True
        pos = data.rfind(b"PK\x05\x06", start, pos)
    return False


# --------------------------------------------------------------------------- #
# PDF
# --------------------------------------------------------------------------- #

_PDF_WHITESPACE = b"\x00\t\n\x0c\r "
_PDF_HEADER_RE = re.compile(rb"%PDF-(?:1\.[0-9]|2\.0)(?![0-9])")
_PDF_STARTXREF_RE = re.compile(rb"startxref[\x00\t\n\x0c\r ]+([0-9]{1,10})[\x00\t\n\x0c\r ]*")
_PDF_OBJ_RE = re.compile(rb"([0-9]{1,10})[\x00\t\n\x0c\r ]+([0-9]{1,5})[\x00\t\n\x0c\r ]+obj\b")
_PDF_XREF_SUBSECTION_RE = re.compile(rb"([0-9]{1,10})[ \t]+([0-9]{1,10})[ \t]*(?:\r\n|\r|\n)")
_PDF_STREAM_RE = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\n|\r)")
_PDF_NAME_RE = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\]()%{}]*)")
_PDF_HEX_ESCAPE_RE = re.compile(rb"#([0-9A-Fa-f]{2})")
_PDF_FILTER_RE = re.compile(rb"/Filter[\x00\t\n\x0c\r ]*(\[[^\]]*\]|/[^\x00\t\n\x0c\r /<>\[\]()%{}]+)")
_PDF_EOF_WINDOW = 1024
_PDF_DECODE_LIMIT = 32 * 1024 * 1024

# Names long enough never to appear by chance in binary data: searched in the
# whole file (stream bodies included, so no stream-framing trick can hide them).
_PDF_ACTIVE_LONG_NAMES = frozenset(
    {b"JavaScript", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"GoToE", b"RichMedia"}
)
# Short names: searched in object dictionaries only (outside stream bodies and
# inside decoded object streams), where they cannot be random binary bytes.
_PDF_ACTIVE_SHORT_NAMES = frozenset({b"JS", b"EF", b"XFA"})
_PDF_ACTIVE_NAMES = _PDF_ACTIVE_LONG_NAMES | _PDF_ACTIVE_SHORT_NAMES


def _pdf_names(text: bytes) -> set[bytes]:
    """Every PDF name token in ``text``, ``#xx`` escapes decoded, without the slash."""
    names = set(_PDF_NAME_RE.findall(text))
    for name in [name for name in names if b"#" in name]:
        names.add(_PDF_HEX_ESCAPE_RE.sub(lambda m: bytes([int(m.group(1), 16)]), name))
    return names


def _check_pdf(data: bytes) -> None:
    size = len(data)
    if not _PDF_HEADER_RE.match(data):
        raise _Problem("pdf_corrupt", "no %PDF-1.x/2.0 header at offset 0")

    eof = data.rfind(b"%%EOF")
    if eof < 0:
        raise _Problem("pdf_corrupt", "no %%EOF marker")
    if data[eof + 5 :].strip(_PDF_WHITESPACE):
        raise _Problem("pdf_trailing_data", "non-whitespace bytes after the last %%EOF")
    if size - eof > _PDF_EOF_WINDOW:
        raise _Problem("pdf_corrupt", "%%EOF not within the last 1024 bytes")

    startxref = data.rfind(b"startxref", 0, eof)
    match = _PDF_STARTXREF_RE.match(data, startxref) if startxref >= 0 else None
    if match is None or match.end() != eof:
        raise _Problem("pdf_corrupt", "no valid startxref before %%EOF")
    offset = int(match.group(1))
    if not 9 <= offset < startxref:
        raise _Problem("pdf_corrupt", f"startxref offset {offset} outside the file")
    # Tolerate whitespace at the offset (common off-by-EOL writers), nothing else.
    target = offset
    while target < startxref and data[target] in _PDF_WHITESPACE and target - offset < 4:
        target += 1
    if data.startswith(b"xref", target):
        trailer_names = _check_pdf_xref_table(data, target + 4, startxref)
    elif (obj := _PDF_OBJ_RE.match(data, target)) is not None:
        dict_end = data.find(b"stream", obj.end(), min(startxref, obj.end() + 65536))
        if dict_end < 0:
            raise _Problem("pdf_corrupt", "cross-reference stream without stream data")
        trailer_names = _pdf_names(data[obj.end() : dict_end])
        if b"XRef" not in trailer_names:
            raise _Problem("pdf_corrupt", "startxref does not point at a cross-reference stream")
    else:
        raise _Problem("pdf_corrupt", f"startxref offset {offset} points at neither xref nor obj")
    if b"Root" not in trailer_names:
        raise _Problem("pdf_corrupt", "trailer without /Root")

    everywhere = _pdf_names(data)
    if b"Encrypt" in everywhere:
        raise _Problem("pdf_encrypted", "/Encrypt present")
    if active := everywhere & _PDF_ACTIVE_LONG_NAMES:
        raise _Problem("pdf_active_content", f"names {sorted(active)!r}")
    outside = set(trailer_names)
    for part in _pdf_text_outside_streams(data):
        outside |= _pdf_names(part)
    if active := outside & _PDF_ACTIVE_SHORT_NAMES:
        raise _Problem("pdf_active_content", f"names {sorted(active)!r}")

    budget = _PDF_DECODE_LIMIT
    for filters, body in _pdf_object_streams(data):
        decoded = _decode_pdf_stream(filters, body, budget)
        budget -= len(decoded)
        inner = _pdf_names(decoded)
        if b"Encrypt" in inner:
            raise _Problem("pdf_encrypted", "/Encrypt inside an object stream")
        if active := inner & _PDF_ACTIVE_NAMES:
            raise _Problem("pdf_active_content", f"names {sorted(active)!r} in an object stream")


def _check_pdf_xref_table(data: bytes, pos: int, limit: int) -> set[bytes]:
    """Parse a classic cross-reference table; return the trailer's names."""
    sections = 0
    while True:
        while pos < limit and data[pos] in _PDF_WHITESPACE:
            pos += 1
        if data.startswith(b"trailer", pos):
            break
        match = _PDF_XREF_SUBSECTION_RE.match(data, pos, limit)
        if match is None:
            raise _Problem("pdf_corrupt", "malformed xref subsection header")
        count = int(match.group(2))
        if count * 18 > limit - match.end():
            raise _Problem("pdf_corrupt", "xref subsection longer than the file")
        entries = re.compile(rb"(?:[\x00\t\n\x0c\r ]*[0-9]{10} [0-9]{5} [fn]){%d}" % count)
        entries_match = entries.match(data, match.end(), limit)
        if entries_match is None:
            raise _Problem("pdf_corrupt", "malformed xref entries")
        pos = entries_match.end()
        sections += 1
    if sections == 0:
        raise _Problem("pdf_corrupt", "empty xref table")
    dict_start = pos + len(b"trailer")
    while dict_start < limit and data[dict_start] in _PDF_WHITESPACE:
        dict_start += 1
    if not data.startswith(b"<<", dict_start):
        raise _Problem("pdf_corrupt", "trailer without dictionary")
    return _pdf_names(data[dict_start:limit])


def _pdf_text_outside_streams(data: bytes) -> list[bytes]:
    """The file without its stream bodies (``stream`` ... ``endstream``)."""
    outside: list[bytes] = []
    pos = 0
    while (match := _PDF_STREAM_RE.search(data, pos)) is not None:
        end = data.find(b"endstream", match.end())
        if end < 0:
            raise _Problem("pdf_corrupt", "stream without endstream")
        outside.append(data[pos : match.start()])
        pos = end + len(b"endstream")
    outside.append(data[pos:])
    return outside


def _pdf_object_streams(data: bytes) -> list[tuple[list[bytes], bytes]]:
    """(filters, body) of every object stream (``/Type /ObjStm``).

    Every ``stream`` keyword of the file is examined, even one that seems to
    lie inside another stream body, so none can be hidden by fake framing.
    """
    found = []
    for match in _PDF_STREAM_RE.finditer(data):
        head = data[max(0, match.start() - 4096) : match.start()]
        obj_at = head.rfind(b"obj")
        stream_dict = head[obj_at:] if obj_at >= 0 else head
        if b"ObjStm" not in _pdf_names(stream_dict):
            continue
        end = data.find(b"endstream", match.end())
        if end < 0:
            raise _Problem("pdf_corrupt", "object stream without endstream")
        filters: list[bytes] = []
        if (filters_match := _PDF_FILTER_RE.search(stream_dict)) is not None:
            filters = [
                _PDF_HEX_ESCAPE_RE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
                for name in _PDF_NAME_RE.findall(filters_match.group(1))
            ]
        found.append((filters, data[match.end() : end]))
    return found


def _decode_pdf_stream(filters: list[bytes], body: bytes, budget: int) -> bytes:
    out = body
    for name in filters:
        if name in (b"FlateDecode", b"Fl"):
            inflater = zlib.decompressobj()
            try:
                decoded = inflater.decompress(out, max(budget, 0) + 1)
            except zlib.error as exc:
                raise _Problem("pdf_corrupt", f"object stream: {exc}") from None
            if len(decoded) > budget or inflater.unconsumed_tail:
                raise _Problem("pdf_corrupt", "object streams too large to inspect")
            out = decoded
        elif name in (b"ASCIIHexDecode", b"AHx"):
            hex_text = bytes(out.split(b">", 1)[0]).translate(None, _PDF_WHITESPACE)
            if len(hex_text) % 2:
                hex_text += b"0"
            try:
                out = binascii.unhexlify(hex_text)
            except (binascii.Error, ValueError):
                raise _Problem("pdf_corrupt", "object stream: bad ASCIIHex data") from None
        elif name in (b"ASCII85Decode", b"A85"):
            text = out.split(b"~>", 1)[0].translate(None, _PDF_WHITESPACE)
            try:
                out = base64.a85decode(text.removeprefix(b"<~"))
            except ValueError:
                raise _Problem("pdf_corrupt", "object stream: bad ASCII85 data") from None
        else:
            raise _Problem("pdf_corrupt", f"object stream filter {name!r} cannot be inspected")
    return out


# --------------------------------------------------------------------------- #
# PNG
# --------------------------------------------------------------------------- #

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_PNG_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_PNG_INFLATE_LIMIT = 64 * 1024 * 1024


def _check_dimensions(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise _Problem("image_corrupt", f"dimensions {width}x{height}")
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise _Problem("image_too_large", f"dimensions {width}x{height}")
    if width * height > MAX_IMAGE_PIXELS:
        raise _Problem("image_too_many_pixels", f"{width}x{height} = {width * height} pixels")


def _png_raw_size(width: int, height: int, depth: int, colour: int, interlaced: bool) -> int:
    bits = _PNG_CHANNELS[colour] * depth

    def rows(w: int, h: int) -> int:
        return 0 if w <= 0 or h <= 0 else h * (1 + (w * bits + 7) // 8)

    if not interlaced:
        return rows(width, height)
    return sum(
        rows((width - x0 + dx - 1) // dx, (height - y0 + dy - 1) // dy)
        for x0, y0, dx, dy in _PNG_ADAM7
    )


def _check_png(data: bytes) -> None:
    if not data.startswith(_PNG_SIGNATURE):
        raise _Problem("image_corrupt", "bad PNG signature")
    view = memoryview(data)
    size = len(data)
    pos = len(_PNG_SIGNATURE)
    header: tuple[int, int, int, int, bool] | None = None
    idat: list[memoryview] = []
    while True:
        if pos + 12 > size:
            raise _Problem("image_corrupt", "truncated PNG (no IEND)")
        length = int.from_bytes(data[pos : pos + 4], "big")
        chunk_type = data[pos + 4 : pos + 8]
        if length > 0x7FFFFFFF or not chunk_type.isalpha() or not chunk_type.isascii():
            raise _Problem("image_corrupt", f"bad chunk header at {pos}")
        end = pos + 12 + length
        if end > size:
            raise _Problem("image_corrupt", f"truncated {chunk_type!r} chunk")
        body = view[pos + 8 : pos + 8 + length]
        crc = int.from_bytes(data[end - 4 : end], "big")
        if zlib.crc32(body, zlib.crc32(chunk_type)) != crc:
            raise _Problem("image_corrupt", f"bad CRC for {chunk_type!r} at {pos}")
        if header is None:
            if chunk_type != b"IHDR" or length != 13:
                raise _Problem("image_corrupt", "first chunk is not IHDR")
            width = int.from_bytes(body[0:4], "big")
            height = int.from_bytes(body[4:8], "big")
            depth, colour, compression, filtering, interlace = body[8:13]
            if (
                colour not in _PNG_DEPTHS
                or depth not in _PNG_DEPTHS[colour]
                or compression != 0
                or filtering != 0
                or interlace not in (0, 1)
            ):
                raise _Problem("image_corrupt", "invalid IHDR fields")
            _check_dimensions(width, height)
            header = (width, height, depth, colour, interlace == 1)
        elif chunk_type == b"IHDR":
            raise _Problem("image_corrupt", "duplicate IHDR")
        elif chunk_type == b"IDAT":
            idat.append(body)
        elif chunk_type == b"IEND":
            pos = end
            break
        pos = end
    if pos != size:
        raise _Problem("image_trailing_data", f"{size - pos} bytes after IEND")
    if not idat:
        raise _Problem("image_corrupt", "no IDAT chunk")
    _check_png_pixels(idat, _png_raw_size(*header))


def _check_png_pixels(idat: list[memoryview], expected: int) -> None:
    """The zlib stream inflates without error to exactly ``expected`` bytes
    (only the first 64 MiB are inflated for very large images)."""
    limit = min(expected, _PNG_INFLATE_LIMIT)
    inflater = zlib.decompressobj()
    produced = 0
    try:
        for part in idat:
            pending = part
            while pending and not inflater.eof:
                produced += len(inflater.decompress(pending, 1024 * 1024))
                pending = inflater.unconsumed_tail
                if produced > limit:
                    if expected > _PNG_INFLATE_LIMIT and produced <= expected:
                        return
                    raise _Problem("image_corrupt", "more pixel data than the header says")
        produced += len(inflater.flush())
    except zlib.error as exc:
        raise _Problem("image_corrupt", f"pixel data: {exc}") from None
    if produced > expected:
        raise _Problem("image_corrupt", "more pixel data than the header says")
    if produced < expected and not (expected > _PNG_INFLATE_LIMIT and produced >= limit):
        raise _Problem("image_corrupt", f"pixel data truncated ({produced}/{expected})")
    if not inflater.eof:
        raise _Problem("image_corrupt", "pixel data stream not terminated")


# --------------------------------------------------------------------------- #
# JPEG
# --------------------------------------------------------------------------- #

_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_JPEG_PADDING = b"\x00\t\n\r "
_JPEG_MAX_PADDING = 16
_JPEG_MAX_PICTURES = 16


def _check_jpeg(data: bytes) -> None:
    end, multi_picture = _walk_jpeg(data, 0)
    pictures = 1
    while multi_picture and data.startswith(b"\xff\xd8\xff", end) and pictures < _JPEG_MAX_PICTURES:
        end, _ = _walk_jpeg(data, end)
        pictures += 1
    trailing = data[end:]
    if trailing and (len(trailing) > _JPEG_MAX_PADDING or trailing.strip(_JPEG_PADDING)):
        raise _Problem("image_trailing_data", f"{len(trailing)} bytes after EOI")


def _walk_jpeg(data: bytes, start: int) -> tuple[int, bool]:
    """Walk one JPEG image from its SOI; return (offset after EOI, has MPF)."""
    size = len(data)
    if not data.startswith(b"\xff\xd8\xff", start):
        raise _Problem("image_corrupt", "no JPEG SOI marker")
    pos = start + 2
    frame_seen = scan_seen = multi_picture = False
    while True:
        if pos >= size:
            raise _Problem("image_corrupt", "truncated JPEG (no EOI)")
        if data[pos] != 0xFF:
            raise _Problem("image_corrupt", f"marker expected at {pos}")
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos >= size:
            raise _Problem("image_corrupt", "truncated JPEG (no EOI)")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            if not scan_seen:
                raise _Problem("image_corrupt", "EOI before any image data")
            return pos, multi_picture
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, stray RSTn: no length
            continue
        if marker in (0x00, 0xD8):
            raise _Problem("image_corrupt", f"unexpected marker {marker:#04x}")
        if pos + 2 > size:
            raise _Problem("image_corrupt", "truncated JPEG segment")
        length = int.from_bytes(data[pos : pos + 2], "big")
        segment_end = pos + length
        if length < 2 or segment_end > size:
            raise _Problem("image_corrupt", f"bad or truncated segment {marker:#04x}")
        if marker in _JPEG_SOF:
            if length < 8:
                raise _Problem("image_corrupt", "short frame header")
            height = int.from_bytes(data[pos + 3 : pos + 5], "big")
            width = int.from_bytes(data[pos + 5 : pos + 7], "big")
            components = data[pos + 7]
            if components == 0 or length != 8 + 3 * components:
                raise _Problem("image_corrupt", "bad frame header")
            _check_dimensions(width, height)
            frame_seen = True
        elif marker == 0xE2 and data.startswith(b"MPF\x00", pos + 2):
            multi_picture = True
        elif marker == 0xDA:  # SOS: skip the entropy-coded data to the next marker
            if not frame_seen:
                raise _Problem("image_corrupt", "scan before frame header")
            scan_seen = True
            pos = segment_end
            while True:
                ff = data.find(b"\xff", pos)
                if ff < 0 or ff + 1 >= size:
                    raise _Problem("image_corrupt", "truncated JPEG scan (no EOI)")
                following = data[ff + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos = ff + 2
                elif following == 0xFF:
                    pos = ff + 1
                else:
                    pos = ff
                    break
            continue
        pos = segment_end
