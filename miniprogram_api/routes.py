"""Mini-program API v1 (微信小程序接口): login, phone, identity, services, pages, sign, receipts.

Thin handlers: parse → call identity/documents use cases → JSON. Errors render as
``{"error": {"code", "message"}}`` through the app's handler (the /mp/api/ prefix).
"""
from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta, timezone

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from audit.choices import ActorKind
from audit.events import Actor
from core.errors import NotFound, ValidationFailed
from documents.page_images import page_png
from identity.code_requests import request_code
from identity.codes import verify_code
from identity.limits import RateLimited
from identity.models import CodePurpose, SessionKind
from identity.pii_keys import pii_cipher
from identity.sessions import create_session, revoke_session
from identity.wechat.api import WeChatError
from miniprogram_api import binding
from miniprogram_api import documents as mp_documents
from miniprogram_api.auth import (
    absolute,
    address,
    bearer,
    idle,
    limits,
    mp_api,
    request_meta,
    utcnow,
)
from miniprogram_api.uploads import MB, read_multipart
from service.access import record_document_access
from service.choices import ReceiptStatus
from service.signing import sign_delivery
from web.disconnects import finish_on_disconnect
from web.downloads import attachment
from web.input_guard import refuse_control_characters

bp = Blueprint("miniprogram_api", url_prefix="/mp/api/v1")
bp.on_request(refuse_control_characters)  # NUL and friends: 422 before any handler
security_log = logging.getLogger("songda.security")
LOGINS_PER_MINUTE = 30
RECEIPT_RETRY_AFTER = 2  # seconds: the seal job is drained within a tick or two of signing
_PAGE_FILE = re.compile(r"([1-9][0-9]{0,4})\.png")
_RECEIPT_NO = re.compile(r"SD[0-9]{8}[0-9A-Z]{10}")


def _body(request: Request) -> dict:
    try:
        body = request.json
    except Exception:  # sanic raises BadRequest for broken JSON; answer in our shape
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed("请求体应为 JSON 对象", code="bad_json")
    return body


def _text(body: dict, name: str, *, required: bool = True, max_length: int = 200) -> str:
    value = body.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise ValidationFailed(f"缺少或无效的字段 {name}", details=[{"field": name, "message": "必填，且为字符串"}])
    return value.strip()


def _actor(recipient_id: int) -> Actor:
    return Actor(ActorKind.RECIPIENT, str(recipient_id))


# -- login -------------------------------------------------------------------------------------

@bp.post("/session")
async def login(request: Request) -> HTTPResponse:
    now = utcnow()
    code = _text(_body(request), "code", max_length=128)
    result = await limits(request).hit(f"mp:login:{address(request)}", LOGINS_PER_MINUTE, timedelta(minutes=1), now=now)
    if not result.allowed:
        raise RateLimited(f"请求过于频繁，请{result.retry_after}秒后再试", code="login_rate_limited",
                          retry_after=result.retry_after)
    try:
        wx = await request.app.ctx.wechat_api.code_to_session(code)
    except WeChatError as exc:
        security_log.warning("mp login refused: outcome=%s ip=%s", exc.code, address(request))
        raise
    settings = request.app.ctx.settings
    token, session = await create_session(SessionKind.MINIPROGRAM, {"openid": wx.openid}, now=now,
                                          idle=idle(settings), absolute=absolute(settings))
    security_log.info("mp login: mp_session=%s", session.id)
    return json({"token": token, "token_type": "Bearer", "expires_at": session.expires_at.isoformat(),
                 "idle_minutes": settings.mp_token_idle_minutes, "status": binding.status(session)}, status=201)


@bp.get("/openapi.json")
async def openapi(request: Request) -> HTTPResponse:
    """The contract (miniprogram_api/openapi.py): schemas, error codes, call order."""
    from miniprogram_api.openapi import openapi_document

    return json(openapi_document())


@bp.get("/session")
@mp_api()
async def session_status(request: Request) -> HTTPResponse:
    return json({"status": binding.status(request.ctx.mp), "routes": await _routes(request)})


@bp.delete("/session")
@mp_api()
async def logout(request: Request) -> HTTPResponse:
    await revoke_session(bearer(request), now=utcnow())
    return json({"ok": True})


