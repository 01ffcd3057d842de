"""Tables of in-person service: what was captured on site (resumable uploads), what the person
present said and did, and the task's own 送达回证.

Why a ``task_receipt`` table beside ``receipt``: ``Receipt`` is one per recipient
(``recipient`` is one-to-one) and belongs to an electronic ``Delivery`` whose state machine and
sealing job it follows. A recipient may sign electronically and also collect at the desk, and a
field task has no delivery at all; one receipt per *attempt* with its own facts (method, place,
people, evidence list) keeps both tables simple and neither nullable nor overloaded.
"""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from inperson.choices import CaptureKind, Collector, TaskReceiptStatus, UploadState


class Capture(Model):
    """One capture (a photo, a video, a signature, a fingerprint, a scan) uploaded for a task,
    resumable: the client picks ``upload_id`` and declares size and SHA-256 up front; chunks
    arrive in ``CaptureChunk`` rows until the bytes are complete, then they become ``Evidence``.
    A retry with the same id never makes a second capture."""

    id = fields.IntField(primary_key=True)
    upload_id = fields.CharField(max_length=64)
    attempt = fields.ForeignKeyField("songda.Attempt", related_name="captures", on_delete=fields.RESTRICT,
                                     db_index=True)
    uploaded_by = fields.ForeignKeyField("songda.StaffAccount", related_name="captures", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(CaptureKind, max_length=16)
    filename = fields.CharField(max_length=255)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    received = fields.IntField(default=0)
    state = fields.CharEnumField(UploadState, max_length=16, default=UploadState.RECEIVING)
    evidence = fields.ForeignKeyField("songda.Evidence", related_name="captures", null=True,
                                      on_delete=fields.RESTRICT)
    # Where and when, as the device said; None when the phone had no fix (allowed, flagged).
    latitude = fields.FloatField(null=True)
    longitude = fields.FloatField(null=True)
    accuracy_m = fields.FloatField(null=True)
    device_time = fields.DatetimeField(null=True)
    clock_skew_s = fields.IntField(null=True)        # device time minus server time at the start
    flags = fields.JSONField(default=list)            # "no_gps", "clock_off"
    witness_name = fields.CharField(max_length=50, default="")
    exif_gps = fields.JSONField(null=True)            # kept in the record, never served outside
    created_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inperson_capture"
        unique_together = (("uploaded_by", "upload_id"),)


class CaptureChunk(Model):
    """Bytes of an unfinished capture, in order; deleted once the capture is complete."""

    id = fields.IntField(primary_key=True)
    capture = fields.ForeignKeyField("songda.Capture", related_name="chunks", on_delete=fields.CASCADE)
    offset = fields.IntField()
    data = fields.BinaryField()

    class Meta:
        table = "inperson_capture_chunk"
        unique_together = (("capture", "offset"),)


class InPersonRecord(Model):
    """What happened face to face when a pickup or field task was closed as served: who took the
    documents (or who refused), how their identity was checked, how the documents were handed
    over, and for 留置送达 the refusal and its witness."""

    id = fields.IntField(primary_key=True)
    attempt = fields.OneToOneField("songda.Attempt", related_name="inperson_record", on_delete=fields.RESTRICT)
    collector = fields.CharEnumField(Collector, max_length=16)
    collector_name = fields.CharField(max_length=100)
    collector_id_masked = fields.CharField(max_length=64, default="")
    collector_id_index = fields.CharField(max_length=64, default="")
    relation = fields.CharField(max_length=50, default="")     # family member's relation to the recipient
    identity_proof = fields.JSONField(default=dict)
    handed_on_paper = fields.BooleanField(default=False)
    pushed_to_phone = fields.BooleanField(default=False)
    place = fields.CharField(max_length=500, default="")
    arrived_at = fields.DatetimeField(null=True)                 # server time on arrival (field)
    refusal_reason = fields.CharField(max_length=500, default="")
    refused_at = fields.DatetimeField(null=True)
    witness_name = fields.CharField(max_length=50, default="")
    witness_role = fields.CharField(max_length=100, default="")
    signature_sha256 = fields.CharField(max_length=64, null=True)
    photo_sha256 = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "inperson_record"


class TaskReceipt(Model):
    """送达回证 of one pickup or field task, sealed off the request path if need be."""

    id = fields.IntField(primary_key=True)
    receipt_no = fields.CharField(max_length=32, unique=True)
    attempt = fields.OneToOneField("songda.Attempt", related_name="task_receipt", on_delete=fields.RESTRICT)
    court = fields.ForeignKeyField("songda.Court", related_name="task_receipts", on_delete=fields.RESTRICT)
    status = fields.CharEnumField(TaskReceiptStatus, max_length=16, default=TaskReceiptStatus.PENDING)
    pdf_sha256 = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()
    sealed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task_receipt"
