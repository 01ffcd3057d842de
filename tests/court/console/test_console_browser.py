"""The clerk console in a real headless Chromium: log in with password + TOTP, filter the list,
open a case and a service with its timeline, extend the deadline, read the statistics."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from playwright.async_api import async_playwright

from service.models import Service
from tests.court.console.helpers import totp
from tests.factories import make_court, make_service, make_signed_delivery, make_staff
from tests.servers import CHROMIUM, CHROMIUM_ARGS, artifact, running_server

BEIJING = timezone(timedelta(hours=8))


async def test_clerk_works_through_the_console_in_chromium(db):
    court = await make_court()
    signed, person, _, _ = await make_signed_delivery(db, court=court)
    target, _, _ = await make_service(court, db)
    await make_service(court, db)
    await target.fetch_related("case")
    account, password, secret = await make_staff(court, settings=db)
    until = (datetime.now(timezone.utc) + timedelta(days=90)).astimezone(BEIJING).strftime("%Y-%m-%d")
    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                problems: list[str] = []
                page.on("console", lambda m: problems.append(m.text)  # a 404 shows as its response below
                        if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
                page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                        if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
                await page.goto(f"{base}/console/")
                assert page.url == f"{base}/console/login"
                await page.fill("#login", account.login)
                await page.fill("#password", password)
                await page.fill("#totp", totp(secret))
                await page.screenshot(path=artifact("console-login.png"))
                await page.click("#submit-login")
                await page.wait_for_url(f"{base}/console/")
                assert await page.locator("#services tbody tr").count() == 3
                await page.fill("#f-case", target.case.case_number)
                await page.click("#apply-filters")
                await page.wait_for_selector("#total")
                assert "共 1 条送达" in await page.inner_text("#total")
                await page.screenshot(path=artifact("console-services.png"), full_page=True)
                await page.click("#services a.case-link")
                await page.wait_for_url(f"{base}/console/cases/{target.case_id}")
                assert await page.inner_text("#case-number") == target.case.case_number
                await page.screenshot(path=artifact("console-case.png"), full_page=True)
                await page.goto(f"{base}/console/services/{target.id}")
                assert "送达已创建" in await page.inner_text("#timeline")
                await page.fill("#extend-until", until)
                await page.click("#extend")
                await page.wait_for_url(f"{base}/console/services/{target.id}?done=extend")
                assert until in await page.inner_text("#expires-at")
                assert "送达期限已延长" in await page.inner_text("#timeline")
                await page.screenshot(path=artifact("console-service.png"), full_page=True)
                await page.goto(f"{base}/console/services/{signed.id}")
                assert await page.locator("a.signature-link").count() == 1
                await page.goto(f"{base}/console/recipients/{person.id}")
                assert person.name in await page.inner_text("#person")
                await page.click("#nav-stats")
                await page.wait_for_url(f"{base}/console/stats")
                assert await page.inner_text("#total-services") == "3"
                assert await page.locator("svg.chart rect.chart-bar").count() >= 4
                await page.screenshot(path=artifact("console-stats.png"), full_page=True)
                await page.click("#nav-webhooks")
                await page.wait_for_url(f"{base}/console/webhooks")
                assert await page.locator("#endpoints").count() == 1
                await page.screenshot(path=artifact("console-webhooks.png"), full_page=True)
                await page.click("#logout")
                await page.wait_for_url(f"{base}/console/login")
                assert not problems, problems
            finally:
                await browser.close()
    assert (await Service.get(id=target.id)).expires_at.astimezone(BEIJING).strftime("%Y-%m-%d") == until
