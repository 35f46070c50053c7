"""Decompression bombs are refused from the header, before any pixel is inflated."""

from __future__ import annotations

import struct
import zlib

import pytest

from segur_app.domain import uploads
from tests import document_samples as s

MSG_PIXELS = "l'image compte trop de pixels"


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG whose zero pixels compress ~1000:1 (a few hundred kB for 100 MP)."""
    row = b"\x00" + b"\x00" * (width * 3)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return s.PNG_SIGNATURE + s.png_ihdr(width, height) + s.png_chunk(b"IDAT", data) + s.png_chunk(b"IEND", b"")


def jpeg_announcing(width: int, height: int) -> bytes:
    headers, entropy, eoi = s.jpeg_parts()
    frame = b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08"
    patched = b"\xff\xc0\x00\x0b\x08" + struct.pack(">HH", height, width)
    return headers.replace(frame, patched, 1) + entropy + eoi


def test_the_limit_is_fifty_megapixels():
    assert uploads.MAX_IMAGE_PIXELS == 50_000_000


@pytest.mark.parametrize(("data", "filename"), [
    (png_bomb(10_000, 10_000), "scan.png"),  # 100 MP, every side under 20000
    (png_bomb(8_000, 6_251), "scan.png"),  # 50 008 000 pixels: just over
    (jpeg_announcing(10_000, 10_000), "photo.jpg"),
    (jpeg_announcing(7_072, 7_072), "photo.jpeg"),  # 50 013 184 pixels
])
def test_images_over_the_pixel_limit_are_refused_before_decoding(data, filename, monkeypatch):
    assert len(data) <= uploads.MAX_UPLOAD_BYTES

    def must_not_inflate(*args, **kwargs):
        raise AssertionError("pixel data inflated before the pixel count was checked")

    monkeypatch.setattr(uploads.images, "check_png_pixels", must_not_inflate)
    with pytest.raises(uploads.DocumentRejected) as refused:
        uploads.check_document(data, filename, field_label="Justificatif")
    assert refused.value.reason == "image_too_many_pixels"
    assert refused.value.message.startswith("Justificatif : " + MSG_PIXELS)
    assert "50 mégapixels" in refused.value.message


def test_images_at_the_limit_are_still_accepted():
    # 7071 x 7071 = 49 999 041 pixels; a flat JPEG of that size is a few kB.
    checked = uploads.check_document(s.valid_jpeg(7_071, 7_071), "photo.jpg",
                                     field_label="Justificatif")
    assert checked.mime_type == "image/jpeg"
