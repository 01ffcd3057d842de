"""The intake API's OpenAPI 3.1 document, built from the same pydantic models that validate."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic.json_schema import models_json_schema

from core.settings import Settings
from court.models import AttemptOutcome
from documents.kinds import DocumentKind
from identity.id_numbers import ID_NUMBER_SHAPES, IdType
from identity.phones import MOBILE_PATTERN
from service.case_numbers import CASE_NUMBER_PATTERN, EARLIEST_YEAR, PROVINCES
from service.choices import (
    ADDRESS_CHANNELS,
    ELECTRONIC_CHANNELS,
    TASK_CHANNELS,
    Channel,
    DeliveryState,
    FailureReason,
    Outcome,
    ReceiptStatus,
    ServiceMethod,
    ServiceStatus,
    TaskStatus,
)
from service.drafts import RevokeDraft, ServiceDraft

_REF = "#/components/schemas/{model}"
INT4_MAX = 2**31 - 1

# web/input_guard.py refuses C0 controls but tab, LF and CR, and DEL in every query argument, form
# field and JSON string (422 invalid_characters): a pattern every request string must match.
NO_CONTROLS = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$"

# The validators normalise before they check (service/case_numbers.py, identity/phones.py,
# identity/id_numbers.py): a pattern over what a client sends would refuse numbers the API takes
# (full-width digits, +86, spaces), so the rule is stated after normalisation, in words and as
# x-normalized-pattern(s), an extension no validator applies.
CASE_NUMBER_RULE = (
    "案号（《关于人民法院案件案号的若干规定》）：(年份)法院代字 类型代字 序号 号，如 (2024)桂1202民初123号、"
    "(2023)最高法民终1号。先做 NFKC 规范化（全角数字、全角括号折为半角），去掉空格，〔〕与 [] 视为 ()；"
    f"规范化后须符合 {CASE_NUMBER_PATTERN}：年份 {EARLIEST_YEAR} 年至次年，法院代字为“最高法”或省级简称"
    f"（{PROVINCES}）加 2 位或 4 位数字，类型代字 1 至 5 个汉字，序号 1 至 7 位数字且不以 0 开头。"
    "发起送达时，案号中的法院代字须与本院代字相同，否则 422 validation_failed（field: case.case_number）。")
PHONE_RULE = (
    "中国大陆手机号码。先做 NFKC 规范化（全角数字、＋、－ 折为半角），去掉空格、-、.、()，"
    "再去掉 +86、0086 或 86 前缀（仅当其后恰为 11 位），"
    f"规范化后须为 11 位 ASCII 数字 {MOBILE_PATTERN}（mainland mobile, after normalisation）；存储与显示用规范化后的号码")
_ID_RULES = {
    IdType.RESIDENT_ID: "18 位，前 17 位数字、末位数字或 X；前 2 位为省级地区码，出生日期在 1900-01-01 至今日之间，"
                        "末位为 GB 11643 校验位（ISO 7064 MOD 11-2）；15 位旧号码不接受",
    IdType.PASSPORT: "5 至 17 位大写字母或数字",
    IdType.HK_MACAO_PERMIT: "H 或 M 开头加 8 位或 10 位数字",
    IdType.TAIWAN_PERMIT: "8 位数字，或 10 位大写字母数字（旧版）",
    IdType.USCC: "18 位，字符为数字和除 I、O、Z、S、V 以外的大写字母，末位为 GB 32100 校验位",
}
ID_NUMBER_RULE = (
    "证件号码。先做 NFKC 规范化（全角字母数字折为半角），去掉所有空白，字母转大写；空白串视为未填写。"
    "按 id_type（未填时为 resident_id）规范化后须符合："
    + "；".join(f"{t.value}（{t.label}）{ID_NUMBER_SHAPES[t]}：{_ID_RULES[t]}" for t in IdType) + "。"
    "同一请求内同一证件（类型、号码、被代理人）不能重复")
CHANNELS_RULE = (
    "送达渠道，不能重复：" + "、".join(f"{c.value}（{c.label}）" for c in ELECTRONIC_CHANNELS) + " 为电子送达，由平台发送；"
    + "、".join(f"{c.value}（{c.label}）" for c in TASK_CHANNELS) + " 为送达中心办理的送达任务。"
    + "、".join(c.value for c in ADDRESS_CHANNELS) + " 须填写 address（送达地址），否则 422 validation_failed"
    "（field: recipients.N.address）。")
ATTEMPTS_RULE = (
    "送达尝试：每个渠道一条（电子渠道与 deliveries 对应；其他渠道为送达中心的任务），升级规则另开的任务"
    "以 escalated_from 指向触发它的尝试。status：" + "；".join(f"{t.value} {t.label}" for t in TaskStatus)
    + "。办结后 outcome：" + "；".join(f"{o.value} {o.label}" for o in Outcome) + "。")
DOCUMENT_IDS_RULE = (
    f"已上传文书的 id（POST /documents 返回的 id，本院上传，1 至 {INT4_MAX}），按送达顺序；1 至 50 份，不能重复；"
    "不存在或非本院的 id 为 422 validation_failed（field: document_ids）")


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {
            "type": "object", "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"}, "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object", "properties": {
                    "field": {"type": "string"}, "message": {"type": "string"}}}},
            },
        }},
    }


def _service_schema() -> dict[str, Any]:
    times = {f"{n}_at": {"type": ["string", "null"], "format": "date-time"} for n in
             ("created", "notified", "arrived", "opened", "verified", "viewed", "signed", "failed",
              "expired", "revoked")}
    nullable_time = {"type": ["string", "null"], "format": "date-time"}
    attempt = {"type": "object", "required": ["id", "channel", "status", "evidence_count"], "properties": {
        "id": {"type": "integer"}, "channel": {"enum": [c.value for c in Channel]},
        "status": {"enum": [t.value for t in TaskStatus]},
        "outcome": {"enum": [o.value for o in Outcome] + [None]},
        "method": {"enum": [m.value for m in ServiceMethod] + [None], "description": "送达成功时的送达方式"},
        "served_at": nullable_time, "effective_at": {**nullable_time, "description": "法律效力引擎得出的生效时间"},
        "effect_rule": {"type": ["string", "null"]},
        "failure_reason": {"enum": [f.value for f in FailureReason] + [None],
                           "description": "送达失败的原因：" + "；".join(f"{f.value} {f.label}" for f in FailureReason)},
        "failure_text": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"}, "due_at": nullable_time, "closed_at": nullable_time,
        "escalated_from": {"type": ["integer", "null"], "description": "升级规则据以开启本任务的尝试 id"},
        "evidence_count": {"type": "integer", "minimum": 0, "description": "证据附件（录音、照片、扫描件等）数量"}}}
    delivery = {"type": "object", "properties": {
        "id": {"type": "integer"}, "channel": {"enum": [c.value for c in Channel]},
        "state": {"enum": [s.value for s in DeliveryState]}, **times}}
    return {"type": "object", "properties": {
        "id": {"type": "integer"}, "case_number": {"type": "string"},
        "external_id": {"type": ["string", "null"]},
        "status": {"enum": [s.value for s in ServiceStatus]},
        "expires_at": {"type": "string", "format": "date-time"},
        "documents": {"type": "array", "items": {"$ref": _REF.format(model="Document")}},
        "recipients": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "role": {"type": "string"},
            "phone": {"type": "string", "description": "掩码后的手机号"},
            "id_number": {"type": ["string", "null"], "description": "掩码后的证件号码"},
            "status": {"enum": [s.value for s in DeliveryState]},
            "deliveries": {"type": "array", "items": delivery},
            "attempts": {"type": "array", "items": attempt, "description": ATTEMPTS_RULE},
            "documents": {"type": "array", "items": {"type": "object"}},
            "receipt": {"type": ["object", "null"], "description": (
                "送达回证。加盖电子印章后（status=sealed），effective_at 等为回证所载内容，此后不变；"
                "回证出具后获知、使生效时间更早的事实见 later_fact，不替代回证所载内容"), "properties": {
                "receipt_no": {"type": "string"}, "status": {"enum": [s.value for s in ReceiptStatus]},
                "sealed_at": {"type": ["string", "null"], "format": "date-time"},
                "effective_at": {"type": ["string", "null"], "format": "date-time"},
                "effect_rule": {"type": ["string", "null"]}, "effect_reason": {"type": ["string", "null"]},
                "effect_channel": {"enum": [c.value for c in Channel] + [None]},
                "later_fact": {"type": ["object", "null"], "properties": {
                    "effective_at": {"type": "string", "format": "date-time"},
                    "channel": {"enum": [c.value for c in Channel] + [None]},
                    "rule": {"type": "string"}, "reason": {"type": "string"}}}}},
        }}},
    }}


def _service_page_schema() -> dict[str, Any]:
    return {"type": "object", "required": ["services", "next_before"], "properties": {
        "services": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "integer"}, "case_number": {"type": "string"},
            "status": {"enum": [s.value for s in ServiceStatus]}}}},
        "next_before": {"type": ["integer", "null"], "description": "下一页的 before；没有更多时为 null"}}}


def _event_page_schema() -> dict[str, Any]:
    return {"type": "object", "required": ["events", "next_after"], "properties": {
        "events": {"type": "array", "items": {"type": "object", "required": ["id", "type", "at"], "properties": {
            "id": {"type": "integer"}, "type": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
            "recipient_id": {"type": ["integer", "null"]}, "delivery_id": {"type": ["integer", "null"]},
            "actor": {"type": "object", "properties": {"kind": {"type": "string"}, "id": {"type": "string"}}},
            "data": {"type": "object"}}}},
        "next_after": {"type": ["integer", "null"], "description": "下一页的 after；没有更多时为 null"}}}


def _document_schema() -> dict[str, Any]:
    return {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"enum": [k.value for k in DocumentKind]},
        "title": {"type": "string"}, "sha256": {"type": "string"}, "size": {"type": "integer"},
        "pages": {"type": "integer"}}}


def _attempt_schema() -> dict[str, Any]:
    return {"type": "object", "properties": {
        "id": {"type": "integer"}, "job_id": {"type": "integer"}, "event_id": {"type": ["integer", "null"]},
        "event_type": {"type": "string"},
        "webhook_id": {"type": "string", "description": "与请求头 webhook-id 相同；重发不变，可据此去重"},
        "attempt": {"type": "integer"}, "started_at": {"type": "string", "format": "date-time"},
        "duration_ms": {"type": "integer"}, "http_status": {"type": ["integer", "null"]},
        "error": {"type": "string"},
        "outcome": {"enum": [o.value for o in AttemptOutcome],
                    "description": "delivered 成功；retry 将重试；gone 对方返回 410，已取消订阅；"
                                   "gave_up 放弃（连续失败 3 天或回调已停用）；refused 地址被安全策略拒绝"}}}


def _webhook_state_schema() -> dict[str, Any]:
    return {"type": "object", "properties": {
        "url": {"type": ["string", "null"]}, "subscribed": {"type": "boolean"},
        "disabled": {"type": "boolean", "description": "连续失败 3 天后停用；地址保留，可重新启用"},
        "disabled_at": {"type": ["string", "null"], "format": "date-time"},
        "disabled_reason": {"type": "string"}, "failures_24h": {"type": "integer"},
        "last_attempt": {"oneOf": [{"$ref": _REF.format(model="WebhookAttempt")}, {"type": "null"}]}}}


_WEBHOOK_DATA = {
    "task.closed": ("送达中心的任务已办结（含因已送达或撤回而无需继续送达）", {
        "attempt_id": {"type": "integer"}, "channel": {"enum": [c.value for c in TASK_CHANNELS]},
        "outcome": {"enum": [o.value for o in Outcome]},
        "method": {"enum": [m.value for m in ServiceMethod], "description": "outcome=served 时"},
        "served_at": {"type": "string", "format": "date-time"},
        "effective_at": {"type": "string", "format": "date-time", "description": "outcome=served 时的生效时间"},
        "failure_reason": {"enum": [f.value for f in FailureReason], "description": "outcome=failed 时"}}),
    "attempt.closed": ("电子送达尝试结束：签收为 served，发送失败、过期、撤回为 failed", {
        "attempt_id": {"type": "integer"}, "channel": {"enum": [c.value for c in ELECTRONIC_CHANNELS]},
        "outcome": {"enum": [Outcome.SERVED.value, Outcome.FAILED.value]}}),
    "task.escalated": ("升级规则已触发：为受送达人开启下一渠道的任务；无法开启时 attempt_id 为 null，"
                       "skipped_reason 说明原因（如邮寄、外出送达缺少送达地址）", {
        "attempt_id": {"type": ["integer", "null"], "description": "新任务的 id"},
        "channel": {"enum": [c.value for c in TASK_CHANNELS], "description": "新任务的渠道"},
        "escalated_from": {"type": "integer", "description": "触发规则的尝试 id"},
        "from_channel": {"enum": [c.value for c in Channel]},
        "trigger": {"enum": ["stalled", "failed"], "description": "stalled 超期未送达成功；failed 送达失败"},
        "rule_id": {"type": "integer"}, "skipped_reason": {"type": "string", "description": "开启了任务时为空"}}),
    "announcement.suggested": ("受送达人的全部送达尝试均失败，已建议书记员公告送达", {
        "attempt_id": {"type": "integer", "description": "最后一次失败的尝试 id"}, "rule_id": {"type": "integer"},
        "failed_attempts": {"type": "array", "items": {"type": "object", "properties": {
            "attempt_id": {"type": "integer"}, "channel": {"enum": [c.value for c in Channel]},
            "failure_reason": {"enum": [f.value for f in FailureReason] + [None]},
            "closed_at": {"type": "string", "format": "date-time"}}}}}),
    "announcement.published": ("公告已在人民法院报刊登；送达任务随即以公告送达办结（见 task.closed）", {
        "attempt_id": {"type": "integer"}, "announcement_id": {"type": "integer"},
        "published_on": {"type": "string", "format": "date"}, "edition": {"type": "string"},
        "page": {"type": "string"}, "effective_at": {"type": "string", "format": "date-time",
                                                     "description": "视为送达的时间"},
        "effect_rule": {"type": "string", "description": "民事诉讼法第95条；境内无住所的为第283条"}}),
    "announcement.overdue": ("公告提交报社后逾期未刊登", {
        "attempt_id": {"type": "integer"}, "announcement_id": {"type": "integer"},
        "submitted_at": {"type": "string", "format": "date-time"}}),
    "entrustment.created": ("已向受托法院发出委托送达函", {
        "attempt_id": {"type": "integer"}, "entrustment_id": {"type": "integer"},
        "to_court": {"type": "string"}, "on_platform": {"type": "boolean"}}),
    "entrustment.overdue": ("受托法院超过十日期限仍未办结（民诉法解释第134条）", {
        "attempt_id": {"type": "integer"}, "entrustment_id": {"type": "integer"},
        "due_at": {"type": "string", "format": "date-time"}}),
}


def _webhooks() -> dict[str, Any]:
    """The callbacks a subscribed court system receives (Standard Webhooks: webhook-id,
    webhook-timestamp, webhook-signature headers). Payloads are thin: ids, states and times; the
    details are read with GET /services/{id}."""
    hooks = {}
    for type, (summary, data) in _WEBHOOK_DATA.items():
        hooks[type] = {"post": {
            "summary": summary, "operationId": "webhook_" + type.replace(".", "_"),
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["type", "timestamp", "data"], "properties": {
                    "type": {"const": type}, "timestamp": {"type": "string", "format": "date-time"},
                    "data": {"type": "object", "required": ["event_id", "service_id", "recipient_id"], "properties": {
                        "event_id": {"type": "integer"}, "service_id": {"type": "integer"},
                        "recipient_id": {"type": "integer"}, **data}}}}}}},
            "responses": {"2XX": {"description": "已收到；其他状态将重试，410 取消订阅"}}}}
    return hooks


def _responses(ok_status: str, ok_schema: str, *errors: str) -> dict[str, Any]:
    responses = {ok_status: {"description": "成功", "content": {"application/json": {
        "schema": {"$ref": _REF.format(model=ok_schema)}}}}}
    for status in ("401", *errors):
        responses[status] = {"description": "错误", "content": {"application/json": {
            "schema": {"$ref": _REF.format(model="Error")}}}}
    return responses


def _json_body(model: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}}


# Every operation can answer these: no or a bad key, a key without the scope, a body or query the
# server cannot parse.
_COMMON_ERRORS = ("400", "401", "403")


def openapi_document(settings: Settings | None = None) -> dict[str, Any]:
    """The document for an app's settings (its upload limits); the field defaults without one."""
    def limit(name: str) -> int:
        return getattr(settings, name) if settings is not None else Settings.model_fields[name].default

    return _document_for(limit("max_document_bytes"), limit("max_document_pages"))