async def _routes(request: Request) -> dict:
    """What the user may do next; the SMS route is always offered (no face-only path). ``face``
    is false until name + ID are bound and while the person's face lockout runs."""
    from miniprogram_api import face

    return {"sms": True, "face": await face.face_offered(request.ctx.mp, request.app.ctx.settings, utcnow()),
            "face_method": face.method(request.app.ctx.settings), "face_consent_version": face.CONSENT_VERSION}


# -- phone possession --------------------------------------------------------------------------

@bp.post("/phone")
@finish_on_disconnect
@mp_api()
async def prove_phone(request: Request) -> HTTPResponse:
    """``{"code": <getPhoneNumber code>}`` or ``{"sms_code": "123456", "phone"?: "138…"}``."""
    session = request.ctx.mp
    body = _body(request)
    now = utcnow()
    if body.get("sms_code") is not None:
        phone = _session_phone(session, body, request.app.ctx.settings)
        subject = binding.phone_index(phone, request.app.ctx.settings)
        await verify_code(CodePurpose.MP_PHONE, subject, _text(body, "sms_code", max_length=16),
                          settings=request.app.ctx.settings, now=now)
        masked = await binding.prove_phone(session, phone, via="sms_code", settings=request.app.ctx.settings, now=now)
    else:
        code = _text(body, "code", max_length=128)
        try:
            phone = await request.app.ctx.wechat_api.phone_number(code)
        except WeChatError as exc:
            security_log.warning("mp phone refused: mp_session=%s outcome=%s", session.id, exc.code)
            raise
        masked = await binding.prove_phone(session, phone, via="wechat", settings=request.app.ctx.settings, now=now)
    await binding.complete_if_ready(session, meta=request_meta(request), settings=request.app.ctx.settings, now=now)
    return json({"phone_masked": masked, "status": binding.status(session), "routes": await _routes(request)})


def _session_phone(session, body: dict, settings) -> str:
    if body.get("phone"):
        return binding.normalize_phone(_text(body, "phone", max_length=32))
    if session.data.get("phone_cipher"):
        return pii_cipher(settings).decrypt(session.data["phone_cipher"], context="phone")
    raise ValidationFailed("请填写手机号", details=[{"field": "phone", "message": "必填"}])


@bp.post("/phone/code")
@finish_on_disconnect
@mp_api()
async def send_phone_code(request: Request) -> HTTPResponse:
    """Text a code to ``phone`` (or to the phone already proved through WeChat)."""
    session = request.ctx.mp
    now = utcnow()
    phone = _session_phone(session, _body(request), request.app.ctx.settings)
    subject = binding.phone_index(phone, request.app.ctx.settings)
    await binding.count_phone_lookup(session, subject, ip=address(request), limits=limits(request), now=now)
    await binding.ensure_on_file(session, subject, via="sms_code")
    ctx = request.app.ctx
    await request_code(purpose=CodePurpose.MP_PHONE, subject=subject, phone=phone, client_ip=address(request),
                       gateway=ctx.sms_gateway, limits=limits(request), settings=ctx.settings, now=now)
    return json({"sent": True, "ttl_seconds": ctx.settings.code_ttl_seconds})


# -- identity ------------------------------------------------------------------------------------

@bp.post("/identity")
@finish_on_disconnect
@mp_api()
async def bind_identity(request: Request) -> HTTPResponse:
    """``{"name", "id_number", "id_type"?}`` — must be the court's record for the proved phone."""
    session = request.ctx.mp
    body = _body(request)
    now = utcnow()
    await binding.bind_identity(session, settings=request.app.ctx.settings, name=_text(body, "name", max_length=100),
                                id_type=_text(body, "id_type", required=False, max_length=32),
                                id_number=_text(body, "id_number", max_length=64), limits=limits(request), now=now,
                                ip=address(request))
    await binding.complete_if_ready(session, meta=request_meta(request), settings=request.app.ctx.settings, now=now)
    return json({"status": binding.status(session), "routes": await _routes(request)})


# -- services and documents ------------------------------------------------------------------------

async def _recipients(request: Request) -> list:
    recipients = await binding.recipients_of(request.ctx.mp, request.app.ctx.settings)
    # Services that arrived after verification: their WeChat deliveries are verified on sight.
    await binding.mark_verified([r.id for r in recipients], method=request.ctx.mp.data.get("method", ""),
                                meta=request_meta(request), now=utcnow())
    return recipients


