"""The court system hears of a publication: announcement.published (with the paper's date,
edition and page and the effect) and task.closed; personal data stays inside."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from announcement.announcements import receive_callback, record_fee, request_announcement, submit_announcement
from announcement.choices import FeePayer, FeeStatus, PaperStatus
from announcement.publishers.dev import DevPublisher
from centre.dispatch import assign_tasks
from court.webhooks.subscriptions import set_webhook
from documents.storage import LocalStorage
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from service.models import Recipient
from tests.announcement.helpers import META, now
from tests.centre.helpers import centre_people
from tests.factories import make_client, make_document, service_body


async def test_publication_is_a_webhook(http, db):
    client, _, auth = await make_client()
    await set_webhook(client, "http://127.0.0.1:9/hook", settings=db, allow_private=True)
    document = await make_document(client.court, db.data_dir)
    created = await http.post("/court/api/v1/services", headers=auth, json=service_body([document.id]))
    assert created.status_code == 201
    recipient = await Recipient.get(service_id=created.json()["id"])
    dispatcher, server, _, clerk = await centre_people(db, client.court)
    found = await request_announcement(clerk, recipient.id, abroad=False, collect_at="", now=now(), meta=META)
    await assign_tasks(dispatcher, [found.attempt_id], server.assignee_id, now=now(), meta=META)
    await record_fee(clerk, found.id, payer=FeePayer.COURT, status=FeeStatus.WAIVED, note="", now=now(), meta=META)
    publisher = DevPublisher()
    found = await submit_announcement(server, found.id, publisher=publisher, callback_url="http://x/cb", now=now(),
                                      meta=META)
    body, signature = publisher.callback(found.paper_ref, PaperStatus.PUBLISHED, edition="第7版", page="G3",
                                         published_on=datetime.now(ZoneInfo("Asia/Shanghai")).date())
    await receive_callback(body, signature, publisher=publisher, storage=LocalStorage(db.files_dir),
                           max_evidence_bytes=db.max_evidence_bytes, now=now(), meta=META)
    jobs = {j.payload["type"]: j.payload for j in await OutboxJob.filter(kind=JobKind.WEBHOOK)}
    published = jobs["announcement.published"]["data"]
    assert (published["edition"], published["page"], published["effect_rule"]) == ("第7版", "G3", "民事诉讼法第95条")
    assert jobs["task.closed"]["data"]["method"] == "announcement"