@lru_cache(maxsize=8)
def _document_for(max_bytes: int, max_pages: int) -> dict[str, Any]:
    document = _openapi_document(max_bytes, max_pages)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in _COMMON_ERRORS:
                operation["responses"].setdefault(status, {"description": "错误", "content": {
                    "application/json": {"schema": {"$ref": _REF.format(model="Error")}}}})
            for status, codes in _ERROR_CODES.get((path, method), {}).items():
                response = operation["responses"][status]
                response["description"] = "错误。error.code：" + "；".join(
                    f"{code}（{why}）" for code, why in codes.items())
                response["x-error-codes"] = list(codes)
    return document


def _request_strings(schema: Any) -> None:
    """Every free-text string a client sends refuses control characters (web/input_guard.py)."""
    if isinstance(schema, dict):
        if schema.get("type") == "string" and "enum" not in schema and "format" not in schema:
            schema.setdefault("pattern", NO_CONTROLS)
        for value in schema.values():
            _request_strings(value)
    elif isinstance(schema, list):
        for value in schema:
            _request_strings(value)


def _draft_rules(components: dict[str, Any]) -> None:
    for name in ("CaseDraft", "RecipientDraft", "ServiceDraft", "RevokeDraft"):
        _request_strings(components[name])
    case_number = components["CaseDraft"]["properties"]["case_number"]
    case_number.update(description=CASE_NUMBER_RULE, minLength=1, **{"x-normalized-pattern": CASE_NUMBER_PATTERN})
    recipient = components["RecipientDraft"]["properties"]
    recipient["phone"].update(description=PHONE_RULE, **{"x-normalized-pattern": f"^{MOBILE_PATTERN}$"})
    recipient["id_number"].update(description=ID_NUMBER_RULE, **{"x-normalized-patterns": {
        t.value: f"^(?:{ID_NUMBER_SHAPES[t]})$" for t in IdType}})
    recipient["channels"].update(uniqueItems=True, description=CHANNELS_RULE)
    recipient["address"].update(description="送达地址；渠道含 " + "、".join(c.value for c in ADDRESS_CHANNELS)
                                + " 时必填")
    document_ids = components["ServiceDraft"]["properties"]["document_ids"]
    document_ids.update(description=DOCUMENT_IDS_RULE, uniqueItems=True)


