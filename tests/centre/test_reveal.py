"""查看: a masked phone, ID number or address is revealed only with a reason, and the reveal is recorded."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from audit.events import RequestMeta
from audit.models import Event
from centre.dispatch import assign_tasks
from centre.reveal import reveal_recipient_field
from core.errors import NotFound, ValidationFailed
from identity.pii_keys import pii_cipher
from service.models import Recipient
from tests.centre.helpers import centre_people, service_with_tasks

NOW = datetime.now(timezone.utc)
META = RequestMeta.none()


async def test_reveal_needs_a_reason_and_is_audited(db):
    dispatcher, server, other, _ = await centre_people(db)
    _, people, tasks = await service_with_tasks(db)
    await assign_tasks(dispatcher, [tasks[0].id], server.staff_id, now=NOW, meta=META)
    with pytest.raises(ValidationFailed):
        await reveal_recipient_field(server, tasks[0].id, "phone", " ", settings=db, now=NOW, meta=META)
    with pytest.raises(ValidationFailed):
        await reveal_recipient_field(server, tasks[0].id, "address_secret", "拨打电话", settings=db, now=NOW,
                                     meta=META)
    with pytest.raises(NotFound):
        await reveal_recipient_field(other, tasks[0].id, "phone", "拨打电话", settings=db, now=NOW, meta=META)
    assert await Event.filter(type="pii.revealed").count() == 0
    recipient = await Recipient.get(id=people[0].id)
    phone = await reveal_recipient_field(server, tasks[0].id, "phone", "需电话联系当事人", settings=db, now=NOW,
                                         meta=META)
    assert phone == pii_cipher(db).decrypt(recipient.phone_cipher, context="phone")
    event = await Event.get(type="pii.revealed")
    assert (event.actor_id, event.data["field"], event.data["reason"]) == (str(server.staff_id), "phone",
                                                                           "需电话联系当事人")


async def test_the_address_is_revealed_like_the_phone(db):
    dispatcher, server, _, _ = await centre_people(db)
    _, _, tasks = await service_with_tasks(db, channels=["sms", "field"])
    await assign_tasks(dispatcher, [tasks[0].id], server.staff_id, now=NOW, meta=META)
    address = await reveal_recipient_field(server, tasks[0].id, "address", "上门送达需完整地址", settings=db, now=NOW,
                                           meta=META)
    assert address == "广西柳州市城中区示范路1号"
    event = await Event.get(type="pii.revealed")
    assert event.data["field"] == "address" and "示范路" not in str(event.data)
