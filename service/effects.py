"""Legal effect as the platform states it: computed from the recorded facts, or, for a sealed
receipt, as that receipt states it.

Facts known at sealing are final for that receipt: its row keeps the effective time, rule, reason
and channel the sealed PDF states (receipts/worker.py). A fact learnt afterwards — a carrier's
late SMS delivery report back-dated to its receive time (service/sms_reports.py) — can make the
rules of service/legal_effect.py give an earlier time. That never replaces the receipt's
statement: it is shown beside it, labelled, citing the receipt (``LaterFact``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from audit.choices import EventType
from audit.models import Event
from service.choices import Channel, Outcome, ReceiptStatus, ServiceMethod
from service.legal_effect import ChannelFacts, Effect, TaskFacts, litigant_sentence, service_effect
from service.models import Attempt, Delivery, Receipt, Recipient, ServiceDocument


async def recipient_effect(recipient: Recipient, documents: list[ServiceDocument], *,
                           signing: tuple[int, datetime] | None = None) -> Effect:
    """Service on one recipient is effective once every document is; the latest of those times.
    ``documents`` with their ``document`` fetched. Electronic deliveries and the centre's
    successful tasks count alike: the earliest effective one wins per document. ``signing``
    (delivery id, time): decide as if that delivery were signed then — what the sign page tells
    the recipient before they sign."""
    deliveries = await Delivery.filter(recipient_id=recipient.id)
    tasks = [TaskFacts(a.channel, a.method, a.served_at) for a in await Attempt.filter(
        recipient_id=recipient.id, outcome=Outcome.SERVED, delivery_id=None).order_by("served_at")
        if a.method is not None and a.method is not ServiceMethod.ELECTRONIC and a.served_at is not None]
    first_view: dict[tuple[int, int], datetime] = {}
    for event in await Event.filter(recipient_id=recipient.id, type=EventType.DOCUMENT_VIEWED).order_by("id"):
        first_view.setdefault((event.delivery_id, event.data.get("document_id")), event.created_at)
    effects = []
    for sd in documents:
        facts = [ChannelFacts(
            channel=d.channel, arrived_at=d.arrived_at, notified_at=d.notified_at, opened_at=d.opened_at,
            document_viewed_at=first_view.get((d.id, sd.document_id)),
            signed_at=d.signed_at or (signing[1] if signing and signing[0] == d.id else None),
            failed_at=d.failed_at, revoked_at=d.revoked_at, expired_at=d.expired_at) for d in deliveries]
        effects.append(service_effect(sd.document.kind, recipient.consent_basis, facts, tasks))
    pending = [e for e in effects if not e.effective]
    if pending:
        return pending[0]
    latest = max(effects, key=lambda e: e.at)
    rules = "；".join(dict.fromkeys(e.rule for e in effects))
    return Effect(True, latest.at, rules, latest.reason, latest.channel)


async def delivery_effects(delivery: Delivery, *, now: datetime) -> tuple[Effect, Effect]:
    """For a recipient's page: the decision on the facts so far, and the decision if this delivery
    were signed at ``now``. The same rules (and the same gathering) as the receipt's."""
    recipient = await Recipient.get(id=delivery.recipient_id)
    documents = await ServiceDocument.filter(service_id=delivery.service_id).order_by("position") \
        .prefetch_related("document")
    current = await recipient_effect(recipient, documents)
    if delivery.signed_at is not None:
        return current, current
    return current, await recipient_effect(recipient, documents, signing=(delivery.id, now))


_BEIJING = timezone(timedelta(hours=8))


async def litigant_line(delivery: Delivery, *, now: datetime, signing: bool = False,
                        receipt: Receipt | None = None) -> str:
    """The sentence a recipient's page (link, portal, mini-program) shows on legal effect: a sealed
    receipt's own statement once there is one, else the decision on the facts so far and, where
    they are about to sign (``signing``), the decision if they sign now."""
    if sealed(receipt):
        effect = sealed_effect(receipt)
        return _with_time(litigant_sentence(effect), effect.at)
    current, if_signed = await delivery_effects(delivery, now=now)
    return _with_time(litigant_sentence(current, if_signed if signing else None), current.at)


def _with_time(sentence: str, at: datetime | None) -> str:
    text = at.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）" if at else "—"
    return sentence.replace("{at}", text)


@dataclass(frozen=True)
class LaterFact:
    """An earlier effective time learnt after ``receipt_no`` was sealed; it does not replace the
    receipt's statement."""

    receipt_no: str
    sealed_effective_at: datetime | None
    effective_at: datetime
    channel: Channel | None
    rule: str
    reason: str


def sealed(receipt: Receipt | None) -> bool:
    return receipt is not None and receipt.status is ReceiptStatus.SEALED


def sealed_effect(receipt: Receipt) -> Effect:
    """What a sealed receipt states (its row, as stored when sealed)."""
    return Effect(receipt.effective_at is not None, receipt.effective_at, receipt.effect_rule,
                  receipt.effect_reason, receipt.effect_channel)


def later_fact(receipt: Receipt, current: Effect) -> LaterFact | None:
    """The facts now give an earlier effective time than the sealed receipt states (or one where it
    stated none)."""
    if not sealed(receipt) or not current.effective or current.at is None:
        return None
    if receipt.effective_at is not None and current.at >= receipt.effective_at:
        return None
    return LaterFact(receipt.receipt_no, receipt.effective_at, current.at, current.channel, current.rule,
                     current.reason)
