"""Tables of the service domain.

PII columns come in threes: ``*_cipher`` (AES-GCM token, see identity/pii.py), ``*_index``
(HMAC blind index for equality lookups) and ``*_masked`` (what screens and receipts show).
No plaintext phone or ID number is ever stored.
"""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from service.choices import (
    Channel,
    ConsentBasis,
    CourtSystem,
    DeliveryState,
    FailureReason,
    Outcome,
    ReceiptStatus,
    RecipientRole,
    ServiceMethod,
    ServiceStatus,
    TaskStatus,
)


class ServiceCentre(Model):
    """送达中心: the (outsourced) team that handles a court's service tasks. One centre may serve
    several courts; its staff see the tasks of those courts only."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "service_centre"


class Court(Model):
    """人民法院. ``code`` is the court's 代字 as it appears in case numbers, e.g. 桂1202."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=100)
    phone = fields.CharField(max_length=32, default="")
    centre = fields.ForeignKeyField("songda.ServiceCentre", related_name="courts", null=True,
                                    on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "court"


class Case(Model):
    """案件. One row per (court, 案号)."""

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="cases", on_delete=fields.RESTRICT)
    case_number = fields.CharField(max_length=64)
    cause = fields.CharField(max_length=200, default="")  # 案由
    judge = fields.CharField(max_length=50, default="")
    clerk = fields.CharField(max_length=50, default="")
    # 原审案件 / 执行依据: the case this one continues (an appeal's first instance, an enforcement's
    # judgment), same court; a case's lineage is every case linked this way (service/lineage.py).
    origin = fields.ForeignKeyField("songda.Case", related_name="successors", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "court_case"
        unique_together = (("court", "case_number"),)


class Service(Model):
    """送达: one push from a court system — a case, its documents, its recipients."""

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="services", on_delete=fields.RESTRICT)
    case = fields.ForeignKeyField("songda.Case", related_name="services", on_delete=fields.RESTRICT)
    source_system = fields.CharEnumField(CourtSystem, max_length=16)
    source_client_id = fields.IntField(null=True)
    external_id = fields.CharField(max_length=100, null=True)
    status = fields.CharEnumField(ServiceStatus, max_length=16, default=ServiceStatus.IN_PROGRESS)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    revoke_reason = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "service"


class ServiceDocument(Model):
    """A document served in a service, in the court's order."""

    id = fields.IntField(primary_key=True)
    service = fields.ForeignKeyField("songda.Service", related_name="service_documents", on_delete=fields.CASCADE, db_index=True)
    document = fields.ForeignKeyField("songda.Document", related_name="service_documents", on_delete=fields.RESTRICT)
    position = fields.IntField()

    class Meta:
        table = "service_document"
        unique_together = (("service", "document"),)


