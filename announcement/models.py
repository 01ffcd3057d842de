"""Tables of announcement service."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from announcement.choices import AnnouncementStatus, FeePayer, FeeStatus


class Announcement(Model):
    """公告: one announcement for one recipient, carried by one announcement task (``attempt``).

    ``text`` is exactly what is published, here and in the paper; it never holds an ID number or
    a phone number (announcement/text.py refuses them). The public page shows it until
    ``public_until``; a withdrawn notice is filtered out in the query, not deleted.
    """

    id = fields.IntField(primary_key=True)
    attempt = fields.OneToOneField("songda.Attempt", related_name="announcement", on_delete=fields.RESTRICT)
    court = fields.ForeignKeyField("songda.Court", related_name="announcements", on_delete=fields.RESTRICT)
    status = fields.CharEnumField(AnnouncementStatus, max_length=16, default=AnnouncementStatus.DRAFT)
    abroad = fields.BooleanField(default=False)   # recipient without a domicile in China
    collect_at = fields.CharField(max_length=200, default="")
    title = fields.CharField(max_length=200)
    text = fields.TextField()
    fee_payer = fields.CharEnumField(FeePayer, max_length=16, default=FeePayer.UNDECIDED)
    fee_status = fields.CharEnumField(FeeStatus, max_length=16, default=FeeStatus.PENDING)
    fee_note = fields.CharField(max_length=500, default="")
    paper_ref = fields.CharField(max_length=64, null=True, unique=True)
    submitted_at = fields.DatetimeField(null=True)
    typeset_at = fields.DatetimeField(null=True)
    published_on = fields.DateField(null=True)
    edition = fields.CharField(max_length=32, default="")
    page = fields.CharField(max_length=32, default="")
    returned_reason = fields.CharField(max_length=500, default="")
    evidence_id = fields.IntField(null=True)
    overdue_at = fields.DatetimeField(null=True)    # flagged: the paper has not published in time
    public_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "announcement"
        indexes = (("court_id", "public_until"), ("status", "submitted_at"))
