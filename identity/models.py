"""Tables of the identity package: one-time codes, abuse counters, sessions, SMS messages.

No code, phone or session id is stored in the clear: codes as HMACs, session ids as SHA-256,
phones as PII ciphertext + blind index (see identity/pii.py).
"""
from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model


class CodePurpose(str, enum.Enum):
    """What a one-time code unlocks; a code for one purpose never works for another."""

    LINK = "link"          # open one delivery's short link (subject: delivery id)
    LOGIN = "login"        # portal login (subject: phone blind index)
    SIGN = "sign"          # confirm a signature (subject: delivery id)
    MP_PHONE = "mp_phone"  # mini-program phone possession (subject: phone blind index)
    ADDRESS = "address"    # sign a 送达地址确认书 (subject: "case:<id>:<phone blind index>")


class SmsTemplate(str, enum.Enum):
    CODE = "code"
    SERVICE_NOTICE = "service_notice"
    # One-click texts from a phone task (phone/texts.py), court-approved wording.
    TASK_REMINDER = "task_reminder"
    PICKUP_NOTICE = "pickup_notice"
    ADDRESS_REQUEST = "address_request"
    HEARING_REMINDER = "hearing_reminder"


class SmsStatus(str, enum.Enum):
    SENT = "sent"            # accepted by the provider, no carrier report yet
    DELIVERED = "delivered"  # carrier confirmed arrival on the handset
    FAILED = "failed"        # carrier reported failure
    REJECTED = "rejected"    # the provider refused to send


class SessionKind(str, enum.Enum):
    LINK = "link"        # one delivery, reached through an SMS short link
    PORTAL = "portal"    # a litigant or lawyer logged in with phone + code
    MINIPROGRAM = "mp"   # the WeChat mini-program
    CONSOLE = "console"  # court staff in the clerk console


class OneTimeCode(Model):
    id = fields.IntField(primary_key=True)
    purpose = fields.CharEnumField(CodePurpose, max_length=16)
    subject = fields.CharField(max_length=128)
    code_hmac = fields.CharField(max_length=64)
    failed_attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "one_time_code"
        indexes = (("purpose", "subject"),)


class CodeSubject(Model):
    """Failures across codes for one (purpose, subject): a resend does not reset them."""

    id = fields.IntField(primary_key=True)
    purpose = fields.CharEnumField(CodePurpose, max_length=16)
    subject = fields.CharField(max_length=128)
    consecutive_failures = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "code_subject"
        unique_together = (("purpose", "subject"),)


class RateCounter(Model):
    """Fixed-window counters for the database limit backend (Redis replaces it in production)."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=200, unique=True)
    count = fields.IntField(default=0)
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "rate_counter"


class Session(Model):
    id = fields.IntField(primary_key=True)
    sid_hash = fields.CharField(max_length=64, unique=True)
    kind = fields.CharEnumField(SessionKind, max_length=16)
    data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "session"


class SmsMessage(Model):
    """Every text we asked a gateway to send, and what the carrier said about it."""

    id = fields.IntField(primary_key=True)
    delivery_id = fields.IntField(null=True, db_index=True)
    template = fields.CharEnumField(SmsTemplate, max_length=32)
    provider = fields.CharField(max_length=16)
    phone_cipher = fields.CharField(max_length=255)
    phone_index = fields.CharField(max_length=64, db_index=True)
    phone_masked = fields.CharField(max_length=32)
    # Template parameters with any code replaced by "******".
    params = fields.JSONField(default=dict)
    segments = fields.IntField()
    status = fields.CharEnumField(SmsStatus, max_length=16)
    provider_message_id = fields.CharField(max_length=64, null=True, db_index=True)
    error_code = fields.CharField(max_length=64, default="")
    sent_at = fields.DatetimeField()
    received_at = fields.DatetimeField(null=True)
    reported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sms_message"
