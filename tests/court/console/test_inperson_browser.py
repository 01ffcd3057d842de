"""外出送达 and 来院领取 in a real headless Chromium: the field page on a phone viewport with the
WeChat in-app browser's user agent (arrive, draw a signature, attach a photo whose upload loses
its connection mid-way and resumes, close, open the receipt), and the desk page on a tablet."""
from __future__ import annotations

import io
import os

from PIL import Image
from playwright.async_api import async_playwright, expect

from centre.dispatch import assign_tasks
from inperson.models import Capture
from service.choices import ServiceMethod, TaskStatus
from service.models import Attempt
from tests.court.console.helpers import totp
from tests.factories import make_staff
from tests.inperson.helpers import META, NOW, inperson_tasks
from tests.servers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_server

WECHAT_UA = ("Mozilla/5.0 (Linux; Android 10; V2001A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
             "Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230202 MicroMessenger/8.0.33 "
             "WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64")
SHOTS = ARTIFACTS / "inperson"


def noisy_jpeg(side: int = 700) -> bytes:
    """A photo big enough to travel in several chunks."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="JPEG", quality=90)
    return out.getvalue()


async def _log_in(page, base: str, account, password: str, secret: str) -> None:
    await page.goto(f"{base}/console/login")
    await page.fill("#login", account.login)
    await page.fill("#password", password)
    await page.fill("#totp", totp(secret))
    await page.click("#submit-login")
    await page.wait_for_load_state()


async def _draw(page, selector: str) -> None:
    await page.locator(selector).scroll_into_view_if_needed()
    box = await page.locator(selector).bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    await page.mouse.move(x + w * 0.1, y + h * 0.6)
    await page.mouse.down()
    for fx, fy in ((0.3, 0.2), (0.5, 0.8), (0.7, 0.3), (0.9, 0.6)):
        await page.mouse.move(x + w * fx, y + h * fy, steps=8)
    await page.mouse.up()


async def test_field_service_on_a_phone_resumes_a_dropped_upload(db, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ns = await inperson_tasks(db, channel="field", assign=False)
    account, password, secret = await make_staff(ns.court, "process_server", settings=db)
    await assign_tasks(ns.dispatcher, [ns.task.id], account.id, now=NOW, meta=META)
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(noisy_jpeg(1000))
    assert photo.stat().st_size > 2 * 256 * 1024
    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(
                    viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True,
                    user_agent=WECHAT_UA, geolocation={"latitude": 24.3265, "longitude": 109.4281},
                    permissions=["geolocation"])
                page = await context.new_page()
                await _log_in(page, base, account, password, secret)
                await page.goto(f"{base}/console/field")
                assert ns.recipient.address_masked in await page.inner_text("#field-tasks")
                assert await page.locator("#field-tasks a[href^='https://uri.amap.com/']").count() == 1
                await page.screenshot(path=SHOTS / "field-tasks.png", full_page=True)
                await page.click(f"#task-{ns.task.id}")
                await page.wait_for_url(f"{base}/console/field/{ns.task.id}")
                await page.click("#arrive")
                await page.wait_for_selector("#arrived:not([hidden])")
                await _draw(page, "#field-signature")
                await page.click("#upload-signature")
                await expect(page.locator("#captures li.capture-done")).to_have_count(1)

                dropped = []

                async def drop_once(route):
                    request = route.request
                    if request.method == "PATCH" and request.headers.get("upload-offset") != "0" and not dropped:
                        await route.fetch()          # the server stores the chunk …
                        dropped.append(request.headers["upload-offset"])
                        await route.abort("connectionreset")   # … and the phone never hears back
                        return
                    await route.continue_()

                await page.route("**/console/api/field/uploads/*", drop_once)
                await page.select_option("#capture-kind", "site_photo")
                await page.set_input_files("#capture-file", str(photo))
                await page.click("#upload-capture")
                await expect(page.locator("#captures li.capture-done")).to_have_count(2, timeout=30_000)
                assert dropped, "the connection was never dropped"
                assert await page.inner_text("#upload-progress") == "上传完成"
                await page.screenshot(path=SHOTS / "field-captures.png", full_page=True)
                await page.select_option("#close-method", "direct")
                await page.click("#close-task")
                await page.wait_for_selector("#close-done:not([hidden])")
                assert "民事诉讼法第87条" in await page.inner_text("#close-done")
                await page.screenshot(path=SHOTS / "field-closed.png", full_page=True)
                receipt = await page.request.get(base + await page.get_attribute("#receipt-link", "href"))
                assert receipt.status == 200 and (await receipt.body()).startswith(b"%PDF")
            finally:
                await browser.close()
    captures = await Capture.filter(attempt_id=ns.task.id).order_by("id")
    assert [c.kind.value for c in captures] == ["signature", "site_photo"]
    assert captures[1].size == photo.stat().st_size and captures[1].latitude == 24.3265
    attempt = await Attempt.get(id=ns.task.id)
    assert (attempt.status, attempt.method) == (TaskStatus.CLOSED, ServiceMethod.DIRECT)


async def test_reception_desk_on_a_tablet(db, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    ns = await inperson_tasks(db, channel="pickup", assign=False)
    account, password, secret = await make_staff(ns.court, "process_server", settings=db)
    live, fingerprint = tmp_path / "live.jpg", tmp_path / "fingerprint.jpg"
    live.write_bytes(noisy_jpeg(320))
    fingerprint.write_bytes(noisy_jpeg(200))
    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1024, "height": 1366}, has_touch=True)
                await _log_in(page, base, account, password, secret)
                await page.goto(f"{base}/console/desk")
                await page.fill("#q-id", ns.id_number)
                await page.click("#search")
                await page.click(f"#open-{ns.task.id}")
                await page.wait_for_url(f"{base}/console/desk/{ns.task.id}")
                await page.fill("#name", ns.recipient.name)
                await page.fill("#id_number", ns.id_number)
                await page.set_input_files("#live_photo", str(live))
                await page.set_input_files("#fingerprint", str(fingerprint))
                await _draw(page, "#signature-pad")
                await page.screenshot(path=SHOTS / "desk-visit.png", full_page=True)
                await page.click("#submit-pickup")
                await page.wait_for_selector("#served")
                assert "直接送达（来院领取）" in await page.inner_text("#served")
                await page.screenshot(path=SHOTS / "desk-served.png", full_page=True)
                receipt = await page.request.get(base + await page.get_attribute("#receipt-link", "href"))
                assert receipt.status == 200 and (await receipt.body()).startswith(b"%PDF")
            finally:
                await browser.close()
    assert (await Attempt.get(id=ns.task.id)).status is TaskStatus.CLOSED
