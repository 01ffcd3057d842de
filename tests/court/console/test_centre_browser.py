"""The service centre in a real headless Chromium, on a phone (390×844) and a desktop (1280×800):
a dispatcher selects all and batch-assigns, a process server records a contact, uploads a call
recording and closes the task as served, and the clerk plays the recording on the service page."""
from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from centre.models import Evidence
from service.choices import Outcome, TaskStatus
from service.models import Attempt
from tests.centre.helpers import service_with_tasks
from tests.centre.media import mp3
from tests.court.console.helpers import totp
from tests.factories import make_court, make_staff
from tests.servers import CHROMIUM, CHROMIUM_ARGS, artifact, running_server

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


@pytest.mark.parametrize("device", list(VIEWPORTS))
async def test_task_from_dispatch_to_a_clerk_playing_the_recording(db, device):
    court = await make_court()
    service, people, tasks = await service_with_tasks(db, court=court, recipients=2, channels=["sms", "phone"])
    dispatcher = await make_staff(court, "dispatcher", settings=db)
    server = await make_staff(court, "process_server", settings=db)
    clerk = await make_staff(court, "clerk", settings=db)
    recording = bytes(mp3(3.0))
    artifact("centre").mkdir(exist_ok=True)

    def shot(name: str):
        return artifact(f"centre/{device}-{name}.png")

    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM,
                                               args=CHROMIUM_ARGS + ["--autoplay-policy=no-user-gesture-required"])
            problems: list[str] = []

            async def signed_in(account):
                context = await browser.new_context(viewport=VIEWPORTS[device])
                page = await context.new_page()
                page.on("console", lambda m: problems.append(m.text)
                        if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
                page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                        if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
                staff, password, secret = account
                await page.goto(f"{base}/console/login")
                await page.fill("#login", staff.login)
                await page.fill("#password", password)
                await page.fill("#totp", totp(secret))
                await page.click("#submit-login")
                await page.wait_for_load_state()
                return page

            try:
                # 调度: select all, choose the suggested process server, assign.
                page = await signed_in(dispatcher)
                assert page.url == f"{base}/console/dispatch"
                assert await page.locator("#dispatch-list input.pick").count() == 2
                await page.check("#select-all")
                assert await page.locator("#dispatch-list input.pick:checked").count() == 2
                await page.select_option("#assignee", str(server[0].id))
                await page.screenshot(path=shot("dispatch"), full_page=True)
                await page.click("#assign")
                await page.wait_for_url(f"{base}/console/dispatch?done=assigned&n=2")
                assert "已分派 2 件任务" in await page.inner_text("#done")

                # 送达员: to-do list, contact, recording, close as served.
                page = await signed_in(server)
                assert page.url == f"{base}/console/tasks"
                assert await page.locator("#todo-list a.task-link").count() == 2
                await page.screenshot(path=shot("todo"), full_page=True)
                await page.goto(f"{base}/console/tasks/{tasks[0].id}")
                assert people[0].phone_masked in await page.inner_text("#phone-masked")
                await page.select_option("#contact-kind", "call")
                await page.fill("#contact-result", "已接通，当事人确认收到传票内容")
                await page.click("#contact-submit")
                await page.wait_for_url(f"{base}/console/tasks/{tasks[0].id}?done=contact")
                assert "当事人确认收到传票内容" in await page.inner_text("#contacts")
                await page.set_input_files("#evidence-file", files=[
                    {"name": "通话录音.mp3", "mimeType": "audio/mpeg", "buffer": recording}])
                await page.fill("#evidence-description", "电话送达录音")
                await page.click("#evidence-submit")
                await page.wait_for_url(f"{base}/console/tasks/{tasks[0].id}?done=evidence")
                assert await page.locator("audio.evidence-audio").count() == 1
                await page.check("#outcome-served")
                await page.select_option("#close-method", "phone")
                await page.screenshot(path=shot("task-before-close"), full_page=True)
                await page.click("#close-submit")
                await page.wait_for_url(f"{base}/console/tasks/{tasks[0].id}?done=close")
                assert await page.inner_text("#task-status") == "已办结"
                assert "送达成功" in await page.inner_text("#outcome")
                await page.screenshot(path=shot("task-closed"), full_page=True)

                # 书记员: the service page's 送达任务 section plays the recording (seekable).
                page = await signed_in(clerk)
                await page.goto(f"{base}/console/services/{service.id}")
                audio = page.locator("#service-tasks audio.evidence-audio")
                assert await audio.count() == 1
                await audio.scroll_into_view_if_needed()
                await page.wait_for_function(
                    "() => { const a = document.querySelector('#service-tasks audio'); return a && a.readyState >= 1 }")
                duration = await audio.evaluate("a => a.duration")
                assert 2.5 < duration < 3.5, duration
                await audio.evaluate("a => { a.currentTime = 1.5; return a.play() }")
                await page.wait_for_function(
                    "() => document.querySelector('#service-tasks audio').currentTime > 1.5")
                await audio.evaluate("a => a.pause()")
                await page.screenshot(path=shot("service-tasks"), full_page=True)
                assert not problems, problems
            finally:
                await browser.close()
    closed = await Attempt.get(id=tasks[0].id)
    assert closed.status is TaskStatus.CLOSED and closed.outcome is Outcome.SERVED
    assert (await Evidence.get(attempt_id=closed.id)).content_type == "audio/mpeg"
