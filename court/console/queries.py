"""What the console shows, read for one court. Every lookup is scoped by ``court_id`` first: an
id of another court is simply not found (404), never forbidden (which would confirm it exists)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tortoise.expressions import Subquery

from audit.models import Event
from core.errors import NotFound
from service.access import receipts_of_recipients
from service.choices import Channel, DeliveryState, ServiceStatus
from service.models import Case, Delivery, Receipt, Recipient, Service, ServiceDocument, Signature

PER_PAGE = 30


@dataclass
class ServiceFilters:
    status: ServiceStatus | None = None
    case_number: str = ""
    since: datetime | None = None
    until: datetime | None = None
    channel: Channel | None = None
    page: int = 1


@dataclass
class ServiceRow:
    service: Service
    case: Case
    recipients: list[Recipient]
    signed: int   # recipients who signed on some channel
    total: int


@dataclass
class RecipientLine:
    recipient: Recipient
    deliveries: list[Delivery]
    receipt: Receipt | None
    signatures: dict[int, Signature] = field(default_factory=dict)  # by delivery id

    @property
    def signed(self) -> bool:
        return any(d.state is DeliveryState.SIGNED for d in self.deliveries)


@dataclass
class ServiceDetail:
    service: Service
    case: Case
    lines: list[RecipientLine]
    events: list[Event] = field(default_factory=list)
    document_titles: dict[int, str] = field(default_factory=dict)  # for the timeline

    @property
    def delivery_labels(self) -> dict[int, str]:
        """How staff name a delivery in the timeline: the recipient and the channel, not an id."""
        return {d.id: f"{line.recipient.name}（{d.channel.label}）" for line in self.lines for d in line.deliveries}


async def list_services(court_id: int, filters: ServiceFilters) -> tuple[list[ServiceRow], int]:
    query = Service.filter(court_id=court_id)
    if filters.status is not None:
        query = query.filter(status=filters.status)
    if filters.case_number:
        query = query.filter(case__case_number__icontains=filters.case_number.strip()[:64])
    if filters.since is not None:
        query = query.filter(created_at__gte=filters.since)
    if filters.until is not None:
        query = query.filter(created_at__lt=filters.until)
    if filters.channel is not None:
        query = query.filter(id__in=Subquery(Delivery.filter(channel=filters.channel).values("service_id")))
    total = await query.count()
    page = max(1, filters.page)
    services = await query.order_by("-id").offset((page - 1) * PER_PAGE).limit(PER_PAGE).select_related("case")
    ids = [s.id for s in services]
    recipients: dict[int, list[Recipient]] = {i: [] for i in ids}
    for r in await Recipient.filter(service_id__in=ids).order_by("position"):
        recipients[r.service_id].append(r)
    signed: dict[int, set[int]] = {i: set() for i in ids}
    for service_id, recipient_id in await Delivery.filter(service_id__in=ids, state=DeliveryState.SIGNED) \
            .values_list("service_id", "recipient_id"):
        signed[service_id].add(recipient_id)
    rows = [ServiceRow(s, s.case, recipients[s.id], len(signed[s.id]), len(recipients[s.id])) for s in services]
    return rows, total


async def court_case(court_id: int, case_id: int) -> Case:
    case = await Case.get_or_none(id=case_id, court_id=court_id)
    if case is None:
        raise NotFound("案件不存在")
    return case


async def court_service(court_id: int, service_id: int) -> Service:
    service = await Service.get_or_none(id=service_id, court_id=court_id)
    if service is None:
        raise NotFound("送达不存在")
    return service


async def court_delivery(court_id: int, delivery_id: int) -> Delivery:
    delivery = await Delivery.get_or_none(id=delivery_id, service__court_id=court_id)
    if delivery is None:
        raise NotFound("送达不存在")
    return delivery


async def _lines(recipients: list[Recipient]) -> list[RecipientLine]:
    ids = [r.id for r in recipients]
    deliveries: dict[int, list[Delivery]] = {i: [] for i in ids}
    for d in await Delivery.filter(recipient_id__in=ids).order_by("id"):
        deliveries[d.recipient_id].append(d)
    receipts = await receipts_of_recipients(ids)
    delivery_ids = [d.id for ds in deliveries.values() for d in ds]
    signatures = {s.delivery_id: s for s in await Signature.filter(delivery_id__in=delivery_ids)}
    return [RecipientLine(r, deliveries[r.id], receipts.get(r.id),
                          {d.id: signatures[d.id] for d in deliveries[r.id] if d.id in signatures})
            for r in recipients]


async def service_detail(court_id: int, service_id: int, *, with_events: bool = True) -> ServiceDetail:
    service = await court_service(court_id, service_id)
    case = await Case.get(id=service.case_id)
    recipients = await Recipient.filter(service_id=service.id).order_by("position")
    detail = ServiceDetail(service, case, await _lines(recipients))
    if with_events:
        detail.events = await Event.filter(service_id=service.id).order_by("id")
        detail.document_titles = {sd.document_id: sd.document.title for sd in
                                  await ServiceDocument.filter(service_id=service.id).prefetch_related("document")}
    return detail


async def case_detail(court_id: int, case_id: int) -> tuple[Case, list[ServiceDetail]]:
    case = await court_case(court_id, case_id)
    services = await Service.filter(case_id=case.id, court_id=court_id).order_by("-id")
    return case, [await service_detail(court_id, s.id, with_events=False) for s in services]


async def person_detail(court_id: int, recipient_id: int) -> tuple[Recipient, list[tuple[Service, Case, RecipientLine]]]:
    """Every service of this court to the same person: the same ID number where the court gave
    one, else the same phone (both by blind index; nothing is decrypted)."""
    recipient = await Recipient.get_or_none(id=recipient_id, service__court_id=court_id)
    if recipient is None:
        raise NotFound("受送达人不存在")
    same = Recipient.filter(service__court_id=court_id)
    same = same.filter(id_number_index=recipient.id_number_index) if recipient.id_number_index \
        else same.filter(phone_index=recipient.phone_index)
    rows = await same.order_by("-service_id").select_related("service")
    lines = {line.recipient.id: line for line in await _lines(rows)}
    cases = {c.id: c for c in await Case.filter(id__in={r.service.case_id for r in rows})}
    return recipient, [(r.service, cases[r.service.case_id], lines[r.id]) for r in rows]
