"""The litigant sees the court mail addressed to them on the portal's case page (法院专递 的物流),
and nobody else's."""
from __future__ import annotations

from datetime import timedelta

from identity.pii_keys import pii_cipher
from mail.batches import create_print_batches
from mail.carriers.dev import DevCarrier
from mail.models import MailItem
from mail.tracking import enter_waybill, poll_tracking
from service.models import Attempt, Recipient
from tests.mail.helpers import LIUZHOU, META, NOW, mail_tasks
from tests.portal.test_portal_login import login


async def test_the_case_page_shows_the_users_own_mail_and_its_timeline(http, db):
    people, tasks, _ = await mail_tasks(db, [LIUZHOU.format(n=1), LIUZHOU.format(n=2)])
    [batch] = await create_print_batches(people[1], [t.id for t in tasks], settings=db, now=NOW, meta=META)
    mine, theirs = await MailItem.filter(batch_id=batch.id).order_by("id")
    await enter_waybill(people[1], mine.id, "EA123456781CN", now=NOW - timedelta(days=2), meta=META)
    await enter_waybill(people[1], theirs.id, "EA987654321CN", now=NOW - timedelta(days=2), meta=META)
    await poll_tracking(DevCarrier(), now=NOW)
    attempt = await Attempt.get(id=mine.attempt_id)
    recipient = await Recipient.get(id=attempt.recipient_id)
    await login(http, db, pii_cipher(db).decrypt(recipient.phone_cipher, context="phone"))
    service = await attempt.service
    page = await http.get(f"/portal/cases/{service.case_id}")
    assert page.status_code == 200 and 'id="mail-tracking"' in page.text
    assert "EA123456781CN" in page.text and "已收寄" in page.text
    assert "EA987654321CN" not in page.text  # the other recipient's mail in the same case
