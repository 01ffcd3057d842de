"""Portal login in a real headless Chromium, phone-sized and desktop: a lawyer logs in with the
code from the dev SMS outbox, sees the case they were served in, downloads the case's zip, then
reads every document in the portal, signs with the pad and downloads the sealed receipt."""
from __future__ import annotations

import asyncio
import hashlib
import zipfile

from playwright.async_api import async_playwright

from tests.factories import phone
from tests.portal.test_link_browser import _all_images_loaded, _draw_signature, download_receipt
from tests.portal.test_portal_login import last_code, lawyer, person, serve
from tests.servers import CHROMIUM, CHROMIUM_ARGS, artifact, running_server

VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}


async def _texted_code(db, number: str) -> str:
    """The server's consumer texts the code shortly after the request (a queued job): wait for it."""
    for _ in range(100):
        try:
            return last_code(db, number)
        except IndexError:
            await asyncio.sleep(0.1)
    return last_code(db, number)


async def _walk(page, base: str, db, number: str, service, docs, name: str) -> None:
    await page.goto(f"{base}/portal/")
    assert page.url == f"{base}/portal/login"
    await page.fill("#phone", number)
    await page.screenshot(path=artifact(f"portal-{name}-login.png"), full_page=True)
    await page.click("#send-code")
    await page.wait_for_selector("#sent")
    await page.fill("#code", await _texted_code(db, number))
    await page.screenshot(path=artifact(f"portal-{name}-code.png"), full_page=True)
    await page.click("#verify")
    await page.wait_for_url(f"{base}/portal/")
    cases = await page.locator("#cases a.case-link").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert cases == [f"/portal/cases/{service.case_id}"]  # only the case they were served in
    await page.screenshot(path=artifact(f"portal-{name}-home.png"), full_page=True)
    await page.click("#cases a.case-link")
    await page.wait_for_url(f"{base}/portal/cases/{service.case_id}")
    await page.screenshot(path=artifact(f"portal-{name}-case.png"), full_page=True)
    async with page.expect_download() as info:
        await page.click("#download-zip")
    download = await info.value
    assert download.suggested_filename.endswith("全部文书.zip")
    target = artifact(f"portal-{name}-documents.zip")
    await download.save_as(target)
    with zipfile.ZipFile(target) as archive:
        hashes = [hashlib.sha256(archive.read(i)).hexdigest() for i in archive.infolist()]
    assert hashes == [d.sha256 for d in docs]
    await _sign_in_portal(page, base, service, name)
    await page.goto(f"{base}/portal/cases/{service.case_id}")
    await page.click("#logout")
    await page.wait_for_url(f"{base}/portal/login")


async def _sign_in_portal(page, base: str, service, name: str) -> None:
    await page.click("a.sign-entry")
    await page.wait_for_url(f"{base}/d/*/documents")
    delivery_path = page.url[len(base):].rsplit("/documents", 1)[0]
    for href in await page.locator("#documents a.title").evaluate_all("as => as.map(a => a.href)"):
        await page.goto(href)
        await _all_images_loaded(page)
    await page.goto(f"{base}{delivery_path}/documents")
    await page.click("#go-sign")
    await _draw_signature(page)
    await page.check("#confirm")
    await page.screenshot(path=artifact(f"portal-{name}-sign.png"), full_page=True)
    await page.click("#submit-sign")
    await page.wait_for_url(f"{base}{delivery_path}/signed")
    await download_receipt(page, f"portal-{name}")
    await page.goto(f"{base}/portal/cases/{service.case_id}")
    assert await page.locator("a.sign-entry").count() == 0  # signed: the case shows the result instead


async def test_lawyer_logs_in_and_downloads_in_chromium(db):
    walks = []
    for _ in VIEWPORTS:
        counsel = phone()
        service, _, docs = await serve(db, [person("p", phone()), lawyer("l", counsel, "p")], documents=2)
        await serve(db, [person("x", phone(), name="陈某某")])  # someone else's case, never shown
        walks.append((counsel, service, docs))
    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for (name, viewport), (counsel, service, docs) in zip(VIEWPORTS.items(), walks):
                    page = await browser.new_page(viewport=viewport, accept_downloads=True)
                    problems: list[str] = []
                    page.on("console", lambda m, problems=problems: problems.append(m.text)
                            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
                    page.on("response", lambda r, problems=problems: problems.append(f"{r.status} {r.url}")
                            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
                    await _walk(page, base, db, counsel, service, docs, name)
                    assert not problems, problems
                    await page.close()
            finally:
                await browser.close()
