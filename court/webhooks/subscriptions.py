"""Who hears about what: a client's callback URL and secret, and the outbox jobs an event makes."""
from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from typing import Any

from audit.choices import EventType
from audit.models import Event
from core.settings import Settings
from core.sql import fetch
from court.models import ApiClient
from court.webhooks.signing import new_secret
from court.webhooks.url_policy import check_webhook_url_async
from identity.pii_keys import pii_cipher
from jobs.kinds import JobKind
from jobs.outbox import enqueue

log = logging.getLogger(__name__)
security_log = logging.getLogger("songda.security")
SECRET_CONTEXT = "webhook_secret"

# What a court system acts on. Opening, verifying and per-document views stay in the timeline
# (GET /services/{id}); pushing each would multiply traffic for facts no court system files.
WEBHOOK_EVENTS = frozenset({
    EventType.SERVICE_CREATED, EventType.SERVICE_REVOKED,
    EventType.DELIVERY_NOTIFIED, EventType.DELIVERY_ARRIVED, EventType.DELIVERY_VIEWED,
    EventType.DELIVERY_SIGNED, EventType.DELIVERY_FAILED, EventType.DELIVERY_EXPIRED,
    EventType.RECEIPT_READY,
    # The service centre: a task or an electronic attempt closed with its outcome, a rule opened
    # the next channel's task (or said why not), every channel failed.
    EventType.TASK_CLOSED, EventType.ATTEMPT_CLOSED, EventType.TASK_ESCALATED, EventType.ANNOUNCEMENT_SUGGESTED,
    # 公告送达 and 委托送达: the publication (the task's close follows as task.closed), the letter
    # sent, and a paper or a receiving court late.
    EventType.ANNOUNCEMENT_PUBLISHED, EventType.ANNOUNCEMENT_OVERDUE, EventType.ENTRUSTMENT_CREATED,
    EventType.ENTRUSTMENT_OVERDUE,
})
# Event.data keys a court may see; anything else (PII, storage keys, staff ids, free text a
# process server typed) stays inside: the court reads that with its key (GET /services/{id}).
_DATA_KEYS = ("receipt_no", "external_id", "case_number", "reason",
              "attempt_id", "channel", "outcome", "method", "served_at", "effective_at", "failure_reason",
              "escalated_from", "from_channel", "trigger", "rule_id", "skipped_reason",
              "announcement_id", "published_on", "edition", "page", "effect_rule", "submitted_at",
              "entrustment_id", "to_court", "on_platform", "due_at")
_FAILED_ATTEMPT_KEYS = ("attempt_id", "channel", "failure_reason", "closed_at")


def _allow_private(settings: Settings) -> bool:
    # Court intranets (法院专网) use private addresses; a deployment opts in explicitly.
    return bool(getattr(settings, "webhook_allow_private", False))


async def set_webhook(client: ApiClient, url: str, *, settings: Settings,
                      allow_private: bool | None = None) -> str:
    """Subscribe ``client`` at ``url`` and return the new ``whsec_`` secret. It is shown this
    once; only its ciphertext is kept. Setting a URL again rotates the secret."""
    allow = _allow_private(settings) if allow_private is None else allow_private
    await check_webhook_url_async(url, allow_private=allow)
    secret = new_secret()
    client.webhook_url = url
    client.webhook_secret_cipher = pii_cipher(settings).encrypt(secret, context=SECRET_CONTEXT)
    # A new subscription starts enabled: subscribing again is also a way out of the disabled state.
    client.webhook_disabled_at, client.webhook_disabled_reason = None, ""
    await client.save(update_fields=["webhook_url", "webhook_secret_cipher", "webhook_disabled_at",
                                     "webhook_disabled_reason"])
    log.info("api client %s subscribed to webhooks", client.id)
    return secret


async def remove_webhook(client_id: int, *, url: str | None = None, reason: str) -> bool:
    """Unsubscribe. With ``url``, only if the client still points there (a URL set meanwhile wins)."""
    query = ApiClient.filter(id=client_id)
    if url is not None:
        query = query.filter(webhook_url=url)
    removed = bool(await query.update(webhook_url=None, webhook_secret_cipher=None, webhook_disabled_at=None,
                                      webhook_disabled_reason=""))
    if removed:
        log.warning("api client %s webhook subscription removed: %s", client_id, reason)
    return removed


async def disable_webhook(client_id: int, *, url: str, reason: str, now: datetime) -> bool:
    """Stop queueing and sending to ``client_id`` but keep URL and secret, so re-enabling needs no
    new secret. Only if the client still points at ``url`` (a URL set meanwhile wins)."""
    disabled = bool(await ApiClient.filter(id=client_id, webhook_url=url, webhook_disabled_at__isnull=True)
                    .update(webhook_disabled_at=now, webhook_disabled_reason=reason[:200]))
    if disabled:
        security_log.warning("api client %s webhook disabled: %s", client_id, reason)
    return disabled


def webhook_secret(client: ApiClient, settings: Settings) -> str:
    return pii_cipher(settings).decrypt(client.webhook_secret_cipher or "", context=SECRET_CONTEXT)


def event_payload(event: Event) -> dict[str, Any]:
    """Thin: ids and times. The receiver fetches details with its key (GET /services/{id})."""
    data: dict[str, Any] = {"event_id": event.id, "service_id": event.service_id}
    if event.recipient_id is not None:
        data["recipient_id"] = event.recipient_id
    if event.delivery_id is not None:
        data["delivery_id"] = event.delivery_id
    if event.type.value.startswith("delivery."):
        data["status"] = event.type.value.split(".", 1)[1]
    data.update({k: event.data[k] for k in _DATA_KEYS if k in (event.data or {})})
    if "failed_attempts" in (event.data or {}):
        data["failed_attempts"] = [{k: a.get(k) for k in _FAILED_ATTEMPT_KEYS} for a in event.data["failed_attempts"]]
    return {"type": event.type.value, "timestamp": event.created_at.isoformat(), "data": data}


async def enqueue_webhooks(event: Event, *, now: datetime | None = None) -> int:
    """Call inside the transaction that records ``event``: one job per subscribed client of its
    court. Idempotent (the dedupe key is event × client). Returns how many jobs were queued.
    ``now`` defaults to the event's time, so this also fits an ``async (event)`` listener."""
    now = now or event.created_at
    if event.type not in WEBHOOK_EVENTS:
        return 0
    # Fixed SQL: this runs with every recorded event, inside the litigant's request (core/sql.py).
    clients = [row["id"] for row in await fetch(ApiClient, _subscribers_sql(), event.court_id)]
    payload = event_payload(event)
    for client_id in clients:
        await enqueue(JobKind.WEBHOOK, f"webhook:{event.id}:{client_id}", {"client_id": client_id, **payload},
                      now=now, event_id=event.id)
    return len(clients)


@cache
def _subscribers_sql() -> str:
    return (f'SELECT "id" FROM "{ApiClient._meta.db_table}" WHERE "court_id" = $1 AND "active" '
            "AND \"webhook_url\" IS NOT NULL AND \"webhook_url\" <> '' AND \"webhook_disabled_at\" IS NULL ORDER BY \"id\"")
