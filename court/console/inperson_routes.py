"""``/console/desk`` (来院领取 at the reception desk) and ``/console/field`` (外出送达 on a phone),
with the field JSON API under ``/console/api/field`` (described by ``court.console.field_openapi``,
served at ``/console/api/field/openapi.json``) and the tasks' sealed receipts.

Handlers are thin: the staff account becomes a ``centre.scope.Scope``, the ``inperson`` use cases
do the work. Forms carry the session's CSRF token (``web.staff_page``); the field page's fetch
calls send it in the ``X-CSRF-Token`` header.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from datetime import datetime
from functools import wraps

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw, redirect
from sanic.response import json as json_response

from centre.scope import Scope
from core.errors import AppError, Forbidden, ValidationFailed
from court.console import web
from court.console.field_openapi import field_openapi
from court.console.models import StaffAccount
from court.console.staff import may, scope_of
from identity.models import SessionKind
from identity.sessions import load_session
from inperson.captures import (
    Position,
    UploadStart,
    capture_of,
    complete_captures,
    put_chunk,
    start_upload,
)
from inperson.captures import capture_preview as preview_of_capture
from inperson.choices import CaptureKind, Collector, TaskReceiptStatus
from inperson.desk import DeskVisit, find_pickups, pickup_task, serve_at_desk
from inperson.field import FieldClosing, arrive, close_field_task, field_task, my_field_tasks
from inperson.models import TaskReceipt
from inperson.receipt import seal_task_receipt
from inperson.receipt_records import task_receipt_in_scope
from service.choices import FailureReason, Outcome, ServiceMethod
from service.models import Recipient
from web.cookies import read_cookie
from web.csrf import check_token
from web.downloads import attachment, document_headers
from web.input_guard import refuse_control_characters

log = logging.getLogger(__name__)
bp = Blueprint("console_inperson", url_prefix="/console", strict_slashes=False)
bp.on_request(refuse_control_characters)
CSRF_HEADER = "x-csrf-token"


def _desk_scope(request: Request) -> Scope:
    staff = request.ctx.staff
    if staff.centre_id is None:
        raise Forbidden("只有送达中心工作人员可以办理来院领取和外出送达", code="not_centre_staff")
    return Scope(staff.id, centre_id=staff.centre_id)


def _own_scope(request: Request) -> Scope:
    scope = _desk_scope(request)
    return Scope(scope.staff_id, centre_id=scope.centre_id, assignee_id=scope.staff_id)


def staff_api(action: str = "handle"):
    """The field page's JSON calls: the console session, the CSRF header on every write, the role."""
    def decorate(handler):
        @wraps(handler)
        async def wrapper(request: Request, **kwargs) -> HTTPResponse:
            settings = request.app.ctx.settings
            sid = read_cookie(request, settings, web.SESSION_COOKIE)
            session = await load_session(sid, now=web.utcnow(), idle=web.IDLE)
            if session is None or session.kind is not SessionKind.CONSOLE:
                raise AppError("登录已过期，请重新登录", code="unauthorized", status=401)
            if request.method not in ("GET", "HEAD"):
                check_token(request.headers.get(CSRF_HEADER), settings.secret_key, web.SESSION_PURPOSE, sid)
            staff = await StaffAccount.get_or_none(id=session.data.get("staff_id"), disabled_at__isnull=True)
            if staff is None:
                raise AppError("登录已过期，请重新登录", code="unauthorized", status=401)
            if not may(staff.role, action):
                raise Forbidden("您的角色无权进行此操作", code="role_forbidden")
            request.ctx.staff, request.ctx.console_sid = staff, sid
            return await handler(request, **kwargs)
        return wrapper
    return decorate


# -- the reception desk (来院领取) ------------------------------------------------------------------

@bp.get("/desk")
@web.staff_page("handle")
async def desk(request: Request) -> HTTPResponse:
    scope = _desk_scope(request)
    query = {k: (request.args.get(k) or "").strip()[:200] for k in ("case_number", "name", "id_number", "qr")}
    rows, error = None, ""
    if any(query.values()):
        try:
            rows = await find_pickups(scope, settings=request.app.ctx.settings, **query)
        except ValidationFailed as exc:
            error = exc.message
    return web.render("console_desk.html", **web.page_context(request), query=query, rows=rows, error=error)


