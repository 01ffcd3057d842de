"""What a logged-in portal user may see (诉讼服务网 / 我的案件).

A portal user is a phone (its blind index in the session). They see exactly the recipient rows
carrying that phone: a litigant's own rows, and a lawyer's rows with role ``agent`` — the
services in which the court named them as someone's agent. Nothing is reached through
``agent_of``: a lawyer never sees a service of their client in which they were not served.

Documents come from the recipient's own ``RecipientDocument`` rows; a revoked service shows its
status but no documents. Every query here starts from ``Recipient.filter(phone_index=...)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from audit.choices import ActorKind
from audit.events import Actor, RequestMeta
from core.errors import AppError, NotFound
from documents.models import Document
from service.access import DeliveryClosed, advance, record_document_access
from service.choices import Channel, DeliveryState, ServiceStatus
from service.delivery_states import PROGRESS
from service.models import Case, Court, Delivery, Recipient, RecipientDocument, Service, ServiceDocument

_RANK = {state: i for i, state in enumerate(PROGRESS)}
_CLOSED = (DeliveryState.REVOKED, DeliveryState.EXPIRED, DeliveryState.FAILED)


@dataclass
class Entry:
    """One of the user's recipient rows: the service, its documents, the deliveries' states."""

    recipient: Recipient
    service: Service
    documents: list[Document]
    deliveries: list[Delivery]
    represented: Recipient | None = None

    @property
    def portal_delivery(self) -> Delivery | None:
        """The delivery the court made through this portal: read and sign here through it."""
        for delivery in self.deliveries:
            if delivery.channel is Channel.PORTAL and delivery.state not in _CLOSED:
                return delivery
        return None

    @property
    def revoked(self) -> bool:
        return self.service.status is ServiceStatus.REVOKED

    @property
    def status(self) -> str:
        """The furthest state any channel reached (签收 on any channel counts)."""
        if self.revoked:
            return ServiceStatus.REVOKED.label
        states = [d.state for d in self.deliveries]
        progressed = [s for s in states if s in _RANK]
        if progressed:
            return max(progressed, key=_RANK.__getitem__).label
        return states[0].label if states else DeliveryState.CREATED.label


@dataclass
class CaseView:
    case: Case
    court: Court
    entries: list[Entry] = field(default_factory=list)

    @property
    def documents(self) -> list[Document]:
        """Every document the user may download in this case, once each, in service order."""
        seen: dict[int, Document] = {}
        for entry in self.entries:
            for document in entry.documents:
                seen.setdefault(document.id, document)
        return list(seen.values())


def actor(recipient_id: int) -> Actor:
    return Actor(ActorKind.RECIPIENT, str(recipient_id))


async def _entry(recipient: Recipient) -> Entry:
    service = await Service.get(id=recipient.service_id)
    documents: list[Document] = []
    if service.status is not ServiceStatus.REVOKED:
        rows = await RecipientDocument.filter(recipient_id=recipient.id).prefetch_related("document")
        order = {sd.document_id: sd.position for sd in await ServiceDocument.filter(service_id=service.id)}
        documents = [r.document for r in sorted(rows, key=lambda r: order.get(r.document_id, 0))]
    deliveries = await Delivery.filter(recipient_id=recipient.id).order_by("id")
    represented = await Recipient.get_or_none(id=recipient.agent_of_id) if recipient.agent_of_id else None
    return Entry(recipient, service, documents, deliveries, represented)


async def cases_of(phone_index: str, case_id: int | None = None) -> list[CaseView]:
    """The user's cases, newest service first; ``case_id`` narrows to one case."""
    query = Recipient.filter(phone_index=phone_index)
    if case_id is not None:
        query = query.filter(service__case_id=case_id)
    views: dict[int, CaseView] = {}
    for recipient in await query.order_by("-service_id", "position"):
        entry = await _entry(recipient)
        view = views.get(entry.service.case_id)
        if view is None:
            case = await Case.get(id=entry.service.case_id)
            view = views[case.id] = CaseView(case, await Court.get(id=case.court_id))
        view.entries.append(entry)
    return list(views.values())


async def case_of(phone_index: str, case_id: int) -> CaseView:
    """404 unless the user has a recipient row in that case (someone else's id looks unknown)."""
    views = await cases_of(phone_index, case_id)
    if not views:
        raise NotFound("页面不存在")
    return views[0]


async def document_of(phone_index: str, document_id: int) -> tuple[Document, list[Recipient]]:
    """The document and the user's recipient rows that were served it (live services only)."""
    rows = await RecipientDocument.filter(
        document_id=document_id, recipient__phone_index=phone_index,
        service__status__not=ServiceStatus.REVOKED).prefetch_related("recipient")
    if not rows:
        raise NotFound("页面不存在")
    return await Document.get(id=document_id), [r.recipient for r in rows]


async def mark_verified(recipient_ids: list[int], *, meta: RequestMeta, now) -> None:
    """The user proved the phone by SMS code: their portal deliveries become opened, then verified.
    Revoked or expired deliveries stay as they are."""
    for delivery in await Delivery.filter(recipient_id__in=recipient_ids, channel=Channel.PORTAL):
        try:
            for target in (DeliveryState.OPENED, DeliveryState.VERIFIED):
                await advance(delivery.id, target, actor=actor(delivery.recipient_id), meta=meta, now=now,
                              data={"via": "portal_login"})
        except DeliveryClosed:
            continue


async def record_download(recipient: Recipient, document_id: int, *, meta: RequestMeta, now) -> bool:
    """Count a download through the recipient's portal delivery, when there is a live one.
    A delivery created after the login is verified by the logged-in session first."""
    delivery = await Delivery.get_or_none(recipient_id=recipient.id, channel=Channel.PORTAL)
    if delivery is None:
        return False
    try:
        if delivery.state in (DeliveryState.CREATED, DeliveryState.NOTIFIED, DeliveryState.ARRIVED,
                              DeliveryState.OPENED):
            await mark_verified([recipient.id], meta=meta, now=now)
        await record_document_access(delivery.id, document_id, download=True, actor=actor(recipient.id),
                                     meta=meta, now=now)
    except DeliveryClosed:
        return False  # expired: the document is still the user's, the delivery records nothing more
    except AppError as exc:
        if exc.code in ("not_verified", "document_not_found"):
            return False
        raise
    return True
