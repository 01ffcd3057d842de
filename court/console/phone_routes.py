"""``/console/tasks/<id>/phone``: the call panel of a phone task (电话联系).

拨打 asks the platform to ring the staff member's own phone, then the litigant's; the page shows
the calls' states, plays their recordings (seekable: HTTP Range) and sends the court-approved
texts. The litigant's full number is never on the page nor in any response. Handlers are thin:
scope from the staff account, the phone use cases, render.
"""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw, redirect

from centre.handling import Closing, close_task
from core.errors import AppError, ValidationFailed
from court.console import web
from court.console.staff import scope_of
from phone.calls import call_in_scope, confirm_address, note_call, place_call, refresh_call
from phone.choices import RecordingState, TaskTextTemplate
from phone.models import Call
from phone.panel import phone_panel
from phone.recordings import fetch_recording, play_recording
from phone.staff_phones import set_own_phone
from phone.texts import send_task_text
from service.choices import FailureReason, Outcome, ServiceMethod
from web.downloads import document_headers, inline
from web.input_guard import refuse_control_characters
from web.ranges import byte_range

bp = Blueprint("console_phone", url_prefix="/console", strict_slashes=False)
bp.on_request(refuse_control_characters)

DONE = {"call": "已发起呼叫：平台将先呼叫您的电话，接听后自动接通当事人", "refresh": "已刷新通话状态",
        "sms": "短信已发送", "note": "通话备注已保存", "address": "已记录当事人确认的地址", "own_phone": "本人电话已登记",
        "close": "任务已办结"}
# A phone task fails for these reasons; the others (迁出, 地址不详 …) belong to other channels.
PHONE_FAILURES = (FailureReason.NO_ANSWER, FailureReason.WRONG_NUMBER, FailureReason.REFUSED, FailureReason.OTHER)



async def _page(request: Request, attempt_id: int, *, error: str = "", status: int = 200) -> HTTPResponse:
    panel = await phone_panel(scope_of(request.ctx.staff), attempt_id)
    done = DONE.get(request.args.get("done") or "", "")
    return web.render("console_phone.html", status=status, panel=panel, error=error, done=done,
                      stored=RecordingState.STORED, failures=PHONE_FAILURES, **web.page_context(request))


async def _act(request: Request, attempt_id: int, done: str, action) -> HTTPResponse:
    """Run one phone use case: a refusal is shown on the panel with its status (never a 500 page
    for what the user or the provider did); success goes back to the panel."""
    try:
        await action()
    except AppError as exc:
        response = await _page(request, attempt_id, error=exc.message, status=min(exc.status, 503))
        response.headers.update(exc.headers())
        return response
    return redirect(f"/console/tasks/{attempt_id}/phone?done={done}", status=303)


def _form(request: Request, name: str) -> str:
    return ((request.form or {}).get(name) or "").strip()


@bp.get("/tasks/<attempt_id:int>/phone")
@web.staff_page("tasks")
async def phone_page(request: Request, attempt_id: int) -> HTTPResponse:
    return await _page(request, attempt_id)


@bp.post("/tasks/<attempt_id:int>/phone/call")
@web.staff_page("handle")
async def call(request: Request, attempt_id: int) -> HTTPResponse:
    ctx = request.app.ctx

    async def action() -> None:
        placed = await place_call(scope_of(request.ctx.staff), attempt_id, telephony=ctx.telephony,
                                  settings=ctx.settings, now=web.utcnow(), meta=web.meta(request))
        await _settle(request, placed)
    return await _act(request, attempt_id, "call", action)


async def _settle(request: Request, call: Call) -> None:
    """Ask the provider once right away (the jobs loop keeps asking): a quick outcome and its
    recording show without waiting for the next tick."""
    ctx = request.app.ctx
    call = await refresh_call(call, telephony=ctx.telephony, settings=ctx.settings, now=web.utcnow())
    if call.recording_state is RecordingState.PENDING:
        await fetch_recording(call, telephony=ctx.telephony, storage=ctx.storage, settings=ctx.settings,
                              now=web.utcnow())


@bp.post("/phone/calls/<call_id:int>/refresh")
@web.staff_page("tasks")
async def refresh(request: Request, call_id: int) -> HTTPResponse:
    found = await call_in_scope(scope_of(request.ctx.staff), call_id)
    return await _act(request, found.attempt_id, "refresh", lambda: _settle(request, found))


