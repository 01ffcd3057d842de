"""The address book's tables. An address is personal information: stored encrypted
(``value_cipher``), found by a blind index (``value_index``), shown masked (``value_masked``)."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from addresses.choices import AddressKind, AddressSource, AddressStatus, CandidateStatus, ConfirmationChannel


class Address(Model):
    """One address of one person as one source gave it (地址库中的一条地址).

    A person is matched by the blind index of their ID number, else by the blind index of name +
    phone (``people.person_keys``). The same address from two sources is two rows: each keeps its
    own source, time and evidence; readers group them by ``value_index``.
    """

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="addresses", on_delete=fields.RESTRICT)
    person_name = fields.CharField(max_length=100)
    id_number_index = fields.CharField(max_length=64, null=True, db_index=True)
    name_phone_index = fields.CharField(max_length=64, null=True, db_index=True)
    kind = fields.CharEnumField(AddressKind, max_length=24)
    source = fields.CharEnumField(AddressSource, max_length=24)
    status = fields.CharEnumField(AddressStatus, max_length=16)
    value_cipher = fields.CharField(max_length=1024)
    value_index = fields.CharField(max_length=64, db_index=True)
    value_masked = fields.CharField(max_length=200)
    province = fields.CharField(max_length=32, default="")
    city = fields.CharField(max_length=32, default="")
    district = fields.CharField(max_length=32, default="")
    adcode = fields.CharField(max_length=6, default="")
    case = fields.ForeignKeyField("songda.Case", related_name="addresses", null=True, on_delete=fields.SET_NULL)
    recipient = fields.ForeignKeyField("songda.Recipient", related_name="addresses", null=True,
                                       on_delete=fields.SET_NULL)
    # Where it came from: {"call_id": …}, {"document_id": …, "page": …}, {"mail_item_id": …}.
    evidence = fields.JSONField(default=dict)
    recorded_by = fields.ForeignKeyField("songda.StaffAccount", related_name="addresses", null=True,
                                         on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(db_index=True)
    confirmed_at = fields.DatetimeField(null=True)
    invalidated_at = fields.DatetimeField(null=True)
    invalid_reason = fields.CharField(max_length=200, default="")

    class Meta:
        table = "address"


class AddressCandidate(Model):
    """An address found in a document (诉讼材料中提取的候选地址), for staff to accept or reject."""

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="address_candidates", on_delete=fields.RESTRICT)
    document = fields.ForeignKeyField("songda.Document", related_name="address_candidates",
                                      on_delete=fields.CASCADE)
    page = fields.IntField()
    person_name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(AddressKind, max_length=24)
    value_cipher = fields.CharField(max_length=1024)
    value_masked = fields.CharField(max_length=200)
    adcode = fields.CharField(max_length=6, default="")
    confidence = fields.FloatField()
    status = fields.CharEnumField(CandidateStatus, max_length=16, default=CandidateStatus.PENDING)
    address = fields.ForeignKeyField("songda.Address", related_name="candidates", null=True,
                                     on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField()
    reviewed_at = fields.DatetimeField(null=True)
    reviewed_by = fields.ForeignKeyField("songda.StaffAccount", related_name="address_candidates", null=True,
                                         on_delete=fields.SET_NULL)

    class Meta:
        table = "address_candidate"


class AddressRefusal(Model):
    """拒绝确认送达地址: the recipient refused to confirm an address in a case (or evaded being
    asked), with its evidence; it opens the presumption of 送达意见 arts. 8 and 9."""

    id = fields.IntField(primary_key=True)
    court = fields.ForeignKeyField("songda.Court", related_name="address_refusals", on_delete=fields.RESTRICT)
    case = fields.ForeignKeyField("songda.Case", related_name="address_refusals", on_delete=fields.RESTRICT)
    recipient = fields.ForeignKeyField("songda.Recipient", related_name="address_refusals",
                                       on_delete=fields.RESTRICT, db_index=True)
    note = fields.CharField(max_length=500)
    evidence = fields.JSONField(default=dict)
    recorded_by = fields.ForeignKeyField("songda.StaffAccount", related_name="address_refusals",
                                         on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()

    class Meta:
        table = "address_refusal"


class AddressConfirmation(Model):
    """送达地址确认书 signed by the litigant (portal or mini-program): their signature, an SMS code,
    the addresses they confirmed (rows of ``Address``, listed in ``address_ids``) and the sealed PDF,
    stored as a ``Document`` of the case. ``submission_key`` makes a double submit one confirmation."""

    id = fields.IntField(primary_key=True)
    confirmation_no = fields.CharField(max_length=32, unique=True)
    court = fields.ForeignKeyField("songda.Court", related_name="address_confirmations", on_delete=fields.RESTRICT)
    case = fields.ForeignKeyField("songda.Case", related_name="address_confirmations", on_delete=fields.RESTRICT)
    recipient = fields.ForeignKeyField("songda.Recipient", related_name="address_confirmations",
                                       on_delete=fields.RESTRICT)
    person_name = fields.CharField(max_length=100)
    id_number_index = fields.CharField(max_length=64, null=True, db_index=True)
    name_phone_index = fields.CharField(max_length=64, null=True, db_index=True)
    channel = fields.CharEnumField(ConfirmationChannel, max_length=16)
    submission_key = fields.CharField(max_length=64)
    postal_masked = fields.CharField(max_length=200)
    # [{"kind": "phone", "masked": "138****0000"}, …]: what staff pages show, never the values.
    electronic_masked = fields.JSONField(default=list)
    address_ids = fields.JSONField(default=list)
    identity_proof = fields.JSONField(default=dict)
    signature_sha256 = fields.CharField(max_length=64)
    pdf_sha256 = fields.CharField(max_length=64)
    document = fields.ForeignKeyField("songda.Document", related_name="address_confirmations",
                                      on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "address_confirmation"
        unique_together = (("recipient", "submission_key"),)
