"""Upload intake: refused by size, type and header before decoding; EXIF applied, then gone."""
from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from identity.face import errors
from identity.face.images import DETECTION_SIDE, MAX_BYTES, check, load_image
from tests.paths import FACES


def encode(image: Image.Image, fmt: str = "JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def png_bomb(path: Path, side: int = 20000) -> bytes:
    """A palette PNG of side × side pixels (400 M) that is a few hundred KB on disk, written to tmp."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\0" * (side + 1)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", b"\x80\x80\x80") + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    path.write_bytes(data)
    return path.read_bytes()


def test_png_bomb_is_refused_from_its_header(tmp_path):
    bomb = png_bomb(tmp_path / "bomb.png")
    assert len(bomb) < 1024 * 1024
    started = time.perf_counter()
    with pytest.raises(errors.ImageBomb) as caught:
        load_image(bomb)
    assert time.perf_counter() - started < 0.5  # nothing was inflated
    assert caught.value.status == 422 and caught.value.code == "image_bomb" and caught.value.message


def test_50_mb_upload_is_refused_before_decoding():
    huge = b"\xff\xd8\xff\xe0" + bytes(50 * 1024 * 1024)
    started = time.perf_counter()
    with pytest.raises(errors.ImageTooLarge) as caught:
        load_image(huge)
    assert time.perf_counter() - started < 0.1
    assert caught.value.status == 413 and caught.value.code == "image_too_large"
    assert "5 MB" in caught.value.message
    with pytest.raises(errors.ImageTooLarge):
        check(b"\x89PNG\r\n\x1a\n" + bytes(MAX_BYTES))


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "WEBP", "TIFF"])
def test_only_jpeg_and_png_by_magic_bytes(fmt):
    with pytest.raises(errors.ImageFormat) as caught:
        load_image(encode(Image.new("RGB", (32, 32), (90, 60, 50)), fmt))
    assert caught.value.code == "image_format" and caught.value.status == 422


def test_a_gif_renamed_to_jpeg_is_still_a_gif():
    with pytest.raises(errors.ImageFormat):
        load_image(b"GIF89a" + bytes(100))
    with pytest.raises(errors.ImageFormat):
        load_image(b"")


def test_more_than_4096_px_a_side_is_refused_before_decoding():
    wide = encode(Image.new("L", (5000, 8)), "PNG")
    with pytest.raises(errors.ImageDimensions) as caught:
        load_image(wide)
    assert caught.value.code == "image_dimensions"
    tall = encode(Image.new("RGB", (16, 4100)), "JPEG")
    with pytest.raises(errors.ImageDimensions):
        load_image(tall)


@pytest.mark.parametrize("data", [
    b"\xff\xd8\xff\xe0" + b"\x00" * 64,                 # JPEG magic, nothing behind it
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,                # PNG magic, broken IHDR
])
def test_garbage_behind_the_magic_bytes_is_unreadable(data):
    with pytest.raises(errors.ImageUnreadable) as caught:
        load_image(data)
    assert caught.value.code == "image_unreadable"


def test_truncated_jpeg_is_unreadable(monkeypatch):
    from PIL import ImageFile

    # As face_recognition leaves it after its import, whoever imported it first.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    whole = (FACES / "obama.jpg").read_bytes()
    with pytest.raises(errors.ImageUnreadable):
        load_image(whole[: len(whole) // 3])


def test_downscaled_to_the_detection_size_as_rgb_uint8():
    big = encode(Image.new("RGB", (1920, 1080), (200, 180, 160)))
    pixels = load_image(big)
    assert pixels.shape == (360, 640, 3) and pixels.dtype == np.uint8
    small = encode(Image.new("RGB", (300, 200), (1, 2, 3)), "PNG")
    assert load_image(small).shape == (200, 300, 3)  # never upscaled


@pytest.mark.parametrize("mode", ["RGBA", "P", "L", "LA", "I;16"])
def test_png_modes_come_out_as_rgb(mode):
    image = Image.new(mode, (40, 30))
    pixels = load_image(encode(image, "PNG"))
    assert pixels.shape == (30, 40, 3) and pixels.dtype == np.uint8


def test_exif_rotation_is_applied_and_exif_is_gone():
    from identity.face import engine

    upright = Image.open(FACES / "obama.jpg").convert("RGB")
    # What a phone stores: the sensor's pixels (here turned sideways) and an Orientation tag
    # saying how to show them, plus GPS and device tags that must not survive.
    sideways = upright.transpose(Image.Transpose.ROTATE_270)  # stored turned clockwise
    exif = Image.Exif()
    exif[0x0112] = 8          # "turn 90° anticlockwise to display"
    exif[0x010F] = "Phone"    # Make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS
    data = encode(sideways, exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif().get(0x0112) == 8

    pixels = load_image(data)
    assert isinstance(pixels, np.ndarray)  # a bare array: no EXIF to leak
    assert pixels.shape[0] > pixels.shape[1] and max(pixels.shape[:2]) == DETECTION_SIDE  # portrait again
    assert len(engine.find_faces(pixels)) == 1
    reference = load_image(encode(upright))
    assert pixels.shape == reference.shape
    assert np.mean(np.abs(pixels.astype(int) - reference.astype(int))) < 4  # the same picture
    without_tag = load_image(encode(sideways))
    assert without_tag.shape[1] > without_tag.shape[0]


def test_every_error_has_a_chinese_message_and_a_4xx_status():
    for cls in (errors.ImageFormat, errors.ImageTooLarge, errors.ImageDimensions, errors.ImageBomb,
                errors.ImageUnreadable, errors.NoFace, errors.ManyFaces, errors.LivenessFrames):
        error = cls()
        assert 400 <= error.status < 500 and error.code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message)
        assert error.to_dict() == {"error": {"code": error.code, "message": error.message}}


def test_importing_face_recognition_does_not_let_truncated_images_through():
    """face_recognition sets PIL's LOAD_TRUNCATED_IMAGES for the whole process on import."""
    from PIL import ImageFile

    from identity.face import warm_up

    warm_up()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    whole = (FACES / "obama.jpg").read_bytes()
    with pytest.raises(errors.ImageUnreadable):
        load_image(whole[: len(whole) // 2])


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_cmyk_jpegs_come_out_as_rgb(mode):
    pixels = load_image(encode(Image.new(mode, (1300, 700)), "JPEG"))
    assert pixels.shape == (345, 640, 3) and pixels.dtype == np.uint8


@pytest.mark.filterwarnings("ignore:Corrupt EXIF")
def test_a_broken_exif_block_does_not_refuse_the_photo():
    photo = Image.new("RGB", (200, 100), (100, 100, 100))
    data = encode(photo, exif=b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff")
    assert load_image(data).shape == (100, 200, 3)