async def _visit_page(request: Request, attempt_id: int, *, error: str = "", status: int = 200) -> HTTPResponse:
    attempt = await pickup_task(_desk_scope(request), attempt_id)
    recipient = await Recipient.get(id=attempt.recipient_id)
    receipt = await TaskReceipt.get_or_none(attempt_id=attempt.id)
    return web.render("console_desk_visit.html", status=status, **web.page_context(request), attempt=attempt,
                      recipient=recipient, receipt=receipt, error=error,
                      captures=await complete_captures(attempt.id) if receipt else [])


@bp.get("/desk/<attempt_id:int>")
@web.staff_page("handle")
async def desk_visit(request: Request, attempt_id: int) -> HTTPResponse:
    return await _visit_page(request, attempt_id)


def _file(request: Request, name: str) -> bytes | None:
    upload = request.files.get(name) if request.files else None
    return upload.body if upload is not None and upload.body else None


def _data_url_png(value: str) -> bytes:
    prefix = "data:image/png;base64,"
    if not value.startswith(prefix):
        return b""
    try:
        return base64.b64decode(value[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        return b""


@bp.post("/desk/<attempt_id:int>")
@web.staff_page("handle")
async def desk_serve(request: Request, attempt_id: int) -> HTTPResponse:
    form = request.form or {}
    try:
        collector = Collector(form.get("collector") or "recipient")
    except ValueError:
        collector = Collector.RECIPIENT
    authorisation = request.files.get("authorisation") if request.files else None
    visit = DeskVisit(
        collector=collector, name=form.get("name") or "", id_number=form.get("id_number") or "",
        live_photo=_file(request, "live_photo") or b"", fingerprint=_file(request, "fingerprint") or b"",
        signature_png=_data_url_png(form.get("signature") or ""),
        handed_on_paper=form.get("paper") == "1", pushed_to_phone=form.get("phone") == "1",
        id_portrait=_file(request, "id_portrait"), authorisation=_file(request, "authorisation"),
        authorisation_filename=(authorisation.name if authorisation is not None else "") or "授权委托书.pdf",
        relation=(form.get("relation") or "").strip())
    face = None
    if visit.id_portrait is not None:
        from identity.face.matching import compare_async

        threshold = request.app.ctx.settings.face_match_threshold

        async def face(reference: bytes, selfie: bytes):
            return await compare_async(reference, selfie, threshold=threshold)
    try:
        closed, receipt = await serve_at_desk(_desk_scope(request), attempt_id, visit,
                                              settings=request.app.ctx.settings, storage=request.app.ctx.storage,
                                              face=face, now=web.utcnow(), meta=web.meta(request))
    except AppError as exc:
        if exc.status >= 500:
            raise
        details = exc.details if isinstance(exc.details, list) else []
        message = exc.message + ("：" + "；".join(d["message"] for d in details if "message" in d) if details else "")
        return await _visit_page(request, attempt_id, error=message, status=exc.status)
    await _seal_now(request, receipt)
    return redirect(f"/console/desk/{closed.id}", status=303)


async def _seal_now(request: Request, receipt: TaskReceipt) -> None:
    """Seal while the person waits; if the seal is unavailable the sweep seals it later."""
    try:
        await seal_task_receipt(receipt.id, sealer=request.app.ctx.sealer, storage=request.app.ctx.storage,
                                settings=request.app.ctx.settings, now=web.utcnow())
    except Exception:  # sealing is retried by inperson.register's sweep; the close stands
        log.exception("task receipt %s not sealed at once", receipt.id)


@bp.get("/inperson/<attempt_id:int>/receipt.pdf")
@web.staff_page("tasks")
async def task_receipt_pdf(request: Request, attempt_id: int) -> HTTPResponse:
    receipt = await task_receipt_in_scope(scope_of(request.ctx.staff), attempt_id)
    if receipt.status is not TaskReceiptStatus.SEALED or not receipt.pdf_sha256:
        raise AppError("送达回证正在生成，请稍后刷新", code="receipt_pending", status=409)
    pdf = await asyncio.to_thread(request.app.ctx.storage.get, receipt.pdf_sha256)
    return raw(pdf, content_type="application/pdf",
               headers=document_headers(attachment(f"送达回证-{receipt.receipt_no}.pdf", fallback="receipt.pdf")))



@bp.get("/inperson/captures/<capture_id:int>/preview.jpg")
@web.staff_page("evidence")
async def capture_preview(request: Request, capture_id: int) -> HTTPResponse:
    """A resized copy without metadata (no EXIF location); the original stays in evidence."""
    jpeg = await preview_of_capture(scope_of(request.ctx.staff), capture_id, storage=request.app.ctx.storage,
                                    settings=request.app.ctx.settings, now=web.utcnow(), meta=web.meta(request))
    return raw(jpeg, content_type="image/jpeg", headers=document_headers())


# -- field service (外出送达): the phone page and its API --------------------------------------------

@bp.get("/field")
@web.staff_page("handle")
async def field_page(request: Request) -> HTTPResponse:
    tasks = await my_field_tasks(_own_scope(request))
    return web.render("console_field.html", **web.page_context(request), tasks=tasks)


@bp.get("/field/<attempt_id:int>")
@web.staff_page("handle")
async def field_task_page(request: Request, attempt_id: int) -> HTTPResponse:
    attempt = await field_task(_own_scope(request), attempt_id)
    recipient = await Recipient.get(id=attempt.recipient_id)
    receipt = await TaskReceipt.get_or_none(attempt_id=attempt.id)
    return web.render("console_field_task.html", **web.page_context(request), attempt=attempt,
                      recipient=recipient, receipt=receipt, capture_kinds=FIELD_KINDS,
                      captures=await complete_captures(attempt.id))


FIELD_KINDS = [CaptureKind.SIGNATURE, CaptureKind.SITE_PHOTO, CaptureKind.WITNESS_PHOTO, CaptureKind.VIDEO]


def _body(request: Request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed("请求内容不是有效的 JSON", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise ValidationFailed("请求内容应为 JSON 对象", code="invalid_json")
    return body


def _time(value, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationFailed(f"{field} 时间格式无效", code="time_invalid") from exc
    if parsed.tzinfo is None:
        raise ValidationFailed(f"{field} 须带时区", code="time_invalid")
    return parsed


def _number(value, field: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{field} 应为数字", code="number_invalid") from exc


def _position(body: dict) -> Position:
    return Position(_number(body.get("latitude"), "latitude"), _number(body.get("longitude"), "longitude"),
                    _number(body.get("accuracy"), "accuracy"), _time(body.get("device_time"), "device_time"))


def _capture_json(capture) -> dict:
    return {"upload_id": capture.upload_id, "kind": capture.kind.value, "size": capture.size,
            "received": capture.received, "state": capture.state.value, "flags": capture.flags}


@bp.get("/api/field/openapi.json")
async def api_field_openapi(request: Request) -> HTTPResponse:
    """This API's OpenAPI document (no personal data: public like the intake API's)."""
    return json_response(field_openapi())


@bp.get("/api/field/tasks")
@staff_api()
async def api_field_tasks(request: Request) -> HTTPResponse:
    """My open field tasks, by area: case number, recipient, address, map link."""
    tasks = await my_field_tasks(_own_scope(request))
    return json_response({"tasks": [{
        "id": t.attempt_id, "case_number": t.case_number, "recipient": t.recipient_name, "role": t.recipient_role,
        "area": t.area, "address": t.address, "map_url": t.map_url, "status": t.status,
        "due_at": t.due_at.isoformat() if t.due_at else None} for t in tasks]})


@bp.post("/api/field/tasks/<attempt_id:int>/arrive")
@staff_api()
async def api_arrive(request: Request, attempt_id: int) -> HTTPResponse:
    """Arrival on site: ``{latitude, longitude, accuracy, device_time}`` (all optional)."""
    now = web.utcnow()
    attempt = await arrive(_own_scope(request), attempt_id, _position(_body(request)), now=now,
                           meta=web.meta(request))
    return json_response({"status": attempt.status.value, "server_time": now.isoformat()})


@bp.post("/api/field/tasks/<attempt_id:int>/uploads")
@staff_api()
async def api_start_upload(request: Request, attempt_id: int) -> HTTPResponse:
    """Start (or find again) a capture: ``{upload_id, kind, filename, size, sha256, latitude,
    longitude, accuracy, device_time, witness_name}``; answers how many bytes the server has."""
    body = _body(request)
    try:
        kind = CaptureKind(body.get("kind"))
    except ValueError as exc:
        raise ValidationFailed("材料类型无效", code="capture_kind_invalid") from exc
    size = body.get("size")
    if not isinstance(size, int):
        raise ValidationFailed("文件大小无效", code="upload_size_invalid")
    start = UploadStart(str(body.get("upload_id") or ""), kind, str(body.get("filename") or ""), size,
                        str(body.get("sha256") or "").lower(), _position(body), str(body.get("witness_name") or ""))
    capture = await start_upload(_own_scope(request), attempt_id, start,
                                 max_evidence_bytes=request.app.ctx.settings.max_evidence_bytes, now=web.utcnow())
    return json_response(_capture_json(capture))


@bp.get("/api/field/uploads/<upload_id:str>")
@staff_api()
async def api_upload_status(request: Request, upload_id: str) -> HTTPResponse:
    return json_response(_capture_json(await capture_of(_own_scope(request), upload_id)))


@bp.patch("/api/field/uploads/<upload_id:str>")
@staff_api()
async def api_upload_chunk(request: Request, upload_id: str) -> HTTPResponse:
    """Bytes from ``Upload-Offset``; a resent chunk is accepted if identical, refused if not."""
    try:
        offset = int(request.headers.get("upload-offset", ""))
    except ValueError as exc:
        raise ValidationFailed("缺少 Upload-Offset", code="upload_offset_missing") from exc
    capture = await put_chunk(_own_scope(request), upload_id, offset, request.body or b"",
                              storage=request.app.ctx.storage, settings=request.app.ctx.settings, now=web.utcnow(),
                              meta=web.meta(request))
    return json_response(_capture_json(capture))


@bp.post("/api/field/tasks/<attempt_id:int>/close")
@staff_api()
async def api_close(request: Request, attempt_id: int) -> HTTPResponse:
    """办结: ``{outcome: served|failed, method: direct|lodged, served_at, collector: recipient|family,
    collector_name, relation, refusal_reason, witness_name, witness_role, failure_reason, failure_text}``."""
    body = _body(request)
    try:
        outcome = Outcome(body.get("outcome") or "served")
        method = ServiceMethod(body["method"]) if body.get("method") else None
        collector = Collector(body.get("collector") or "recipient")
        failure = FailureReason(body["failure_reason"]) if body.get("failure_reason") else None
    except ValueError as exc:
        raise ValidationFailed("办结信息有误", code="closing_invalid") from exc
    text = {k: str(body.get(k) or "") for k in ("collector_name", "relation", "refusal_reason", "witness_name",
                                                 "witness_role", "failure_text")}
    closing = FieldClosing(outcome, method, _time(body.get("served_at"), "served_at") or web.utcnow(),
                           collector=collector, failure_reason=failure, **text)
    closed, receipt = await close_field_task(_own_scope(request), attempt_id, closing, now=web.utcnow(),
                                             meta=web.meta(request))
    if receipt is not None:
        await _seal_now(request, receipt)
    return json_response({"status": closed.status.value, "outcome": closed.outcome.value,
                          "effect_rule": closed.effect_rule,
                          "receipt_url": f"/console/inperson/{closed.id}/receipt.pdf" if receipt else None})
