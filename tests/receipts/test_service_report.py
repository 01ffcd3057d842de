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


async def test_report_lists_every_attempt_and_the_evidence_and_agrees_with_the_sealed_receipt(db):
    """A case whose first recipient signed by SMS (receipt sealed) and was also served by mail,
    with a return-card scan; the second failed by phone with a note that looks like markup."""
    from datetime import timedelta
    from hashlib import sha256

    from app.demo import walk_and_sign
    from audit.events import RequestMeta
    from centre.dispatch import assign_tasks
    from centre.evidence import attach_evidence
    from centre.handling import Closing, close_task
    from documents.storage import LocalStorage
    from receipts.seal import Sealer
    from receipts.service_report import report_evidence, report_rows
    from receipts.worker import seal_pending_receipts
    from service.choices import FailureReason, Outcome, ServiceMethod
    from service.models import Attempt, Case, Court, Delivery, Receipt
    from tests.centre.helpers import centre_people
    from tests.centre.media import jpeg
    from tests.factories import make_court, recipient_body, serve_people

    now, meta = datetime.now(timezone.utc), RequestMeta.none()
    court = await make_court()
    dispatcher, server, _, _ = await centre_people(db, court)
    service, people, _ = await serve_people(db, [recipient_body(name="张三", channels=["sms", "mail"]),
                                                 recipient_body(name="李四", channels=["phone"])], court=court)
    storage = LocalStorage(db.files_dir)
    await walk_and_sign((await Delivery.get(recipient_id=people[0].id, channel="sms")).id, storage=storage,
                        now=now - timedelta(hours=2))
    assert await seal_pending_receipts(sealer=Sealer.from_settings(db), storage=storage, settings=db,
                                       worker_id="test", now=now) == 1
    mail = await Attempt.get(recipient_id=people[0].id, channel="mail")
    phone = await Attempt.get(recipient_id=people[1].id, channel="phone")
    await assign_tasks(dispatcher, [mail.id, phone.id], server.staff_id, now=now, meta=meta)
    scan = jpeg()
    await attach_evidence(server, mail.id, data=scan, filename='<img src="x">回执.jpg', description="",
                          storage=storage, max_bytes=10_000_000, now=now, meta=meta)
    await close_task(server, mail.id, Closing(Outcome.SERVED, ServiceMethod.MAIL, now - timedelta(hours=1)),
                     now=now, meta=meta)
    await close_task(server, phone.id, Closing(Outcome.FAILED, failure_reason=FailureReason.OTHER,
                                               failure_text="<b>空号</b>"), now=now, meta=meta)

    case = await Case.get(id=service.case_id)
    rows, evidence = await report_rows(case), await report_evidence(case)
    assert [(r.recipient, r.channel) for r in rows] == [("张三", "短信链接"), ("张三", "邮寄送达"), ("李四", "电话联系")]
    receipt = await Receipt.get(recipient_id=people[0].id)
    # Sealed facts are final: the earlier-signed receipt's time, not the later mail, for 张三.
    assert {r.effective_at for r in rows[:2]} == {receipt.effective_at} and receipt.effective_at is not None
    assert rows[1].result == "送达成功（邮寄送达（回执签收））" and rows[2].result == "送达失败（其他：<b>空号</b>）"
    assert rows[2].effective_at is None
    assert [(e.filename, e.size, e.sha256, e.uploaded_by) for e in evidence] == [
        ('<img src="x">回执.jpg', len(scan), sha256(scan).hexdigest(), "李书记员")]

    pdf = render_service_report(await Court.get(id=court.id), case, rows, generated_at=now, evidence=evidence)
    text, images, annotations = _inspect(pdf)
    flat = "".join(text.split())
    assert images == 0 and annotations == 0
    for expected in ("证据材料清单", "邮寄送达（回执签收）", "<b>空号</b>", '<imgsrc="x">回执.jpg', sha256(scan).hexdigest(),
                     "李书记员", receipt.receipt_no, "电话联系", "3条送达记录，1份证据材料"):
        assert expected in flat, expected
