"""The 送达报告 PDF: names, causes and rules from the court's systems are text, never markup."""
from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from types import SimpleNamespace

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
from PIL import Image

from receipts.service_report import ReportRow, render_service_report

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=timezone.utc)


def _row(recipient: str, rule: str = "签收即生效", receipt_no: str = "SD1") -> ReportRow:
    return ReportRow(1, recipient, "原告", "短信", "已签收", T0, T0, T0, rule, receipt_no)


def _inspect(pdf: bytes) -> tuple[str, int, int]:
    """(text, image objects, annotations) over every page."""
    document = pdfium.PdfDocument(pdf)
    try:
        images = annotations = 0
        for page in document:
            images += sum(1 for _ in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE], max_depth=5))
            annotations += pdfium_raw.FPDFPage_GetAnnotCount(page.raw)
            page.close()
    finally:
        document.close()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return text.decode(), images, annotations


def test_markup_in_outside_values_is_printed_as_text(tmp_path):
    local = tmp_path / "secret.png"
    Image.new("RGB", (40, 40), (200, 0, 0)).save(local)
    payloads = {
        "image": f'<img src="{local}" width="40" height="40"/>',
        "remote": '<img src="http://127.0.0.1:9/x.png"/>',
        "script": "<script>alert(1)</script>",
        "link": '<a href="javascript:alert(1)">点我</a>',
    }
    court = SimpleNamespace(name='<a href="javascript:alert(2)">法院</a>')
    case = SimpleNamespace(case_number="(2024)桂1202民初1号", cause=payloads["script"],
                           judge='<font color="red">王</font>', clerk="李&amp;")
    rows = [_row(payloads["image"]), _row(payloads["remote"], rule=payloads["link"]),
            _row("张三\x01", receipt_no="<b>SD2</b>")]
    pdf = render_service_report(court, case, rows, generated_at=T0)
    text, images, annotations = _inspect(pdf)
    assert images == 0 and annotations == 0
    assert b"/URI" not in pdf and b"JavaScript" not in pdf
    flat = "".join(text.split())
    for expected in ("<script>alert(1)</script>", 'href="javascript:alert(1)">点我</a>', "<b>SD2</b>",
                     '<fontcolor="red">王</font>', "李&amp;", "法院</a>", "secret.png", "http://127.0.0.1:9/x.png"):
        assert expected.replace(" ", "") in flat, expected


@pytest.mark.parametrize("payload", [
    '<img src="{local}" width="40" height="40"/>', '<img src="http://127.0.0.1:9/x.png"/>',
    "<script>alert(1)</script>", '<a href="javascript:alert(1)">点我</a>', "<unknowntag>",
])
def test_each_payload_as_a_recipient_name(tmp_path, payload):
    local = tmp_path / "s.png"
    Image.new("RGB", (40, 40), (200, 0, 0)).save(local)
    name = payload.format(local=local)
    court = SimpleNamespace(name="示范市城中区人民法院")
    case = SimpleNamespace(case_number="(2024)桂1202民初1号", cause=name, judge=None, clerk=None)
    text, images, annotations = _inspect(render_service_report(court, case, [_row(name)], generated_at=T0))
    assert images == 0 and annotations == 0
    assert name.replace(" ", "") in "".join(text.split())


def test_plain_report_still_renders():
    court = SimpleNamespace(name="示范市城中区人民法院")
    case = SimpleNamespace(case_number="(2024)桂1202民初1号", cause="合同纠纷", judge=None, clerk="李四")
    text, images, annotations = _inspect(render_service_report(court, case, [_row("张三")], generated_at=T0))
    assert "送达报告" in text and "张三" in text and "合同纠纷" in text and images == 0
