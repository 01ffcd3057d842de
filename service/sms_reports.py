"""Carrier reports move SMS deliveries (短信送达回执): 已送达终端 or 发送失败.

``identity.sms.sending.sync_delivery_reports`` records what the carrier said on each text and
hands every applied report here, inside the transaction that recorded it, so the text, the
delivery and the event commit together. A carrier's arrival report is the evidence behind
已送达终端 (在线诉讼规则 art. 31), so the carrier's own time is what the delivery records.
"""
from __future__ import annotations

from datetime import datetime
from functools import partial

from audit.choices import EventType
from audit.events import Actor, RequestMeta, record_event
from core.settings import Settings
from identity.models import SmsStatus
from identity.sms.gateway import SmsGateway
from identity.sms.sending import AppliedReport, sync_delivery_reports
from service.choices import DeliveryState
from service.delivery_states import can_move, move
from service.models import Delivery, Service

__all__ = ["apply_sms_report", "sync_sms_reports"]


async def sync_sms_reports(gateway: SmsGateway, *, settings: Settings, now: datetime) -> list[AppliedReport]:
    """Collect the carrier's reports and move each text's delivery: the periodic step."""
    return await sync_delivery_reports(gateway, settings=settings, now=now,
                                       on_applied=partial(apply_sms_report, now=now))


async def apply_sms_report(report: AppliedReport, *, now: datetime) -> bool:
    """Move the report's delivery to ``arrived`` or ``failed`` with its event; False when the text
    had no delivery or the delivery has moved on. Run inside the caller's transaction."""
    if report.delivery_id is None:
        return False
    delivery = await Delivery.filter(id=report.delivery_id).select_for_update().first()
    if delivery is None:
        return False
    at = report.received_at or now
    if report.status is SmsStatus.DELIVERED:
        target, event_type = DeliveryState.ARRIVED, EventType.DELIVERY_ARRIVED
        data = {"sms_message_id": report.sms_message_id, "received_at": at.isoformat()}
    else:
        target, event_type = DeliveryState.FAILED, EventType.DELIVERY_FAILED
        data = {"sms_message_id": report.sms_message_id, "error_code": report.error_code}
    # A delivery that moved on (opened, signed, revoked) keeps its state: later steps
    # already prove more than this report does.
    if not can_move(delivery.state, target):
        return False
    move(delivery, target, at)
    fields = ["state", f"{target.value}_at"]
    if target is DeliveryState.FAILED:
        delivery.failure_reason = f"短信发送失败：{report.error_code or '未知原因'}"
        fields.append("failure_reason")
    await delivery.save(update_fields=fields)
    court_id = await Service.filter(id=delivery.service_id).first().values_list("court_id", flat=True)
    await record_event(
        event_type, court_id=court_id, service_id=delivery.service_id,
        recipient_id=delivery.recipient_id, delivery_id=delivery.id,
        actor=Actor.system(), meta=RequestMeta.none(), data=data,
    )
    return True
