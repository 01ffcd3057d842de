"""The mini-program API's OpenAPI 3.1 document (/mp/api/v1/openapi.json), in the court API's
manner (court/api/openapi.py): schemas for every answer, the error codes each operation can give
(x-error-codes, from miniprogram_api.contract.ERRORS) and examples a client can be tested against
(the jest suite of miniprogram/ replays them)."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from miniprogram_api.contract import CALL_ORDER, ERRORS, WAITS

_REF = "#/components/schemas/{}"
T = "2026-12-05T04:00:00+00:00"  # every time is ISO 8601 with an offset

_STATUS = {"type": "object", "required": ["verified"], "properties": {
    "phone_verified": {"type": "boolean"}, "phone_masked": {"type": ["string", "null"]},
    "identity_verified": {"type": "boolean"}, "sms_verified": {"type": "boolean"},
    "face_verified": {"type": "boolean"}, "verified": {"type": "boolean"},
    "method": {"type": ["string", "null"], "enum": ["sms_code", "face", "wechat_face", None]}}}
_ROUTES = {"type": "object", "required": ["sms", "face"], "properties": {
    "sms": {"type": "boolean", "description": "短信路径始终提供"},
    "face": {"type": "boolean", "description": "姓名、证件号码核验通过且未被人脸锁定时为 true"},
    "face_method": {"enum": ["wechat", "local"], "description": "wechat：微信人脸核身（默认）；local：本院开通的本地比对"},
    "face_consent_version": {"type": "string"}}}
_TIME = {"type": "string", "format": "date-time", "description": "ISO 8601，带时区偏移"}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"], "properties": {
            "code": {"enum": sorted(ERRORS)}, "message": {"type": "string", "description": "简体中文，可直接显示"},
            "details": {}}}}},
    "Status": _STATUS,
    "Routes": _ROUTES,
    "Login": {"type": "object", "required": ["token", "expires_at", "status"], "properties": {
        "token": {"type": "string"}, "token_type": {"const": "Bearer"}, "expires_at": _TIME,
        "idle_minutes": {"type": "integer"}, "status": {"$ref": _REF.format("Status")}}},
    "SessionState": {"type": "object", "required": ["status", "routes"], "properties": {
        "status": {"$ref": _REF.format("Status")}, "routes": {"$ref": _REF.format("Routes")}}},
    "PhoneProved": {"type": "object", "required": ["phone_masked", "status"], "properties": {
        "phone_masked": {"type": "string"}, "status": {"$ref": _REF.format("Status")},
        "routes": {"$ref": _REF.format("Routes")}}},
    "CodeSent": {"type": "object", "required": ["sent", "ttl_seconds"], "properties": {
        "sent": {"type": "boolean"}, "ttl_seconds": {"type": "integer"}}},
    "Consent": {"type": "object", "required": ["version", "text"], "properties": {
        "version": {"type": "string"}, "text": {"type": "string"}, "consented": {"type": "boolean"}}},
    "ConsentGiven": {"type": "object", "properties": {"version": {"type": "string"}, "consented_at": _TIME}},
    "Challenge": {"type": "object", "required": ["challenge_id", "kind"], "properties": {
        "challenge_id": {"type": "string"}, "kind": {"enum": ["blink", "turn_left", "turn_right"],
                                                     "description": "按屏幕方向提示：眨眼 / 向屏幕左侧转头 / 向屏幕右侧转头"},
        "expires_at": _TIME, "ttl_seconds": {"type": "integer"}}},
    "FaceResult": {"type": "object", "required": ["passed"], "not": {"required": ["error"]}, "properties": {
        "passed": {"type": "boolean"}, "message": {"const": "未通过", "description": "失败时唯一的说明"},
        "alternative": {"const": "sms"}, "lockout": {"type": ["object", "null"]},
        "status": {"$ref": _REF.format("Status")}}},
    "WechatFaceStart": {"type": "object", "required": ["verify_id"], "properties": {
        "verify_id": {"type": "string"}, "expires_in": {"type": "integer", "description": "秒"}}},
    "Services": {"type": "object", "required": ["services"], "properties": {"services": {"type": "array", "items": {
        "type": "object", "properties": {
            "service_id": {"type": "integer"}, "case_id": {"type": "integer", "description": "送达地址确认书用"},
            "court": {"type": "string"}, "court_phone": {"type": "string"},
            "case_number": {"type": "string"}, "cause": {"type": "string"}, "role": {"type": "string"},
            "status": {"type": "string"}, "status_label": {"type": "string"}, "expires_at": _TIME,
            "delivery": {"type": ["object", "null"], "properties": {
                "id": {"type": "integer"}, "state": {"type": "string"}, "state_label": {"type": "string"},
                "closed": {"type": ["string", "null"]}}},
            "legal_effect": {"type": ["string", "null"]},
            "documents": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "title": {"type": "string"}, "kind": {"type": "string"},
                "kind_label": {"type": "string"}, "pages": {"type": "integer"}, "viewed": {"type": "boolean"}}}},
            "receipt": {"type": ["object", "null"], "properties": {
                "receipt_no": {"type": "string"}, "ready": {"type": "boolean"}, "url": {"type": "string"}}}}}}}},
    "DocumentPages": {"type": "object", "required": ["pages", "expires_at"], "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"},
        "pages": {"type": "array", "items": {"type": "string", "description": (
            "/mp/api/v1/pages/{delivery}/{document}/{n}.png?e=…&s=…：相对地址，拼上服务器根地址用于 <image src>；"
            "无需 token，5 分钟内有效；e 与 s 对客户端不透明")}},
        "expires_at": _TIME}},
    "Signed": {"type": "object", "required": ["receipt_no", "url"], "properties": {
        "receipt_no": {"type": "string"}, "url": {"type": "string"}}},
    "AddressConfirmation": {"type": "object", "required": ["confirmation_no", "confirmed_at", "url"], "properties": {
        "confirmation_no": {"type": "string"}, "case_id": {"type": "integer"}, "confirmed_at": _TIME,
        "postal_masked": {"type": "string"},
        "electronic": {"type": "array", "items": {"type": "object", "properties": {
            "kind": {"enum": ["phone", "email", "wechat"]}, "label": {"type": "string"}, "masked": {"type": "string"}}}},
        "url": {"type": "string"}}},
    "AddressConfirmationForm": {"type": "object", "required": ["case", "recipient", "on_file", "notice"], "properties": {
        "case": {"type": "object", "properties": {"id": {"type": "integer"}, "case_number": {"type": "string"},
                                                  "court": {"type": "string"}}},
        "recipient": {"type": "object", "properties": {"name": {"type": "string"}, "phone_masked": {"type": "string"}}},
        "on_file": {"type": "array", "items": {"type": "object", "properties": {
            "kind": {"type": "string"}, "kind_label": {"type": "string"}, "masked": {"type": "string"},
            "status_label": {"type": "string"}, "source_label": {"type": "string"}}}},
        "confirmations": {"type": "array", "items": {"$ref": "#/components/schemas/AddressConfirmation"}},
        "notice": {"type": "array", "items": {"type": "string"}, "description": "告知事项，逐条显示"},
        "accepted_text": {"type": "string", "description": "勾选框旁的文字"}}},
    "ConfirmationCodeSent": {"type": "object", "required": ["sent", "ttl_seconds"], "properties": {
        "sent": {"type": "boolean"}, "ttl_seconds": {"type": "integer"}, "phone_masked": {"type": "string"}}},
    "ReceiptPending": {"type": "object", "required": ["ready"], "properties": {
        "receipt_no": {"type": "string"}, "ready": {"const": False}, "message": {"type": "string"}}},
}

_STATUS_EXAMPLE = {"phone_verified": True, "phone_masked": "138****0000", "identity_verified": True,
                   "sms_verified": True, "face_verified": False, "verified": True, "method": "sms_code"}
_ROUTES_EXAMPLE = {"sms": True, "face": True, "face_method": "wechat", "face_consent_version": "2026-11-v1"}


def _json(schema: str, example: Any = None, description: str = "成功") -> dict:
    content: dict[str, Any] = {"schema": {"$ref": _REF.format(schema)}}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {"application/json": content}}


def _retry_after() -> dict:
    return {"Retry-After": {"description": "须等待的秒数", "schema": {"type": "integer", "minimum": 1}}}


def _errors(*codes: str) -> dict[str, Any]:
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(ERRORS[code].status, []).append(code)
    out = {}
    for status, names in sorted(by_status.items()):
        response = {"description": "错误。error.code：" + "；".join(
            f"{n}（{ERRORS[n].meaning}；客户端：{ERRORS[n].reaction}）" for n in names),
            "x-error-codes": names,
            "content": {"application/json": {"schema": {"$ref": _REF.format("Error")}}}}
        if status == 429:
            response["headers"] = _retry_after()
        out[str(status)] = response
    return out


_COMMON = ("token_invalid", "bad_json", "validation_failed", "invalid_characters", "service_unavailable",
           "overloaded", "internal_error")
_SMS_SEND = ("phone_required", "phone_not_on_file", "phone_rate_limited", "code_cooldown", "phone_hourly_limit",
             "phone_daily_limit", "ip_rate_limited", "prefix_rate_limited", "sms_budget_exhausted",
             "sms_phone_invalid", "sms_rejected", "sms_unavailable", "sms_error", "subject_locked")
_CODE_CHECK = ("code_malformed", "code_invalid", "code_expired", "code_wrong", "code_used", "code_exhausted",
               "subject_locked", "phone_not_on_file", "phone_not_mainland", "phone_rate_limited",
               "wechat_rate_limited", "wechat_unavailable", "wechat_error")
_FACE_READY = ("identity_required", "face_consent_required")
_UPLOAD = ("upload_not_multipart", "upload_too_large")
_OPEN = ("verification_required", "delivery_not_found", "delivery_revoked", "delivery_expired")


def _op(summary: str, op_id: str, ok: str, ok_response: dict, *codes: str, body: dict | None = None,
        params: list | None = None, auth: bool = True, common: bool = True) -> dict:
    operation: dict[str, Any] = {"summary": summary, "operationId": op_id,
                                 "responses": {ok: ok_response, **_errors(*((_COMMON if common else ()) + codes))}}
    if not auth:
        operation["security"] = []
    if body is not None:
        operation["requestBody"] = body
    if params:
        operation["parameters"] = params
    return operation


def _json_body(properties: dict, required: list[str], example: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": required, "properties": properties}, "example": example}}}


def _int_path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}


_S = {"type": "string"}


_ADDRESS_FIELDS = {"postal": {"type": "string", "description": "邮寄送达地址，须写明省、市、区县"},
                   "phone": {"type": "string"}, "email": {"type": "string"},
                   "wechat": {"type": "string", "description": "微信号"}}
_CONFIRMATION_EXAMPLE = {"confirmation_no": "DZ20261205ABCDEF1234", "case_id": 5, "confirmed_at": T,
                         "postal_masked": "广西壮族自治区北海市海城区****",
                         "electronic": [{"kind": "phone", "label": "电话号码", "masked": "138****0000"}],
                         "url": "/mp/api/v1/address-confirmations/DZ20261205ABCDEF1234.pdf"}


def _confirmation_paths() -> dict[str, Any]:
    """送达地址确认书 (miniprogram_api/confirmation_routes.py)."""
    case = [_int_path("case_id")]
    return {
        "/cases/{case_id}/address-confirmation": {
            "get": _op("送达地址确认书：已登记地址（脱敏）、已签确认书与告知事项", "addressConfirmationForm", "200",
                       _json("AddressConfirmationForm", {
                           "case": {"id": 5, "case_number": "(2026)桂0102民初123号", "court": "示例市人民法院"},
                           "recipient": {"name": "王小明", "phone_masked": "138****0000"},
                           "on_file": [{"kind": "postal", "kind_label": "邮寄地址", "masked": "广西壮族自治区柳州市城中区****",
                                        "status_label": "未核实", "source_label": "法院推送"}],
                           "confirmations": [], "notice": ["一、……"], "accepted_text": "本人已阅读……"}),
                       "verification_required", "case_not_found", params=case),
            "post": _op("签署送达地址确认书（手写签名 + 短信验证码）；同一 submission_key 重复提交返回同一份",
                        "signAddressConfirmation", "201", _json("AddressConfirmation", _CONFIRMATION_EXAMPLE),
                        "verification_required", "case_not_found", "confirmation_invalid", "submission_key_invalid",
                        *_UPLOAD, "signature_missing", "signature_invalid", "signature_too_little_ink",
                        "signature_too_large", *_CODE_CHECK[:7], params=case,
                        body={"required": True, "content": {"multipart/form-data": {"schema": {
                            "type": "object", "required": ["postal", "accepted", "code", "submission_key", "signature"],
                            "properties": {**_ADDRESS_FIELDS, "accepted": {"enum": ["1", "true"]},
                                           "code": {"type": "string", "description": "6 位短信验证码"},
                                           "submission_key": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$"},
                                           "signature": {"type": "string", "format": "binary",
                                                         "description": "PNG ≤ 1 MB"}}}}}}),
        },
        "/cases/{case_id}/address-confirmation/code": {"post": _op(
            "校验确认书内容，并向法院登记的手机号发送验证码", "sendAddressConfirmationCode", "200",
            _json("ConfirmationCodeSent", {"sent": True, "ttl_seconds": 300, "phone_masked": "138****0000"}),
            "verification_required", "case_not_found", "confirmation_invalid", *_SMS_SEND[3:], params=case,
            body=_json_body({**_ADDRESS_FIELDS, "accepted": {"type": "boolean"}}, ["postal", "accepted"],
                            {"postal": "广西壮族自治区北海市海城区北部湾中路12号", "phone": "13800000000",
                             "accepted": True}))},
        "/address-confirmations/{confirmation_no}.pdf": {"get": _op(
            "送达地址确认书（PDF，加盖电子印章）", "addressConfirmationPdf", "200", {
                "description": "PAdES 签章的 PDF", "content": {"application/pdf": {
                    "schema": {"type": "string", "format": "binary"}}}},
            "verification_required", "confirmation_not_found",
            params=[{"name": "confirmation_no", "in": "path", "required": True, "schema": _S}])},
    }


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    services_example = {"services": [{
        "service_id": 1, "court": "示例市人民法院", "court_phone": "0771-1234567", "case_number": "(2026)桂0102民初123号",
        "cause": "买卖合同纠纷", "role": "被告", "status": "in_progress", "status_label": "送达中", "expires_at": T,
        "delivery": {"id": 7, "state": "verified", "state_label": "已核验身份", "closed": None},
        "legal_effect": "签收后，文书自签收之时起视为送达。",
        "documents": [{"id": 3, "title": "起诉状副本", "kind": "complaint", "kind_label": "起诉状副本", "pages": 2,
                       "viewed": False}],
        "receipt": None}]}
    paths: dict[str, Any] = {
        "/session": {
            "post": _op("登录：wx.login 的 code 换取 token", "login", "201", _json("Login", {
                "token": "k3J…", "token_type": "Bearer", "expires_at": T, "idle_minutes": 120,
                "status": {**_STATUS_EXAMPLE, "phone_verified": False, "phone_masked": None,
                           "identity_verified": False, "sms_verified": False, "verified": False, "method": None}}),
                "login_rate_limited", "wx_code_invalid", "wx_code_used", "wechat_rate_limited", "wechat_unavailable",
                "wechat_error", body=_json_body({"code": _S}, ["code"], {"code": "0a1b2c"}), auth=False),
            "get": _op("会话状态与可用核验路径", "sessionState", "200",
                       _json("SessionState", {"status": _STATUS_EXAMPLE, "routes": _ROUTES_EXAMPLE})),
            "delete": _op("退出登录（吊销 token）", "logout", "200", {"description": "成功", "content": {
                "application/json": {"schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
                                     "example": {"ok": True}}}}),
        },
        "/phone/code": {"post": _op("发送短信验证码（到 phone，或到已证明的手机号）", "sendPhoneCode", "200",
                                    _json("CodeSent", {"sent": True, "ttl_seconds": 300}), *_SMS_SEND,
                                    body=_json_body({"phone": _S}, [], {"phone": "13800000000"}))},
        "/phone": {"post": _op("证明手机号：getPhoneNumber 的 code，或短信验证码", "provePhone", "200",
                               _json("PhoneProved", {"phone_masked": "138****0000", "status": _STATUS_EXAMPLE,
                                                     "routes": _ROUTES_EXAMPLE}), *_CODE_CHECK, "phone_required",
                               body=_json_body({"code": _S, "sms_code": _S, "phone": _S}, [],
                                               {"sms_code": "123456"}))},
        "/identity": {"post": _op("姓名 + 证件号码（须为该手机号的受送达人）", "bindIdentity", "200",
                                  _json("SessionState", {"status": _STATUS_EXAMPLE, "routes": _ROUTES_EXAMPLE}),
                                  "phone_required", "identity_mismatch", "identity_rate_limited",
                                  body=_json_body({"name": _S, "id_number": _S, "id_type": _S}, ["name", "id_number"],
                                                  {"name": "王小明", "id_number": "110101199003071234"}))},
        "/face/consent": {
            "get": _op("人脸识别单独同意书", "faceConsentText", "200",
                       _json("Consent", {"version": "2026-11-v1", "text": "人脸识别单独同意书……", "consented": False})),
            "post": _op("同意人脸识别", "giveFaceConsent", "201",
                        _json("ConsentGiven", {"version": "2026-11-v1", "consented_at": T}), "consent_version_mismatch",
                        body=_json_body({"version": _S}, ["version"], {"version": "2026-11-v1"})),
        },
        "/face/wechat/start": {"post": _op("发起微信人脸核身（默认的人脸路径）", "startWechatFace", "201",
                                           _json("WechatFaceStart", {"verify_id": "v-1", "expires_in": 3600}),
                                           *_FACE_READY, "wechat_face_unsupported", "wechat_unavailable",
                                           "wechat_error", "wechat_rate_limited")},
        "/face/wechat/finish": {"post": _op("查询微信人脸核身结果", "finishWechatFace", "200",
                                            _json("FaceResult", {"passed": True, "status": _STATUS_EXAMPLE}),
                                            *_FACE_READY, "face_challenge_invalid", "wechat_face_unsupported",
                                            "wechat_unavailable", "wechat_error", "wechat_rate_limited")},
        "/face/challenge": {"post": _op("本地比对：服务器选定的动作指令（有效期内不变）", "faceChallenge", "201",
                                        _json("Challenge", {"challenge_id": "c-1", "kind": "blink", "expires_at": T,
                                                            "ttl_seconds": 120}),
                                        *_FACE_READY, "face_local_disabled", "face_locked", "face_disabled")},
        "/face/verify": {"post": _op("本地比对：上传身份证人像、自拍与按时间顺序采集的动作帧", "faceVerify", "200",
                                     _json("FaceResult", {"passed": True, "status": _STATUS_EXAMPLE}),
                                     *_FACE_READY, *_UPLOAD, "face_local_disabled", "face_locked", "face_disabled",
                                     "face_challenge_invalid", "face_upload_incomplete", "face_frame_times_invalid",
                                     "liveness_frames", "image_format", "image_too_large", "image_dimensions",
                                     "image_bomb", "image_unreadable",
                                     body={"required": True, "content": {"multipart/form-data": {"schema": {
                                         "type": "object", "required": ["challenge_id", "frame_ms", "reference",
                                                                        "selfie", "frame"],
                                         "properties": {
                                             "challenge_id": _S,
                                             "frame_ms": {"type": "string", "pattern": "^[0-9]+(,[0-9]+){2,7}$",
                                                          "description": "每帧拍摄时间（毫秒），逗号分隔，与 frame 同序"},
                                             "reference": {"type": "string", "format": "binary"},
                                             "selfie": {"type": "string", "format": "binary"},
                                             "frame": {"type": "array", "minItems": 3, "maxItems": 8,
                                                       "items": {"type": "string", "format": "binary"}}}}}}})},
        "/services": {"get": _op("我的送达", "listServices", "200", _json("Services", services_example),
                                 "verification_required")},
        "/deliveries/{delivery_id}/documents/{document_id}": {"get": _op(
            "打开文书：页面图片链接（记为已查看）", "openDocument", "200",
            _json("DocumentPages", {"id": 3, "title": "起诉状副本", "expires_at": T, "pages": [
                "/mp/api/v1/pages/7/3/1.png?e=1764907500&s=ab12", "/mp/api/v1/pages/7/3/2.png?e=1764907500&s=ab12"]}),
            *_OPEN, "document_not_found", params=[_int_path("delivery_id"), _int_path("document_id")])},
        "/pages/{delivery_id}/{document_id}/{page}.png": {"get": _op(
            "页面图片（签名链接，无需 token）", "pageImage", "200", {"description": "PNG", "content": {
                "image/png": {"schema": {"type": "string", "format": "binary"}}}},
            "page_url_invalid", "delivery_revoked", "delivery_expired", "document_not_found", auth=False,
            params=[_int_path("delivery_id"), _int_path("document_id"), _int_path("page"),
                    {"name": "e", "in": "query", "required": True, "schema": _S},
                    {"name": "s", "in": "query", "required": True, "schema": _S}])},
        "/deliveries/{delivery_id}/sign": {"post": _op(
            "签收（手写签名）", "sign", "201", _json("Signed", {"receipt_no": "SD20261205ABCDEF1234",
                                                          "url": "/mp/api/v1/receipts/SD20261205ABCDEF1234.pdf"}),
            *_OPEN, *_UPLOAD, "documents_unread", "signature_missing", "signature_invalid", "signature_too_little_ink",
            "signature_too_large", "already_signed", "not_verified", params=[_int_path("delivery_id")],
            body={"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["signature"],
                "properties": {"signature": {"type": "string", "format": "binary", "description": "PNG ≤ 1 MB"}}}}}})},
        "/receipts/{receipt_no}.pdf": {"get": _op(
            "送达回证（PDF）；加盖印章前为 202", "receiptPdf", "200", {"description": "PAdES 签章的 PDF", "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
            "verification_required", "receipt_not_found",
            params=[{"name": "receipt_no", "in": "path", "required": True, "schema": _S}])},
    }
    paths.update(_confirmation_paths())
    for face_path in ("/face/verify", "/face/wechat/finish"):
        failed = paths[face_path]["post"]["responses"]["422"]
        failed["description"] = "未通过：{passed: false, message: \"未通过\", alternative: \"sms\", lockout?}；或" + \
            failed["description"]
        failed["content"]["application/json"] = {
            "schema": {"oneOf": [{"$ref": _REF.format("FaceResult")}, {"$ref": _REF.format("Error")}]},
            "example": {"passed": False, "message": "未通过", "alternative": "sms", "status": _STATUS_EXAMPLE}}
    paths["/receipts/{receipt_no}.pdf"]["get"]["responses"]["202"] = {
        **_json("ReceiptPending", {"receipt_no": "SD20261205ABCDEF1234", "ready": False,
                                   "message": "送达回证正在生成，请稍后刷新"}, "正在加盖电子印章"),
        "headers": _retry_after()}
    order = "\n".join(f"- **{route}**: " + " → ".join(steps) for route, steps in CALL_ORDER.items())
    errors = "\n".join(f"| {code} | {e.status} | {e.meaning} | {e.reaction} |" for code, e in ERRORS.items())
    return {
        "openapi": "3.1.0",
        "info": {"title": "电子送达平台 · 微信小程序接口", "version": "1.0.0", "description": (
            "Authorization: Bearer <token>（POST /session 与页面图片链接除外）。时间均为带时区偏移的 ISO 8601；"
            "秒数只用于时长（ttl_seconds、expires_in、retry_after、Retry-After）。每个 429 都带 Retry-After。\n\n"
            f"调用顺序：\n{order}\n\n须等待的应答：{WAITS}\n\n| error.code | HTTP | 含义 | 客户端应对 |\n|---|---|---|---|\n"
            f"{errors}")},
        "servers": [{"url": "/mp/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
        "x-error-codes": {code: {"status": e.status, "meaning": e.meaning, "reaction": e.reaction}
                          for code, e in ERRORS.items()},
        "x-call-order": CALL_ORDER,
    }
