"""A phone task assigned to a process server, with the recipient's number chosen by the test
(the dev provider's outcome follows its last digit)."""
from __future__ import annotations

from datetime import datetime, timezone

from audit.events import RequestMeta
from centre.dispatch import assign_tasks
from identity.phones import mask_phone
from identity.pii_keys import pii_cipher
from phone.staff_phones import set_own_phone
from service.choices import Channel
from service.models import Recipient
from tests.centre.helpers import centre_people, service_with_tasks

META = RequestMeta.none()


async def phone_task(db, *, number: str = "13812345670", staff_phone: str | None = "13900000001"):
    """(phone task, server scope, other server scope, clerk scope, dispatcher scope)."""
    now = datetime.now(timezone.utc)
    dispatcher, server, other, clerk = await centre_people(db)
    _, _, tasks = await service_with_tasks(db, channels=["sms", "phone"])
    task = next(t for t in tasks if t.channel is Channel.PHONE)
    await assign_tasks(dispatcher, [task.id], server.staff_id, now=now, meta=META)
    cipher = pii_cipher(db)
    await Recipient.filter(id=task.recipient_id).update(
        phone_cipher=cipher.encrypt(number, context="phone"), phone_index=cipher.blind_index(number, context="phone"),
        phone_masked=mask_phone(number))
    if staff_phone:
        await set_own_phone(server, staff_phone, settings=db, now=now, meta=META)
    return task, server, other, clerk, dispatcher
