"""What a court system sends to create a service: validated, normalised input.

These pydantic models are the domain's input and also the intake API's request schema, so the
OpenAPI document and the validation can never drift apart.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.errors import ValidationFailed
from documents.kinds import DocumentKind
from identity.id_numbers import IdType, InvalidIdNumber, normalize_id_number
from identity.phones import InvalidPhone, normalize_mobile
from service.case_numbers import InvalidCaseNumber, normalize_case_number
from service.choices import ADDRESS_CHANNELS, Channel, ConsentBasis, RecipientRole


def _plain_text(value: str) -> str:
    if any(ch < " " and ch not in "\t\n\r" or ch == "\x7f" for ch in value):
        raise ValueError("包含不允许的控制字符")
    return value


Text = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_plain_text)]
# Row ids are positive int4 (SERIAL): anything else names no row and must not reach the database.
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CaseDraft(StrictModel):
    case_number: str = Field(description="案号，如 (2024)桂1202民初123号", examples=["(2024)桂1202民初123号"])
    cause: Text = Field(default="", max_length=200, description="案由")
    judge: Text = Field(default="", max_length=50, description="承办法官")
    clerk: Text = Field(default="", max_length=50, description="书记员")
    origin_case_number: str | None = Field(
        default=None, description="原审案号（上诉案件）或执行依据的案号（执行案件），须为本院案件；"
        "当事人在其中任一案件确认的送达地址适用于整个案件（一审、二审、执行）",
        examples=["(2023)桂1202民初45号"])

    @field_validator("case_number", "origin_case_number")
    @classmethod
    def _case_number(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalize_case_number(value)
        except InvalidCaseNumber as exc:
            raise ValueError(exc.message) from None


class RecipientDraft(StrictModel):
    ref: Text | None = Field(default=None, min_length=1, max_length=32,
                             description="本次请求内的引用名，供 agent_of 指向")
    name: Text = Field(min_length=1, max_length=100, description="受送达人姓名或名称")
    role: RecipientRole
    phone: str = Field(description="中国大陆手机号码")
    id_type: IdType | None = Field(default=None, description="证件类型；填写证件号码而未填类型时视为居民身份证")
    id_number: str | None = Field(default=None, description="证件号码")
    address: Text = Field(default="", max_length=500, description="送达地址")
    consent: ConsentBasis = Field(description="电子送达依据：confirmed（已签送达地址确认书）或 court_found（法院查明）")
    channels: list[Channel] = Field(
        min_length=1, description="送达渠道：sms、portal、wechat 为电子送达；phone、mail、pickup、field、"
                                  "announcement、entrusted 为送达中心办理的任务（mail、field 须填写送达地址）")
    agent_of: Text | None = Field(default=None, description="被代理人的 ref（委托代理人、法定代表人必填）")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        try:
            return normalize_mobile(value)
        except InvalidPhone as exc:
            raise ValueError(exc.message) from None

    @field_validator("channels")
    @classmethod
    def _channels_unique(cls, value: list[Channel]) -> list[Channel]:
        if len(set(value)) != len(value):
            raise ValueError("送达渠道不能重复")
        return value

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return normalize_id_number(info.data.get("id_type") or IdType.RESIDENT_ID, value)
        except InvalidIdNumber as exc:
            raise ValueError(exc.message) from None

    @model_validator(mode="after")
    def _id_type(self) -> RecipientDraft:
        if self.id_number is None and self.id_type is not None:
            raise ValueError("填写了证件类型但缺少证件号码")
        if self.id_number is not None and self.id_type is None:
            self.id_type = IdType.RESIDENT_ID
        return self


class ServiceDraft(StrictModel):
    case: CaseDraft
    document_ids: list[RowId] = Field(min_length=1, max_length=50, description="已上传文书的 id，按送达顺序")
    recipients: list[RecipientDraft] = Field(min_length=1, max_length=50)
    external_id: Text | None = Field(default=None, max_length=100, description="业务系统中的送达编号")
    expires_at: datetime | None = Field(default=None, description="送达链接失效时间（含时区）；默认 30 天后")


class RevokeDraft(StrictModel):
    reason: Text = Field(min_length=1, max_length=500, description="撤回原因")


class DocumentUploadForm(StrictModel):
    kind: DocumentKind = DocumentKind.OTHER
    title: Text = Field(default="", max_length=200)


def check_service_draft(draft: ServiceDraft, *, now: datetime) -> None:
    """Rules across fields that a single field validator cannot see."""
    problems: list[dict[str, str]] = []

    def problem(field: str, message: str) -> None:
        problems.append({"field": field, "message": message})

    if len(set(draft.document_ids)) != len(draft.document_ids):
        problem("document_ids", "文书 id 不能重复")
    if draft.expires_at is not None:
        if draft.expires_at.tzinfo is None:
            problem("expires_at", "时间必须带时区，如 2025-01-01T00:00:00+08:00")
        elif draft.expires_at <= now:
            problem("expires_at", "失效时间必须晚于当前时间")

    refs: dict[str, int] = {}
    seen_ids: dict[tuple, int] = {}
    seen_people: dict[tuple, int] = {}
    for i, r in enumerate(draft.recipients):
        if r.ref is not None:
            if r.ref in refs:
                problem(f"recipients.{i}.ref", f"与 recipients.{refs[r.ref]} 的 ref 重复")
            refs.setdefault(r.ref, i)
        # One lawyer may represent two parties: the same person twice, once per principal.
        key = (r.id_type, r.id_number, r.agent_of) if r.id_number else None
        if key and key in seen_ids:
            problem(f"recipients.{i}.id_number", f"与 recipients.{seen_ids[key]} 是同一受送达人")
        elif key:
            seen_ids[key] = i
        person = (r.name, r.phone, r.role, r.agent_of)
        if person in seen_people:
            problem(f"recipients.{i}", f"与 recipients.{seen_people[person]} 重复")
        seen_people.setdefault(person, i)

    for i, r in enumerate(draft.recipients):
        for channel in r.channels:
            if channel in ADDRESS_CHANNELS and not r.address:
                problem(f"recipients.{i}.address", f"{channel.label}须填写送达地址")

    represents = {RecipientRole.AGENT, RecipientRole.LEGAL_REPRESENTATIVE}
    for i, r in enumerate(draft.recipients):
        if r.role in represents and r.agent_of is None:
            problem(f"recipients.{i}.agent_of", f"{r.role.label}须写明被代理人的 ref")
        if r.agent_of is None:
            continue
        if r.role not in represents:
            problem(f"recipients.{i}.agent_of", "只有委托代理人或法定代表人可以填写 agent_of")
        elif r.agent_of == r.ref:
            problem(f"recipients.{i}.agent_of", "不能代理自己")
        elif r.agent_of not in refs:
            problem(f"recipients.{i}.agent_of", f"找不到 ref 为 {r.agent_of} 的受送达人")
        elif draft.recipients[refs[r.agent_of]].role in represents:
            problem(f"recipients.{i}.agent_of", "被代理人必须是当事人，不能是另一位代理人")
    if problems:
        raise ValidationFailed("请求内容有误", details=problems)
