"""The webhook delivery log and what a clerk or a client can do about it: read attempts, see each
endpoint's state, resend a job, re-enable a disabled endpoint.

Plain functions over the ORM, no web imports: the court API and the clerk console both call them.
Court scoping: a job or client of another court is reported as not found.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import Q

from core.errors import Conflict, NotFound, ValidationFailed
from court.models import ApiClient, AttemptOutcome, WebhookAttempt
from jobs.kinds import JobKind
from jobs.models import OutboxJob

security_log = logging.getLogger("songda.security")
MAX_LIMIT = 200


@dataclass(frozen=True)
class EndpointState:
    """One API client of a court, as the console's webhook table shows it."""

    client_id: int
    name: str
    system: str
    url: str | None
    active: bool
    disabled_at: datetime | None
    disabled_reason: str
    last_attempt: WebhookAttempt | None
    failures_24h: int

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


def attempt_dict(attempt: WebhookAttempt) -> dict:
    """The JSON shape shared by the API (and handy for the console)."""
    return {
        "id": attempt.id, "job_id": attempt.job_id, "event_id": attempt.event_id,
        "event_type": attempt.event_type, "webhook_id": attempt.webhook_id, "attempt": attempt.attempt,
        "started_at": attempt.started_at.isoformat(), "duration_ms": attempt.duration_ms,
        "http_status": attempt.http_status, "error": attempt.error, "outcome": attempt.outcome.value,
    }


async def _client(client_id: int, court_id: int | None) -> ApiClient:
    query = ApiClient.filter(id=client_id)
    if court_id is not None:
        query = query.filter(court_id=court_id)
    client = await query.first()
    if client is None:
        raise NotFound("接入系统不存在", code="api_client_not_found")
    return client


async def list_attempts(*, court_id: int, client_id: int | None = None, status: AttemptOutcome | str | None = None,
                        limit: int = 50, offset: int = 0, before_id: int | None = None) -> list[WebhookAttempt]:
    """Newest first. ``before_id`` is a cursor (the id of the last line of the previous page);
    ``offset`` suits numbered console pages."""
    query = WebhookAttempt.filter(court_id=court_id)
    if client_id is not None:
        query = query.filter(api_client_id=client_id)
    if status is not None:
        try:
            query = query.filter(outcome=AttemptOutcome(status))
        except ValueError:
            raise ValidationFailed("投递结果筛选条件有误", details=[
                {"field": "status", "message": "应为 " + " / ".join(o.value for o in AttemptOutcome)}]) from None
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").offset(max(offset, 0)).limit(min(max(limit, 1), MAX_LIMIT))


async def endpoint_states(court_id: int, *, now: datetime) -> list[EndpointState]:
    """Every API client of the court, subscribed or not, with its last attempt and the failed
    attempts (anything but delivered) of the last 24 hours."""
    clients = await ApiClient.filter(court_id=court_id).order_by("id")
    states = []
    for client in clients:
        last = await WebhookAttempt.filter(api_client_id=client.id).order_by("-id").first()
        failures = await WebhookAttempt.filter(api_client_id=client.id, started_at__gte=now - timedelta(hours=24)) \
            .exclude(outcome=AttemptOutcome.DELIVERED).count()
        states.append(EndpointState(
            client_id=client.id, name=client.name, system=client.system.value, url=client.webhook_url,
            active=client.active, disabled_at=client.webhook_disabled_at,
            disabled_reason=client.webhook_disabled_reason, last_attempt=last, failures_24h=failures))
    return states


async def endpoint_state(client_id: int, *, court_id: int | None = None, now: datetime) -> EndpointState:
    client = await _client(client_id, court_id)
    [state] = [s for s in await endpoint_states(client.court_id, now=now) if s.client_id == client.id]
    return state


async def enable_webhook(client_id: int, *, court_id: int | None = None, actor: str = "") -> bool:
    """Clear the disabled state; new events are queued again. Jobs closed while disabled stay
    closed (resend them one by one). Returns False if it was not disabled."""
    client = await _client(client_id, court_id)
    if not client.webhook_url:
        raise Conflict("尚未订阅回调，无法启用", code="webhook_not_subscribed")
    enabled = bool(await ApiClient.filter(id=client.id, webhook_disabled_at__isnull=False)
                   .update(webhook_disabled_at=None, webhook_disabled_reason=""))
    if enabled:
        security_log.warning("api client %s webhook re-enabled by %s", client.id, actor or "unknown")
    return enabled


async def resend(job_id: int, *, court_id: int | None = None, client_id: int | None = None, now: datetime,
                 actor: str = "") -> OutboxJob:
    """Queue a webhook job for immediate delivery, delivered or not, with the same webhook-id
    (the job's dedupe key) so the receiver can drop it if it already has it. The 3-day window
    still counts from the job's creation: an old job that fails again is closed at once and the
    endpoint disabled again."""
    job = await OutboxJob.get_or_none(id=job_id, kind=JobKind.WEBHOOK)
    owner = job.payload.get("client_id") if job is not None else None
    if job is None or (client_id is not None and owner != client_id):
        raise NotFound("回调任务不存在", code="webhook_job_not_found")
    try:
        client = await _client(owner, court_id)
    except NotFound:
        raise NotFound("回调任务不存在", code="webhook_job_not_found") from None
    if not client.webhook_url:
        raise Conflict("尚未订阅回调，无法重发", code="webhook_not_subscribed")
    if client.webhook_disabled_at is not None:
        raise Conflict("回调已停用，请先重新启用", code="webhook_disabled")
    # A job a relay holds right now would be completed by it after this update and the resend lost.
    moved = await OutboxJob.filter(id=job.id).filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now)) \
        .update(done_at=None, available_at=now, locked_until=None, last_error="resend requested")
    if not moved:
        raise Conflict("该回调正在投递，请稍后再试", code="webhook_job_in_flight")
    security_log.warning("webhook job %s resend requested for api client %s by %s",
                         job.id, client.id, actor or "unknown")
    return await OutboxJob.get(id=job.id)
