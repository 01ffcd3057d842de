"""The CJK font every generated PDF embeds (receipts, reports, print batches, statements):
WenQuanYi Micro Hei from Debian's fonts-wqy-microhei. noto-cjk's CFF outlines do not load in
reportlab."""
from __future__ import annotations

from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT = "WQYMicroHei"


@cache
def register_fonts() -> None:
    """Parse the font file once per process (~0.15 s); later renders only subset it."""
    try:
        pdfmetrics.registerFont(TTFont(FONT, FONT_PATH, subfontIndex=0))
    except Exception as exc:  # TTFError / OSError: say what to install
        raise RuntimeError(f"无法加载中文字体 {FONT_PATH}：请安装 Debian 软件包 fonts-wqy-microhei") from exc
