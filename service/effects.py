"""Legal effect as the platform states it: computed from the recorded facts, or, for a sealed
receipt, as that receipt states it.

Facts known at sealing are final for that receipt: its row keeps the effective time, rule, reason
and channel the sealed PDF states (receipts/worker.py). A fact learnt afterwards — a carrier's
late SMS delivery report back-dated to its receive time (service/sms_reports.py) — can make the
rules of service/legal_effect.py give an earlier time. That never replaces the receipt's
statement: it is shown beside it, labelled, citing the receipt (``LaterFact``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any

from audit.choices import EventType
from audit.models import Event
from core.sql import fetch
from documents.kinds import DocumentKind
from documents.models import Document
from service.choices import Channel, ConsentBasis, Outcome, ReceiptStatus, ServiceMethod
from service.legal_effect import ChannelFacts, Effect, TaskFacts, litigant_sentence, service_effect
from service.models import Attempt, Delivery, Receipt, Recipient, ServiceDocument


@dataclass(frozen=True)
class RecipientFacts:
    """What the rules need about one recipient, read in one statement (``_gather``, or with the
    visitor's session: ``facts_select``)."""

    consent: ConsentBasis
    kinds: list[DocumentKind]                # the service's documents, in order (landing pages)
    document_ids: list[int]
    deliveries: list[dict[str, Any]]
    tasks: list[TaskFacts]
    first_view: dict[tuple[int, int], datetime]


def _decide(facts: RecipientFacts, documents: list[tuple[int, DocumentKind]], *,
            signing: tuple[int, datetime] | None = None) -> Effect:
    effects = []
    for document_id, kind in documents:
        channels = [ChannelFacts(
            channel=d["channel"], arrived_at=d["arrived_at"], notified_at=d["notified_at"],
            opened_at=d["opened_at"], document_viewed_at=facts.first_view.get((d["id"], document_id)),
            signed_at=d["signed_at"] or (signing[1] if signing and signing[0] == d["id"] else None),
            failed_at=d["failed_at"], revoked_at=d["revoked_at"], expired_at=d["expired_at"])
            for d in facts.deliveries]
        effects.append(service_effect(kind, facts.consent, channels, facts.tasks))
    pending = [e for e in effects if not e.effective]
    if pending:
        return pending[0]
    latest = max(effects, key=lambda e: e.at)
    rules = "；".join(dict.fromkeys(e.rule for e in effects))
    return Effect(True, latest.at, rules, latest.reason, latest.channel)


async def recipient_effect(recipient: Recipient, documents: list[ServiceDocument], *,
                           signing: tuple[int, datetime] | None = None) -> Effect:
    """Service on one recipient is effective once every document is; the latest of those times.
    ``documents`` with their ``document`` fetched. Electronic deliveries and the centre's
    successful tasks count alike: the earliest effective one wins per document. ``signing``
    (delivery id, time): decide as if that delivery were signed then — what the sign page tells
    the recipient before they sign."""
    facts = await _gather(recipient.id, None)
    return _decide(facts, [(sd.document_id, sd.document.kind) for sd in documents], signing=signing)


async def delivery_effects(delivery: Delivery, *, now: datetime, signing: bool = True,
                           facts: RecipientFacts | None = None) -> tuple[Effect, Effect]:
    """For a recipient's page: the decision on the facts so far, and (``signing``) the decision if
    this delivery were signed at ``now`` — else the first again. The same rules (and the same
    facts) as the receipt's, read in one statement: every landing page asks. ``facts``: already
    read with the visit, in the same request, nothing written since."""
    facts = facts or await _gather(delivery.recipient_id, delivery.service_id)
    documents = list(zip(facts.document_ids, facts.kinds))
    current = _decide(facts, documents)
    if delivery.signed_at is not None or not signing:
        return current, current
    return current, _decide(facts, documents, signing=(delivery.id, now))


async def _gather(recipient_id: int, service_id: int | None) -> RecipientFacts:
    """The recipient's consent basis, ``service_id``'s documents (none for None), every delivery,
    every successful task and the first view of each (delivery, document) — one statement, where
    the ORM made five (tortoise builds each query anew: most of a landing page's CPU)."""
    return facts_of_row((await fetch(Recipient, _facts_sql(), recipient_id, service_id))[0])


def facts_of_row(row: dict[str, Any]) -> RecipientFacts:
    """The facts from the columns ``facts_select`` adds to a statement."""
    deliveries = [{**d, "channel": Channel(d["channel"]),
                   **{k: _time(d[k]) for k in _DELIVERY_TIMES}} for d in _json(row["deliveries"])]
    tasks = [TaskFacts(Channel(t["channel"]), ServiceMethod(t["method"]), _time(t["served_at"]))
             for t in _json(row["tasks"])]
    first_view = {(v["delivery_id"], v["document_id"]): _time(v["at"]) for v in _json(row["views"])}
    documents = _json(row["documents"])
    return RecipientFacts(ConsentBasis(row["consent_basis"]), [DocumentKind(d["kind"]) for d in documents],
                          [d["id"] for d in documents], deliveries, tasks, first_view)


_DELIVERY_TIMES = ("arrived_at", "notified_at", "opened_at", "signed_at", "failed_at", "revoked_at", "expired_at")


def _json(value: str | list | None) -> list:
    return json.loads(value) if isinstance(value, str) else (value or [])


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@cache
def _facts_sql() -> str:
    return (f'SELECT {facts_select("$1", "$2", "r")} FROM "{Recipient._meta.db_table}" r WHERE r."id" = $1')


@cache
def facts_select(recipient_id: str, service_id: str, recipient: str) -> str:
    """The select-list columns ``facts_of_row`` reads, for the recipient whose id is the SQL
    expression ``recipient_id`` (its row aliased ``recipient``) and the documents of
    ``service_id`` (NULL: none)."""
    # The ORM's own order: tasks by served_at, views by event id (the first one wins).
    times = ", ".join(f'"{t}"' for t in _DELIVERY_TIMES)
    return f"""{recipient}."consent_basis",
  (SELECT json_agg(json_build_object('id', sd."document_id", 'kind', doc."kind") ORDER BY sd."position")
     FROM "{ServiceDocument._meta.db_table}" sd JOIN "{Document._meta.db_table}" doc ON doc."id" = sd."document_id"
    WHERE sd."service_id" = {service_id}) AS "documents",
  (SELECT json_agg(fd) FROM (SELECT "id", "channel", {times} FROM "{Delivery._meta.db_table}"
    WHERE "recipient_id" = {recipient_id} ORDER BY "id") fd) AS "deliveries",
  (SELECT json_agg(fa ORDER BY fa."served_at") FROM (SELECT "channel", "method", "served_at"
     FROM "{Attempt._meta.db_table}" WHERE "recipient_id" = {recipient_id} AND "outcome" = '{Outcome.SERVED.value}'
      AND "delivery_id" IS NULL AND "served_at" IS NOT NULL AND "method" IS NOT NULL
      AND "method" <> '{ServiceMethod.ELECTRONIC.value}') fa) AS "tasks",
  (SELECT json_agg(fv) FROM (SELECT DISTINCT ON ("delivery_id", "data"->>'document_id')
       "delivery_id", ("data"->>'document_id')::int AS "document_id", "created_at" AS "at"
     FROM "{Event._meta.db_table}" WHERE "recipient_id" = {recipient_id}
       AND "type" = '{EventType.DOCUMENT_VIEWED.value}' AND "data" ? 'document_id'
     ORDER BY "delivery_id", "data"->>'document_id', "id") fv) AS "views"
"""


_BEIJING = timezone(timedelta(hours=8))


async def litigant_line(delivery: Delivery, *, now: datetime, signing: bool = False,
                        receipt: Receipt | None = None, facts: RecipientFacts | None = None) -> str:
    """The sentence a recipient's page (link, portal, mini-program) shows on legal effect: a sealed
    receipt's own statement once there is one, else the decision on the facts so far and, where
    they are about to sign (``signing``), the decision if they sign now."""
    if sealed(receipt):
        effect = sealed_effect(receipt)
        return _with_time(litigant_sentence(effect), effect.at)
    current, if_signed = await delivery_effects(delivery, now=now, signing=signing, facts=facts)
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
