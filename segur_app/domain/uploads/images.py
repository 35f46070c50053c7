"""Structure of PNG and JPEG images, one walk through the file each.

* **PNG** — signature; first chunk ``IHDR`` (valid depth/colour type,
  1 ≤ width, height ≤ 20000, width × height ≤ 50 megapixels); every chunk's
  CRC verified up to ``IEND``; at least one ``IDAT`` whose zlib data
  decompresses (up to 64 MiB) to the size the header implies; nothing after
  ``IEND``.
* **JPEG** — ``FFD8FF`` start; marker segments walked to a frame header (SOFn,
  1 ≤ width, height ≤ 20000, at most 50 megapixels) and through every scan to
  ``EOI``; after ``EOI`` at most 16 bytes of NUL/whitespace padding.
  Exception: multi-picture files (camera ``MPF`` APP2 segment) may be followed
  by further complete JPEG images, each checked the same way.

**Decompression bombs**: the pixel count is read from the header (PNG
``IHDR``, JPEG ``SOFn``) and checked against ``MAX_IMAGE_PIXELS`` before any
pixel data is inflated or walked, so a tiny file announcing a huge image costs
nothing. Every stored image passed this check, so the staff's previews (the
browser decodes them) are bounded too. (Pillow is not used; should it be, set
``PIL.Image.MAX_IMAGE_PIXELS`` to the same limit.)

``data`` is ``bytes`` or a mapping of the staged file (``mmap``): only
indexing, slicing and ``find`` are used, and slices stay small (chunk headers,
segment headers); pixel data is read through a ``memoryview``.
"""

from __future__ import annotations

import re
import zlib

from segur_app.domain.uploads.policy import MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, FormatProblem

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_PNG_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_PNG_INFLATE_LIMIT = 64 * 1024 * 1024