class Recipient(Model):
    """受送达人 (or their 委托代理人, linked through ``agent_of``)."""

    id = fields.IntField(primary_key=True)
    service = fields.ForeignKeyField("songda.Service", related_name="recipients", on_delete=fields.CASCADE, db_index=True)
    position = fields.IntField()
    name = fields.CharField(max_length=100)
    role = fields.CharEnumField(RecipientRole, max_length=32)
    phone_cipher = fields.CharField(max_length=255)
    phone_index = fields.CharField(max_length=64, db_index=True)
    phone_masked = fields.CharField(max_length=32)
    id_type = fields.CharField(max_length=32, null=True)
    id_number_cipher = fields.CharField(max_length=255, null=True)
    id_number_index = fields.CharField(max_length=64, null=True, db_index=True)
    id_number_masked = fields.CharField(max_length=64, null=True)
    # 送达地址, encrypted (service/recipient_address.py); "" when the court gave none.
    address_cipher = fields.CharField(max_length=1024, default="")
    address_masked = fields.CharField(max_length=200, default="")
    consent_basis = fields.CharEnumField(ConsentBasis, max_length=16)
    channels = fields.JSONField()
    agent_of = fields.ForeignKeyField(
        "songda.Recipient", related_name="agents", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "recipient"


class Delivery(Model):
    """One recipient × one channel, moving through ``DeliveryState`` (see delivery_states.py)."""

    id = fields.IntField(primary_key=True)
    service = fields.ForeignKeyField("songda.Service", related_name="deliveries", on_delete=fields.CASCADE, db_index=True)
    recipient = fields.ForeignKeyField("songda.Recipient", related_name="deliveries", on_delete=fields.CASCADE, db_index=True)
    channel = fields.CharEnumField(Channel, max_length=16)
    state = fields.CharEnumField(DeliveryState, max_length=16, default=DeliveryState.CREATED)
    created_at = fields.DatetimeField(auto_now_add=True)
    notified_at = fields.DatetimeField(null=True)
    arrived_at = fields.DatetimeField(null=True)
    opened_at = fields.DatetimeField(null=True)
    verified_at = fields.DatetimeField(null=True)
    viewed_at = fields.DatetimeField(null=True)
    signed_at = fields.DatetimeField(null=True)
    failed_at = fields.DatetimeField(null=True)
    expired_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    failure_reason = fields.CharField(max_length=500, default="")

    class Meta:
        table = "delivery"
        unique_together = (("recipient", "channel"),)


class RecipientDocument(Model):
    """What one recipient did with one document: the per-document evidence on a receipt."""

    id = fields.IntField(primary_key=True)
    service = fields.ForeignKeyField("songda.Service", related_name="recipient_documents", on_delete=fields.CASCADE, db_index=True)
    recipient = fields.ForeignKeyField("songda.Recipient", related_name="recipient_documents", on_delete=fields.CASCADE, db_index=True)
    document = fields.ForeignKeyField("songda.Document", related_name="recipient_documents", on_delete=fields.RESTRICT)
    first_viewed_at = fields.DatetimeField(null=True)
    last_viewed_at = fields.DatetimeField(null=True)
    view_count = fields.IntField(default=0)
    first_downloaded_at = fields.DatetimeField(null=True)
    download_count = fields.IntField(default=0)
    signed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "recipient_document"
        unique_together = (("recipient", "document"),)


class Signature(Model):
    """签名: the handwritten signature image a recipient drew when signing for a delivery."""

    id = fields.IntField(primary_key=True)
    delivery = fields.OneToOneField("songda.Delivery", related_name="signature", on_delete=fields.RESTRICT)
    image_sha256 = fields.CharField(max_length=64)
    ip = fields.CharField(max_length=64, default="")
    user_agent = fields.CharField(max_length=500, default="")
    identity_proof = fields.JSONField(default=dict)
    signed_at = fields.DatetimeField()

    class Meta:
        table = "signature"


class Receipt(Model):
    """送达回证 / 电子送达凭证: one per recipient per service, sealed off the request path.

    ``effective_at``, ``effect_rule``, ``effect_reason`` and ``effect_channel`` are what the sealed
    PDF states about legal effect, stored when it is sealed: facts known at sealing are final for
    this receipt. A fact learnt later never rewrites them (see service/effects.py).
    """

    id = fields.IntField(primary_key=True)
    receipt_no = fields.CharField(max_length=32, unique=True)
    court = fields.ForeignKeyField("songda.Court", related_name="receipts", on_delete=fields.RESTRICT)
    service = fields.ForeignKeyField("songda.Service", related_name="receipts", on_delete=fields.RESTRICT, db_index=True)
    recipient = fields.OneToOneField("songda.Recipient", related_name="receipt", on_delete=fields.RESTRICT)
    delivery = fields.ForeignKeyField("songda.Delivery", related_name="receipts", on_delete=fields.RESTRICT)
    status = fields.CharEnumField(ReceiptStatus, max_length=16, default=ReceiptStatus.PENDING)
    pdf_sha256 = fields.CharField(max_length=64, null=True)
    effective_at = fields.DatetimeField(null=True)
    effect_rule = fields.CharField(max_length=500, default="")
    effect_reason = fields.CharField(max_length=500, default="")
    effect_channel = fields.CharEnumField(Channel, max_length=16, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sealed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "receipt"


class ShortLink(Model):
    """The SMS short link ``/s/<token>`` for one delivery. Only the token's SHA-256 is stored."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    delivery = fields.ForeignKeyField("songda.Delivery", related_name="short_links", on_delete=fields.CASCADE, db_index=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "short_link"


class Attempt(Model):
    """送达尝试: one try on one channel for one recipient.

    An electronic attempt (sms, portal, wechat) mirrors its ``delivery``, which the platform runs;
    it stays 办理中 until the delivery ends (centre/electronic.py closes it). Every other channel's
    attempt is a task (送达任务) that a process server of the court's service centre handles:
    待分派 → 待办理 → 办理中 → 已办结, or 已退回 to the dispatcher. ``court_id`` and ``centre_id``
    are copied so every list is scoped in its own WHERE clause without a join.

    A closed attempt keeps what it established: the outcome, how and when the documents were
    served (``method``, ``served_at``) and the legal effect the engine derived from that
    (service/legal_effect.py), or the failure reason.
    """

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="attempts", on_delete=fields.RESTRICT)
    centre = fields.ForeignKeyField("songda.ServiceCentre", related_name="attempts", null=True,
                                    on_delete=fields.RESTRICT)
    service = fields.ForeignKeyField("songda.Service", related_name="attempts", on_delete=fields.CASCADE)
    recipient = fields.ForeignKeyField("songda.Recipient", related_name="attempts", on_delete=fields.CASCADE,
                                       db_index=True)
    channel = fields.CharEnumField(Channel, max_length=16)
    delivery = fields.OneToOneField("songda.Delivery", related_name="attempt", null=True,
                                    on_delete=fields.CASCADE)
    status = fields.CharEnumField(TaskStatus, max_length=16)
    assignee = fields.ForeignKeyField("songda.StaffAccount", related_name="attempts", null=True,
                                      on_delete=fields.RESTRICT)
    area = fields.CharField(max_length=64, default="")       # province/city/district of the address
    due_at = fields.DatetimeField(null=True)
    notes = fields.TextField(default="")
    hand_back_reason = fields.CharField(max_length=500, default="")
    outcome = fields.CharEnumField(Outcome, max_length=16, null=True)
    failure_reason = fields.CharEnumField(FailureReason, max_length=16, null=True)
    failure_text = fields.CharField(max_length=500, default="")
    method = fields.CharEnumField(ServiceMethod, max_length=16, null=True)
    served_at = fields.DatetimeField(null=True)
    effective_at = fields.DatetimeField(null=True)
    effect_rule = fields.CharField(max_length=500, default="")
    effect_reason = fields.CharField(max_length=500, default="")
    # The attempt whose failure or stall opened this one, and the rule that did (never twice).
    escalated_from = fields.ForeignKeyField("songda.Attempt", related_name="escalations", null=True,
                                            on_delete=fields.SET_NULL)
    escalation_rule_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    assigned_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True, db_index=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "attempt"
        unique_together = (("escalated_from", "escalation_rule_id"),)
        indexes = (("centre_id", "status", "due_at"), ("assignee_id", "status", "due_at"),
                   ("court_id", "created_at"), ("centre_id", "created_at"))
