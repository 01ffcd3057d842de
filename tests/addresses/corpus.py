"""A generated, labelled set of pleadings and contracts for measuring address extraction
(docs/ADDRESSES.md): ``python -m tests.addresses.corpus`` prints precision and recall."""
from __future__ import annotations

import io
import random
from dataclasses import dataclass

from addresses.choices import AddressKind

PLACES = ["广西壮族自治区柳州市城中区", "广西北海市海城区", "广东省广州市天河区", "浙江省杭州市西湖区", "北京市朝阳区",
          "上海市浦东新区", "湖南省长沙市岳麓区", "四川省成都市武侯区", "柳州市鱼峰区", "江苏省南京市鼓楼区",
          "新疆维吾尔自治区乌鲁木齐市天山区", "河南省郑州市金水区"]
STREETS = ["示范路{n}号", "北部湾中路{n}号{m}栋{k}室", "体育西路{n}号", "文三路{n}号{m}单元", "建国路{n}号院{m}号楼",
           "世纪大道{n}号", "麓山南路{n}弄{m}号", "人民南路四段{n}号", "柳石路{n}号{m}栋", "中山北路{n}号"]
PEOPLE = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷", "徐明", "孙丽"]
COMPANIES = ["柳州市示范贸易有限公司", "北海某某建材有限公司", "广州天河某科技有限公司", "杭州西湖某商贸有限公司"]


@dataclass(frozen=True)
class Labelled:
    kind: str                                  # "pleading" | "contract"
    pages: list[str]
    truth: list[tuple[str, str, AddressKind]]  # (person, address, type)


def _address(rng: random.Random) -> str:
    street = rng.choice(STREETS).format(n=rng.randint(1, 300), m=rng.randint(1, 20), k=rng.randint(101, 2405))
    return rng.choice(PLACES) + street


def pleading(rng: random.Random) -> Labelled:
    truth = []
    plaintiff, defendant = rng.sample(PEOPLE, 2)
    lines = ["民事起诉状"]
    home = _address(rng)
    phrasing = rng.choice(["住{a}", "住址：{a}", "现住{a}"])
    lines.append(f"原告：{plaintiff}，男，1985年3月2日出生，汉族，{phrasing.format(a=home)}，联系电话138{rng.randint(10**7, 10**8 - 1)}。")
    truth.append((plaintiff, home, AddressKind.HABITUAL_RESIDENCE))
    if rng.random() < 0.5:
        company = rng.choice(COMPANIES)
        seat = _address(rng)
        lines.append(f"被告：{company}，住所地{seat}。法定代表人：{defendant}，总经理。")
        truth.append((company, seat, AddressKind.REGISTERED))
    else:
        registered, service = _address(rng), _address(rng)
        lines.append(f"被告：{defendant}，女，1990年7月9日出生，汉族，户籍地{registered}，送达地址：{service}。")
        truth += [(defendant, registered, AddressKind.REGISTERED), (defendant, service, AddressKind.POSTAL)]
    lines.append("委托诉讼代理人：赵律师，广西某某律师事务所律师。")
    lines.append("诉讼请求：1.判令被告偿还借款本金100000元及利息；2.本案诉讼费用由被告承担。")
    # Distractors: the court's address, lodging costs, a village with no division named.
    lines.append(f"事实与理由：双方于2024年在{rng.choice(PLACES)}签订借款合同，原告垫付住宿费3000元。")
    if rng.random() < 0.3:
        hard = f"本村{rng.randint(1, 9)}组{rng.randint(1, 50)}号"
        lines.append(f"第三人：{rng.choice(PEOPLE)}，住{hard}。")  # no division: a realistic miss
        truth.append((lines[-1].split("：")[1].split("，")[0], hard, AddressKind.HABITUAL_RESIDENCE))
    lines.append("此致")
    lines.append(f"{rng.choice(['柳州市城中区人民法院', '北海市海城区人民法院'])}（本院地址：{_address(rng)}）")
    pages = ["\n".join(lines[:4]), "\n".join(lines[4:])]
    return Labelled("pleading", pages, truth)


def contract(rng: random.Random) -> Labelled:
    lender, borrower = rng.sample(PEOPLE, 2)
    a, b, home = _address(rng), _address(rng), _address(rng)
    lines = ["借款合同", f"甲方（出借人）：{lender}，身份证号码略，住{home}",
             f"乙方（借款人）：{borrower}，身份证号码略",
             "第一条 借款金额：人民币伍万元整。", "第二条 借款期限：自2024年1月1日起至2024年12月31日止。",
             "第八条 双方确认以下送达地址，适用于发生纠纷时的诉讼、仲裁送达：",
             f"甲方送达地址：{a}；", f"乙方送达地址：{b}。",
             f"签订地点：{rng.choice(PLACES)}", "甲方（签字）：          乙方（签字）："]
    truth = [(lender, home, AddressKind.HABITUAL_RESIDENCE), (lender, a, AddressKind.CONTRACT),
             (borrower, b, AddressKind.CONTRACT)]
    return Labelled("contract", ["\n".join(lines[:5]), "\n".join(lines[5:])], truth)


def corpus(n: int = 48, seed: int = 19) -> list[Labelled]:
    rng = random.Random(seed)
    return [pleading(rng) if i % 2 == 0 else contract(rng) for i in range(n)]


def render_pdf(pages: list[str]) -> bytes:
    """A text-layer PDF, wrapped at a narrow width so addresses break across lines as on paper."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from receipts.layout import FONT, register_fonts

    register_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for page in pages:
        y = 800
        for line in page.split("\n"):
            for start in range(0, len(line), 30):
                c.setFont(FONT, 12)
                c.drawString(60, y, line[start:start + 30])
                y -= 18
        c.showPage()
    c.save()
    return out.getvalue()


def render_scan(pages: list[str]) -> bytes:
    """The same pages as a scan: image-only PDF pages (grey, JPEG-compressed), no text layer."""
    import pypdfium2 as pdfium

    source = pdfium.PdfDocument(render_pdf(pages))
    images = [source[i].render(scale=200 / 72).to_pil().convert("L") for i in range(len(source))]
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=200, quality=70)
    return out.getvalue()


def _distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def measure(documents: list[Labelled], *, scanned: bool = False, ocr=None) -> dict[str, float]:
    """Exact: same person and the same address character for character. Near: within two
    characters (an OCR misreading staff correct when they accept it)."""
    from addresses.extraction import extract_from_pdf
    from addresses.people import normal_form

    exact = near = predicted = relevant = kinds_right = 0
    for doc in documents:
        pdf = render_scan(doc.pages) if scanned else render_pdf(doc.pages)
        found = extract_from_pdf(pdf, ocr)
        truth = {(p, normal_form(v)): k for p, v, k in doc.truth}
        got = {(c.person, normal_form(c.value)): c.kind for c in found}
        predicted += len(got)
        relevant += len(truth)
        hits = set(got) & set(truth)
        exact += len(hits)
        kinds_right += sum(got[h] == truth[h] for h in hits)
        near += sum(any(p == q and _distance(v, w) <= 2 for q, w in got) for p, v in truth)
    return {"documents": len(documents), "labelled": relevant, "predicted": predicted,
            "precision": exact / max(predicted, 1), "recall": exact / relevant,
            "near_recall": near / relevant, "type_accuracy": kinds_right / max(exact, 1)}


if __name__ == "__main__":
    import sys

    from addresses.ocr import TesseractOcr

    docs = corpus()
    print("text layer:", measure(docs))
    if "--scanned" in sys.argv:
        print("scanned (Tesseract chi_sim):", measure(docs, scanned=True, ocr=TesseractOcr()))