@bp.post("/tasks/<attempt_id:int>/phone/sms")
@web.staff_page("handle")
async def sms(request: Request, attempt_id: int) -> HTTPResponse:
    ctx = request.app.ctx

    async def action() -> None:
        try:
            template = TaskTextTemplate(_form(request, "template"))
        except ValueError:
            raise ValidationFailed("请选择短信模板", code="template_invalid") from None
        await send_task_text(scope_of(request.ctx.staff), attempt_id, template, hearing=_form(request, "hearing"),
                             gateway=ctx.sms_gateway, limits=web.limits(request), settings=ctx.settings,
                             now=web.utcnow(), meta=web.meta(request))
    return await _act(request, attempt_id, "sms", action)


@bp.post("/phone/calls/<call_id:int>/note")
@web.staff_page("handle")
async def note(request: Request, call_id: int) -> HTTPResponse:
    found = await call_in_scope(scope_of(request.ctx.staff), call_id)
    return await _act(request, found.attempt_id, "note", lambda: note_call(
        scope_of(request.ctx.staff), call_id, _form(request, "note"), now=web.utcnow(), meta=web.meta(request)))


@bp.post("/phone/calls/<call_id:int>/address")
@web.staff_page("handle")
async def address(request: Request, call_id: int) -> HTTPResponse:
    found = await call_in_scope(scope_of(request.ctx.staff), call_id)
    return await _act(request, found.attempt_id, "address", lambda: confirm_address(
        scope_of(request.ctx.staff), call_id, _form(request, "address"), settings=request.app.ctx.settings,
        now=web.utcnow(), meta=web.meta(request)))


@bp.post("/tasks/<attempt_id:int>/phone/own-phone")
@web.staff_page("handle")
async def own_phone(request: Request, attempt_id: int) -> HTTPResponse:
    return await _act(request, attempt_id, "own_phone", lambda: set_own_phone(
        scope_of(request.ctx.staff), _form(request, "phone"), settings=request.app.ctx.settings, now=web.utcnow(),
        meta=web.meta(request)))


@bp.get("/phone/calls/<call_id:int>/recording.mp3")
@web.staff_page("evidence")
async def recording(request: Request, call_id: int) -> HTTPResponse:
    """The recording, decrypted, for the task's staff, the clerk and the judge. A request from the
    first byte starts a playback and is audited; a seek (a later Range) is part of that playback."""
    ctx = request.app.ctx
    header = request.headers.get("range")
    wanted = byte_range(header, 2**62) if header else None
    playback = await play_recording(scope_of(request.ctx.staff), call_id, storage=ctx.storage, settings=ctx.settings,
                                    audit=wanted is None or wanted[0] == 0, now=web.utcnow(), meta=web.meta(request))
    size = len(playback.data)
    headers = {**document_headers(inline(playback.filename, fallback="recording.mp3")), "Accept-Ranges": "bytes"}
    span = byte_range(header, size)
    if span is None:
        return raw(playback.data, content_type=playback.content_type, headers=headers)
    first, last = span
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return raw(playback.data[first:last + 1], status=206, content_type=playback.content_type, headers=headers)


@bp.post("/tasks/<attempt_id:int>/phone/close")
@web.staff_page("handle")
async def close(request: Request, attempt_id: int) -> HTTPResponse:
    """办结 from the panel: served by phone (the litigant confirmed receipt on a recorded call), or
    failed with a reason and a short note. The legal-effect engine may refuse the former."""
    async def action() -> None:
        now = web.utcnow()
        if _form(request, "outcome") == Outcome.SERVED.value:
            closing = Closing(Outcome.SERVED, method=ServiceMethod.PHONE, served_at=now)
        else:
            try:
                reason = FailureReason(_form(request, "failure_reason"))
            except ValueError:
                raise ValidationFailed("请选择失败原因", code="closing_invalid") from None
            closing = Closing(Outcome.FAILED, failure_reason=reason, failure_text=_form(request, "note"))
        await close_task(scope_of(request.ctx.staff), attempt_id, closing, now=now, meta=web.meta(request))
    return await _act(request, attempt_id, "close", action)
