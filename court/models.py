"""Tables owned by the court-facing surface: API clients and idempotency records."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from documents.choices import CourtSystem


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
