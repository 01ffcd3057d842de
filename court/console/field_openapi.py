"""OpenAPI 3.1 document of the field-service API (``/console/api/field``), for the phone page
today and a native mini-program later. Enum values come from the code, so the document cannot
drift from what the handlers accept."""
from __future__ import annotations

from functools import cache
from typing import Any

from inperson.captures import MAX_CHUNK, MAX_IMAGE_BYTES, MAX_VIDEO_BYTES, UPLOAD_ID
from inperson.choices import CaptureKind, Collector, UploadState
from service.choices import FailureReason, Outcome, ServiceMethod

_ERROR = {"$ref": "#/components/responses/Error"}
_TIME = {"type": "string", "format": "date-time", "description": "ISO 8601，须带时区"}
_POSITION = {
    "latitude": {"type": "number", "minimum": -90, "maximum": 90},
    "longitude": {"type": "number", "minimum": -180, "maximum": 180},
    "accuracy": {"type": "number", "description": "定位精度（米）"},
    "device_time": _TIME,
}


def _op(summary: str, description: str, *, body: dict | None = None, ok: dict | None = None,
        errors: tuple[int, ...] = (401, 403, 404, 409, 422)) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "description": description,
                          "responses": {"200": {"description": "成功", "content": {"application/json": {
                              "schema": ok or {"type": "object"}}}},
                                        **{str(code): _ERROR for code in errors}}}
    if body is not None:
        op["requestBody"] = {"required": True, "content": body}
    return op


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


_CAPTURE = {"$ref": "#/components/schemas/CaptureState"}
_TASK_ID = {"name": "attempt_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True,
              "schema": {"type": "string", "pattern": UPLOAD_ID.pattern}}


