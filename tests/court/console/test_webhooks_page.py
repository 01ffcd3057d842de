"""The console's 回调 page: endpoint states, the attempt log, re-enable and resend, through the real
relay and a receiver that checks signatures with the standardwebhooks library."""
from __future__ import annotations

from court.models import ApiClient, AttemptOutcome, WebhookAttempt
from court.webhooks.relay import deliver_webhooks
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from tests.court.console.helpers import logged_in
from tests.court.webhooks.test_relay import explicit_enqueueing_only, real_now, signed_event, subscribed  # noqa: F401 (an autouse fixture)
from tests.factories import make_court, make_service, make_staff


async def test_clerk_sees_the_log_resends_and_re_enables(http, db, receiver, http_client):
    now = real_now()
    client = await subscribed(receiver, db)
    service, people, _ = await make_service(client.court, db)
    await signed_event(service, people, now)
    receiver.script = [500]
    await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client, allow_private=True)
    job = await OutboxJob.get(kind=JobKind.WEBHOOK)
    await deliver_webhooks(settings=db, worker_id="w", now=job.available_at, http_client=http_client, allow_private=True)
    assert receiver.ids() == [job.dedupe_key] * 2  # answered 500, then 204

    account, password, secret = await make_staff(client.court, settings=db)
    token = await logged_in(http, account, password, secret)
    page = await http.get("/console/webhooks")
    assert page.status_code == 200
    assert client.name in page.text and receiver.url in page.text and "正常" in page.text
    assert "审判系统" in page.text and '<span class="muted">trial</span>' not in page.text
    assert "失败，待重试（HTTP 500）" in page.text and "已送达（HTTP 204）" in page.text
    assert job.dedupe_key in page.text
    only_failed = await http.get("/console/webhooks?outcome=retry")
    log = only_failed.text.split('id="attempts"', 1)[1]
    assert "失败，待重试" in log and "已送达（HTTP 204）" not in log

    resent = await http.post(f"/console/webhooks/jobs/{job.id}/resend", data={"csrf_token": token})
    assert resent.status_code == 303 and resent.headers["location"] == "/console/webhooks?done=resend"
    again = await OutboxJob.get(id=job.id)
    await deliver_webhooks(settings=db, worker_id="w", now=again.available_at, http_client=http_client, allow_private=True)
    assert receiver.ids() == [job.dedupe_key] * 3  # the same webhook-id again, verified

    await ApiClient.filter(id=client.id).update(webhook_disabled_at=now, webhook_disabled_reason="3 天投递失败")
    disabled = await http.get("/console/webhooks")
    assert "已停用" in disabled.text and "3 天投递失败" in disabled.text
    refused = await http.post(f"/console/webhooks/jobs/{job.id}/resend", data={"csrf_token": token})
    assert refused.status_code == 409 and "请先重新启用" in refused.text
    enabled = await http.post(f"/console/webhooks/{client.id}/enable", data={"csrf_token": token})
    assert enabled.status_code == 303
    assert (await ApiClient.get(id=client.id)).webhook_disabled_at is None
    assert await WebhookAttempt.filter(outcome=AttemptOutcome.DELIVERED).count() == 2


async def test_other_courts_and_judges_cannot_act(http, db, receiver, http_client):
    now = real_now()
    client = await subscribed(receiver, db)
    service, people, _ = await make_service(client.court, db)
    await signed_event(service, people, now)
    await deliver_webhooks(settings=db, worker_id="w", now=now, http_client=http_client, allow_private=True)
    job = await OutboxJob.get(kind=JobKind.WEBHOOK)
    other = await make_court("桂0102", "南宁市兴宁区人民法院")
    account, password, secret = await make_staff(other, settings=db)
    token = await logged_in(http, account, password, secret)
    assert client.name not in (await http.get("/console/webhooks")).text
    assert (await http.post(f"/console/webhooks/jobs/{job.id}/resend", data={"csrf_token": token})).status_code == 404
    assert (await http.post(f"/console/webhooks/{client.id}/enable", data={"csrf_token": token})).status_code == 404
    http.cookies.clear()
    judge, password, secret = await make_staff(client.court, role="judge", settings=db)
    await logged_in(http, judge, password, secret)
    assert (await http.get("/console/webhooks")).status_code == 403
    assert (await OutboxJob.get(id=job.id)).done_at is not None
