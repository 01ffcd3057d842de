"""The outbox table: work written with the state change that causes it."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from jobs.kinds import JobKind


class OutboxJob(Model):
    """Transactional outbox: written with the state change, run after commit, at least once.

    ``dedupe_key`` makes enqueueing idempotent (e.g. one seal job per receipt number).
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(JobKind, max_length=16)
    dedupe_key = fields.CharField(max_length=128, unique=True)
    payload = fields.JSONField(default=dict)
    event_id = fields.BigIntField(null=True)
    attempts = fields.IntField(default=0)
    available_at = fields.DatetimeField(db_index=True)
    locked_until = fields.DatetimeField(null=True)
    locked_by = fields.CharField(max_length=64, default="")
    done_at = fields.DatetimeField(null=True, db_index=True)
    last_error = fields.CharField(max_length=1000, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "outbox_job"
