"""一键短信: a court-approved text from a task, its variables filled from the case.

Sent through the platform's one SMS path (``identity.sms.sending.send_sms``: the text is an
``SmsMessage`` with the number encrypted) and within limits like the code texts: a cooldown per
task and template against double clicks, a daily cap per number against pestering a litigant,
and the platform's daily SMS budget. The carrier's arrival report (collected for every text by
the SMS report sweep) becomes ``TaskText.arrived_at`` and an event on the attempt.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from centre.models import Contact
from centre.scope import Scope
from centre.tasks import record_task_event, task_in_scope
from core.errors import Conflict, Forbidden, ValidationFailed
from core.settings import Settings
from identity.code_requests import BUDGET_KEY
from identity.limits import Claim, Hit, LimitBackend, RateLimited
from identity.models import SmsMessage, SmsStatus, SmsTemplate
from identity.pii_keys import pii_cipher
from identity.sms.gateway import SmsGateway
from identity.sms.sending import send_sms
from phone.choices import TaskTextTemplate
from phone.models import TaskText
from service.choices import ContactKind, TaskStatus
from service.models import Attempt, Case, Court, Recipient, Service

BEIJING = timezone(timedelta(hours=8))
COOLDOWN = timedelta(minutes=1)
DAY = timedelta(days=1)
PER_NUMBER_DAILY = 5
MAX_HEARING = 40
DEFAULT_HOTLINE = "12368"


async def template_params(attempt: Attempt, template: TaskTextTemplate, *, hearing: str = "",
                          settings: Settings) -> dict[str, str]:
    """The template's variables from the case (and, for 开庭提醒, the hearing time staff enter)."""
    service = await Service.get(id=attempt.service_id)
    case = await Case.get(id=service.case_id)
    court = await Court.get(id=attempt.court_id)
    recipient = await Recipient.get(id=attempt.recipient_id)
    params = {"court": court.name, "name": recipient.name, "case_number": case.case_number}
    if template in (TaskTextTemplate.TASK_REMINDER, TaskTextTemplate.ADDRESS_REQUEST):
        params["hotline"] = settings.telephony_show_number or court.phone or DEFAULT_HOTLINE
    elif template is TaskTextTemplate.PICKUP_NOTICE:
        deadline = attempt.due_at or service.expires_at
        params["deadline"] = deadline.astimezone(BEIJING).strftime("%Y年%m月%d日")
    elif template is TaskTextTemplate.HEARING_REMINDER:
        hearing = " ".join((hearing or "").split())
        if not 4 <= len(hearing) <= MAX_HEARING or any(c in hearing for c in "{}$【】"):
            raise ValidationFailed(f"请填写开庭时间和地点（4–{MAX_HEARING}字），如“2025年3月5日上午9时 第三法庭”",
                                   code="hearing_required", details=[{"field": "hearing", "message": "请填写开庭时间"}])
        params["hearing"] = hearing
    return params


async def send_task_text(scope: Scope, attempt_id: int, template: TaskTextTemplate, *, hearing: str = "",
                         gateway: SmsGateway, limits: LimitBackend, settings: Settings, now: datetime,
                         meta: RequestMeta) -> TaskText:
    """Send one template text to the task's recipient; refused texts raise the SMS error (422,
    429, 503) with nothing recorded on the task."""
    if scope.assignee_id is None:
        raise Forbidden("只有承办的送达员可以发送短信", code="not_assignee")
    attempt = await task_in_scope(scope, attempt_id)
    if attempt.status not in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS):
        raise Conflict(f"任务当前状态为{attempt.status.label}，不能发送短信", code="task_not_open")
    params = await template_params(attempt, template, hearing=hearing, settings=settings)
    recipient = await Recipient.get(id=attempt.recipient_id)
    cipher = pii_cipher(settings)
    phone = cipher.decrypt(recipient.phone_cipher, context="phone")
    steps = [
        (Claim(f"tasksms:{attempt.id}:{template.value}", COOLDOWN), "task_sms_cooldown", "同一短信刚刚发送过，请{s}秒后再试"),
        (Hit(f"tasksms:phone-day:{recipient.phone_index}", PER_NUMBER_DAILY, DAY), "task_sms_daily_limit",
         "今天已向该当事人发送较多短信，请{s}秒后再试"),
        (Hit(BUDGET_KEY, settings.sms_daily_budget, DAY), "sms_budget_exhausted", "今日短信发送量已达上限，请{s}秒后再试"),
    ]
    results = await limits.spend([step for step, _, _ in steps], now=now)
    for (_, code, message), result in zip(steps, results):
        if not result.allowed:
            raise RateLimited(message.format(s=result.retry_after), code=code, retry_after=result.retry_after)
    message = await send_sms(gateway, phone=phone, template=SmsTemplate(template.value), params=params,
                             settings=settings, now=now)
    async with in_transaction():
        text = await TaskText.create(attempt_id=attempt.id, staff_id=scope.staff_id, template=template,
                                     sms_message_id=message.id, sent_at=now)
        await Contact.create(attempt_id=attempt.id, staff_id=scope.staff_id, kind=ContactKind.SMS, contacted_at=now,
                             result=f"已发送短信：{template.label}", created_at=now)
        await record_task_event(EventType.TASK_SMS_SENT, attempt, scope, meta, {
            "task_text_id": text.id, "template": template.value, "sms_message_id": message.id,
            "phone": message.phone_masked})
    return text


async def record_text_reports(*, now: datetime, limit: int = 200) -> int:
    """Copy the carrier's reports of task texts onto the task (arrival receipt 送达回执)."""
    texts = await TaskText.filter(arrived_at__isnull=True, failed_at__isnull=True).order_by("id").limit(limit)
    if not texts:
        return 0
    messages = {m.id: m for m in await SmsMessage.filter(
        id__in=[t.sms_message_id for t in texts], status__in=[SmsStatus.DELIVERED, SmsStatus.FAILED])}
    recorded = 0
    for text in texts:
        message = messages.get(text.sms_message_id)
        if message is None:
            continue
        arrived = message.status is SmsStatus.DELIVERED
        at = (message.received_at if arrived else message.reported_at) or now
        attempt = await Attempt.get(id=text.attempt_id)
        async with in_transaction():
            updated = await TaskText.filter(id=text.id, arrived_at__isnull=True, failed_at__isnull=True).update(
                **({"arrived_at": at} if arrived else {"failed_at": at}))
            if not updated:
                continue
            if arrived:
                await record_event(EventType.TASK_SMS_ARRIVED, court_id=attempt.court_id, service_id=attempt.service_id,
                                   recipient_id=attempt.recipient_id, actor=Actor.system(), meta=RequestMeta.none(),
                                   data={"attempt_id": attempt.id, "task_text_id": text.id,
                                         "template": text.template.value, "received_at": at.isoformat()})
        recorded += 1
    return recorded
