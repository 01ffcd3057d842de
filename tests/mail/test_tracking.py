"""Waybills (scan and bulk import, refusals) and the tracking timeline (poll and push)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from audit.models import Event
from core.errors import Conflict, ValidationFailed
from mail.batches import create_print_batches, manifest_csv, manifest_rows
from mail.carriers.carrier import PushRejected
from mail.carriers.dev import DevCarrier
from mail.carriers.kuaidi100 import Kuaidi100Carrier
from mail.choices import MailStatus
from mail.models import MailItem, TrackingEvent
from mail.tracking import enter_waybill, import_waybills, poll_tracking, receive_push, timeline
from tests.fakes.kuaidi100 import FakeKuaidi100
from tests.mail.helpers import LIUZHOU, META, NOW, mail_tasks


async def _items(db, count=2):
    people, tasks, storage = await mail_tasks(db, [LIUZHOU.format(n=n) for n in range(count)])
    await create_print_batches(people[1], [t.id for t in tasks], settings=db, now=NOW, meta=META)
    return people, await MailItem.all().order_by("id")


async def test_a_waybill_is_entered_once_on_one_item(db):
    (_, server, other, _), items = await _items(db)
    entered = await enter_waybill(server, items[0].id, " ea123456781cn ", now=NOW, meta=META)
    assert entered.waybill == "EA123456781CN"
    await enter_waybill(server, items[0].id, "EA123456781CN", now=NOW, meta=META)   # the scanner fired twice
    with pytest.raises(Conflict) as taken:
        await enter_waybill(server, items[1].id, "EA123456781CN", now=NOW, meta=META)
    assert items[0].code in taken.value.message
    with pytest.raises(Conflict):
        await enter_waybill(server, items[0].id, "EA123456782CN", now=NOW, meta=META)
    with pytest.raises(ValidationFailed):
        await enter_waybill(server, items[1].id, "12-34", now=NOW, meta=META)
    assert await Event.filter(type="mail.waybill_entered").count() == 1


async def test_bulk_import_from_the_manifest_is_all_or_nothing(db):
    (_, server, _, _), items = await _items(db)
    rows = await manifest_rows(server, items[0].batch_id, settings=db)
    rows[0]["waybill"], rows[1]["waybill"] = "EA100000001CN", "EA100000001CN"
    with pytest.raises(ValidationFailed) as twice:
        await import_waybills(server, items[0].batch_id, manifest_csv(rows), now=NOW, meta=META)
    assert "重复" in str(twice.value.details)
    rows[1]["code"], rows[1]["waybill"] = "YJ0000000000", "EA100000002CN"
    with pytest.raises(ValidationFailed) as foreign:
        await import_waybills(server, items[0].batch_id, manifest_csv(rows), now=NOW, meta=META)
    assert "不属于本批次" in str(foreign.value.details)
    assert await MailItem.filter(waybill__isnull=False).count() == 0
    rows = await manifest_rows(server, items[0].batch_id, settings=db)
    rows[0]["waybill"], rows[1]["waybill"] = "EA100000001CN", "EA100000002CN"
    assert await import_waybills(server, items[0].batch_id, manifest_csv(rows), now=NOW, meta=META) == 2
    with pytest.raises(ValidationFailed):
        await import_waybills(server, items[0].batch_id, b"\xff\xfe", now=NOW, meta=META)


async def test_the_poll_moves_items_forward_on_the_dev_schedule(db):
    (_, server, _, _), items = await _items(db)
    carrier = DevCarrier()
    await enter_waybill(server, items[0].id, "EA123456781CN", now=NOW, meta=META)
    await enter_waybill(server, items[1].id, "EA123456789CN", now=NOW, meta=META)   # the dev carrier's refusal
    assert await poll_tracking(carrier, now=NOW) == 2
    assert (await MailItem.get(id=items[0].id)).status is MailStatus.POSTED
    assert await poll_tracking(carrier, now=NOW + timedelta(minutes=10)) == 0       # not due yet
    later = NOW + timedelta(days=3)
    assert await poll_tracking(carrier, now=later) == 2
    delivered, returned = await MailItem.get(id=items[0].id), await MailItem.get(id=items[1].id)
    assert (delivered.status, delivered.signer_name) == (MailStatus.DELIVERED, "本人")
    assert returned.status is MailStatus.RETURNED and "拒收" in returned.return_text
    _, lines = await timeline(server, items[0].id)
    assert [e.status for e in lines] == [MailStatus.POSTED, MailStatus.IN_TRANSIT, MailStatus.DELIVERING,
                                         MailStatus.DELIVERED]
    assert await poll_tracking(carrier, now=later + timedelta(days=1)) == 0          # final: no more polls


async def test_a_push_with_a_bad_signature_is_refused_and_a_good_one_recorded(db):
    (_, server, _, _), items = await _items(db, 1)
    fake = FakeKuaidi100().start()
    try:
        carrier = Kuaidi100Carrier(customer=fake.customer, key=fake.key, salt=fake.salt, base_url=fake.base_url)
        await enter_waybill(server, items[0].id, "EA123456781CN", now=NOW, meta=META)
        fake.add_line("EA123456781CN", NOW, "1", "已收寄")
        fake.add_line("EA123456781CN", NOW + timedelta(hours=1), "5", "派送中")
        fake.add_line("EA123456781CN", NOW + timedelta(hours=2), "99", "未知状态")
        with pytest.raises(PushRejected):
            await receive_push(carrier, fake.push_form("EA123456781CN", salt="forged"), now=NOW)
        assert await TrackingEvent.all().count() == 0
        assert await receive_push(carrier, fake.push_form("EA123456781CN"), now=NOW)
        assert await receive_push(carrier, fake.push_form("EA123456781CN"), now=NOW)   # repeated: no duplicates
        assert await TrackingEvent.all().count() == 3
        assert (await MailItem.get(id=items[0].id)).status is MailStatus.DELIVERING
        fake.add_line("EA000000000CN", NOW, "1", "已收寄")
        assert not await receive_push(carrier, fake.push_form("EA000000000CN"), now=NOW)
    finally:
        fake.close()


async def test_a_carrier_outage_skips_the_item_until_its_next_turn(db):
    (_, server, _, _), items = await _items(db, 1)
    fake = FakeKuaidi100().start()
    carrier = Kuaidi100Carrier(customer=fake.customer, key=fake.key, salt=fake.salt, base_url=fake.base_url)
    fake.close()                                                     # nobody answers any more
    await enter_waybill(server, items[0].id, "EA123456781CN", now=NOW, meta=META)
    assert await poll_tracking(carrier, now=NOW) == 0
    item = await MailItem.get(id=items[0].id)
    assert (item.status, item.last_polled_at) == (MailStatus.PRINTED, NOW)
