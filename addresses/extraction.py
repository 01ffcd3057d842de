"""Addresses in litigation materials (诉讼材料中的地址提取): candidates from a document's text layer,
each with the person it belongs to, its page, its type and a confidence, for staff to accept or
reject. Precision and recall on a generated labelled set: docs/ADDRESSES.md."""
from __future__ import annotations

import re
from dataclasses import dataclass

from addresses.choices import AddressKind
from addresses.divisions import divide, repair_district
from addresses.ocr import Ocr, pages_with_ocr
from addresses.people import normal_form

# Parties as pleadings and contracts introduce them: "被告：张三，…", "甲方（出借人）：某某有限公司".
_ROLES = ("申请执行人|被执行人|被上诉人|上诉人|被申请人|申请人|第三人|原告|被告|甲方|乙方|丙方|出借人|借款人|"
          "出租人|承租人|保证人|担保人")
# OCR reads （ as 〈 or <, and ） as 〉 or >.
_PARTY = re.compile(rf"(?P<role>{_ROLES})(?:[（(〈<][^）)〉>]{{1,10}}[）)〉>])?[:：]\s*(?P<name>[^，,。；;：:\s（(〈<]{{2,40}})")
# The phrasings that introduce an address; longer ones first so 住所地 is not read as 住.
_MARKER = re.compile(
    r"(?P<marker>送达地址|户籍所在地|户籍地址|户籍地|住所地|经常居住地|经常居所地|住址|现住|住)"
    r"(?:为|是|在)?[:：]?\s*(?P<value>[^，,。；;\n（(：:]{4,80})")
_WEIGHT = {"送达地址": 0.9, "户籍所在地": 0.9, "户籍地址": 0.9, "户籍地": 0.9, "住所地": 0.85, "经常居住地": 0.85,
           "经常居所地": 0.85, "住址": 0.8, "现住": 0.8, "住": 0.7}
_KIND = {"户籍所在地": AddressKind.REGISTERED, "户籍地址": AddressKind.REGISTERED, "户籍地": AddressKind.REGISTERED,
         "住所地": AddressKind.REGISTERED, "经常居住地": AddressKind.HABITUAL_RESIDENCE,
         "经常居所地": AddressKind.HABITUAL_RESIDENCE, "住址": AddressKind.HABITUAL_RESIDENCE,
         "现住": AddressKind.HABITUAL_RESIDENCE, "住": AddressKind.HABITUAL_RESIDENCE}
_CONTRACT = re.compile(r"(合同|协议)")
_DETAIL = re.compile(r"[0-9０-９]|[号室栋楼路街道巷村组弄]")
_TRAILING = re.compile(r"(?:联系电话|电话|手机|邮编|邮政编码).*$")
# Where the next paragraph starts once the page's lines are joined: a party heading, a numbered
# clause, a section of the pleading.
_NEXT = re.compile(rf"(?:(?:{_ROLES}|法定代表人|负责人|委托诉讼代理人)(?:（|\(|[:：]|$)|第[一二三四五六七八九十百]+条|"
                   r"诉讼请求|事实与理由|此致|签订地点).*$")
THRESHOLD = 0.5
OCR_FACTOR = 0.85


@dataclass(frozen=True)
class Candidate:
    person: str          # "" when no party is named before it
    kind: AddressKind
    value: str
    page: int            # 1-based
    confidence: float
    adcode: str


def extract(pages: list[str], *, ocr_pages: frozenset[int] | set[int] = frozenset()) -> list[Candidate]:
    """Candidates at or above ``THRESHOLD`` from the pages' text, in reading order, each once. On
    ``ocr_pages`` (read by OCR) a candidate is less certain: characters may be misread."""
    joined = [_join(text) for text in pages]
    contract = any(_CONTRACT.search(text[:200]) for text in joined[:1])
    names: dict[str, str] = {}
    person = ""
    found: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    for number, text in enumerate(joined, start=1):
        events = sorted([(m.start(), "party", m) for m in _PARTY.finditer(text)]
                        + [(m.start(), "address", m) for m in _MARKER.finditer(text)], key=lambda e: e[0])
        for _, what, match in events:
            if what == "party":
                person = match["name"]
                names.setdefault(match["role"], person)
                continue
            candidate = _candidate(match, text, names, person, number, contract, number in ocr_pages)
            if candidate and (key := (candidate.person, normal_form(candidate.value))) not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def _join(text: str) -> str:
    # The text layer breaks lines where the page wrapped them; Chinese text has no spaces to keep.
    return "".join(line.strip() for line in text.replace("\r\n", "\n").split("\n"))


def _candidate(match: re.Match, text: str, names: dict[str, str], person: str, page: int,
               contract: bool, ocr: bool) -> Candidate | None:
    marker = match["marker"]
    value = _NEXT.sub("", _TRAILING.sub("", match["value"])).strip()
    if len(value) < 5:
        return None
    # "甲方送达地址：…": the role right before the marker names the person.
    before = text[max(0, match.start() - 6):match.start()]
    for role, name in names.items():
        if before.endswith(role) or before.endswith(f"{role}的"):
            person = name
    if ocr:
        value = repair_district(value)
    division = divide(value)
    confidence = _WEIGHT[marker] * (1.0 if division else 0.4) + (0.05 if _DETAIL.search(value) else -0.1)
    confidence = round(min(confidence, 0.99) * (OCR_FACTOR if ocr else 1.0), 2)
    if confidence < THRESHOLD:
        return None
    kind = (AddressKind.CONTRACT if contract else AddressKind.POSTAL) if marker == "送达地址" else _KIND[marker]
    return Candidate(person=person, kind=kind, value=value, page=page, confidence=confidence,
                     adcode=division.adcode if division else "")


def extract_from_pdf(pdf: bytes, ocr: Ocr | None = None) -> list[Candidate]:
    """From the PDF's text layer (pypdfium2), and from scanned pages through ``ocr`` when given
    (without it a page with no text layer yields nothing)."""
    texts, read = pages_with_ocr(pdf, ocr)
    return extract(texts, ocr_pages=read)
