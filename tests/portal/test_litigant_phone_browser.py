"""The SMS link on the phones of the issue (360 x 640 and 390 x 844, device scale 3, touch, a WeChat
user agent), in a real Chromium against a real server: the court's phone on every page, a zoomed
page's body text at 16 CSS px or more, the sign page's legal-effect sentence equal to what the
sealed receipt states for each basis, the receipt link appearing on the signed page without a
reload, tokens never broken across lines, and the accessibility basics. Screenshots of each page
go to artifacts/."""
from __future__ import annotations

from datetime import datetime, timezone

from playwright.async_api import async_playwright

from documents.kinds import DocumentKind
from service.models import Delivery, Receipt
from service.notices import create_short_link
from tests.factories import make_service
from tests.portal.test_link_browser import _all_images_loaded, _draw_signature, _last_code
from tests.servers import CHROMIUM, CHROMIUM_ARGS, artifact, running_server
from web.templating import beijing

WECHAT_UA = ("Mozilla/5.0 (Linux; Android 10; V2001A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
             "Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20230202 MicroMessenger/8.0.33 "
             "WeChat/arm64 Weixin NetType/4G Language/zh_CN ABI/arm64")
PHONES = {"360x640": {"width": 360, "height": 640}, "390x844": {"width": 390, "height": 844}}
# (phone, consent basis, document kind): each basis of the legal-effect rules on a phone.
WALKS = [("360x640", "confirmed", DocumentKind.SUMMONS), ("390x844", "court_found", DocumentKind.SUMMONS),
         ("390x844", "confirmed", DocumentKind.MEDIATION)]
COURT_PHONE = "0772-0000000"
A4_WIDTH_PT = 595.28
BODY_TEXT_PT = 10.5  # the smallest body size courts use (五号); the sample's body is about 11 pt

# Relative luminance contrast (WCAG 2) of the element's text on its background, in the page.
CONTRAST = """el => {
  const rgb = s => s.match(/[0-9.]+/g).slice(0, 3).map(Number);
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const style = getComputedStyle(el);
  const a = lum(rgb(style.color)), b = lum(rgb(style.backgroundColor));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""
UNLABELLED = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(i => !(i.labels && i.labels.length) && !i.getAttribute('aria-label') && !i.getAttribute('aria-labelledby'))
  .map(i => i.id || i.name)"""
BROKEN_TOKENS = """() => Array.from(document.querySelectorAll('.token'))
  .filter(t => t.offsetParent !== null && t.getClientRects().length > 1).map(t => t.textContent)"""


async def _check_page(page, name: str, *, help_box: bool = True) -> None:
    """What every litigant page must have, then its screenshot."""
    assert await page.get_attribute("html", "lang") == "zh-CN"
    assert await page.evaluate(UNLABELLED) == []
    assert await page.evaluate(BROKEN_TOKENS) == []
    # Nothing wider than the phone: the label/value rows stack instead.
    assert await page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    if help_box:
        phone = page.locator("#court-phone")
        assert COURT_PHONE in await phone.inner_text() and await phone.is_visible()
        assert (await page.locator("#next-step").inner_text()).startswith("下一步：")
        effect = page.locator("#effect-line, #legal-effect")  # the sign page says it beside the button
        assert await effect.count() == 1 and "法律效力" in await effect.inner_text()
    await page.screenshot(path=artifact(f"phone-{name}.png"), full_page=True)


async def _primary_contrast(page, selector: str) -> None:
    assert await page.locator(selector).evaluate(CONTRAST) >= 4.5


async def _zoomed_text_px(page) -> float:
    """CSS px of a 10.5 pt body line on the zoomed page image in the viewer."""
    width = await page.locator("#viewer-image").evaluate("i => i.getBoundingClientRect().width")
    return width / A4_WIDTH_PT * BODY_TEXT_PT


