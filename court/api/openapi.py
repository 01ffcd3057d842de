"""The intake API's OpenAPI 3.1 document, built from the same pydantic models that validate."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic.json_schema import models_json_schema

from court.models import AttemptOutcome
from documents.kinds import DocumentKind
from service.choices import Channel, DeliveryState, ReceiptStatus, ServiceStatus
from service.drafts import RevokeDraft, ServiceDraft

_REF = "#/components/schemas/{model}"


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


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    document = _openapi_document()
    for operations in document["paths"].values():
        for operation in operations.values():
            for status in _COMMON_ERRORS:
                operation["responses"].setdefault(status, {"description": "错误", "content": {
                    "application/json": {"schema": {"$ref": _REF.format(model="Error")}}}})
    return document


def _openapi_document() -> dict[str, Any]:
    _, schema = models_json_schema(
        [(ServiceDraft, "validation"), (RevokeDraft, "validation")], ref_template=_REF)
    components = schema.get("$defs", {})
    components.update(Error=_error_schema(), Service=_service_schema(), ServicePage=_service_page_schema(),
                      EventPage=_event_page_schema(), Document=_document_schema(),
                      WebhookAttempt=_attempt_schema(), WebhookState=_webhook_state_schema())
    service_id = {"name": "service_id", "in": "path", "required": True,
                  "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}
    idem = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 255},
            "description": "同一密钥、同一请求体重放首次响应；不同请求体返回 422"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "电子送达平台 · 法院接入接口", "version": "1.0.0",
                 "description": "审判、执行、电子卷宗系统推送送达并查询送达情况。"},
        "servers": [{"url": "/court/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"schemas": components, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/documents": {"post": {
                "summary": "上传文书（PDF）", "operationId": "uploadDocument",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "kind": {"enum": [k.value for k in DocumentKind]},
                        "title": {"type": "string", "maxLength": 200}}}}}},
                "responses": _responses("201", "Document", "403", "413", "422"),
            }},
            "/services": {
                "post": {"summary": "发起送达", "operationId": "createService", "parameters": [idem],
                         "requestBody": _json_body("ServiceDraft"),
                         "responses": _responses("201", "Service", "403", "422")},
                "get": {"summary": "按案号等查询送达", "operationId": "listServices", "parameters": [
                    {"name": n, "in": "query", "required": False, "schema": s} for n, s in (
                        ("case_number", {"type": "string"}), ("external_id", {"type": "string"}),
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
                "parameters": [{"name": "case_number", "in": "query", "required": True, "schema": {"type": "string"}}],
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
