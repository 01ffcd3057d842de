"""The verify page in a real headless Chromium, phone-sized and desktop, against a real server."""
from __future__ import annotations

from playwright.async_api import async_playwright

from tests.portal.test_verify_page import _sealed
from tests.servers import CHROMIUM, CHROMIUM_ARGS, artifact, running_server

VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}


async def test_verify_page_in_chromium(db, tmp_path):
    _, receipt, pdf = await _sealed(db)
    sealed_file = tmp_path / "回证.pdf"
    sealed_file.write_bytes(pdf)
    forged_file = tmp_path / "forged.pdf"
    forged_file.write_bytes(pdf.replace(b"/Producer", b"/Pxoducer", 1))
    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for name, viewport in VIEWPORTS.items():
                    page = await browser.new_page(viewport=viewport)
                    await page.goto(f"{base}/verify/{receipt.receipt_no}")
                    assert await page.locator("#receipt-no").inner_text() == receipt.receipt_no
                    await page.set_input_files("input[name=file]", str(sealed_file))
                    await page.click("button[type=submit]")
                    assert (await page.locator("#result strong").inner_text()) == "一致"
                    await page.screenshot(path=artifact(f"verify-{name}-consistent.png"), full_page=True)
                    await page.set_input_files("input[name=file]", str(forged_file))
                    await page.click("button[type=submit]")
                    assert (await page.locator("#result strong").inner_text()) == "不一致"
                    await page.screenshot(path=artifact(f"verify-{name}-forged.png"), full_page=True)
                    await page.close()
            finally:
                await browser.close()
