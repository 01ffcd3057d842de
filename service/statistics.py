"""Service statistics for a court (送达统计): counts by status and by channel, success rate, and the
median time from service to signature. Plain queries over services and deliveries; the console
draws them."""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from service.choices import Channel, DeliveryState, ServiceStatus
from service.models import Delivery, Service


@dataclass
class CourtStatistics:
    services: int = 0
    by_status: dict[ServiceStatus, int] = field(default_factory=dict)
    deliveries_by_channel: dict[Channel, int] = field(default_factory=dict)
    signed_by_channel: dict[Channel, int] = field(default_factory=dict)
    recipients: int = 0
    recipients_signed: int = 0
    median_hours_to_sign: float | None = None

    @property
    def success_rate(self) -> float | None:
        """Share of recipients who signed on some channel (one person served on three channels
        and signing on one is one success, not one in three)."""
        return self.recipients_signed / self.recipients if self.recipients else None


async def court_statistics(court_id: int, *, since: datetime, until: datetime) -> CourtStatistics:
    """Services created in ``[since, until)``."""
    services = await Service.filter(court_id=court_id, created_at__gte=since, created_at__lt=until) \
        .values_list("id", "status", "created_at")
    stats = CourtStatistics(services=len(services))
    by_status = Counter(status for _, status, _ in services)
    stats.by_status = {s: by_status.get(s, 0) for s in ServiceStatus}
    created = {sid: at for sid, _, at in services}
    deliveries = await Delivery.filter(service_id__in=list(created)).values_list(
        "recipient_id", "service_id", "channel", "state", "signed_at") if created else []
    by_channel, signed_by_channel = Counter(), Counter()
    recipients: set[int] = set()
    signed: dict[int, datetime] = {}
    for recipient_id, _service_id, channel, state, signed_at in deliveries:
        recipients.add(recipient_id)
        by_channel[channel] += 1
        if state is DeliveryState.SIGNED and signed_at is not None:
            signed_by_channel[channel] += 1
            first = signed.get(recipient_id)
            signed[recipient_id] = signed_at if first is None else min(first, signed_at)
    stats.deliveries_by_channel = {c: by_channel.get(c, 0) for c in Channel}
    stats.signed_by_channel = {c: signed_by_channel.get(c, 0) for c in Channel}
    stats.recipients, stats.recipients_signed = len(recipients), len(signed)
    service_of = {recipient_id: service_id for recipient_id, service_id, *_ in deliveries}
    hours = [(at - created[service_of[r]]).total_seconds() / 3600 for r, at in signed.items()]
    stats.median_hours_to_sign = statistics.median(hours) if hours else None
    return stats
