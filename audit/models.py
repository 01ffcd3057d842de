"""The event table: every fact, append-only, linked into the audit chain after commit."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from audit.choices import ActorKind, EventType


class AppendOnlyError(RuntimeError):
    pass


class Event(Model):
    """Append-only record of every fact. Rows are never updated or deleted by our code."""

    id = fields.BigIntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="events", on_delete=fields.RESTRICT)
    service = fields.ForeignKeyField("songda.Service", related_name="events", null=True, on_delete=fields.RESTRICT, db_index=True)
    recipient_id = fields.IntField(null=True, db_index=True)
    delivery_id = fields.IntField(null=True, db_index=True)
    type = fields.CharEnumField(EventType, max_length=32)
    actor_kind = fields.CharEnumField(ActorKind, max_length=16)
    actor_id = fields.CharField(max_length=64, default="")
    data = fields.JSONField(default=dict)
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # The audit chain (audit/chain.py) fills these after commit, in its own order, with a
    # queryset update (the only write an event ever receives):
    # hash = SHA-256(prev_hash + canonical JSON of the row).
    chain_seq = fields.BigIntField(null=True, unique=True)
    prev_hash = fields.CharField(max_length=64, null=True)
    hash = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "event"

    async def save(self, *args, **kwargs) -> None:
        if not self._saved_in_db:
            await super().save(*args, **kwargs)
            return
        raise AppendOnlyError("events are append-only")

    async def delete(self, *args, **kwargs) -> None:
        raise AppendOnlyError("events are append-only")
