"""/console/mail: a process server's happy path (batch → print → waybill → scan → card) and bad
input answered with a clear Chinese 4xx, never a 500; the carrier push refuses a bad signature."""
from __future__ import annotations

import hashlib
import io
import json

import pypdfium2 as pdfium

from mail.choices import PriceBand
from mail.models import MailItem, PrintBatch
from service.models import Attempt, Court
from tests.court.console.helpers import csrf, post_login, totp
from tests.factories import make_court, make_staff
from tests.mail.helpers import LIUZHOU, mail_tasks


async def _server(http, db):
    court = await make_court()
    account, password, secret = await make_staff(court, "process_server", settings=db)
    people, tasks, storage = await mail_tasks(db, [LIUZHOU.format(n=1), LIUZHOU.format(n=2)], court=court,
                                              assignee_id=account.id)
    done = await post_login(http, account.login, password, totp(secret))
    assert done.status_code == 303
    page = await http.get("/console/mail")
    assert page.status_code == 200 and "待打印的邮寄任务" in page.text
    return court, tasks, csrf(page.text)


def _card_png(pdf: bytes, item: MailItem) -> bytes:
    image = pdfium.PdfDocument(pdf)[2 + item.pages - 2].render(scale=150 / 72).to_pil()
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def test_happy_path_from_tasks_to_a_confirmed_card(http, db):
    _, tasks, token = await _server(http, db)
    made = await http.post("/console/mail/batches", data={"csrf_token": token, "task_id": [str(t.id) for t in tasks]})
    assert made.status_code == 303, made.text
    batch = await PrintBatch.first()
    assert made.headers["location"] == f"/console/mail/batches/{batch.id}"
    page = await http.get(made.headers["location"])
    assert page.status_code == 200 and "下载打印文件" in page.text
    pdf = await http.get(f"/console/mail/batches/{batch.id}/print.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    manifest = await http.get(f"/console/mail/batches/{batch.id}/manifest.csv")
    assert manifest.status_code == 200 and "code" in manifest.text
    assert (await http.get(f"/console/mail/batches/{batch.id}/manifest.json")).json()["item_count"] == 2
    items = await MailItem.filter(batch_id=batch.id).order_by("id")
    entered = await http.post(f"/console/mail/items/{items[0].id}/waybill",
                              data={"csrf_token": token, "waybill": "EA123456781CN"})
    assert entered.status_code == 303
    twice = await http.post(f"/console/mail/items/{items[1].id}/waybill",
                            data={"csrf_token": token, "waybill": "EA123456781CN"})
    assert twice.status_code == 409 and "已登记在邮件" in twice.text
    # The task page shows the item and its waybill, and links to the mail pages.
    task_page = await http.get(f"/console/tasks/{items[0].attempt_id}")
    assert task_page.status_code == 200 and 'id="mail-tracking"' in task_page.text
    assert "EA123456781CN" in task_page.text and 'href="/console/mail"' in task_page.text
    # The court's clerk sees the same on the case and recipient pages.
    server_cookies = dict(http.cookies)
    http.cookies.clear()
    clerk, password, secret = await make_staff(await Court.get(id=items[0].court_id), "clerk", settings=db)
    assert (await post_login(http, clerk.login, password, totp(secret))).status_code == 303
    attempt = await Attempt.get(id=items[0].attempt_id).prefetch_related("service")
    for url in (f"/console/cases/{attempt.service.case_id}", f"/console/recipients/{attempt.recipient_id}"):
        shown = await http.get(url)
        assert shown.status_code == 200 and "EA123456781CN" in shown.text, url
    http.cookies.clear()
    http.cookies.update(server_cookies)
    upload = await http.post("/console/mail/scans", data={"csrf_token": token},
                             files={"file": ("card.png", _card_png(pdf.content, items[0]), "image/png")})
    assert upload.status_code == 303, upload.text
    item_page = await http.get(f"/console/mail/items/{items[0].id}")
    assert "扫描件" in item_page.text and "EA123456781CN" in item_page.text
    from datetime import datetime, timezone

    from web.templating import BEIJING
    today = datetime.now(timezone.utc).astimezone(BEIJING).strftime("%Y-%m-%d")
    confirmed = await http.post(f"/console/mail/items/{items[0].id}/card", data={
        "csrf_token": token, "received_on": today, "signer": "recipient", "signer_name": "王小明"})
    assert confirmed.status_code == 303, confirmed.text
    shown = await http.get(confirmed.headers["location"])
    assert "回执已确认" in shown.text and "民事诉讼法第91条" in shown.text
    month = today[:7]
    statement = await http.get(f"/console/mail/statement?month={month}&format=xlsx")
    assert statement.status_code == 200 and statement.content.startswith(b"PK")
    assert (await http.get(f"/console/mail/statement?month={month}")).content.startswith(b"%PDF-")


async def test_bad_input_is_a_clear_4xx_in_chinese(http, db):
    _, tasks, token = await _server(http, db)
    bad_id = await http.post("/console/mail/batches", data={"csrf_token": token, "task_id": ["x1"]})
    assert bad_id.status_code == 422 and "任务编号无效" in bad_id.text
    none = await http.post("/console/mail/batches", data={"csrf_token": token})
    assert none.status_code == 422 and "请选择" in none.text
    other = await make_court("桂0102", "南宁市青秀区人民法院")
    _, foreign, _ = await mail_tasks(db, [LIUZHOU.format(n=9)], court=other)
    refused = await http.post("/console/mail/batches", data={"csrf_token": token, "task_id": [str(foreign[0].id)]})
    assert refused.status_code == 404 and "不存在" in refused.text
    assert (await http.get("/console/mail/batches/999999")).status_code == 404
    await http.post("/console/mail/batches", data={"csrf_token": token, "task_id": [str(tasks[0].id)]})
    item = await MailItem.first()
    waybill = await http.post(f"/console/mail/items/{item.id}/waybill", data={"csrf_token": token, "waybill": "12-ab"})
    assert waybill.status_code == 422 and "单号格式不正确" in waybill.text
    date = await http.post(f"/console/mail/items/{item.id}/card", data={"csrf_token": token, "received_on": "2026/13/40"})
    assert date.status_code == 422 and "格式应为" in date.text
    no_scan = await http.post(f"/console/mail/items/{item.id}/card", data={
        "csrf_token": token, "received_on": "2020-01-01", "signer": "recipient", "signer_name": "王小明"})
    assert no_scan.status_code == 422 and "回执扫描件" in no_scan.text
    fake_png = await http.post("/console/mail/scans", data={"csrf_token": token},
                               files={"file": ("card.png", b"not an image", "image/png")})
    assert fake_png.status_code == 422 and "文件内容与类型不符" in fake_png.text
    no_file = await http.post(f"/console/mail/batches/{item.batch_id}/waybills", data={"csrf_token": token})
    assert no_file.status_code == 422 and "清单" in no_file.text
    month = await http.get("/console/mail/statement?month=2026-13")
    assert month.status_code == 422 and "月份格式" in month.text
    assert (await http.get("/console/mail/statement?month=2026-01&format=doc")).status_code == 422
    assert (await http.get("/console/mail/statement?month=0001-01")).status_code == 422
    assert (await http.get("/console/mail/statement?month=9999-12")).status_code == 422
    assert (await http.get("/console/mail/scans/99999999999")).status_code == 404
    assert (await http.get("/console/mail/items/99999999999")).status_code == 404
    ancient = await http.post(f"/console/mail/items/{item.id}/card", data={
        "csrf_token": token, "returned_on": "0001-01-01", "return_reason": "refused"})
    assert ancient.status_code == 422
    no_csrf = await http.post(f"/console/mail/items/{item.id}/waybill", data={"waybill": "EA123456781CN"})
    assert no_csrf.status_code == 403
    assert await Court.all().count() == 2


async def test_the_carrier_push_refuses_a_bad_signature(http, db):
    param = json.dumps({"waybill": "EA123456781CN"})
    forged = await http.post("/mail/kuaidi100/push", data={"param": param, "sign": "0" * 32})
    assert forged.status_code == 403 and forged.json()["result"] is False
    sign = hashlib.md5((param + "dev").encode()).hexdigest().upper()
    good = await http.post("/mail/kuaidi100/push", data={"param": param, "sign": sign})
    assert good.status_code == 200 and good.json() == {"result": True, "returnCode": "200", "message": "成功"}


async def test_kuaidi100_pushes_through_the_route_are_verified_and_recorded(app, http, db, caplog):
    from mail.carriers.kuaidi100 import Kuaidi100Carrier
    from mail.models import TrackingEvent
    from tests.fakes.kuaidi100 import FakeKuaidi100
    from tests.mail.helpers import NOW

    _, tasks, token = await _server(http, db)
    await http.post("/console/mail/batches", data={"csrf_token": token, "task_id": [str(tasks[0].id)]})
    item = await MailItem.first()
    fake = FakeKuaidi100().start()
    try:
        app.ctx.mail_carrier = Kuaidi100Carrier(customer=fake.customer, key=fake.key, salt=fake.salt,
                                                base_url=fake.base_url)
        entered = await http.post(f"/console/mail/items/{item.id}/waybill",
                                  data={"csrf_token": token, "waybill": "EA123456781CN"})
        assert entered.status_code == 303
        assert fake.subscriptions == {"EA123456781CN": "http://127.0.0.1:8000/mail/kuaidi100/push"}
        fake.add_line("EA123456781CN", NOW, "1", "已收寄")
        forged = await http.post("/mail/kuaidi100/push", data=fake.push_form("EA123456781CN", salt="forged"))
        assert forged.status_code == 403 and "签名无效" in forged.json()["message"]
        assert "bad signature" in caplog.text
        good = await http.post("/mail/kuaidi100/push", data=fake.push_form("EA123456781CN"))
        assert good.status_code == 200 and good.json()["result"] is True
        assert await TrackingEvent.filter(item_id=item.id).count() == 1
        page = await http.get(f"/console/mail/items/{item.id}")
        assert "已收寄" in page.text
    finally:
        fake.close()


async def test_an_admin_sets_prices_and_nonsense_amounts_are_refused(http, db):
    court = await make_court()
    account, password, secret = await make_staff(court, "admin", settings=db)
    assert (await post_login(http, account.login, password, totp(secret))).status_code == 303
    page = await http.get("/console/mail/prices")
    assert page.status_code == 200 and "8.00" in page.text
    token = csrf(page.text)
    form = {"csrf_token": token, "origin": "广西壮族自治区北海市海城区法院路1号", "printing": "8",
            "same_city": "20", "same_province": "30.5", "other_province": "40"}
    for bad in ("nan", "inf", "1e3", "-1", "", "１２"):
        refused = await http.post("/console/mail/prices", data=form | {"same_city": bad})
        assert refused.status_code == 422 and "应为金额" in refused.text, bad
    nowhere = await http.post("/console/mail/prices", data=form | {"origin": "火星"})
    assert nowhere.status_code == 422 and "无法识别" in nowhere.text
    saved = await http.post("/console/mail/prices", data=form)
    assert saved.status_code == 303
    from mail.costs import prices_of
    table = await prices_of(court.id)
    assert (table.origin, table.printing_fen, table.postage_fen[PriceBand.SAME_PROVINCE]) == (
        "广西壮族自治区北海市海城区法院路1号", 800, 3050)