@cache
def field_openapi() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "外出送达接口", "version": "1",
                 "description": "送达员在手机上办理外出送达：任务列表、到达现场、现场材料的断点续传上传、办结（直接送达/留置送达/送达失败）。"
                                "登录后使用控制台会话 Cookie；每个写请求须在 X-CSRF-Token 头中带上页面给出的 CSRF 令牌。"},
        "paths": {
            "/console/api/field/tasks": {"get": _op(
                "我的外出送达任务", "按区域、地址、期限排序；含地图导航链接。",
                ok={"type": "object", "properties": {"tasks": {"type": "array", "items": {
                    "$ref": "#/components/schemas/FieldTask"}}}}, errors=(401, 403))},
            "/console/api/field/tasks/{attempt_id}/arrive": {"parameters": [_TASK_ID], "post": _op(
                "到达现场", "开始办理并记录服务器时间、设备定位与设备时间（均可缺省，缺省时标记）。",
                body=_json({"type": "object", "properties": _POSITION}),
                ok={"type": "object", "properties": {"status": {"type": "string"}, "server_time": _TIME}})},
            "/console/api/field/tasks/{attempt_id}/uploads": {"parameters": [_TASK_ID], "post": _op(
                "开始（或重新找到）一项现场材料的上传",
                "客户端为每项材料选择 upload_id 并声明大小与 SHA-256；同一 upload_id 再次开始返回同一上传（从不重复），"
                "换了文件则 409 upload_id_reused。返回服务器已收到的字节数，客户端从该位置续传。",
                body=_json({"$ref": "#/components/schemas/UploadStart"}), ok=_CAPTURE,
                errors=(401, 403, 404, 409, 413, 422))},
            "/console/api/field/uploads/{upload_id}": {"parameters": [_UPLOAD_ID], "get": _op(
                "上传进度", "服务器已收到的字节数与状态（连接中断后先查询再续传）。", ok=_CAPTURE, errors=(401, 403, 404)),
                "patch": {**_op(
                    "上传一段", f"请求体为原始字节（每段不超过 {MAX_CHUNK} 字节），Upload-Offset 头为其在文件中的起始位置。"
                    "重发已收到的段落（内容相同）会被接受且不重复保存；内容不同 409 chunk_mismatch；跳过未收到的部分 409 chunk_gap"
                    "（details.received 为服务器已有字节数）。最后一段到达后核对 SHA-256 与文件内容，成为证据；"
                    "摘要不符 409 upload_digest_mismatch 并清除已收部分。",
                    body={"application/octet-stream": {"schema": {"type": "string", "contentMediaType":
                                                                  "application/octet-stream"}}},
                    ok=_CAPTURE, errors=(401, 403, 404, 409, 413, 422)),
                    "parameters": [{"name": "Upload-Offset", "in": "header", "required": True,
                                    "schema": {"type": "integer", "minimum": 0}}]}},
            "/console/api/field/tasks/{attempt_id}/close": {"parameters": [_TASK_ID], "post": _op(
                "办结",
                "直接送达须有签收人签名（家属须写明姓名与关系）；留置送达须记明拒收事由，并有见证人（姓名与见证照片）"
                "或现场照片、视频（民事诉讼法第89条）；调解书不得留置送达（民诉法解释第133条）。不符合时 422 并说明原因。",
                body=_json({"$ref": "#/components/schemas/FieldClosing"}),
                ok={"type": "object", "properties": {
                    "status": {"type": "string"}, "outcome": {"type": "string"}, "effect_rule": {"type": "string"},
                    "receipt_url": {"type": ["string", "null"]}}})},
        },
        "components": {
            "schemas": {
                "FieldTask": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "case_number": {"type": "string"}, "recipient": {"type": "string"},
                    "role": {"type": "string"}, "area": {"type": "string"},
                    "address": {"type": "string", "description": "掩码地址（省市区县****）；完整地址在任务页填写原因后查看"},
                    "map_url": {"type": "string", "description": "所在区县的地图"}, "status": {"type": "string"},
                    "due_at": {"type": ["string", "null"], "format": "date-time"}}},
                "UploadStart": {"type": "object", "required": ["upload_id", "kind", "filename", "size", "sha256"],
                                "properties": {
                    "upload_id": {"type": "string", "pattern": UPLOAD_ID.pattern},
                    "kind": {"type": "string", "enum": [k.value for k in CaptureKind],
                             "description": "；".join(f"{k.value}: {k.label}" for k in CaptureKind)},
                    "filename": {"type": "string", "maxLength": 255},
                    "size": {"type": "integer", "minimum": 1, "description":
                             f"视频不超过 {MAX_VIDEO_BYTES} 字节，其他不超过 {MAX_IMAGE_BYTES} 字节"},
                    "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "witness_name": {"type": "string", "maxLength": 50, "description": "见证照片、见证人签名必填；其他材料不填"},
                    **_POSITION}},
                "CaptureState": {"type": "object", "properties": {
                    "upload_id": {"type": "string"}, "kind": {"type": "string"}, "size": {"type": "integer"},
                    "received": {"type": "integer"}, "state": {"type": "string", "enum": [s.value for s in UploadState]},
                    "flags": {"type": "array", "items": {"type": "string", "enum": ["no_gps", "clock_off"]}}}},
                "FieldClosing": {"type": "object", "properties": {
                    "outcome": {"type": "string", "enum": [o.value for o in (Outcome.SERVED, Outcome.FAILED)]},
                    "method": {"type": ["string", "null"],
                               "enum": [ServiceMethod.DIRECT.value, ServiceMethod.LODGED.value, None]},
                    "served_at": _TIME,
                    "collector": {"type": "string", "enum": [Collector.RECIPIENT.value, Collector.FAMILY.value]},
                    "collector_name": {"type": "string", "maxLength": 100},
                    "relation": {"type": "string", "maxLength": 50},
                    "refusal_reason": {"type": "string", "maxLength": 500},
                    "witness_name": {"type": "string", "maxLength": 50},
                    "witness_role": {"type": "string", "maxLength": 100},
                    "failure_reason": {"type": ["string", "null"], "enum": [*(r.value for r in FailureReason), None]},
                    "failure_text": {"type": "string", "maxLength": 500}}},
                "Error": {"type": "object", "properties": {"error": {"type": "object", "required": ["code", "message"],
                                                                      "properties": {
                    "code": {"type": "string"}, "message": {"type": "string", "description": "简体中文"},
                    "details": {}}}}},
            },
            "responses": {"Error": {"description": "错误（JSON，简体中文说明）", "content": _json(
                {"$ref": "#/components/schemas/Error"})}},
        },
    }
