"""Tables of the service centre: what a process server did on a task, and the rules that open
the next task. Attempts themselves live in service/models.py: the legal-effect engine reads them."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from centre.choices import EscalationAction, EscalationTrigger
from service.choices import ContactKind, EvidenceKind


class Contact(Model):
    """One contact on a task (联系记录): what was done, when, and what came of it."""

    id = fields.IntField(primary_key=True)
    attempt = fields.ForeignKeyField("songda.Attempt", related_name="contacts", on_delete=fields.CASCADE,
                                     db_index=True)
    staff = fields.ForeignKeyField("songda.StaffAccount", related_name="contacts", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(ContactKind, max_length=16)
    contacted_at = fields.DatetimeField()
    result = fields.CharField(max_length=500)
    created_at = fields.DatetimeField()

    class Meta:
        table = "attempt_contact"


class Evidence(Model):
    """证据 / 回执附件: a recording, photo, scan or video attached to an attempt. The bytes are in
    the content-addressed storage like documents, checked against ``sha256`` on every read."""

    id = fields.IntField(primary_key=True)
    attempt = fields.ForeignKeyField("songda.Attempt", related_name="evidence", on_delete=fields.RESTRICT,
                                     db_index=True)
    court = fields.ForeignKeyField("songda.Court", related_name="evidence", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(EvidenceKind, max_length=16)
    content_type = fields.CharField(max_length=64)
    sha256 = fields.CharField(max_length=64, db_index=True)
    size = fields.IntField()
    filename = fields.CharField(max_length=255)
    description = fields.CharField(max_length=200, default="")
    uploaded_by = fields.ForeignKeyField("songda.StaffAccount", related_name="evidence", null=True,
                                         on_delete=fields.RESTRICT)
    # Personal data (call recordings, in-person captures: faces, fingerprints, signatures) is
    # stored AES-GCM sealed (``centre.evidence.seal_evidence``); ``sha256`` is then the stored
    # ciphertext's (the storage key), ``plain_sha256`` and ``size`` the plain file's: the hash the
    # audited event and the receipts state. Read evidence through
    # ``centre.evidence.evidence_bytes``, never ``storage.get`` alone.
    encrypted = fields.BooleanField(default=False)
    plain_sha256 = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "evidence"

    @property
    def file_sha256(self) -> str:
        """The SHA-256 of the file as uploaded: what lists, reports and receipts print."""
        return self.plain_sha256 or self.sha256


class EscalationRule(Model):
    """升级规则, per court: when an attempt on one of ``from_channels`` meets ``trigger``, open a
    task on ``open_channel`` (or suggest announcement to the clerk). Each rule fires at most once
    per triggering attempt (``Attempt.escalated_from`` + ``escalation_rule_id`` is unique)."""

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="escalation_rules", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=100)
    trigger = fields.CharEnumField(EscalationTrigger, max_length=16)
    from_channels = fields.JSONField()            # list of Channel values
    after_hours = fields.IntField(default=0)      # STALLED: hours since the attempt was created
    action = fields.CharEnumField(EscalationAction, max_length=32)
    open_channel = fields.CharField(max_length=16, null=True)   # a Channel value for OPEN_TASK
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "escalation_rule"


class EscalationFiring(Model):
    """升级记录: what one rule did about one triggering attempt — opened a task, suggested
    announcement service, or stood aside with a reason (no address for mail). One row per rule and
    trigger, so a rule never acts twice on the same thing (centre/escalation.py)."""

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="escalation_firings", on_delete=fields.CASCADE)
    rule = fields.ForeignKeyField("songda.EscalationRule", related_name="firings", on_delete=fields.CASCADE)
    attempt = fields.ForeignKeyField("songda.Attempt", related_name="firings", on_delete=fields.CASCADE)
    service_id = fields.IntField()
    recipient_id = fields.IntField(db_index=True)
    action = fields.CharEnumField(EscalationAction, max_length=32)
    opened_attempt_id = fields.IntField(null=True)
    skipped_reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "escalation_firing"
        unique_together = (("rule", "attempt"),)
        indexes = (("court_id", "action", "created_at"),)
