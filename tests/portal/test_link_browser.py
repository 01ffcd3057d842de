"""The SMS short-link path in a real headless Chromium, phone-sized and desktop, against a real
server whose background loop seals the receipt."""
from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone

from playwright.async_api import async_playwright

from service.models import Delivery
from service.notices import create_short_link
from tests.factories import make_service
from tests.servers import CHROMIUM, CHROMIUM_ARGS, artifact, running_server

VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 900}}


def _last_code(data_dir) -> str:
    lines = (data_dir / "dev-sms.jsonl").read_text(encoding="utf-8").splitlines()
    codes = [json.loads(line) for line in lines if json.loads(line)["template"] == "code"]
    return codes[-1]["params"]["code"]


async def _all_images_loaded(page) -> None:
    for image in await page.locator("#pages img").all():
        await image.scroll_into_view_if_needed()
    # Polled with evaluate: wait_for_function's string predicate needs eval, which the CSP forbids.
    deadline = time.monotonic() + 30
    while not await page.locator("#pages img").evaluate_all(
            "imgs => imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0)"):
        assert time.monotonic() < deadline, "page images did not load"
        await asyncio.sleep(0.2)


async def _walk(page, base: str, token: str, delivery_id: int, data_dir, name: str) -> None:
    await page.goto(f"{base}/s/{token}")
    assert page.url == f"{base}/d/{delivery_id}"  # the token is gone from the address bar
    await page.click("#send-code")
    await page.wait_for_selector("#sent")
    await page.fill("#code", _last_code(data_dir))
    await page.screenshot(path=artifact(f"link-{name}-code.png"), full_page=True)
    await page.click("#verify")
    await page.wait_for_url(f"{base}/d/{delivery_id}/documents")
    links = await page.locator("#documents a.title").evaluate_all("as => as.map(a => a.href)")
    assert links
    for i, href in enumerate(links):
        await page.goto(href)
        await _all_images_loaded(page)
        if i == 0:
            await page.screenshot(path=artifact(f"link-{name}-document.png"))
    await page.goto(f"{base}/d/{delivery_id}/documents")
    await page.screenshot(path=artifact(f"link-{name}-documents.png"), full_page=True)
    await page.click("#go-sign")
    await page.wait_for_url(f"{base}/d/{delivery_id}/sign")
    await _draw_signature(page)
    assert (await page.input_value("#signature")).startswith("data:image/png;base64,")
    await page.check("#confirm")
    await page.screenshot(path=artifact(f"link-{name}-sign.png"), full_page=True)
    await page.click("#submit-sign")
    await page.wait_for_url(f"{base}/d/{delivery_id}/signed")
    await page.screenshot(path=artifact(f"link-{name}-signed-pending.png"), full_page=True)
    await download_receipt(page, f"link-{name}")


async def download_receipt(page, prefix: str) -> None:
    """On the signed page: the download button appears by itself once the receipt is sealed (the
    page polls), then download it."""
    await page.wait_for_selector("#receipt-link", state="visible", timeout=30_000)
    await page.screenshot(path=artifact(f"{prefix}-signed.png"), full_page=True)
    async with page.expect_download() as info:
        await page.click("#receipt-link")
    target = artifact(f"{prefix}-receipt.pdf")
    await (await info.value).save_as(target)
    assert target.read_bytes().startswith(b"%PDF")


async def _draw_signature(page) -> None:
    await page.locator("#signature-pad").scroll_into_view_if_needed()
    box = await page.locator("#signature-pad").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    await page.mouse.move(x + w * 0.1, y + h * 0.6)
    await page.mouse.down()
    for fx, fy in ((0.3, 0.2), (0.5, 0.8), (0.7, 0.3), (0.9, 0.6)):
        await page.mouse.move(x + w * fx, y + h * fy, steps=8)
    await page.mouse.up()


async def test_link_path_in_chromium(db):
    _, people, _ = await make_service(None, db, recipients=len(VIEWPORTS), documents=2, channels=["sms"])
    now = datetime.now(timezone.utc)
    walks = []
    for person in people:
        delivery = await Delivery.get(recipient=person, channel="sms")
        walks.append((delivery.id, await create_short_link(delivery, now=now)))
    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for (name, viewport), (delivery_id, token) in zip(VIEWPORTS.items(), walks):
                    page = await browser.new_page(viewport=viewport, accept_downloads=True)
                    problems: list[str] = []
                    page.on("console", lambda m, problems=problems: problems.append(m.text)
                            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
                    page.on("response", lambda r, problems=problems: problems.append(f"{r.status} {r.url}")
                            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
                    await _walk(page, base, token, delivery_id, db.data_dir, name)
                    assert not problems, problems  # e.g. a CSP refusal of sign.js
                    await page.close()
            finally:
                await browser.close()
