"""送达地址确认书 in a real headless Chromium, phone-sized and desktop: a litigant logs in, opens
the form from the case page, types a province that does not exist (a Chinese message, nothing
sent), corrects it, gets the code, signs on the pad and downloads the sealed confirmation."""
from __future__ import annotations

from playwright.async_api import async_playwright

from addresses.models import AddressConfirmation
from tests.factories import phone
from tests.portal.test_link_browser import _draw_signature
from tests.portal.test_portal_browser import VIEWPORTS, _texted_code
from tests.portal.test_portal_login import last_code, person, serve
from tests.servers import CHROMIUM, CHROMIUM_ARGS, artifact, running_server

POSTAL = "广西壮族自治区北海市海城区北部湾中路12号"


async def _login(page, base: str, db, number: str) -> None:
    await page.goto(f"{base}/portal/login")
    await page.fill("#phone", number)
    await page.click("#send-code")
    await page.wait_for_selector("#sent")
    await page.fill("#code", await _texted_code(db, number))
    await page.click("#verify")
    await page.wait_for_url(f"{base}/portal/")


async def _walk(page, base: str, db, number: str, service, name: str) -> None:
    await _login(page, base, db, number)
    await page.goto(f"{base}/portal/cases/{service.case_id}")
    await page.click("#open-confirmation")
    url = f"{base}/portal/cases/{service.case_id}/address-confirmation"
    await page.wait_for_url(url)
    assert "****" in await page.locator("#on-file").inner_text()
    await page.fill("#postal", "火星省奥林匹斯市环形山路1号")
    await page.fill("#email", "wang@example.com")
    await page.check("#accepted")
    await page.click("#send-code")
    await page.wait_for_selector("#error")
    assert "地址中没有可识别的省、市、区县" in await page.locator("#error").inner_text()
    await page.screenshot(path=artifact(f"confirmation-{name}-bad-province.png"), full_page=True)
    await page.fill("#postal", POSTAL)
    await page.screenshot(path=artifact(f"confirmation-{name}-form.png"), full_page=True)
    await page.click("#send-code")
    await page.wait_for_selector("#code-sent")
    await _draw_signature(page)
    await page.fill("#code", last_code(db, number))
    await page.screenshot(path=artifact(f"confirmation-{name}-sign.png"), full_page=True)
    await page.click("#submit-confirmation")
    await page.wait_for_selector("#confirmed")
    number_shown = (await page.locator("#confirmation-no").inner_text()).strip()
    assert await AddressConfirmation.filter(confirmation_no=number_shown).exists()
    await page.screenshot(path=artifact(f"confirmation-{name}-done.png"), full_page=True)
    async with page.expect_download() as info:
        await page.click("#download-pdf")
    download = await info.value
    await download.save_as(artifact(f"confirmation-{name}.pdf"))
    assert artifact(f"confirmation-{name}.pdf").read_bytes().startswith(b"%PDF-")


async def test_confirmation_form_in_chromium(db):
    walks = []
    for _ in VIEWPORTS:
        number = phone()
        service, _, _ = await serve(db, [person("a", number)], documents=1)
        walks.append((number, service))
    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for (name, viewport), (number, service) in zip(VIEWPORTS.items(), walks):
                    page = await browser.new_page(viewport=viewport, accept_downloads=True)
                    problems: list[str] = []
                    page.on("console", lambda m, problems=problems: problems.append(m.text)
                            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
                    page.on("response", lambda r, problems=problems: problems.append(f"{r.status} {r.url}")
                            if r.status >= 400 and r.status != 422 and not r.url.endswith("/favicon.ico") else None)
                    await _walk(page, base, db, number, service, name)
                    assert not problems, problems
                    await page.close()
            finally:
                await browser.close()
    assert await AddressConfirmation.all().count() == len(VIEWPORTS)
