"""addresses/extraction.py: candidates from a document's text layer; precision and recall on the
generated labelled set (docs/ADDRESSES.md)."""
from __future__ import annotations

import pytest

from addresses.choices import AddressKind
from addresses.extraction import extract, extract_from_pdf
from tests.addresses.corpus import corpus, measure, render_pdf


@pytest.mark.parametrize(("text", "person", "kind", "value"), [
    ("原告：张三，男，汉族，住广西柳州市城中区示范路1号，联系电话13800000000。", "张三",
     AddressKind.HABITUAL_RESIDENCE, "广西柳州市城中区示范路1号"),
    ("被告：某某有限公司，住所地广西北海市海城区北部湾中路3号。", "某某有限公司", AddressKind.REGISTERED,
     "广西北海市海城区北部湾中路3号"),
    ("被告：李四，女，送达地址：浙江省杭州市西湖区文三路10号。", "李四", AddressKind.POSTAL, "浙江省杭州市西湖区文三路10号"),
    ("被告：李四，女，户籍地北京市朝阳区建国路88号。", "李四", AddressKind.REGISTERED, "北京市朝阳区建国路88号"),
])
def test_the_usual_phrasings(text, person, kind, value):
    [candidate] = extract([text])
    assert (candidate.person, candidate.kind, candidate.value, candidate.page) == (person, kind, value, 1)
    assert 0.5 <= candidate.confidence < 1


def test_contract_service_addresses_are_contract_addresses_of_the_named_party():
    pages = ["借款合同\n甲方（出借人）：王芳，身份证号码略\n乙方（借款人）：赵磊", "甲方送达地址：广西北海市海城区北部湾中路3号；"
             "乙方送达地址：广东省广州市天河区体育西路5号。"]
    found = extract(pages)
    assert [(c.person, c.kind, c.page) for c in found] == [("王芳", AddressKind.CONTRACT, 2),
                                                            ("赵磊", AddressKind.CONTRACT, 2)]


@pytest.mark.parametrize("text", ["", "本判决为终审判决。", "原告垫付住宿费3000元。", "原告：张三，住本村3组8号。"])
def test_no_address_no_candidate(text):
    assert extract([text]) == []


def test_a_page_without_a_text_layer_yields_nothing():
    assert extract_from_pdf(render_pdf([""])) == []


def test_precision_and_recall_on_the_labelled_set():
    # 48 generated pleadings and contracts, rendered to PDF and read back through PDFium.
    figures = measure(corpus())
    assert figures["documents"] >= 40
    assert figures["precision"] >= 0.95 and figures["recall"] >= 0.9 and figures["type_accuracy"] >= 0.95