def _upload_schema(max_bytes: int, max_pages: int) -> dict[str, Any]:
    return {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "maxLength": max_bytes, "x-max-pages": max_pages,
                 "description": (
                     f"PDF 文书（按内容识别，不看文件名）：不超过 {max_bytes} 字节（{max_bytes / 1024 / 1024:g} MB，"
                     f"超出为 413 document_too_large），1 至 {max_pages} 页（超出为 422 document_too_many_pages）；"
                     "不得加密，不得含脚本、附件、多媒体、XFA 等活动内容，解压后的内容不得过大")},
        "kind": {"enum": [k.value for k in DocumentKind]},
        "title": {"type": "string", "maxLength": 200, "pattern": NO_CONTROLS}}}


_INVALID = {"validation_failed": "字段有误，见 details",
            "invalid_characters": "查询参数、表单字段或 JSON 字符串含控制字符（除制表、换行、回车外的 C0 控制字符及 DEL）"}
_ERROR_CODES: dict[tuple[str, str], dict[str, dict[str, str]]] = {
    ("/documents", "post"): {
        "413": {"document_too_large": "文件超过大小上限", "payload_too_large": "请求体超过大小上限"},
        "422": {**_INVALID, "document_empty": "文件为空", "document_not_pdf": "不是 PDF",
                "document_encrypted": "PDF 已加密", "document_unreadable": "PDF 损坏或结构无法校验",
                "document_too_many_pages": "页数超过上限",
                "pdf_active_content": "含脚本、附件、多媒体等活动内容",
                "document_too_dense": "解压后的内容过大（解压炸弹）"},
        "507": {"storage_full": "存储空间已满，未保存，请稍后重试"}},
    ("/services", "post"): {"422": {**_INVALID, "idempotency_key_reused": "Idempotency-Key 已用于内容不同的请求"}},
    ("/services", "get"): {"422": _INVALID},
    ("/services/{service_id}/events", "get"): {"422": {"validation_failed": "查询参数有误"}},
    ("/cases/report.pdf", "get"): {"422": _INVALID, "404": {"case_not_found": "该案号没有送达记录"}},
    ("/services/{service_id}/revoke", "post"): {"422": _INVALID, "409": {"service_completed": "已全部签收，不能撤回"}},
}


