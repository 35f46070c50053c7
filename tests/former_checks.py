"""The PDF and JPEG checks as they were before issue 12: regular expressions
run over the whole PDF, stream bodies included; a Python loop over every 0xFF
of a JPEG scan. Kept only as the reference of ``tests/test_upload_staging.py``,
which checks that the faster code decides exactly as this did. Not used by the
portal.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib

from segur_app.domain.uploads import images


class Problem(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


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


def check_pdf(data: bytes) -> None:
    size = len(data)
    if not _PDF_HEADER_RE.match(data):
        raise Problem("pdf_corrupt", "no %PDF-1.x/2.0 header at offset 0")

    eof = data.rfind(b"%%EOF")
    if eof < 0:
        raise Problem("pdf_corrupt", "no %%EOF marker")
    if data[eof + 5 :].strip(_PDF_WHITESPACE):
        raise Problem("pdf_trailing_data", "non-whitespace bytes after the last %%EOF")
    if size - eof > _PDF_EOF_WINDOW:
        raise Problem("pdf_corrupt", "%%EOF not within the last 1024 bytes")

    startxref = data.rfind(b"startxref", 0, eof)
    match = _PDF_STARTXREF_RE.match(data, startxref) if startxref >= 0 else None
    if match is None or match.end() != eof:
        raise Problem("pdf_corrupt", "no valid startxref before %%EOF")
    offset = int(match.group(1))
    if not 9 <= offset < startxref:
        raise Problem("pdf_corrupt", f"startxref offset {offset} outside the file")
    # Tolerate whitespace at the offset (common off-by-EOL writers), nothing else.
    target = offset
    while target < startxref and data[target] in _PDF_WHITESPACE and target - offset < 4:
        target += 1
    if data.startswith(b"xref", target):
        trailer_names = _check_pdf_xref_table(data, target + 4, startxref)
    elif (obj := _PDF_OBJ_RE.match(data, target)) is not None:
        dict_end = data.find(b"stream", obj.end(), min(startxref, obj.end() + 65536))
        if dict_end < 0:
            raise Problem("pdf_corrupt", "cross-reference stream without stream data")
        trailer_names = _pdf_names(data[obj.end() : dict_end])
        if b"XRef" not in trailer_names:
            raise Problem("pdf_corrupt", "startxref does not point at a cross-reference stream")
    else:
        raise Problem("pdf_corrupt", f"startxref offset {offset} points at neither xref nor obj")
    if b"Root" not in trailer_names:
        raise Problem("pdf_corrupt", "trailer without /Root")

    everywhere = _pdf_names(data)
    if b"Encrypt" in everywhere:
        raise Problem("pdf_encrypted", "/Encrypt present")
    if active := everywhere & _PDF_ACTIVE_LONG_NAMES:
        raise Problem("pdf_active_content", f"names {sorted(active)!r}")
    outside = set(trailer_names)
    for part in _pdf_text_outside_streams(data):
        outside |= _pdf_names(part)
    if active := outside & _PDF_ACTIVE_SHORT_NAMES:
        raise Problem("pdf_active_content", f"names {sorted(active)!r}")

    budget = _PDF_DECODE_LIMIT
    for filters, body in _pdf_object_streams(data):
        decoded = _decode_pdf_stream(filters, body, budget)
        budget -= len(decoded)
        inner = _pdf_names(decoded)
        if b"Encrypt" in inner:
            raise Problem("pdf_encrypted", "/Encrypt inside an object stream")
        if active := inner & _PDF_ACTIVE_NAMES:
            raise Problem("pdf_active_content", f"names {sorted(active)!r} in an object stream")


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
            raise Problem("pdf_corrupt", "malformed xref subsection header")
        count = int(match.group(2))
        if count * 18 > limit - match.end():
            raise Problem("pdf_corrupt", "xref subsection longer than the file")
        entries = re.compile(rb"(?:[\x00\t\n\x0c\r ]*[0-9]{10} [0-9]{5} [fn]){%d}" % count)
        entries_match = entries.match(data, match.end(), limit)
        if entries_match is None:
            raise Problem("pdf_corrupt", "malformed xref entries")
        pos = entries_match.end()
        sections += 1
    if sections == 0:
        raise Problem("pdf_corrupt", "empty xref table")
    dict_start = pos + len(b"trailer")
    while dict_start < limit and data[dict_start] in _PDF_WHITESPACE:
        dict_start += 1
    if not data.startswith(b"<<", dict_start):
        raise Problem("pdf_corrupt", "trailer without dictionary")
    return _pdf_names(data[dict_start:limit])


def _pdf_text_outside_streams(data: bytes) -> list[bytes]:
    """The file without its stream bodies (``stream`` ... ``endstream``)."""
    outside: list[bytes] = []
    pos = 0
    while (match := _PDF_STREAM_RE.search(data, pos)) is not None:
        end = data.find(b"endstream", match.end())
        if end < 0:
            raise Problem("pdf_corrupt", "stream without endstream")
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
            raise Problem("pdf_corrupt", "object stream without endstream")
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
                raise Problem("pdf_corrupt", f"object stream: {exc}") from None
            if len(decoded) > budget or inflater.unconsumed_tail:
                raise Problem("pdf_corrupt", "object streams too large to inspect")
            out = decoded
        elif name in (b"ASCIIHexDecode", b"AHx"):
            hex_text = bytes(out.split(b">", 1)[0]).translate(None, _PDF_WHITESPACE)
            if len(hex_text) % 2:
                hex_text += b"0"
            try:
                out = binascii.unhexlify(hex_text)
            except (binascii.Error, ValueError):
                raise Problem("pdf_corrupt", "object stream: bad ASCIIHex data") from None
        elif name in (b"ASCII85Decode", b"A85"):
            text = out.split(b"~>", 1)[0].translate(None, _PDF_WHITESPACE)
            try:
                out = base64.a85decode(text.removeprefix(b"<~"))
            except ValueError:
                raise Problem("pdf_corrupt", "object stream: bad ASCII85 data") from None
        else:
            raise Problem("pdf_corrupt", f"object stream filter {name!r} cannot be inspected")
    return out


_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_JPEG_PADDING = b"\x00\t\n\r "
_JPEG_MAX_PADDING = 16
_JPEG_MAX_PICTURES = 16


def check_jpeg(data: bytes) -> None:
    end, multi_picture = _walk_jpeg(data, 0)
    pictures = 1
    while multi_picture and data.startswith(b"\xff\xd8\xff", end) and pictures < _JPEG_MAX_PICTURES:
        end, _ = _walk_jpeg(data, end)
        pictures += 1
    trailing = data[end:]
    if trailing and (len(trailing) > _JPEG_MAX_PADDING or trailing.strip(_JPEG_PADDING)):
        raise Problem("image_trailing_data", f"{len(trailing)} bytes after EOI")


def _walk_jpeg(data: bytes, start: int) -> tuple[int, bool]:
    """Walk one JPEG image from its SOI; return (offset after EOI, has MPF)."""
    size = len(data)
    if not data.startswith(b"\xff\xd8\xff", start):
        raise Problem("image_corrupt", "no JPEG SOI marker")
    pos = start + 2
    frame_seen = scan_seen = multi_picture = False
    while True:
        if pos >= size:
            raise Problem("image_corrupt", "truncated JPEG (no EOI)")
        if data[pos] != 0xFF:
            raise Problem("image_corrupt", f"marker expected at {pos}")
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos >= size:
            raise Problem("image_corrupt", "truncated JPEG (no EOI)")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            if not scan_seen:
                raise Problem("image_corrupt", "EOI before any image data")
            return pos, multi_picture
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, stray RSTn: no length
            continue
        if marker in (0x00, 0xD8):
            raise Problem("image_corrupt", f"unexpected marker {marker:#04x}")
        if pos + 2 > size:
            raise Problem("image_corrupt", "truncated JPEG segment")
        length = int.from_bytes(data[pos : pos + 2], "big")
        segment_end = pos + length
        if length < 2 or segment_end > size:
            raise Problem("image_corrupt", f"bad or truncated segment {marker:#04x}")
        if marker in _JPEG_SOF:
            if length < 8:
                raise Problem("image_corrupt", "short frame header")
            height = int.from_bytes(data[pos + 3 : pos + 5], "big")
            width = int.from_bytes(data[pos + 5 : pos + 7], "big")
            components = data[pos + 7]
            if components == 0 or length != 8 + 3 * components:
                raise Problem("image_corrupt", "bad frame header")
            images.check_dimensions(width, height)  # unchanged, shared
            frame_seen = True
        elif marker == 0xE2 and data.startswith(b"MPF\x00", pos + 2):
            multi_picture = True
        elif marker == 0xDA:  # SOS: skip the entropy-coded data to the next marker
            if not frame_seen:
                raise Problem("image_corrupt", "scan before frame header")
            scan_seen = True
            pos = segment_end
            while True:
                ff = data.find(b"\xff", pos)
                if ff < 0 or ff + 1 >= size:
                    raise Problem("image_corrupt", "truncated JPEG scan (no EOI)")
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
