"""Tables of entrusted service."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Entrustment(Model):
    """委托送达: court A entrusts one recipient's service to court B.

    ``attempt`` is A's entrusted attempt. When B runs this platform (``to_court``), the attempt's
    ``centre_id`` is B's service centre: it is a task in B's queue, and B's centre scope reaches
    that one attempt (its recipient, its documents) and nothing else of A; B's close is A's
    result. When B does not (``to_court`` null, ``to_court_name``), the attempt belongs to no
    centre and A's clerk records B's result by hand. The 委托送达函 is a sealed PDF in storage.
    """

    id = fields.IntField(primary_key=True)
    attempt = fields.OneToOneField("songda.Attempt", related_name="entrustment", on_delete=fields.RESTRICT)
    from_court = fields.ForeignKeyField("songda.Court", related_name="entrustments_made", on_delete=fields.RESTRICT)
    to_court = fields.ForeignKeyField("songda.Court", related_name="entrustments_received", null=True,
                                      on_delete=fields.RESTRICT)
    to_court_name = fields.CharField(max_length=100)
    return_address = fields.CharField(max_length=200)
    letter_no = fields.CharField(max_length=64)
    letter_sha256 = fields.CharField(max_length=64)
    due_at = fields.DatetimeField()
    overdue_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "entrustment"
