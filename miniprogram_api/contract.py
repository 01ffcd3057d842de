"""The mini-program API's written contract: every error code with its meaning and what the client
should do, and the order of calls for each verification route. The OpenAPI document
(miniprogram_api/openapi.py) and docs/MINIPROGRAM.md are built from / checked against these tables.

Times in every JSON answer are ISO 8601 with an offset (``2026-12-05T12:00:00+00:00``); the only
number of seconds is a duration (``ttl_seconds``, ``expires_in``, ``details.retry_after`` and the
``Retry-After`` header). A signed page URL carries its expiry inside ``e=`` — opaque to the client.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    status: int
    meaning: str
    reaction: str  # what the client does


_RELOGIN = "清除本地 token，重新 wx.login 后 POST /session"
_WAIT = "按 Retry-After（秒）等待后再试；倒计时期间禁用按钮"
_SMS = "提示用户改用短信验证码核验（POST /phone/code → POST /phone {sms_code}）"
_RETRY_LATER = "提示“服务暂时不可用”，稍后重试；不要自动连续重试"
_SHOW = "原样显示 error.message（含法院电话），不要重试"

ERRORS: dict[str, ErrorCode] = {
    # Request shape (any call)
    "bad_json": ErrorCode(422, "请求体不是 JSON 对象", "客户端缺陷：修正请求"),
    "validation_failed": ErrorCode(422, "字段缺失或无效，见 details[].field", "在对应输入框下显示 details[].message"),
    "invalid_characters": ErrorCode(422, "字段含控制字符", "清理输入后重试"),
    "upload_not_multipart": ErrorCode(415, "上传须为 multipart/form-data", "客户端缺陷：用 wx.uploadFile"),
    "upload_too_large": ErrorCode(413, "上传合计超过上限", "压缩图片后重传"),
    "payload_too_large": ErrorCode(413, "请求体超过上限", "压缩后重传"),
    "not_found": ErrorCode(404, "路径不存在", "客户端缺陷"),
    # Session
    "token_invalid": ErrorCode(401, "token 缺失、伪造、过期（闲置 120 分钟或满 24 小时）或已退出", _RELOGIN),
    "login_rate_limited": ErrorCode(429, "同一地址登录过于频繁（每分钟 30 次）", _WAIT),
    "wx_code_invalid": ErrorCode(400, "wx.login 的 code 无效或过期（微信 40029）", "重新 wx.login 取新 code 后重试一次"),
    "wx_code_used": ErrorCode(400, "code 已被使用（微信 40163）", "重新 wx.login 取新 code 后重试一次"),
    "wechat_rate_limited": ErrorCode(429, "微信接口限流", _WAIT),
    "wechat_unavailable": ErrorCode(503, "微信接口暂不可用", _RETRY_LATER),
    "wechat_error": ErrorCode(502, "微信接口返回其他错误", _RETRY_LATER),
    # Phone possession
    "phone_required": ErrorCode(403, "尚未证明手机号", "回到手机号步骤"),
    "phone_not_on_file": ErrorCode(403, "该手机号不是本院任何送达的受送达人手机号", "提示核对手机号或联系法院（显示法院电话）"),
    "phone_not_mainland": ErrorCode(422, "微信绑定的不是中国大陆手机号", "改用输入手机号 + 短信验证码"),
    "phone_rate_limited": ErrorCode(429, "手机号查询过于频繁（每会话、每微信、每号码、每地址）", _WAIT),
    "code_cooldown": ErrorCode(429, "60 秒内已发送过验证码", "显示倒计时（Retry-After 秒）后允许重发"),
    "phone_hourly_limit": ErrorCode(429, "该号码本小时验证码已达上限", _WAIT),
    "phone_daily_limit": ErrorCode(429, "该号码今日验证码已达上限", _WAIT + "；或联系法院"),
    "ip_rate_limited": ErrorCode(429, "同一地址请求验证码过于频繁", _WAIT),
    "prefix_rate_limited": ErrorCode(429, "同一号段请求过于频繁", _WAIT),
    "sms_budget_exhausted": ErrorCode(429, "平台今日短信额度已用完", _WAIT + "；或联系法院"),
    "sms_phone_invalid": ErrorCode(422, "短信服务商判定号码无效", "提示核对手机号"),
    "sms_rejected": ErrorCode(502, "短信服务商拒绝发送", _RETRY_LATER),
    "sms_unavailable": ErrorCode(503, "短信服务暂不可用", _RETRY_LATER),
    "sms_error": ErrorCode(502, "短信服务返回错误", _RETRY_LATER),
    "code_malformed": ErrorCode(422, "验证码格式不对（6 位数字）", "提示重新输入"),
    "code_invalid": ErrorCode(400, "没有待验证的验证码", "请用户先点“获取验证码”"),
    "code_expired": ErrorCode(400, "验证码已过期", "请用户重新获取验证码"),
    "code_wrong": ErrorCode(400, "验证码错误，details.remaining_tries 为剩余次数", "清空输入框，显示剩余次数"),
    "code_used": ErrorCode(400, "验证码已使用", "请用户重新获取验证码"),
    "code_exhausted": ErrorCode(400, "错误次数用尽，该验证码作废", "请用户重新获取验证码"),
    "subject_locked": ErrorCode(429, "错误过多，暂时锁定；details.locked_until 为解锁时间", _WAIT),
    # Identity
    "identity_mismatch": ErrorCode(403, "姓名、证件号码与该手机号的受送达人记录不符", "提示核对；多次不符请联系法院"),
    "identity_rate_limited": ErrorCode(429, "核验次数过多（每会话、每微信、每手机号、每证件号、每地址）", _WAIT),
    "identity_required": ErrorCode(403, "须先完成手机号与姓名、证件号码核验", "回到身份核验步骤"),
    "verification_required": ErrorCode(403, "须先完成全部身份核验（含短信或人脸）", "回到第二因素步骤"),
    # Face
    "face_consent_required": ErrorCode(403, "人脸识别须先单独同意（details.version 为当前版本）",
                                       "显示 GET /face/consent 的同意书；不同意则走短信"),
    "consent_version_mismatch": ErrorCode(409, "所同意的同意书版本已更新", "重新 GET /face/consent 并请用户再次阅读同意"),
    "face_local_disabled": ErrorCode(403, "本院未开通本地人脸比对（details.use=wechat）",
                                     "改用 POST /face/wechat/start → wx.requestFacialVerify → POST /face/wechat/finish"),
    "wechat_face_unsupported": ErrorCode(422, "微信人脸核身仅支持居民身份证", _SMS),
    "face_challenge_invalid": ErrorCode(400, "动作指令或微信核身已失效、已使用或不属于本人",
                                        "重新 POST /face/challenge（或 /face/wechat/start）"),
    "face_locked": ErrorCode(429, "人脸核验连续失败，须等待（details.retry_after）", _WAIT + "；同时提供短信路径"),
    "face_disabled": ErrorCode(403, "失败次数过多，人脸核验已暂停 24 小时", _SMS),
    "face_upload_incomplete": ErrorCode(422, "缺少 reference、selfie 或 frame", "客户端缺陷：补齐文件"),
    "face_frame_times_invalid": ErrorCode(422, "frame_ms 与帧数不符或不是整数", "客户端缺陷：随帧上传拍摄时间"),
    "liveness_frames": ErrorCode(422, "帧数须为 3 至 8", "客户端缺陷"),
    "image_format": ErrorCode(422, "图片不是 JPEG 或 PNG", "重新拍摄"),
    "image_too_large": ErrorCode(413, "单张图片超过 5 MB", "压缩后重传"),
    "image_dimensions": ErrorCode(422, "图片边长超过 4096 像素", "缩小后重传"),
    "image_bomb": ErrorCode(422, "图片像素数异常", "重新拍摄"),
    "image_unreadable": ErrorCode(422, "图片无法解码", "重新拍摄"),
    # Services, documents, signing, receipts
    "delivery_not_found": ErrorCode(404, "送达不存在或不属于本人", "刷新“我的送达”"),
    "document_not_found": ErrorCode(404, "文书不存在或不属于该送达", "刷新“我的送达”"),
    "page_url_invalid": ErrorCode(404, "页面链接已过期（5 分钟）或被篡改", "重新 GET 文书取新的页面链接"),
    "delivery_revoked": ErrorCode(410, "法院已撤回该送达", _SHOW),
    "delivery_expired": ErrorCode(410, "该送达已过期", _SHOW),
    "documents_unread": ErrorCode(409, "尚有文书未打开", "引导用户逐份打开文书后再签收"),
    "signature_missing": ErrorCode(422, "未上传签名", "提示手写签名"),
    "signature_too_little_ink": ErrorCode(422, "签名笔迹过少（须占画布短边的三分之一）", "清空画布，请用户重新签名"),
    "signature_invalid": ErrorCode(422, "签名不是可读的 PNG", "用 canvasToTempFilePath 导出 PNG 后重传"),
    "signature_too_large": ErrorCode(413, "签名图片超过 1 MB", "降低导出分辨率"),
    "already_signed": ErrorCode(409, "已签收过", "刷新“我的送达”，显示回证"),
    "not_verified": ErrorCode(403, "签收前须完成身份核验", "回到身份核验"),
    "receipt_not_found": ErrorCode(404, "回证不存在或不属于本人", "刷新“我的送达”"),
    # 送达地址确认书
    "case_not_found": ErrorCode(404, "案件不存在或本人不是该案受送达人", "刷新“我的送达”"),
    "confirmation_invalid": ErrorCode(422, "确认书填写有误（如省、市、区县不存在），见 details[].field",
                                      "在对应输入框下显示 details[].message"),
    "submission_key_invalid": ErrorCode(422, "submission_key 缺失或格式不对（16–64 位）",
                                        "客户端缺陷：进入页面时生成随机 submission_key，重试时沿用"),
    "confirmation_not_found": ErrorCode(404, "送达地址确认书不存在或不属于本人", "刷新确认书页面"),
    # Server
    "service_unavailable": ErrorCode(503, "服务暂时不可用（数据库等）", _RETRY_LATER),
    "overloaded": ErrorCode(503, "服务繁忙", _RETRY_LATER),
    "internal_error": ErrorCode(500, "服务器内部错误", _RETRY_LATER + "；并显示法院电话"),
}

# Answers that are not errors but tell the client to wait: the receipt while it is being sealed.
WAITS = {"GET /receipts/{receipt_no}.pdf": "202 {ready: false} 与 Retry-After: 2：按其秒数轮询，直至 200（PDF）"}

# The order of calls for each route (verification is phone + name/ID + a second factor).
CALL_ORDER: dict[str, list[str]] = {
    "login": ["wx.login → POST /session {code} → 保存 token",
              "GET /session → status 与 routes（routes.face 为 false 时不显示人脸入口）"],
    "sms": ["POST /phone {code: getPhoneNumber 的 code}（或 POST /phone/code {phone} → POST /phone {sms_code, phone}）",
            "POST /identity {name, id_number, id_type?}",
            "POST /phone/code {}（发送到已证明的手机号）",
            "POST /phone {sms_code} → status.verified=true"],
    "face_wechat": ["POST /phone …、POST /identity …（同上）",
                    "GET /face/consent → 显示同意书 → POST /face/consent {version}",
                    "POST /face/wechat/start → {verify_id}",
                    "wx.requestFacialVerify({verifyId}) 在手机上完成",
                    "POST /face/wechat/finish → {passed}；未通过时提供短信路径"],
    "face_local": ["（仅 routes.face_method=local 的法院）POST /phone …、POST /identity …、同意书同上",
                   "POST /face/challenge → {challenge_id, kind}；有效期内重复请求得到同一指令",
                   "wx.createCameraContext().onCameraFrame 采集 3–8 帧（同一尺寸，间隔 30–1000 ms，总长 ≤ 6 s），"
                   "记录每帧毫秒时间",
                   "POST /face/verify multipart：challenge_id、frame_ms=逗号分隔时间、reference、selfie、frame×n → "
                   "{passed}；未通过只返回“未通过”"],
    "sign": ["GET /services → 选择送达",
             "对每份文书 GET /deliveries/{id}/documents/{doc} → pages（5 分钟有效的图片链接，过期重新获取）",
             "POST /deliveries/{id}/sign multipart signature（PNG）→ {receipt_no, url}",
             "GET /receipts/{receipt_no}.pdf：202 时按 Retry-After 轮询，200 为 PDF"],
    "address_confirmation": [
        "GET /cases/{case_id}/address-confirmation → 已登记地址（脱敏）、已签确认书、告知事项",
        "进入页面时生成随机 submission_key（16–64 位），本页内重试沿用",
        "POST /cases/{case_id}/address-confirmation/code {postal, phone?, email?, wechat?, accepted: true} → "
        "先校验（省市区县不存在为 422 confirmation_invalid，不发短信），再发送验证码到法院登记的手机号",
        "POST /cases/{case_id}/address-confirmation multipart：上述字段、code、submission_key、signature（PNG）"
        " → 201 {confirmation_no, url}；同一 submission_key 重复提交返回同一份确认书",
        "GET /address-confirmations/{confirmation_no}.pdf → 加盖电子印章的 PDF"],
    "token": ["token 闲置 120 分钟或签发满 24 小时失效：任何 401 token_invalid → 重新登录；"
              "核验状态随会话，重新登录后需重新核验（已绑定的送达仍在）"],
}
