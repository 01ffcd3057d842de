"""一键短信 from a task: the court-approved templates filled from the case, the SMS path's limits,
and the carrier's arrival report recorded on the attempt."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from audit.choices import EventType
from audit.models import Event
from centre.models import Contact
from core.errors import Forbidden, ValidationFailed
from identity.limits import DatabaseLimitBackend, RateLimited
from identity.models import SmsMessage, SmsStatus
from identity.sms.dev import DevSmsGateway
from identity.sms.gateway import SmsRejected
from phone.choices import TaskTextTemplate
from phone.models import TaskText
from phone.texts import record_text_reports, send_task_text
from service.sms_reports import sync_sms_reports
from tests.fakes.aliyun_sms import FakeDysmsapi, gateway_for
from tests.phone.helpers import META, phone_task

NOW = datetime.now(timezone.utc)


def gateway(db) -> DevSmsGateway:
    return DevSmsGateway(db.data_dir / "dev-sms.jsonl", clock=lambda: NOW)


async def send(db, scope, task, template, **kwargs):
    kwargs.setdefault("gateway", gateway(db))
    return await send_task_text(scope, task.id, template, limits=DatabaseLimitBackend(), settings=db,
                                now=kwargs.pop("now", NOW), meta=META, **kwargs)


@pytest.mark.parametrize("template", [t for t in TaskTextTemplate if t is not TaskTextTemplate.HEARING_REMINDER])
async def test_each_template_is_filled_from_the_case(db, template):
    task, server, *_ = await phone_task(db, number="13812345670")
    text = await send(db, server, task, template)
    message = await SmsMessage.get(id=text.sms_message_id)
    assert message.template.value == template.value and message.status is SmsStatus.SENT
    assert message.phone_masked == "138****5670" and message.params["case_number"].startswith("(2024)")
    assert message.params["court"] == "示范市城中区人民法院" and message.params["name"] == "王小明"
    assert (await Contact.get(attempt_id=task.id)).result == f"已发送短信：{template.label}"
    [event] = await Event.filter(type=EventType.TASK_SMS_SENT)
    assert event.data["attempt_id"] == task.id and "13812345670" not in str(event.data)


async def test_hearing_reminder_needs_the_hearing_time(db):
    task, server, *_ = await phone_task(db)
    with pytest.raises(ValidationFailed) as caught:
        await send(db, server, task, TaskTextTemplate.HEARING_REMINDER, hearing="")
    assert caught.value.code == "hearing_required"
    text = await send(db, server, task, TaskTextTemplate.HEARING_REMINDER, hearing="2025年3月5日上午9时 第三法庭")
    assert (await SmsMessage.get(id=text.sms_message_id)).params["hearing"] == "2025年3月5日上午9时 第三法庭"


async def test_limits_a_double_click_and_a_pestered_number(db):
    task, server, *_ = await phone_task(db)
    await send(db, server, task, TaskTextTemplate.TASK_REMINDER)
    with pytest.raises(RateLimited) as caught:
        await send(db, server, task, TaskTextTemplate.TASK_REMINDER)
    assert caught.value.code == "task_sms_cooldown" and caught.value.status == 429
    for minutes, template in enumerate([TaskTextTemplate.PICKUP_NOTICE, TaskTextTemplate.ADDRESS_REQUEST,
                                        TaskTextTemplate.TASK_REMINDER, TaskTextTemplate.PICKUP_NOTICE], start=2):
        await send(db, server, task, template, now=NOW + timedelta(minutes=minutes))
    with pytest.raises(RateLimited) as caught:
        await send(db, server, task, TaskTextTemplate.ADDRESS_REQUEST, now=NOW + timedelta(minutes=10))
    assert caught.value.code == "task_sms_daily_limit"
    assert await TaskText.filter(attempt_id=task.id).count() == 5


async def test_only_the_assignee_sends(db):
    task, server, other, clerk, dispatcher = await phone_task(db)
    for scope in (clerk, dispatcher):
        with pytest.raises(Forbidden):
            await send(db, scope, task, TaskTextTemplate.TASK_REMINDER)


async def test_arrival_is_recorded_on_the_attempt(db):
    task, server, *_ = await phone_task(db)
    text = await send(db, server, task, TaskTextTemplate.TASK_REMINDER)
    await sync_sms_reports(gateway(db), settings=db, now=NOW + timedelta(minutes=1))
    assert await record_text_reports(now=NOW + timedelta(minutes=1)) == 1
    assert (await TaskText.get(id=text.id)).arrived_at is not None
    [event] = await Event.filter(type=EventType.TASK_SMS_ARRIVED)
    assert event.data["attempt_id"] == task.id and event.data["task_text_id"] == text.id
    assert await record_text_reports(now=NOW + timedelta(minutes=2)) == 0


async def test_aliyun_refusal_is_a_clear_error_and_nothing_lands_on_the_task(db):
    task, server, *_ = await phone_task(db, number="13812345670")
    with FakeDysmsapi() as fake:
        fake.refuse("13812345670", "isv.MOBILE_NUMBER_ILLEGAL")
        with pytest.raises(SmsRejected) as caught:
            await send(db, server, task, TaskTextTemplate.TASK_REMINDER, gateway=gateway_for(fake))
        assert caught.value.status == 422 and "手机号码无效" in caught.value.message
    assert not await TaskText.filter(attempt_id=task.id).exists()
    assert not await Contact.filter(attempt_id=task.id).exists()
    assert (await SmsMessage.get()).status is SmsStatus.REJECTED
    with FakeDysmsapi() as fake:
        await send(db, server, task, TaskTextTemplate.PICKUP_NOTICE, gateway=gateway_for(fake))
        assert fake.sent[0].template_code == "SMS_PICKUP"
    assert await TaskText.filter(attempt_id=task.id).count() == 1
