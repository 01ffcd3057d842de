"""Tables of the mail service. Money is in fen (分), integers."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from mail.choices import MailStatus, PriceBand
from service.choices import MailReturn, MailSigner


class MailPrice(Model):
    """邮寄价格表, one row per court; without a row the seed's defaults apply (mail/costs.py).
    ``origin`` is the court's own address: the price band is measured from it."""

    id = fields.IntField(primary_key=True)
    court = fields.OneToOneField("songda.Court", related_name="mail_price", on_delete=fields.CASCADE)
    origin = fields.CharField(max_length=200, default="")
    printing_fen = fields.IntField(default=800)
    same_city_fen = fields.IntField(default=2000)
    same_province_fen = fields.IntField(default=3000)
    other_province_fen = fields.IntField(default=4000)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "mail_price"


class PrintBatch(Model):
    """集中打印批次: the mail items for one destination (province, city), printed together."""

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="print_batches", on_delete=fields.RESTRICT)
    centre = fields.ForeignKeyField("songda.ServiceCentre", related_name="print_batches", null=True,
                                    on_delete=fields.RESTRICT)
    destination = fields.CharField(max_length=64)
    item_count = fields.IntField()
    page_count = fields.IntField(default=0)
    pdf_sha256 = fields.CharField(max_length=64, null=True)   # the print PDF, once rendered
    created_by_id = fields.IntField()
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "mail_print_batch"


class MailItem(Model):
    """One mail item (邮件): the documents of one mail task in one envelope. ``code`` is printed
    on the paper 送达回证 as a barcode and QR, so the returned card is matched back to it."""

    id = fields.IntField(primary_key=True)
    attempt = fields.OneToOneField("songda.Attempt", related_name="mail_item", on_delete=fields.RESTRICT)
    batch = fields.ForeignKeyField("songda.PrintBatch", related_name="items", on_delete=fields.RESTRICT)
    court = fields.ForeignKeyField("songda.Court", related_name="mail_items", on_delete=fields.RESTRICT)
    code = fields.CharField(max_length=16, unique=True)
    destination = fields.CharField(max_length=64)
    band = fields.CharEnumField(PriceBand, max_length=16)
    postage_fen = fields.IntField()
    printing_fen = fields.IntField()
    pages = fields.IntField(default=0)
    carrier = fields.CharField(max_length=16, default="ems")
    waybill = fields.CharField(max_length=32, null=True, unique=True)
    status = fields.CharEnumField(MailStatus, max_length=16, default=MailStatus.PRINTED)
    signer_name = fields.CharField(max_length=100, default="")
    delivered_at = fields.DatetimeField(null=True)
    returned_at = fields.DatetimeField(null=True)
    return_text = fields.CharField(max_length=200, default="")
    # What staff confirmed from the return card (回执) or the returned envelope.
    card_received_at = fields.DatetimeField(null=True)
    card_signer = fields.CharEnumField(MailSigner, max_length=16, null=True)
    return_reason = fields.CharEnumField(MailReturn, max_length=16, null=True)
    confirmed_at = fields.DatetimeField(null=True)
    confirmed_by_id = fields.IntField(null=True)
    last_polled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(db_index=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "mail_item"


class TrackingEvent(Model):
    """One line of a mail item's logistics timeline, as the carrier reported it."""

    id = fields.IntField(primary_key=True)
    item = fields.ForeignKeyField("songda.MailItem", related_name="tracking", on_delete=fields.CASCADE,
                                  db_index=True)
    at = fields.DatetimeField()
    status = fields.CharEnumField(MailStatus, max_length=16, null=True)   # None: a status we do not know
    text = fields.CharField(max_length=500)
    location = fields.CharField(max_length=100, default="")
    source = fields.CharField(max_length=16)                             # query | push | dev
    created_at = fields.DatetimeField()

    class Meta:
        table = "mail_tracking_event"
        unique_together = (("item", "at", "text"),)


class ReturnScan(Model):
    """A scanned return card (one image, or one page of a scanned batch), matched to its item by
    the code read from it, or kept for a person to match."""

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="return_scans", on_delete=fields.RESTRICT)
    item = fields.ForeignKeyField("songda.MailItem", related_name="scans", null=True, on_delete=fields.RESTRICT)
    evidence_id = fields.IntField(null=True)
    sha256 = fields.CharField(max_length=64, db_index=True)
    content_type = fields.CharField(max_length=64)
    filename = fields.CharField(max_length=255)
    page = fields.IntField(default=1)
    code_read = fields.CharField(max_length=64, default="")
    uploaded_by_id = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "mail_return_scan"
