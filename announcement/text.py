"""The announcement's text (公告): generated from a template, editable before it goes out, and
never carrying an ID number or a phone number — it is printed in the paper and shown on the
public page, where only what the announcement must state belongs (the court, the case, the
parties' names, the documents, where to collect them and the period)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import ValidationFailed

MAX_TEXT = 3000
MAX_TITLE = 200
# An 18- or 15-digit resident ID, a mobile number, a landline with its area code.
_PERSONAL = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15}|1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?![\dXx])")


@dataclass(frozen=True)
class TextFacts:
    court_name: str
    case_number: str
    recipient_name: str
    parties: tuple[str, ...]
    cause: str
    documents: tuple[str, ...]
    collect_at: str
    abroad: bool


def title_of(facts: TextFacts) -> str:
    return f"{facts.court_name}公告（{facts.case_number}）"[:MAX_TITLE]


def draft_text(facts: TextFacts) -> str:
    """The template: 民事诉讼法 art. 95 (art. 283 for a recipient without a domicile in China)."""
    period, article = ("六十日", "第二百八十三条") if facts.abroad else ("三十日", "第九十五条")
    parties = "、".join(facts.parties) or facts.recipient_name
    cause = f"{facts.cause}纠纷" if facts.cause and not facts.cause.endswith("纠纷") else facts.cause
    documents = "、".join(f"《{d}》" for d in facts.documents) or "诉讼文书"
    collect = facts.collect_at or facts.court_name
    return (f"{facts.recipient_name}：\n"
            f"本院受理{parties}{cause}一案（{facts.case_number}），因无法以其他方式向你送达，"
            f"依照《中华人民共和国民事诉讼法》{article}的规定，向你公告送达{documents}。"
            f"自公告之日起经过{period}，即视为送达。请于公告期满前到{collect}领取上述文书。\n"
            f"{facts.court_name}")


def check_text(title: str, text: str) -> tuple[str, str]:
    title, text = (title or "").strip(), (text or "").strip().replace("\r\n", "\n")
    problems = []
    if not title or len(title) > MAX_TITLE:
        problems.append({"field": "title", "message": f"请填写公告标题（不超过{MAX_TITLE}字）"})
    if not text or len(text) > MAX_TEXT:
        problems.append({"field": "text", "message": f"请填写公告内容（不超过{MAX_TEXT}字）"})
    if _PERSONAL.search(title) or _PERSONAL.search(text):
        problems.append({"field": "text", "message": "公告不得包含身份证号码或电话号码"})
    if problems:
        raise ValidationFailed("公告内容有误", code="announcement_text_invalid", details=problems)
    return title, text
