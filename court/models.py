"""Tables owned by the court-facing surface: API clients and idempotency records."""
from __future__ import annotations

from enum import Enum

from tortoise import fields
from tortoise.models import Model

from service.choices import CourtSystem


class ApiClient(Model):
    """A court system (审判/执行/电子卷宗) allowed to call the intake API.

    The key is shown once at creation; only its SHA-256 is kept (keys are 256-bit random, so a
    plain hash is enough — no password stretching needed).
    """

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="api_clients", on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=100)
    system = fields.CharEnumField(CourtSystem, max_length=16)
    key_prefix = fields.CharField(max_length=16)
    key_hash = fields.CharField(max_length=64, unique=True)
    scopes = fields.JSONField()
    webhook_url = fields.CharField(max_length=500, null=True)
    webhook_secret_cipher = fields.CharField(max_length=255, null=True)
    # Set when the relay gives up (3 days failing); the URL and secret stay so a clerk or the
    # client can re-enable without re-subscribing. No jobs are queued meanwhile.
    webhook_disabled_at = fields.DatetimeField(null=True)
    webhook_disabled_reason = fields.CharField(max_length=200, default="")
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_client"


class IdempotencyRecord(Model):
    """Stripe-style idempotency: the first response to (client, key) is replayed for 24 h."""

    id = fields.IntField(primary_key=True)
    api_client = fields.ForeignKeyField("songda.ApiClient", related_name="idempotency_records", on_delete=fields.CASCADE)
    key = fields.CharField(max_length=255)
    request_hash = fields.CharField(max_length=64)
    response_status = fields.IntField()
    response_body = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "idempotency_record"
        unique_together = (("api_client", "key"),)


class AttemptOutcome(str, Enum):
    DELIVERED = "delivered"   # 2xx
    RETRY = "retry"           # failed, scheduled again
    GONE = "gone"             # 410: the receiver unsubscribed
    GAVE_UP = "gave_up"       # closed without delivery (3 days failing, or endpoint disabled/removed)
    REFUSED = "refused"       # the URL policy refused the address; retried like a failure


class WebhookAttempt(Model):
    """One webhook POST (or one job closed without a POST), written by the relay.

    Plain integer columns, no foreign keys: the relay inserts a whole batch in one statement and
    the log outlives jobs and clients. ``court_id`` is copied so console queries need no join.
    """

    id = fields.BigIntField(primary_key=True)
    job_id = fields.BigIntField(db_index=True)
    court_id = fields.IntField()
    api_client_id = fields.IntField()
    event_id = fields.BigIntField(null=True)
    event_type = fields.CharField(max_length=40, default="")
    webhook_id = fields.CharField(max_length=128)
    attempt = fields.IntField()
    started_at = fields.DatetimeField()
    duration_ms = fields.IntField(default=0)
    http_status = fields.IntField(null=True)
    error = fields.CharField(max_length=200, default="")
    outcome = fields.CharEnumField(AttemptOutcome, max_length=16)

    class Meta:
        table = "webhook_attempt"
        indexes = (("api_client_id", "id"), ("court_id", "id"))
