"""Tables of phone contact: each call placed from a task, and each one-click text sent from one."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from phone.choices import CallOutcome, CallState, RecordingState, TaskTextTemplate


class Call(Model):
    """One click-to-call on a phone task (电话联系记录). The litigant's number is never stored here:
    only its mask; the platform reads the recipient's encrypted number when it places the call."""

    id = fields.IntField(primary_key=True)
    attempt = fields.ForeignKeyField("songda.Attempt", related_name="calls", on_delete=fields.RESTRICT,
                                     db_index=True)
    staff = fields.ForeignKeyField("songda.StaffAccount", related_name="calls", on_delete=fields.RESTRICT)
    provider = fields.CharField(max_length=16)
    provider_call_id = fields.CharField(max_length=64, null=True, db_index=True)
    callee_masked = fields.CharField(max_length=32)
    state = fields.CharEnumField(CallState, max_length=16)
    outcome = fields.CharEnumField(CallOutcome, max_length=16, null=True)
    error_code = fields.CharField(max_length=64, default="")
    placed_at = fields.DatetimeField()
    started_at = fields.DatetimeField(null=True)   # the litigant answered
    ended_at = fields.DatetimeField(null=True)
    duration = fields.IntField(default=0)          # seconds of conversation
    recording_state = fields.CharEnumField(RecordingState, max_length=16, default=RecordingState.NONE)
    recording = fields.ForeignKeyField("songda.Evidence", related_name="calls", null=True,
                                       on_delete=fields.SET_NULL)
    recording_sha256 = fields.CharField(max_length=64, default="")   # of the plain MP3, for proof
    recording_tries = fields.IntField(default=0)
    recording_next_at = fields.DatetimeField(null=True, db_index=True)
    recording_error = fields.CharField(max_length=200, default="")
    recording_deleted_at = fields.DatetimeField(null=True)
    note = fields.CharField(max_length=500, default="")
    # 电话确认地址: an address the litigant confirmed on this call (the address book takes it up).
    # Encrypted like the recipient's (service/recipient_address.py); pages show the mask.
    confirmed_address_cipher = fields.CharField(max_length=1024, default="")
    confirmed_address_masked = fields.CharField(max_length=200, default="")
    address_confirmed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "phone_call"


class TaskText(Model):
    """One text sent from a task (一键短信); the text itself is an ``SmsMessage``, whose carrier
    report becomes ``arrived_at`` here and an event on the attempt."""

    id = fields.IntField(primary_key=True)
    attempt = fields.ForeignKeyField("songda.Attempt", related_name="texts", on_delete=fields.RESTRICT,
                                     db_index=True)
    staff = fields.ForeignKeyField("songda.StaffAccount", related_name="texts", on_delete=fields.RESTRICT)
    template = fields.CharEnumField(TaskTextTemplate, max_length=32)
    sms_message_id = fields.IntField(db_index=True)
    sent_at = fields.DatetimeField()
    arrived_at = fields.DatetimeField(null=True)
    failed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "task_text"
