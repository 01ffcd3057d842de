"""The court API and the service centre: channels beyond electronic, the attempts of each
recipient in GET /services/{id}, and the webhooks for closed, escalated and all-failed attempts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from audit.models import Event
from centre.escalation import run_escalation_rules
from centre.escalation_rules import default_rules
from centre.models import Evidence
from court.api.openapi import openapi_document
from court.webhooks.subscriptions import set_webhook
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from service.choices import FailureReason, Outcome, TaskStatus
from service.models import Attempt
from tests.factories import make_client, make_document, recipient_body, service_body

URL = "/court/api/v1/services"


async def _post(http, db, channels, **recipient):
    client, _, auth = await make_client()
    document = await make_document(client.court, db.data_dir)
    body = service_body([document.id], [recipient_body(channels=channels, **recipient)])
    return client, auth, await http.post(URL, headers=auth, json=body)


async def test_post_answers_with_an_attempt_per_channel_and_get_shows_outcomes(http, db):
    client, auth, response = await _post(http, db, ["sms", "phone", "mail"])
    assert response.status_code == 201, response.text
    [recipient] = response.json()["recipients"]
    assert [(a["channel"], a["status"], a["outcome"], a["evidence_count"]) for a in recipient["attempts"]] == [
        ("sms", "in_progress", None, 0), ("phone", "unassigned", None, 0), ("mail", "unassigned", None, 0)]
    service_id = response.json()["id"]
    got = (await http.get(f"{URL}/{service_id}", headers=auth)).json()
    assert got["recipients"][0]["attempts"] == recipient["attempts"]

    now = datetime.now(timezone.utc)
    phone = await Attempt.get(service_id=service_id, channel="phone")
    await Attempt.filter(id=phone.id).update(status=TaskStatus.CLOSED, outcome=Outcome.FAILED,
                                             failure_reason=FailureReason.NO_ANSWER, failure_text="三次无人接听",
                                             closed_at=now, updated_at=now)
    await Evidence.create(attempt_id=phone.id, court_id=client.court_id, kind="audio", content_type="audio/mpeg",
                          sha256="0" * 64, size=10, filename="call.mp3", created_at=now)
    got = (await http.get(f"{URL}/{service_id}", headers=auth)).json()
    closed = next(a for a in got["recipients"][0]["attempts"] if a["channel"] == "phone")
    assert (closed["status"], closed["outcome"], closed["failure_reason"], closed["failure_text"],
            closed["evidence_count"]) == ("closed", "failed", "no_answer", "三次无人接听", 1)
    assert closed["closed_at"] is not None and closed["method"] is None and closed["escalated_from"] is None


async def test_mail_or_field_without_an_address_is_a_clear_422(http, db):
    _, _, response = await _post(http, db, ["sms", "field"], address="")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "recipients.0.address"
    assert not await Attempt.all().exists()


def test_openapi_documents_the_channels_the_address_rule_and_the_attempts():
    schemas = openapi_document()["components"]["schemas"]
    channels = schemas["RecipientDraft"]["properties"]["channels"]["description"]
    assert "mail、field 须填写 address" in channels and "entrusted" in channels
    attempt = schemas["Service"]["properties"]["recipients"]["items"]["properties"]["attempts"]["items"]
    assert {"channel", "status", "outcome", "method", "served_at", "effective_at", "failure_reason",
            "failure_text", "closed_at", "evidence_count"} <= set(attempt["properties"])
    assert {"task.closed", "attempt.closed", "task.escalated", "announcement.suggested"} <= set(
        openapi_document()["webhooks"])


async def test_escalation_and_closing_reach_the_court_as_webhooks(http, db):
    client, auth, response = await _post(http, db, ["phone"], address="")
    await set_webhook(client, "http://127.0.0.1:9/hook", settings=db, allow_private=True)
    await default_rules(client.court_id, now=datetime.now(timezone.utc) - timedelta(days=30))
    service_id = response.json()["id"]
    phone = await Attempt.get(service_id=service_id, channel="phone")
    now = datetime.now(timezone.utc)
    await Attempt.filter(id=phone.id).update(status=TaskStatus.CLOSED, outcome=Outcome.FAILED,
                                             failure_reason=FailureReason.WRONG_NUMBER, closed_at=now, updated_at=now)
    result = await run_escalation_rules(now=now + timedelta(minutes=1), due_days=7)
    assert (result.skipped, result.suggested) == (1, 1)     # no address for mail; all failed
    jobs = {j.payload["type"]: j.payload for j in await OutboxJob.filter(kind=JobKind.WEBHOOK)}
    escalated = jobs["task.escalated"]["data"]
    assert escalated["escalated_from"] == phone.id and escalated["channel"] == "mail"
    assert escalated["skipped_reason"] == "受送达人没有送达地址，未创建邮寄送达任务"
    suggested = jobs["announcement.suggested"]["data"]
    assert suggested["service_id"] == service_id
    assert suggested["failed_attempts"] == [{"attempt_id": phone.id, "channel": "phone",
                                             "failure_reason": "wrong_number", "closed_at": now.isoformat()}]
    assert {e.type.value for e in await Event.filter(service_id=service_id)} >= {"task.escalated",
                                                                                  "announcement.suggested"}


async def test_a_closed_task_reaches_the_court_without_the_servers_free_text(http, db):
    from audit.events import RequestMeta
    from centre.dispatch import assign_tasks
    from centre.handling import Closing, close_task
    from tests.centre.helpers import centre_people

    client, auth, response = await _post(http, db, ["phone"])
    await set_webhook(client, "http://127.0.0.1:9/hook", settings=db, allow_private=True)
    dispatcher, server, _, _ = await centre_people(db, client.court)
    phone = await Attempt.get(service_id=response.json()["id"], channel="phone")
    now = datetime.now(timezone.utc)
    await assign_tasks(dispatcher, [phone.id], server.staff_id, now=now, meta=RequestMeta.none())
    await close_task(server, phone.id, Closing(Outcome.FAILED, failure_reason=FailureReason.OTHER,
                                               failure_text="邻居说他搬去13800000000那里了"),
                     now=now, meta=RequestMeta.none())
    [job] = [j for j in await OutboxJob.filter(kind=JobKind.WEBHOOK) if j.payload["type"] == "task.closed"]
    assert job.payload["data"] == {"event_id": job.event_id, "service_id": phone.service_id,
                                   "recipient_id": phone.recipient_id, "attempt_id": phone.id, "channel": "phone",
                                   "outcome": "failed", "failure_reason": "other"}