async def _recipient_ids(request: Request) -> list[int]:
    return [r.id for r in await _recipients(request)]


@bp.get("/services")
@mp_api(verified=True)
async def list_services(request: Request) -> HTTPResponse:
    return json({"services": await mp_documents.services(await _recipients(request), now=utcnow())})


@bp.get("/deliveries/<delivery_id:int>/documents/<document_id:int>")
@mp_api(verified=True)
async def open_document(request: Request, delivery_id: int, document_id: int) -> HTTPResponse:
    """Opening a document counts as viewing it (as the portal's document page does)."""
    delivery = await mp_documents.delivery_of(await _recipient_ids(request), delivery_id)
    document = await mp_documents.document_of(delivery, document_id)
    now = utcnow()
    await record_document_access(delivery.id, document.id, download=False, actor=_actor(delivery.recipient_id),
                                 meta=request_meta(request), now=now)
    urls, expires = mp_documents.signed_page_urls(request.app.ctx.settings.secret_key.get_secret_value(),
                                                  delivery.id, document, now=now)
    return json({"id": document.id, "title": document.title, "pages": urls,
                 "expires_at": datetime.fromtimestamp(expires, timezone.utc).isoformat()})


@bp.get("/pages/<delivery_id:int>/<document_id:int>/<page_file:str>")
async def page_image(request: Request, delivery_id: int, document_id: int, page_file: str) -> HTTPResponse:
    """A page image behind a signed URL (no bearer token: <image src> cannot send one)."""
    match = _PAGE_FILE.fullmatch(page_file)
    if match is None or delivery_id > 2**31 or document_id > 2**31:
        raise NotFound("页面不存在")
    document = await mp_documents.check_page_url(
        request.app.ctx.settings.secret_key.get_secret_value(), delivery_id, document_id,
        request.args.get("e", ""), request.args.get("s", ""), now=utcnow())
    page = int(match.group(1))
    if page > document.page_count:
        raise NotFound("页面不存在")
    storage = request.app.ctx.storage
    png = await page_png(request.app.ctx.settings.data_dir / "page-cache", document.sha256, page,
                         lambda: storage.get(document.sha256))
    return raw(png, content_type="image/png", headers={"Cache-Control": "private, max-age=300"})


@bp.post("/deliveries/<delivery_id:int>/sign", stream=True)
@mp_api(verified=True)
async def sign(request: Request, delivery_id: int) -> HTTPResponse:
    """multipart ``signature`` (PNG); every document must have been opened first."""
    delivery = await mp_documents.delivery_of(await _recipient_ids(request), delivery_id)
    upload = await read_multipart(request, max_total=2 * MB, max_file=1 * MB)
    png = (upload.files.get("signature") or [b""])[0]
    if not png:
        raise ValidationFailed("请先手写签名", code="signature_missing")
    session = request.ctx.mp
    proof = binding.second_factor(session) or {}
    proof = {**proof, "at": proof.get("at") or session.data.get("verified_at"), "via": "miniprogram"}
    receipt = await sign_delivery(delivery.id, png, identity_proof=proof, actor=_actor(delivery.recipient_id),
                                  meta=request_meta(request), now=utcnow(), storage=request.app.ctx.storage)
    return json({"receipt_no": receipt.receipt_no, "url": f"/mp/api/v1/receipts/{receipt.receipt_no}.pdf"},
                status=201)


@bp.get("/receipts/<file:str>")
@mp_api(verified=True)
async def receipt_pdf(request: Request, file: str) -> HTTPResponse:
    number = file[:-4] if file.endswith(".pdf") else ""
    if not _RECEIPT_NO.fullmatch(number):
        raise NotFound("送达回证不存在", code="receipt_not_found")
    receipt = await mp_documents.receipt_of(await _recipient_ids(request), number)
    if receipt.status is not ReceiptStatus.SEALED or not receipt.pdf_sha256:
        return json({"receipt_no": number, "ready": False, "message": "送达回证正在生成，请稍后刷新"}, status=202,
                    headers={"Retry-After": str(RECEIPT_RETRY_AFTER)})
    data = await asyncio.to_thread(request.app.ctx.storage.get, receipt.pdf_sha256)
    return raw(data, content_type="application/pdf",
               headers={"Content-Disposition": attachment(f"receipt-{number}.pdf")})


