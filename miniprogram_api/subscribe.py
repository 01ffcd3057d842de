"""Subscribe messages (订阅消息): "you have a new service" to each openid bound to a recipient.

The job is queued by an event listener inside the intake transaction (``service.created``), so a
message goes out only for a committed service, at least once, from the outbox. A sent message
moves the WeChat delivery to ``notified``. The template's field names are the ones configured
for SONGDA_WECHAT_SUBSCRIBE_TEMPLATE_ID in the WeChat console (see docs/MINIPROGRAM.md).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from types import SimpleNamespace

from tortoise.transactions import in_transaction

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from audit.models import Event
from core.settings import Settings
from core.sql import fetch
from identity.wechat.api import WeChatApi, WeChatError, WxSubscribeRefused
from identity.wechat.subscribe_values import beijing, check_message, thing
from jobs.consumer import run_batch
from jobs.kinds import JobKind
from jobs.models import OutboxJob
from jobs.outbox import enqueue
from jobs.registry import JobContext, JobType, RetryRule, one_at_a_time
from service.choices import Channel, DeliveryState
from service.delivery_states import can_move, move
from service.models import Case, Court, Delivery, Service

log = logging.getLogger(__name__)
PAGE = "pages/services/index"


# Every (WeChat delivery of the service, binding of its recipient's phone + ID) pair, in one
# statement: this runs inside each intake transaction (core/sql.py on fixed SQL).
_BOUND_WECHAT_DELIVERIES = (
    'SELECT d."id" AS delivery_id, b."id" AS binding_id, b."openid" FROM "delivery" d '
    'JOIN "recipient" r ON r."id" = d."recipient_id" '
    'JOIN "mp_binding" b ON b."phone_index" = r."phone_index" AND b."id_number_index" = r."id_number_index" '
    'WHERE d."service_id" = $1 AND d."channel" = $2 ORDER BY d."id", b."id"'
)


async def enqueue_subscribe_messages(event: Event) -> None:
    """Event listener: for a new service, queue one message per (WeChat recipient, bound openid)."""
    if event.type is not EventType.SERVICE_CREATED:
        return
    for row in await fetch(Delivery, _BOUND_WECHAT_DELIVERIES, event.service_id, Channel.WECHAT.value):
        await enqueue(JobKind.MP_SUBSCRIBE, f"mp-subscribe:{row['delivery_id']}:{row['binding_id']}",
                      {"delivery_id": row["delivery_id"], "openid": row["openid"]},
                      now=event.created_at, event_id=event.id)


# The template's keys (configure a template with these keyword types, in this order). The 案号
# holds Chinese characters, which character_string refuses: it is a thing field.
TEMPLATE_KEYS = ("thing1", "thing2", "thing3", "time4")


def message_data(court: Court, case: Case, service: Service) -> dict[str, str]:
    """The values, each fitted to its field type's rule (identity/wechat/subscribe_values.py) and
    checked before sending; the time is Beijing time."""
    data = {"thing1": thing(court.name), "thing2": thing(case.case_number),
            "thing3": thing("您有新的法律文书待查收"), "time4": beijing(service.created_at)}
    check_message(data)
    return data


async def send_subscribe_message(delivery_id: int, openid: str, *, api: WeChatApi, settings: Settings,
                                 now: datetime) -> bool:
    delivery = await Delivery.get(id=delivery_id)
    service = await Service.get(id=delivery.service_id)
    court = await Court.get(id=service.court_id)
    case = await Case.get(id=service.case_id)
    await api.send_subscribe_message(openid, settings.wechat_subscribe_template_id,
                                     message_data(court, case, service), page=f"{PAGE}?service_id={service.id}")
    async with in_transaction():
        fresh = await Delivery.get(id=delivery_id).select_for_update()
        if fresh.state is DeliveryState.CREATED and can_move(fresh.state, DeliveryState.NOTIFIED):
            move(fresh, DeliveryState.NOTIFIED, now)
            await fresh.save(update_fields=["state", "notified_at"])
            await record_event(EventType.DELIVERY_NOTIFIED, court_id=service.court_id, service_id=service.id,
                               recipient_id=fresh.recipient_id, delivery_id=fresh.id, actor=Actor.system(),
                               meta=RequestMeta.none(), data={"via": "wechat_subscribe"})
    return True


async def _subscribe_job(job: OutboxJob, ctx: JobContext) -> bool:
    try:
        return await send_subscribe_message(job.payload["delivery_id"], job.payload["openid"],
                                            api=ctx.providers.wechat_api, settings=ctx.settings, now=ctx.now)
    except WxSubscribeRefused as exc:
        # The user has no subscription left for this template: retrying cannot help.
        log.info("subscribe message job %s refused by WeChat (%s)", job.id, exc.details)
        return False


SUBSCRIBE_JOBS = JobType(
    JobKind.MP_SUBSCRIBE, one_at_a_time(_subscribe_job, transient=(WeChatError,), reason=lambda exc: exc.code),
    batch=20, lease=timedelta(minutes=2), retry=RetryRule(base=timedelta(seconds=30), cap=timedelta(minutes=30)),
    # Not configured: the jobs wait until a template id is set.
    enabled=lambda settings: bool(settings.wechat_subscribe_template_id))


async def send_pending_subscribe_messages(*, api: WeChatApi, settings: Settings, worker_id: str, now: datetime,
                                          limit: int = 20) -> int:
    """One batch now, through the consumer's path (tests)."""
    if not SUBSCRIBE_JOBS.enabled(settings):
        return 0
    _, sent = await run_batch(SUBSCRIBE_JOBS, JobContext(SimpleNamespace(wechat_api=api), settings, worker_id, now),
                              limit=limit)
    return sent
