"""The call panel in a real headless Chromium: a process server registers their own phone, places
a dev call from a phone task, and plays and seeks its recording (the audio element reports a
duration > 0). Screenshots in artifacts/phone/."""
from __future__ import annotations

from datetime import datetime, timezone

from playwright.async_api import async_playwright

from audit.choices import EventType
from audit.events import RequestMeta
from audit.models import Event
from centre.dispatch import assign_tasks
from centre.scope import Scope
from identity.phones import mask_phone
from identity.pii_keys import pii_cipher
from service.choices import Channel
from service.models import Recipient
from tests.centre.helpers import service_with_tasks
from tests.court.console.helpers import totp
from tests.factories import make_court, make_staff
from tests.servers import CHROMIUM, CHROMIUM_ARGS, artifact, running_server

NUMBER = "13877776660"

DURATION = """a => new Promise(done => {
  if (a.readyState >= 1 && isFinite(a.duration)) return done(a.duration);
  a.addEventListener('loadedmetadata', () => done(a.duration), {once: true});
  a.addEventListener('error', () => done(-1), {once: true});
  a.load();
})"""
PLAY = """async a => { await a.play(); await new Promise(r => setTimeout(r, 400)); const t = a.currentTime;
  a.currentTime = 2; await new Promise(r => a.addEventListener('seeked', r, {once: true}));
  a.pause(); return [t, a.currentTime]; }"""


async def test_process_server_calls_and_plays_the_recording_in_chromium(db):
    court = await make_court()
    server, password, secret = await make_staff(court, "process_server", settings=db)
    dispatcher, _, _ = await make_staff(court, "dispatcher", settings=db)
    _, _, tasks = await service_with_tasks(db, channels=["sms", "phone"], court=court)
    task = next(t for t in tasks if t.channel is Channel.PHONE)
    await assign_tasks(Scope(dispatcher.id, centre_id=court.centre_id), [task.id], server.id,
                       now=datetime.now(timezone.utc), meta=RequestMeta.none())
    cipher = pii_cipher(db)
    await Recipient.filter(id=task.recipient_id).update(
        phone_cipher=cipher.encrypt(NUMBER, context="phone"), phone_index=cipher.blind_index(NUMBER, context="phone"),
        phone_masked=mask_phone(NUMBER))
    artifact("phone").mkdir(exist_ok=True)
    with running_server(db.data_dir, env={"SONGDA_DATABASE_URL": db.database_url}) as (base, _, _):
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM,
                                               args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
            try:
                page = await browser.new_page(viewport={"width": 1280, "height": 900})
                problems: list[str] = []
                ranges: list[int] = []
                page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                        if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
                page.on("response", lambda r: ranges.append(r.status) if "recording.mp3" in r.url else None)
                await page.goto(f"{base}/console/login")
                await page.fill("#login", server.login)
                await page.fill("#password", password)
                await page.fill("#totp", totp(secret))
                await page.click("#submit-login")
                await page.wait_for_load_state()
                # The console's landing list is for court staff (a process server gets 403 there
                # until the task list lands); the panel is reached directly.
                problems.clear()
                await page.goto(f"{base}/console/tasks/{task.id}/phone")
                assert await page.inner_text("#recipient-phone") == "138****6660 （由平台代拨，号码不显示）"
                await page.fill("#own-phone-input", "13900000001")
                await page.click("#save-own-phone")
                await page.wait_for_selector("#done")
                assert "139****0001" in await page.inner_text("#own-phone")
                await page.screenshot(path=artifact("phone/panel.png"), full_page=True)
                await page.click("#place-call")
                await page.wait_for_selector("audio.recording", timeout=20_000)
                assert "已发起呼叫" in await page.inner_text("#done")
                assert await page.inner_text("tr.call .call-outcome") == "接通"
                duration = await page.eval_on_selector("audio.recording", DURATION)
                assert duration > 0, duration
                started, seeked = await page.eval_on_selector("audio.recording", PLAY)
                assert started > 0 and abs(seeked - 2) < 0.5
                await page.screenshot(path=artifact("phone/call-recorded.png"), full_page=True)
                await page.click("#sms-task_reminder")
                await page.wait_for_selector("#done")
                assert "短信已发送" in await page.inner_text("#done")
                assert "送达提醒" in await page.inner_text("#texts")
                await page.screenshot(path=artifact("phone/sms-sent.png"), full_page=True)
                assert NUMBER not in await page.content()
                assert not problems, problems
                assert 206 in ranges or 200 in ranges
            finally:
                await browser.close()
    assert await Event.filter(type=EventType.RECORDING_PLAYED).count() >= 1
