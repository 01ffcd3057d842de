"""Tables of the mini-program identity flow: bindings, face consent, face attempts and lockouts.

A person is keyed by the blind index of their ID number (``subject``): the same person served in
several services, or logging in from a second WeChat account, shares one face lockout. No image,
face encoding, phone or ID number is stored here.
"""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class MpBinding(Model):
    """A WeChat user (openid) proved to be the person behind these phone + ID blind indexes.
    New services for that person are announced to this openid by subscribe message."""

    id = fields.IntField(primary_key=True)
    openid = fields.CharField(max_length=64, db_index=True)
    phone_index = fields.CharField(max_length=64, db_index=True)
    id_number_index = fields.CharField(max_length=64, db_index=True)
    method = fields.CharField(max_length=16)  # sms_code | face
    bound_at = fields.DatetimeField()
    last_verified_at = fields.DatetimeField()

    class Meta:
        table = "mp_binding"
        unique_together = (("openid", "id_number_index"),)


class FaceConsent(Model):
    """单独同意 to face processing (人脸识别技术应用安全管理办法): which text, when, in which session."""

    id = fields.IntField(primary_key=True)
    session_id = fields.IntField(db_index=True)
    openid = fields.CharField(max_length=64)
    text_version = fields.CharField(max_length=32)
    consented_at = fields.DatetimeField()
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=500, default="")

    class Meta:
        table = "face_consent"


class FaceLockout(Model):
    """The face lockout policy's state for one person (identity.face.lockout decides)."""

    id = fields.IntField(primary_key=True)
    subject = fields.CharField(max_length=64, unique=True)
    state = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "face_lockout"


class FaceAttempt(Model):
    """One face verification attempt: the numbers and decisions, never the images.

    Kept apart from the delivery event chain because an attempt belongs to a person before any
    delivery is chosen (one attempt may unlock several services)."""

    id = fields.BigIntField(primary_key=True)
    subject = fields.CharField(max_length=64, db_index=True)
    session_id = fields.IntField()
    openid = fields.CharField(max_length=64)
    challenge = fields.CharField(max_length=32, default="")
    outcome = fields.CharField(max_length=32)  # passed | mismatch | liveness_failed | <error code> | locked
    passed = fields.BooleanField(default=False)
    distance = fields.FloatField(null=True)
    threshold = fields.FloatField(null=True)
    liveness = fields.CharField(max_length=200, default="")
    metrics = fields.JSONField(default=dict)
    lockout = fields.CharField(max_length=200, default="")
    ip = fields.CharField(max_length=64, default="")
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "face_attempt"
