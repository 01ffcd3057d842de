"""The seal's visible appearance (印章图样) on a receipt, at the 送达人 position.

Production uses the court's seal image (SONGDA_SEAL_IMAGE_PATH, a PNG with a transparent
background). Dev, and any setup without one, draws a stand-in: a red ring with the court's name
and a star, marked 测试 across it, so nobody mistakes it for a real seal. The appearance is only
what a reader sees; the proof is the PAdES signature it carries (receipts/seal.py).
"""
from __future__ import annotations

import io
import math
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from core.settings import ConfigurationError
from documents.pdf_fonts import FONT_PATH

SIDE = 600          # pixels of the stand-in: sharp at the 36 mm it is printed
SEAL_RED = (200, 16, 16, 235)
MAX_SEAL_SIDE = 4000


def load_seal_image(path: Path) -> Image.Image:
    """The court's seal image, checked once at start-up."""
    try:
        with Image.open(path) as image:
            if max(image.size) > MAX_SEAL_SIDE:
                raise ConfigurationError(f"SONGDA_SEAL_IMAGE_PATH={path} 图片过大（最长边不超过 {MAX_SEAL_SIDE} 像素）")
            return image.convert("RGBA")
    except (OSError, UnidentifiedImageError) as exc:
        raise ConfigurationError(f"SONGDA_SEAL_IMAGE_PATH={path} 无法读取印章图片（需要 PNG）") from exc


@lru_cache(maxsize=32)
def stand_in_seal(court_name: str) -> Image.Image:
    """A dev stand-in seal for ``court_name``, marked 测试."""
    image = Image.new("RGBA", (SIDE, SIDE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    centre, ring = SIDE / 2, SIDE / 2 - 12
    draw.ellipse((12, 12, SIDE - 12, SIDE - 12), outline=SEAL_RED, width=18)
    _star(draw, centre, centre, 80)
    name = court_name or "人民法院"
    font = ImageFont.truetype(FONT_PATH, 62, index=0)
    # The court's name along the top of the ring, one character at a time, as on a real seal.
    spread = min(250.0, 24.0 * len(name))
    for i, char in enumerate(name):
        angle = -90 - spread / 2 + spread * (i + 0.5) / len(name)
        radius = ring - 62
        x = centre + radius * math.cos(math.radians(angle))
        y = centre + radius * math.sin(math.radians(angle))
        glyph = Image.new("RGBA", (80, 80), (255, 255, 255, 0))
        ImageDraw.Draw(glyph).text((40, 40), char, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-(angle + 90), resample=Image.BICUBIC)
        image.alpha_composite(glyph, (int(x - 40), int(y - 40)))
    label = ImageFont.truetype(FONT_PATH, 54, index=0)
    draw.text((centre, centre + 150), "送达专用章", font=label, fill=SEAL_RED, anchor="mm")
    mark = ImageFont.truetype(FONT_PATH, 150, index=0)
    draw.text((centre, centre + 10), "测试", font=mark, fill=(30, 30, 30, 200), anchor="mm",
              stroke_width=4, stroke_fill=(255, 255, 255, 220))
    return image


@lru_cache(maxsize=32)
def plain_mark(court_name: str) -> Image.Image:
    """Production without a seal image: no seal-like drawing, only a framed 电子签章 text, so the
    signature's place is visible without imitating a seal."""
    image = Image.new("RGBA", (SIDE, SIDE), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 170, SIDE - 10, SIDE - 170), outline=SEAL_RED, width=8)
    font = ImageFont.truetype(FONT_PATH, 44 if len(court_name) > 11 else 52, index=0)
    draw.text((SIDE / 2, SIDE / 2 - 40), court_name or "人民法院", font=font, fill=SEAL_RED, anchor="mm")
    draw.text((SIDE / 2, SIDE / 2 + 50), "电子签章", font=font, fill=SEAL_RED, anchor="mm")
    return image


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.4
        angle = math.radians(-90 + 36 * k)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=SEAL_RED)


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