async def _read(page, base: str, delivery_id: int, name: str) -> None:
    links = await page.locator("#documents a.title").evaluate_all("as => as.map(a => a.href)")
    for i, href in enumerate(links):
        await page.goto(href)
        await _all_images_loaded(page)
        assert await page.locator(".page-no").first.inner_text() == "第 1 / 1 页"
        if i:
            continue
        await _check_page(page, f"{name}-document")
        await page.wait_for_selector("#viewer", state="attached")  # viewer.js has run (it is deferred)
        await page.locator("#pages .page-open").first.tap()
        await page.wait_for_selector("#viewer:not([hidden])")
        assert await page.locator("#viewer-no").inner_text() == "第 1 / 1 页"
        await page.locator("#viewer-zoom").tap()
        assert await _zoomed_text_px(page) >= 16
        await page.screenshot(path=artifact(f"phone-{name}-zoomed.png"))
        await page.locator("#viewer-close").tap()
        await page.wait_for_selector("#viewer", state="hidden")
        await page.click("#large-text")
        await _all_images_loaded(page)
        large = await page.locator("#pages img").first.evaluate("i => i.getBoundingClientRect().width")
        assert large / A4_WIDTH_PT * BODY_TEXT_PT >= 16
        assert await page.locator(".page-text[open]").count() == 1  # the text layer, in large type
        await _check_page(page, f"{name}-document-large")
    await page.goto(f"{base}/d/{delivery_id}/documents")
    await _check_page(page, f"{name}-documents")


async def _walk(page, base: str, token: str, delivery_id: int, data_dir, name: str) -> str:
    """Through the link to the signed page; returns the sign page's legal-effect sentence."""
    await page.goto(f"{base}/s/{token}")
    await _check_page(page, f"{name}-landing")
    await _primary_contrast(page, "#verify")
    await page.locator("#send-code").tap()
    await page.wait_for_selector("#sent")
    await page.fill("#code", _last_code(data_dir))
    await page.locator("#verify").tap()
    await page.wait_for_url(f"{base}/d/{delivery_id}/documents")
    await _read(page, base, delivery_id, name)
    await page.locator("#go-sign").tap()
    await page.wait_for_url(f"{base}/d/{delivery_id}/sign")
    said = await page.locator("#legal-effect").inner_text()
    await _draw_signature(page)
    await page.check("#confirm")
    await _check_page(page, f"{name}-sign")
    await _primary_contrast(page, "#submit-sign")
    await page.locator("#submit-sign").tap()
    await page.wait_for_url(f"{base}/d/{delivery_id}/signed")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    await _check_page(page, f"{name}-signed-pending")
    await page.wait_for_selector("#receipt-link", state="visible", timeout=30_000)
    assert navigations == []  # it appeared without a reload
    await _check_page(page, f"{name}-signed")
    return said


