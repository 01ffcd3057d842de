"""Untrusted photos to pixels: checked before decoding, decoded in memory, never kept.

The order matters: byte count, then magic bytes, then the header's dimensions, and only then the
pixels. A 50 MB upload or a PNG that inflates to gigabytes is refused before any decoding work.
What comes out is a bare RGB array: EXIF (GPS, device, time) does not survive, its rotation does.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFile

from identity.face.errors import (
    FaceImageError,
    ImageBomb,
    ImageDimensions,
    ImageFormat,
    ImageTooLarge,
    ImageUnreadable,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4096
# Detection runs on at most this many pixels a side: HOG at upsample 0 finds faces down to about
# 80 px, and a selfie's face is far larger; detecting on fewer pixels is several times faster
# (bench/face.py).
DETECTION_SIDE = 640

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sniff(data: bytes) -> str:
    """``"JPEG"`` or ``"PNG"`` from the first bytes; anything else (GIF, BMP, HEIC, WebP…) refused."""
    if data.startswith(JPEG_MAGIC):
        return "JPEG"
    if data.startswith(PNG_MAGIC):
        return "PNG"
    raise ImageFormat()


def check(data: bytes) -> tuple[str, tuple[int, int]]:
    """Everything that can be refused without decoding pixels: size, type, header dimensions.

    Returns the format and ``(width, height)``.
    """
    if len(data) > MAX_BYTES:
        raise ImageTooLarge()
    kind = sniff(data)
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:  # reads the header only
            size = image.size
    except Image.DecompressionBombError as exc:
        raise ImageBomb() from exc
    except Exception as exc:  # noqa: BLE001 - PIL raises many types for broken headers
        raise ImageUnreadable() from exc
    _check_size(size)
    return kind, size


def _check_size(size: tuple[int, int]) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ImageUnreadable()
    # PIL's own bomb limit (MAX_IMAGE_PIXELS, 89 M pixels by default) decides "bomb"; a merely large
    # photo is refused by side length, with a message the user can act on.
    if width * height > (Image.MAX_IMAGE_PIXELS or 0) > 0:
        raise ImageBomb()
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ImageDimensions()


def load_image(data: bytes, *, max_side: int = DETECTION_SIDE) -> np.ndarray:
    """Check, decode, apply the EXIF rotation and drop EXIF; downscale so the longest side is at
    most ``max_side``. Returns an RGB ``uint8`` array of shape ``(height, width, 3)``."""
    kind, _ = check(data)
    # face_recognition's import sets this process-wide (whoever imports it first); with it on, a
    # cut-off upload decodes with grey filler instead of failing. PIL's default is off.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            _check_size(image.size)
            orientation = _orientation(image)
            # The JPEG decoder can work at 1/2, 1/4 or 1/8 scale (draft mode), and PIL's bilinear
            # reduction is antialiased: much cheaper than a full-size Lanczos thumbnail (bench/face.py). The bounding box is square, so
            # doing this before the EXIF rotation gives the same result as after.
            width, height = image.size
            scale = min(1.0, max_side / max(width, height))
            if kind == "JPEG" and scale < 1.0:
                image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))
            image.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=None)
            if orientation != 1:
                image = _transpose(image, orientation)
            rgb = image.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise ImageBomb() from exc
    except FaceImageError:
        raise
    except Exception as exc:  # noqa: BLE001 - truncated data, bad chunks, odd modes
        raise ImageUnreadable() from exc
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(image: Image.Image) -> int:
    # A mangled EXIF block (common after editing apps) must not cost the user the upload.
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001
        return 1
    return value if isinstance(value, int) else 1


def _transpose(image: Image.Image, orientation: int) -> Image.Image:
    # ImageOps.exif_transpose's table, applied by hand because thumbnail() may already have
    # replaced the image's EXIF bookkeeping.
    method = _TRANSPOSE.get(orientation)
    return image.transpose(method) if method is not None else image


__all__ = ["DETECTION_SIDE", "MAX_BYTES", "MAX_SIDE", "check", "load_image", "sniff"]