_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_JPEG_SOI = b"\xff\xd8\xff"
_JPEG_PADDING = b"\x00\t\n\r "
_JPEG_MAX_PADDING = 16
_JPEG_MAX_PICTURES = 16
_JPEG_NEXT_MARKER_RE = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def check_dimensions(width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise FormatProblem("image_corrupt", f"dimensions {width}x{height}")
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        raise FormatProblem("image_too_large", f"dimensions {width}x{height}")
    if width * height > MAX_IMAGE_PIXELS:
        raise FormatProblem("image_too_many_pixels", f"{width}x{height} = {width * height} pixels")


# --------------------------------------------------------------------------- #
# PNG
# --------------------------------------------------------------------------- #


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


def check_png(data) -> None:
    if data[: len(PNG_SIGNATURE)] != PNG_SIGNATURE:
        raise FormatProblem("image_corrupt", "bad PNG signature")
    with memoryview(data) as view:
        _walk_png(data, view)


def _walk_png(data, view: memoryview) -> None:
    size = len(data)
    pos = len(PNG_SIGNATURE)
    header: tuple[int, int, int, int, bool] | None = None
    idat: list[memoryview] = []
    try:
        while True:
            if pos + 12 > size:
                raise FormatProblem("image_corrupt", "truncated PNG (no IEND)")
            length = int.from_bytes(data[pos : pos + 4], "big")
            chunk_type = data[pos + 4 : pos + 8]
            if length > 0x7FFFFFFF or not chunk_type.isalpha() or not chunk_type.isascii():
                raise FormatProblem("image_corrupt", f"bad chunk header at {pos}")
            end = pos + 12 + length
            if end > size:
                raise FormatProblem("image_corrupt", f"truncated {chunk_type!r} chunk")
            body = view[pos + 8 : pos + 8 + length]
            crc = int.from_bytes(data[end - 4 : end], "big")
            if zlib.crc32(body, zlib.crc32(chunk_type)) != crc:
                raise FormatProblem("image_corrupt", f"bad CRC for {chunk_type!r} at {pos}")
            if header is None:
                if chunk_type != b"IHDR" or length != 13:
                    raise FormatProblem("image_corrupt", "first chunk is not IHDR")
                fields = bytes(body)
                width = int.from_bytes(fields[0:4], "big")
                height = int.from_bytes(fields[4:8], "big")
                depth, colour, compression, filtering, interlace = fields[8:13]
                if (
                    colour not in _PNG_DEPTHS
                    or depth not in _PNG_DEPTHS[colour]
                    or compression != 0
                    or filtering != 0
                    or interlace not in (0, 1)
                ):
                    raise FormatProblem("image_corrupt", "invalid IHDR fields")
                check_dimensions(width, height)
                header = (width, height, depth, colour, interlace == 1)
            elif chunk_type == b"IHDR":
                raise FormatProblem("image_corrupt", "duplicate IHDR")
            elif chunk_type == b"IDAT":
                idat.append(body)
            elif chunk_type == b"IEND":
                pos = end
                break
            pos = end
        if pos != size:
            raise FormatProblem("image_trailing_data", f"{size - pos} bytes after IEND")
        if not idat:
            raise FormatProblem("image_corrupt", "no IDAT chunk")
        check_png_pixels(idat, _png_raw_size(*header))
    finally:
        for part in idat:  # views on a mapping keep it open
            part.release()


def check_png_pixels(idat: list[memoryview], expected: int) -> None:
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
                    raise FormatProblem("image_corrupt", "more pixel data than the header says")
        produced += len(inflater.flush())
    except zlib.error as exc:
        raise FormatProblem("image_corrupt", f"pixel data: {exc}") from None
    if produced > expected:
        raise FormatProblem("image_corrupt", "more pixel data than the header says")
    if produced < expected and not (expected > _PNG_INFLATE_LIMIT and produced >= limit):
        raise FormatProblem("image_corrupt", f"pixel data truncated ({produced}/{expected})")
    if not inflater.eof:
        raise FormatProblem("image_corrupt", "pixel data stream not terminated")


# --------------------------------------------------------------------------- #
# JPEG
# --------------------------------------------------------------------------- #


def check_jpeg(data) -> None:
    end, multi_picture = _walk_jpeg(data, 0)
    pictures = 1
    while multi_picture and data[end : end + 3] == _JPEG_SOI and pictures < _JPEG_MAX_PICTURES:
        end, _ = _walk_jpeg(data, end)
        pictures += 1
    left = len(data) - end
    if left and (left > _JPEG_MAX_PADDING or data[end:].strip(_JPEG_PADDING)):
        raise FormatProblem("image_trailing_data", f"{left} bytes after EOI")


def _walk_jpeg(data, start: int) -> tuple[int, bool]:
    """Walk one JPEG image from its SOI; return (offset after EOI, has MPF)."""
    size = len(data)
    if data[start : start + 3] != _JPEG_SOI:
        raise FormatProblem("image_corrupt", "no JPEG SOI marker")
    pos = start + 2
    frame_seen = scan_seen = multi_picture = False
    while True:
        if pos >= size:
            raise FormatProblem("image_corrupt", "truncated JPEG (no EOI)")
        if data[pos] != 0xFF:
            raise FormatProblem("image_corrupt", f"marker expected at {pos}")
        while pos < size and data[pos] == 0xFF:
            pos += 1
        if pos >= size:
            raise FormatProblem("image_corrupt", "truncated JPEG (no EOI)")
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI
            if not scan_seen:
                raise FormatProblem("image_corrupt", "EOI before any image data")
            return pos, multi_picture
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # TEM, stray RSTn: no length
            continue
        if marker in (0x00, 0xD8):
            raise FormatProblem("image_corrupt", f"unexpected marker {marker:#04x}")
        if pos + 2 > size:
            raise FormatProblem("image_corrupt", "truncated JPEG segment")
        length = int.from_bytes(data[pos : pos + 2], "big")
        segment_end = pos + length
        if length < 2 or segment_end > size:
            raise FormatProblem("image_corrupt", f"bad or truncated segment {marker:#04x}")
        if marker in _JPEG_SOF:
            if length < 8:
                raise FormatProblem("image_corrupt", "short frame header")
            height = int.from_bytes(data[pos + 3 : pos + 5], "big")
            width = int.from_bytes(data[pos + 5 : pos + 7], "big")
            components = data[pos + 7]
            if components == 0 or length != 8 + 3 * components:
                raise FormatProblem("image_corrupt", "bad frame header")
            check_dimensions(width, height)
            frame_seen = True
        elif marker == 0xE2 and data[pos + 2 : pos + 6] == b"MPF\x00":
            multi_picture = True
        elif marker == 0xDA:  # SOS: skip the entropy-coded data to the next marker
            if not frame_seen:
                raise FormatProblem("image_corrupt", "scan before frame header")
            scan_seen = True
            # The next 0xFF that is neither stuffing (FF 00), a restart marker
            # (FF D0-D7) nor a fill byte (FF FF): one search at C speed.
            following_marker = _JPEG_NEXT_MARKER_RE.search(data, segment_end)
            if following_marker is None:
                raise FormatProblem("image_corrupt", "truncated JPEG scan (no EOI)")
            pos = following_marker.start()
            continue
        pos = segment_end