def _openapi_document(max_bytes: int, max_pages: int) -> dict[str, Any]:
    _, schema = models_json_schema(
        [(ServiceDraft, "validation"), (RevokeDraft, "validation")], ref_template=_REF)
    components = schema.get("$defs", {})
    _draft_rules(components)
    components.update(Error=_error_schema(), Service=_service_schema(), ServicePage=_service_page_schema(),
                      EventPage=_event_page_schema(), Document=_document_schema(),
                      WebhookAttempt=_attempt_schema(), WebhookState=_webhook_state_schema())
    service_id = {"name": "service_id", "in": "path", "required": True,
                  "schema": {"type": "integer", "minimum": 1, "maximum": INT4_MAX}}
    idem = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 255},
            "description": "同一密钥、同一请求体重放首次响应；不同请求体返回 422"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "电子送达平台 · 法院接入接口", "version": "1.0.0",
                 "description": "审判、执行、电子卷宗系统推送送达并查询送达情况。"},
        "servers": [{"url": "/court/api/v1"}],
        "webhooks": _webhooks(),
        "security": [{"bearer": []}],
        "components": {"schemas": components, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/documents": {"post": {
                "summary": "上传文书（PDF）", "operationId": "uploadDocument",
                "description": f"PDF，不超过 {max_bytes} 字节、{max_pages} 页（本部署的上限）",
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": _upload_schema(max_bytes, max_pages)}}},
                "responses": _responses("201", "Document", "403", "413", "422", "507"),
            }},
            "/services": {
                "post": {"summary": "发起送达", "operationId": "createService", "parameters": [idem],
                         "requestBody": _json_body("ServiceDraft"),
                         "responses": _responses("201", "Service", "403", "422")},
                "get": {"summary": "按案号等查询送达", "operationId": "listServices", "parameters": [
                    {"name": n, "in": "query", "required": False, "schema": s} for n, s in (
                        ("case_number", {"type": "string", "pattern": NO_CONTROLS, "description": CASE_NUMBER_RULE}),
                        ("external_id", {"type": "string", "maxLength": 100, "pattern": NO_CONTROLS}),
                        ("status", {"enum": [s.value for s in ServiceStatus]}),
                        ("limit", {"type": "integer", "minimum": 1, "maximum": 100}),
                        ("before", {"type": "integer", "minimum": 0}))],
                    "responses": _responses("200", "ServicePage", "422")},
            },
            "/services/{service_id}": {"get": {
                "summary": "送达详情：每位受送达人、每个渠道、每份文书的状态", "operationId": "getService",
                "parameters": [service_id], "responses": _responses("200", "Service", "404")}},
            "/services/{service_id}/events": {"get": {
                "summary": "送达事件时间线", "operationId": "listServiceEvents", "parameters": [
                    service_id, {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
                "responses": _responses("200", "EventPage", "404", "422")}},
            "/cases/report.pdf": {"get": {
                "summary": "案件送达报告（PDF）", "operationId": "caseServiceReport",
                "parameters": [{"name": "case_number", "in": "query", "required": True, "description": CASE_NUMBER_RULE,
                                "schema": {"type": "string", "minLength": 1, "pattern": NO_CONTROLS}}],
                "responses": {"200": {"description": "送达报告", "content": {"application/pdf": {
                    "schema": {"type": "string", "format": "binary"}}}},
                    **{k: v for k, v in _responses("200", "Service", "404", "422").items() if k != "200"}}}},
            "/webhook": {
                "put": {"summary": "订阅送达状态回调（Standard Webhooks）；返回的密钥只显示一次",
                        "operationId": "setWebhook",
                        "requestBody": {"required": True, "content": {"application/json": {"schema": {
                            "type": "object", "required": ["url"], "additionalProperties": False,
                            "properties": {"url": {"type": "string", "format": "uri"}}}}}},
                        "responses": {"200": {"description": "url 与 secret", "content": {"application/json": {
                            "schema": {"type": "object", "properties": {
                                "url": {"type": "string"}, "secret": {"type": "string"}}}}}},
                            **{k: v for k, v in _responses("200", "Service", "422").items() if k != "200"}}},
                "delete": {"summary": "取消回调", "operationId": "deleteWebhook",
                           "responses": {"204": {"description": "已取消"}}},
                "get": {"summary": "查看回调订阅与停用状态（不含密钥）", "operationId": "getWebhook",
                        "responses": _responses("200", "WebhookState")},
            },
            "/webhook/enable": {"post": {
                "summary": "重新启用已停用的回调", "operationId": "enableWebhook",
                "responses": _responses("200", "WebhookState", "409")}},
            "/webhook/deliveries": {"get": {
                "summary": "回调投递记录（每次尝试一条，最新在前）", "operationId": "listWebhookDeliveries",
                "parameters": [
                    {"name": "status", "in": "query", "required": False,
                     "schema": {"enum": [o.value for o in AttemptOutcome]}},
                    {"name": "after", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1},
                     "description": "上一页返回的 next_after，取更早的记录"},
                    {"name": "limit", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
                "responses": {"200": {"description": "成功", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "items": {"type": "array", "items": {"$ref": _REF.format(model="WebhookAttempt")}},
                        "next_after": {"type": ["integer", "null"]}}}}}},
                    **{k: v for k, v in _responses("200", "Service", "422").items() if k != "200"}}}},
            "/webhook/deliveries/{job_id}/resend": {"post": {
                "summary": "立即重发一条回调（webhook-id 不变，接收方可去重）", "operationId": "resendWebhook",
                "parameters": [{"name": "job_id", "in": "path", "required": True,
                                "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"202": {"description": "已重新排队", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {
                        "job_id": {"type": "integer"}, "webhook_id": {"type": "string"},
                        "available_at": {"type": "string", "format": "date-time"}}}}}},
                    **{k: v for k, v in _responses("200", "Service", "404", "409").items() if k != "200"}}}},
            "/receipts/{receipt_no}.pdf": {"get": {
                "summary": "已加盖电子印章的送达回证（电子卷宗归档）", "operationId": "getReceiptPdf",
                "parameters": [{"name": "receipt_no", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "PAdES 签章的 PDF", "content": {"application/pdf": {
                    "schema": {"type": "string", "format": "binary"}}}},
                    **{k: v for k, v in _responses("200", "Service", "404", "409").items() if k != "200"}}}},
            "/services/{service_id}/revoke": {"post": {
                "summary": "撤回送达", "operationId": "revokeService", "parameters": [service_id],
                "requestBody": _json_body("RevokeDraft"),
                "responses": _responses("200", "Service", "404", "409", "422")}},
        },
    }