async def test_litigant_pages_on_phones(db):
    walks = []
    for phone_name, consent, kind in WALKS:
        _, people, _ = await make_service(None, db, documents=2, consent=consent, kind=kind, channels=["sms"])
        delivery = await Delivery.get(recipient=people[0], channel="sms")
        walks.append((phone_name, f"{phone_name}-{consent}-{kind.value}", delivery.id,
                      await create_short_link(delivery, now=datetime.now(timezone.utc))))
    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for phone_name, name, delivery_id, token in walks:
                    context = await browser.new_context(viewport=PHONES[phone_name], device_scale_factor=3,
                                                        is_mobile=True, has_touch=True, user_agent=WECHAT_UA,
                                                        locale="zh-CN")
                    page = await context.new_page()
                    problems: list[str] = []
                    page.on("console", lambda m, problems=problems: problems.append(m.text)
                            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
                    page.on("response", lambda r, problems=problems: problems.append(f"{r.status} {r.url}")
                            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
                    said = await _walk(page, base, token, delivery_id, db.data_dir, name)
                    receipt = await Receipt.get(delivery_id=delivery_id)
                    # The sign page said what the sealed receipt's 法律效力 section states.
                    assert receipt.effect_reason in said and receipt.effect_rule in said, (said, receipt.effect_reason)
                    if "mediation" in name:
                        assert "自您签收时起发生法律效力" in said
                    else:
                        assert beijing(receipt.effective_at) in said
                    # Reopening the SMS link later: 已签收 with the receipt, no code asked.
                    await context.clear_cookies()
                    await page.goto(f"{base}/s/{token}")
                    assert page.url == f"{base}/d/{delivery_id}/signed"
                    assert await page.locator("#receipt-link").is_visible()
                    await _check_page(page, f"{name}-reopened")
                    assert not problems, problems  # e.g. a CSP refusal of a script
                    await context.close()
                page = await browser.new_page(viewport=PHONES["360x640"], device_scale_factor=3, is_mobile=True,
                                              has_touch=True, user_agent=WECHAT_UA)
                await page.goto(f"{base}/s/BROKEN-LINK")
                assert "12368" in await page.inner_text("#help")
                await _check_page(page, "404", help_box=False)
            finally:
                await browser.close()


async def _swipe(cdp, page, dx: float) -> None:
    """One finger across the viewer, as a phone sends it."""
    box = await page.locator("#viewer-stage").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 6):
        await cdp.send("Input.dispatchTouchEvent",
                       {"type": "touchMove", "touchPoints": [{"x": x + dx * step / 5, "y": y}]})
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


async def test_a_four_page_judgment_on_a_phone(db):
    from tests.paths import PDFS

    _, people, docs = await make_service(None, db, documents=1, kind=DocumentKind.JUDGMENT, channels=["sms"],
                                         pdf=(PDFS / "judgment.pdf").read_bytes())
    delivery = await Delivery.get(recipient=people[0], channel="sms")
    token = await create_short_link(delivery, now=datetime.now(timezone.utc))
    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = await browser.new_context(viewport=PHONES["390x844"], device_scale_factor=3, is_mobile=True,
                                                    has_touch=True, user_agent=WECHAT_UA)
                page = await context.new_page()
                await page.goto(f"{base}/s/{token}")
                await page.locator("#send-code").tap()
                await page.wait_for_selector("#sent")
                await page.fill("#code", _last_code(db.data_dir))
                await page.locator("#verify").tap()
                await page.wait_for_url(f"{base}/d/{delivery.id}/documents")
                await page.goto(f"{base}/d/{delivery.id}/documents/{docs[0].id}")
                assert await page.locator(".page-no").all_inner_texts() == [f"第 {n} / 4 页" for n in range(1, 5)]
                assert await page.locator("#pages img[loading=lazy]").count() == 4
                alts = await page.locator("#pages img").evaluate_all("imgs => imgs.map(i => i.alt)")
                assert all(f"第 {n} / 4 页" in alt for n, alt in enumerate(alts, 1))
                await page.wait_for_selector("#viewer", state="attached")
                await page.locator("#page-2 .page-open").scroll_into_view_if_needed()
                await page.locator("#page-2 .page-open").tap()
                await page.wait_for_selector("#viewer:not([hidden])")
                assert await page.inner_text("#viewer-no") == "第 2 / 4 页"
                cdp = await context.new_cdp_session(page)
                await _swipe(cdp, page, -200)  # to the next page
                assert await page.inner_text("#viewer-no") == "第 3 / 4 页"
                await _swipe(cdp, page, 200)
                assert await page.inner_text("#viewer-no") == "第 2 / 4 页"
                await page.locator("#viewer-image").dblclick()
                assert await _zoomed_text_px(page) >= 16
                await page.screenshot(path=artifact("phone-judgment-page2-zoomed.png"))
                await page.locator("#viewer-close").tap()
                await page.wait_for_selector("#viewer", state="hidden")
                await _check_page(page, "judgment-document")
            finally:
                await browser.close()
