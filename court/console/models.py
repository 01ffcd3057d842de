"""Court staff accounts (法院工作人员): password (argon2) + TOTP, one court, one role."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from core.enums import LabelledEnum


class StaffRole(LabelledEnum):
    CLERK = "clerk", "书记员"
    JUDGE = "judge", "法官"
    ADMIN = "admin", "管理员"
    # Service-centre staff (送达中心): ``centre`` is set, and they see that centre's tasks only.
    PROCESS_SERVER = "process_server", "送达员"
    DISPATCHER = "dispatcher", "调度主管"


class StaffAccount(Model):
    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="staff", on_delete=fields.RESTRICT)
    centre = fields.ForeignKeyField("songda.ServiceCentre", related_name="staff", null=True,
                                    on_delete=fields.RESTRICT)
    login = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=64)
    role = fields.CharEnumField(StaffRole, max_length=16)
    password_hash = fields.CharField(max_length=255)
    # The TOTP seed, encrypted like PII (it is a credential); the last accepted time step, so a
    # code cannot be used twice.
    totp_secret_cipher = fields.CharField(max_length=255)
    totp_last_step = fields.BigIntField(default=0)
    failed_logins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    last_login_at = fields.DatetimeField(null=True)
    disabled_at = fields.DatetimeField(null=True)
    # The staff member's own phone, which click-to-call rings first (phone/): encrypted like PII.
    phone_cipher = fields.CharField(max_length=255, default="")
    phone_masked = fields.CharField(max_length=32, default="")

    class Meta:
        table = "staff_account"
