"""委托送达函: the letter court A sends with the documents (民诉法解释 art. 134: the letter, the
documents to serve and the 送达回证), sealed with A's court seal (receipts/seal.py)."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from receipts.layout import FONT, TextStyle, register_fonts, wrap
from receipts.seal import Sealer


@dataclass(frozen=True)
class LetterData:
    letter_no: str
    from_court: str
    to_court: str
    case_number: str
    recipient_name: str
    recipient_address: str
    documents: tuple[str, ...]
    due_at: datetime
    return_address: str
    dated: datetime


def render_letter(data: LetterData) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    pdf.setFont(FONT, 20)
    pdf.drawCentredString(width / 2, height - 80, "委托送达函")
    pdf.setFont(FONT, 11)
    pdf.drawCentredString(width / 2, height - 104, data.letter_no)
    lines = [f"{data.to_court}：",
             f"本院受理的{data.case_number}案件，需向受送达人{data.recipient_name}送达下列诉讼文书。",
             f"受送达人地址：{data.recipient_address or '（未登记）'}",
             "依照《中华人民共和国民事诉讼法》第九十一条、《最高人民法院关于适用〈中华人民共和国民事诉讼法〉的解释》"
             "第一百三十四条的规定，特委托贵院代为送达，请自收到本函及所附文书之日起十日内代为送达，"
             f"并于{data.due_at.strftime('%Y年%m月%d日')}前将送达回证寄回本院。",
             "所附文书："]
    lines += [f"    {i}. 《{title}》" for i, title in enumerate(data.documents, 1)] + ["    送达回证一份"]
    lines += [f"回执地址：{data.return_address}", "", f"{data.from_court}",
              data.dated.strftime("%Y年%m月%d日")]
    style, y = TextStyle(size=11), height - 150
    for line in (part for text in lines for part in wrap(text, style, width - 120) or [""]):
        if y < 60:   # a long list of documents continues on the next page
            pdf.showPage()
            pdf.setFont(FONT, 11)
            y = height - 60
        pdf.drawString(60, y, line)
        y -= 20
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


async def sealed_letter(data: LetterData, sealer: Sealer) -> bytes:
    return await sealer.seal_async(render_letter(data), location=data.from_court)
