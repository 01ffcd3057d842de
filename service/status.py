"""Where a service stands: the read model the court's systems and clerks look at.

Plain dicts with ISO times; only masked PII leaves this module. A recipient's receipt shows what
the sealed receipt states about legal effect, and beside it (``later_fact``) an earlier effective
time learnt after sealing, if any — never in its place (service/effects.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.functions import Count

from documents.models import Document
from service.choices import DeliveryState
from service.delivery_states import PROGRESS
from service.effects import LaterFact, later_fact, recipient_effect, sealed
from service.models import (
    Attempt,
    Case,
    Delivery,
    Receipt,
    Recipient,
    RecipientDocument,
    Service,
    ServiceDocument,
)

_TIMES = ("notified", "arrived", "opened", "verified", "viewed", "signed", "failed", "expired", "revoked")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def recipient_state(deliveries: list[Delivery]) -> DeliveryState:
    """The furthest any channel got; failed only when every channel failed."""
    states = [d.state for d in deliveries]
    progressed = [s for s in states if s in PROGRESS]
    if progressed:
        return max(progressed, key=PROGRESS.index)
    for ended in (DeliveryState.REVOKED, DeliveryState.EXPIRED, DeliveryState.FAILED):
        if ended in states:
            return ended
    return DeliveryState.CREATED


def delivery_view(d: Delivery) -> dict[str, Any]:
    view: dict[str, Any] = {"id": d.id, "channel": d.channel.value, "state": d.state.value,
                            "created_at": _iso(d.created_at)}
    view.update({f"{name}_at": _iso(getattr(d, f"{name}_at")) for name in _TIMES})
    if d.failure_reason:
        view["failure_reason"] = d.failure_reason
    return view


def attempt_view(a: Attempt, evidence_count: int = 0) -> dict[str, Any]:
    """送达尝试 as the court sees it: the channel, where it stands and what it established."""
    return {
        "id": a.id, "channel": a.channel.value, "status": a.status.value,
        "outcome": a.outcome.value if a.outcome else None, "method": a.method.value if a.method else None,
        "served_at": _iso(a.served_at), "effective_at": _iso(a.effective_at),
        "effect_rule": a.effect_rule or None,
        "failure_reason": a.failure_reason.value if a.failure_reason else None,
        "failure_text": a.failure_text or None,
        "created_at": _iso(a.created_at), "due_at": _iso(a.due_at), "closed_at": _iso(a.closed_at),
        "escalated_from": a.escalated_from_id, "evidence_count": evidence_count,
    }


def _summary(service: Service, case: Case) -> dict[str, Any]:
    return {
        "id": service.id,
        "case_number": case.case_number,
        "external_id": service.external_id,
        "status": service.status.value,
        "source_system": service.source_system.value,
        "created_at": _iso(service.created_at),
        "expires_at": _iso(service.expires_at),
        "revoked_at": _iso(service.revoked_at),
    }


async def service_summary(service: Service) -> dict[str, Any]:
    await service.fetch_related("case")
    return _summary(service, service.case)


@dataclass
class ServiceRows:
    """Everything a service's view shows, as stored: read back by ``service_view``, or the rows
    intake has just written (service/intake.py), so the POST answers without reading them again."""

    service: Service
    case: Case
    documents: list[Document]  # in the service's order (ServiceDocument.position)
    recipients: list[Recipient]  # by position
    deliveries: list[Delivery]  # by id
    recipient_documents: list[RecipientDocument]  # by id
    receipts: list[Receipt] = field(default_factory=list)
    later_facts: dict[int, LaterFact] = field(default_factory=dict)  # by receipt id
    attempts: list[Attempt] = field(default_factory=list)  # by id
    evidence_counts: dict[int, int] = field(default_factory=dict)  # by attempt id; none at intake


def receipt_view(receipt: Receipt | None, later: LaterFact | None) -> dict[str, Any] | None:
    """What the receipt states once sealed (nothing yet while pending), and a later-learnt earlier
    fact beside it."""
    if receipt is None:
        return None
    stated = sealed(receipt)
    return {
        "receipt_no": receipt.receipt_no, "status": receipt.status.value, "sealed_at": _iso(receipt.sealed_at),
        "effective_at": _iso(receipt.effective_at) if stated else None,
        "effect_rule": receipt.effect_rule if stated else None,
        "effect_reason": receipt.effect_reason if stated else None,
        "effect_channel": receipt.effect_channel.value if stated and receipt.effect_channel else None,
        "later_fact": {"effective_at": _iso(later.effective_at),
                       "channel": later.channel.value if later.channel else None,
                       "rule": later.rule, "reason": later.reason} if later else None,
    }


def render_service(rows: ServiceRows) -> dict[str, Any]:
    service, case = rows.service, rows.case
    view = _summary(service, case)
    view["case"] = {"case_number": case.case_number, "cause": case.cause, "judge": case.judge,
                    "clerk": case.clerk}
    if service.revoke_reason:
        view["revoke_reason"] = service.revoke_reason
    view["documents"] = [
        {"id": d.id, "kind": d.kind.value, "title": d.title, "sha256": d.sha256, "size": d.size,
         "pages": d.page_count}
        for d in rows.documents
    ]
    order = {d.id: position for position, d in enumerate(rows.documents)}
    receipts = {receipt.recipient_id: receipt for receipt in rows.receipts}
    view["recipients"] = []
    for r in rows.recipients:
        receipt = receipts.get(r.id)
        mine = [d for d in rows.deliveries if d.recipient_id == r.id]
        docs = sorted((rd for rd in rows.recipient_documents if rd.recipient_id == r.id),
                      key=lambda rd: order.get(rd.document_id, 0))
        view["recipients"].append({
            "id": r.id, "name": r.name, "role": r.role.value, "phone": r.phone_masked,
            "id_type": r.id_type, "id_number": r.id_number_masked, "consent": r.consent_basis.value,
            "agent_of": r.agent_of_id, "status": recipient_state(mine).value,
            "deliveries": [delivery_view(d) for d in mine],
            "attempts": [attempt_view(a, rows.evidence_counts.get(a.id, 0))
                         for a in rows.attempts if a.recipient_id == r.id],
            "documents": [{
                "document_id": rd.document_id, "first_viewed_at": _iso(rd.first_viewed_at),
                "view_count": rd.view_count, "first_downloaded_at": _iso(rd.first_downloaded_at),
                "download_count": rd.download_count, "signed_at": _iso(rd.signed_at),
            } for rd in docs],
            "receipt": receipt_view(receipt, rows.later_facts.get(receipt.id) if receipt else None),
        })
    return view


async def service_view(service: Service) -> dict[str, Any]:
    await service.fetch_related("case")
    service_documents = await ServiceDocument.filter(service=service).order_by("position").prefetch_related("document")
    recipients = await Recipient.filter(service=service).order_by("position")
    receipts = await Receipt.filter(service=service).order_by("id")
    later_facts = {}
    by_id = {r.id: r for r in recipients}
    for receipt in receipts:
        if sealed(receipt) and (later := later_fact(
                receipt, await recipient_effect(by_id[receipt.recipient_id], service_documents))):
            later_facts[receipt.id] = later
    return render_service(ServiceRows(
        service=service,
        case=service.case,
        documents=[sd.document for sd in service_documents],
        recipients=recipients,
        deliveries=await Delivery.filter(service=service).order_by("id"),
        recipient_documents=await RecipientDocument.filter(service=service).order_by("id"),
        receipts=receipts,
        later_facts=later_facts,
        attempts=await Attempt.filter(service=service).order_by("id"),
        evidence_counts=await evidence_counts(service.id),
    ))


async def evidence_counts(service_id: int) -> dict[int, int]:
    """Evidence files per attempt of a service (Attempt.evidence is the service centre's table,
    reached through the relation so this package need not import it)."""
    rows = await (Attempt.filter(service_id=service_id, evidence__id__isnull=False)
                  .annotate(files=Count("evidence__id")).group_by("id").values("id", "files"))
    return {row["id"]: row["files"] for row in rows}
