"""``/console`` pages of the service centre: 送达分派 (dispatch), 我的待办 (to-do), the task page
(contacts, notes, hand back, close, evidence, 查看 with a reason), evidence playback with HTTP
Range, and the court's list of PII reveals.

Handlers are thin: the signed-in account becomes a ``centre.scope.Scope``; reads go through
``centre.queries`` and writes through the centre use cases, which apply the scope in their own
queries. A refusal is shown on the page it came from with its 4xx status; another's task is 404.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw, redirect

from centre import queries
from centre.dispatch import assign_tasks, hand_back_task, reassign_task
from centre.evidence import attach_evidence, open_evidence
from centre.handling import Closing, close_task, record_contact, update_notes
from centre.reveal import FIELDS as REVEAL_FIELDS
from centre.reveal import reveal_recipient_field
from centre.staff import handlers_of
from core.errors import AppError, NotFound, ValidationFailed
from court.console import web
from court.console.models import StaffRole
from court.console.staff import scope_of
from mail.report import mail_report
from service.choices import (
    METHODS_OF_CHANNEL,
    TASK_CHANNELS,
    Channel,
    ContactKind,
    EvidenceKind,
    FailureReason,
    Outcome,
    ServiceMethod,
    TaskStatus,
)
from service.models import Court
from web.downloads import document_headers, inline
from web.input_guard import refuse_control_characters
from web.ranges import RangeNotSatisfiable, byte_range
from web.templating import BEIJING

bp = Blueprint("console_tasks", url_prefix="/console", strict_slashes=False)
bp.on_request(refuse_control_characters)

# Evidence is shown inside our own pages (<audio>, <video>, <img>) and a PDF opens in the
# browser's viewer: the blob may be framed by our pages only and loads nothing itself.
EVIDENCE_CSP = ("default-src 'none'; img-src 'self'; media-src 'self'; object-src 'self'; "
                "style-src 'unsafe-inline'; frame-ancestors 'self'")




def _form(request: Request, name: str, limit: int = 2000) -> str:
    return ((request.form or {}).get(name) or "")[:limit]


def _local_time(text: str, field: str) -> datetime:
    """A ``datetime-local`` field (Beijing time) as an aware datetime."""
    text = (text or "").strip()
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=BEIJING)
        except ValueError:
            continue
    raise ValidationFailed(f"请填写{field}（格式：年-月-日 时:分）", code="bad_time")


def _choice(kind, value: str, field: str):
    try:
        return kind(value)
    except ValueError:
        raise ValidationFailed(f"请选择{field}", code="bad_choice") from None


def _known(attempt_id: int) -> int:
    """A task id the database can hold (int4); anything else is a task that does not exist."""
    if not 0 < attempt_id < 2**31:
        raise NotFound("任务不存在")
    return attempt_id


def _refused(response: HTTPResponse, exc: AppError) -> HTTPResponse:
    response.headers.update(exc.headers())
    return response


# -- 送达分派 ------------------------------------------------------------------------------------

async def _dispatch_page(request: Request, *, error: str = "", status: int = 200, taken: list[int] | None = None,
                         selected: set[int] | None = None) -> HTTPResponse:
    staff, now = request.ctx.staff, web.utcnow()
    scope = scope_of(staff)
    args = {k: (request.args.get(k) or "")[:100] for k in ("channel", "area", "court", "overdue", "case_number")}
    try:
        filters = queries.dispatch_filters(args)
        cursor = queries.parse_cursor(request.args.get("after"))
    except ValidationFailed as exc:
        filters, cursor, error, status = queries.DispatchFilters(), None, exc.message, 422
    page = await queries.dispatch_list(scope, filters, cursor, now=now)
    area = filters.area or (page.rows[0].area if page.rows else "")
    suggestions = await queries.suggest_handlers(scope.centre_id, area, now=now)
    courts = await Court.filter(centre_id=scope.centre_id).order_by("id")
    kept = {k: v for k, v in args.items() if v}
    done = request.args.get("done") or ""
    count = request.args.get("n") or ""
    notice = f"已分派 {count} 件任务" if done == "assigned" and count.isdigit() and len(count) < 6 else ""
    return web.render("console_dispatch.html", status=status, page=page, args=kept, query=urlencode(kept),
                      suggestions=suggestions, suggestion_area=area, courts=courts,
                      channels=TASK_CHANNELS, error=error, done=notice, taken=set(taken or ()),
                      selected=selected or set(), paged=cursor is not None, **web.page_context(request))


@bp.get("/dispatch")
@web.staff_page("dispatch")
async def dispatch(request: Request) -> HTTPResponse:
    return await _dispatch_page(request)


def _ids(values: list[str]) -> list[int]:
    ids = []
    for value in values[:1001]:
        if not (value.isascii() and value.isdigit() and len(value) < 10):
            raise ValidationFailed("任务编号无效", code="task_id_invalid")
        ids.append(int(value))
    return ids


@bp.post("/dispatch/assign")
@web.staff_page("dispatch")
async def dispatch_assign(request: Request) -> HTTPResponse:
    form = request.form or {}
    selected: set[int] = set()
    try:
        ids = _ids(form.getlist("task") or [])
        selected = set(ids)
        target = form.get("assignee") or ""
        if not (target.isascii() and target.isdigit() and len(target) < 10):
            raise ValidationFailed("请选择送达员", code="process_server_required")
        assigned = await assign_tasks(scope_of(request.ctx.staff), ids, int(target), now=web.utcnow(),
                                      meta=web.meta(request))
    except AppError as exc:
        taken = (exc.details or {}).get("task_ids") if isinstance(exc.details, dict) else None
        return _refused(await _dispatch_page(request, error=exc.message, status=exc.status, taken=taken,
                                             selected=selected), exc)
    return redirect(f"/console/dispatch?done=assigned&n={len(assigned)}", status=303)


# -- 我的待办 ------------------------------------------------------------------------------------

@bp.get("/tasks")
@web.staff_page("handle")
async def todo(request: Request) -> HTTPResponse:
    scope, now = scope_of(request.ctx.staff), web.utcnow()
    error, status = "", 200
    try:
        current = queries.todo_status(request.args.get("status"))
        cursor = queries.parse_cursor(request.args.get("after"))
    except ValidationFailed as exc:
        current, cursor, error, status = TaskStatus.ASSIGNED, None, exc.message, 422
    page = await queries.todo_list(scope, current, cursor, now=now)
    return web.render("console_todo.html", status=status, page=page, current=current,
                      statuses=queries.TO_DO_STATUSES, error=error, **web.page_context(request))


# -- the task page -------------------------------------------------------------------------------

DONE = {"contact": "已记录联系情况", "notes": "备注已保存", "evidence": "证据已上传",
        "close": "任务已办结", "reassign": "任务已改派"}


# The page where a channel's own work is done (calls, the reception desk, the field).
CHANNEL_PAGES = {
    Channel.PHONE: ("电话联系（拨打、录音、短信）", "/console/tasks/{id}/phone"),
    Channel.MAIL: ("邮寄送达（打印批次、运单、回执）", "/console/mail"),
    Channel.PICKUP: ("来院领取接待", "/console/desk"),
    Channel.FIELD: ("外出送达（现场采集）", "/console/field"),
}


async def _task_page(request: Request, attempt_id: int, *, error: str = "", status: int = 200,
                     revealed: dict | None = None, problems: list | None = None) -> HTTPResponse:
    staff = request.ctx.staff
    scope = scope_of(staff)
    detail = await queries.task_detail(scope, attempt_id, now=web.utcnow())
    handlers = await handlers_of(scope.centre_id) if scope.dispatches else []
    handlers = [h for h in handlers if h.role == StaffRole.PROCESS_SERVER.value]
    a = detail.attempt
    mail_items = await mail_report(a.service_id, recipient_id=a.recipient_id) if a.channel is Channel.MAIL else []
    return web.render(
        "console_task.html", status=status, detail=detail, a=a, error=error, revealed=revealed,
        mail_items=[m for m in mail_items if m.code], channel_page=CHANNEL_PAGES.get(a.channel),
        problems=problems or [], done=DONE.get(request.args.get("done") or "", ""),
        handles=scope.assignee_id is not None and a.assignee_id == scope.assignee_id,
        open=a.status in (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS),
        dispatches=scope.dispatches, handlers=handlers, contact_kinds=list(ContactKind),
        methods=METHODS_OF_CHANNEL.get(a.channel, ()), failure_reasons=list(FailureReason),
        reveal_fields=REVEAL_FIELDS, reveal_labels=queries.REVEALED_LABELS, max_mb=request.app.ctx.settings.max_evidence_bytes // (1024 * 1024),
        kinds=EvidenceKind, now_local=web.utcnow().astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M"),
        **web.page_context(request))


@bp.get("/tasks/<attempt_id:int>")
@web.staff_page("tasks")
async def task_page(request: Request, attempt_id: int) -> HTTPResponse:
    return await _task_page(request, attempt_id)


async def _task_action(request: Request, attempt_id: int, done: str, action) -> HTTPResponse:
    """Run one use case on the task: another's task stays a 404; any other refusal is shown on the
    task page with its status; success goes back to the page with a confirmation."""
    _known(attempt_id)
    try:
        await action(scope_of(request.ctx.staff), web.utcnow(), web.meta(request))
    except AppError as exc:
        if exc.status == 404:
            raise
        problems = exc.details if isinstance(exc.details, list) else []
        return _refused(await _task_page(request, attempt_id, error=exc.message, status=exc.status,
                                         problems=problems), exc)
    return redirect(f"/console/tasks/{attempt_id}?done={done}", status=303)


@bp.post("/tasks/<attempt_id:int>/contact")
@web.staff_page("handle")
async def task_contact(request: Request, attempt_id: int) -> HTTPResponse:
    async def action(scope, now, meta):
        kind = _choice(ContactKind, _form(request, "kind", 16), "联系方式")
        at = _local_time(_form(request, "contacted_at", 32), "联系时间")
        await record_contact(scope, attempt_id, kind=kind, contacted_at=at, result=_form(request, "result", 600),
                             now=now, meta=meta)
    return await _task_action(request, attempt_id, "contact", action)


@bp.post("/tasks/<attempt_id:int>/notes")
@web.staff_page("handle")
async def task_notes(request: Request, attempt_id: int) -> HTTPResponse:
    async def action(scope, now, meta):
        await update_notes(scope, attempt_id, _form(request, "notes", 2100), now=now, meta=meta)
    return await _task_action(request, attempt_id, "notes", action)


@bp.post("/tasks/<attempt_id:int>/hand-back")
@web.staff_page("handle")
async def task_hand_back(request: Request, attempt_id: int) -> HTTPResponse:
    _known(attempt_id)
    try:
        await hand_back_task(scope_of(request.ctx.staff), attempt_id, _form(request, "reason", 600),
                             now=web.utcnow(), meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404:
            raise
        return _refused(await _task_page(request, attempt_id, error=exc.message, status=exc.status), exc)
    # The task has left this process server: back to the to-do list.
    return redirect("/console/tasks?done=hand_back", status=303)


@bp.post("/tasks/<attempt_id:int>/close")
@web.staff_page("handle")
async def task_close(request: Request, attempt_id: int) -> HTTPResponse:
    async def action(scope, now, meta):
        outcome = _form(request, "outcome", 16)
        if outcome == Outcome.SERVED.value:
            closing = Closing(Outcome.SERVED, method=_choice(ServiceMethod, _form(request, "method", 16), "送达方式"),
                              served_at=_local_time(_form(request, "served_at", 32), "送达时间"))
        elif outcome == Outcome.FAILED.value:
            closing = Closing(Outcome.FAILED,
                              failure_reason=_choice(FailureReason, _form(request, "failure_reason", 16), "失败原因"),
                              failure_text=_form(request, "failure_text", 600))
        else:
            raise ValidationFailed("请选择办结结果：送达成功或送达失败", code="outcome_required")
        await close_task(scope, attempt_id, closing, now=now, meta=meta)
    return await _task_action(request, attempt_id, "close", action)


@bp.post("/tasks/<attempt_id:int>/evidence")
@web.staff_page("handle")
async def task_evidence(request: Request, attempt_id: int) -> HTTPResponse:
    async def action(scope, now, meta):
        upload = request.files.get("file") if request.files else None
        if upload is None or not upload.name:
            raise ValidationFailed("请选择要上传的文件", code="evidence_missing")
        await attach_evidence(scope, attempt_id, data=upload.body, filename=upload.name,
                              description=_form(request, "description", 300), storage=request.app.ctx.storage,
                              max_bytes=request.app.ctx.settings.max_evidence_bytes, now=now, meta=meta)
    return await _task_action(request, attempt_id, "evidence", action)


@bp.post("/tasks/<attempt_id:int>/reassign")
@web.staff_page("dispatch")
async def task_reassign(request: Request, attempt_id: int) -> HTTPResponse:
    async def action(scope, now, meta):
        target = _form(request, "assignee", 12)
        if not (target.isascii() and target.isdigit() and 0 < len(target) < 10):
            raise ValidationFailed("请选择送达员", code="process_server_required")
        await reassign_task(scope, attempt_id, int(target), now=now, meta=meta)
    return await _task_action(request, attempt_id, "reassign", action)


@bp.post("/tasks/<attempt_id:int>/reveal")
@web.staff_page("handle")
async def task_reveal(request: Request, attempt_id: int) -> HTTPResponse:
    """查看: the plaintext is in this one response only (no-store), never in a URL or a redirect."""
    _known(attempt_id)
    field = _form(request, "field", 16)
    try:
        value = await reveal_recipient_field(scope_of(request.ctx.staff), attempt_id, field,
                                             _form(request, "reason", 300), settings=request.app.ctx.settings,
                                             now=web.utcnow(), meta=web.meta(request))
    except AppError as exc:
        if exc.status == 404 and exc.code == "not_found":
            raise
        return _refused(await _task_page(request, attempt_id, error=exc.message, status=exc.status), exc)
    return await _task_page(request, attempt_id, revealed={"field": field, "label": REVEAL_FIELDS[field],
                                                           "value": value})


# -- evidence ------------------------------------------------------------------------------------

@bp.get("/evidence/<evidence_id:int>")
@web.staff_page("evidence")
async def evidence_file(request: Request, evidence_id: int) -> HTTPResponse:
    """The file itself, inline, seekable (RFC 9110 ranges), re-hashed on every read."""
    header = request.headers.get("range")
    try:
        starts = header is None or (byte_range(header, 2**62) or (0, 0))[0] == 0
    except RangeNotSatisfiable:
        starts = False
    ctx = request.app.ctx
    evidence, data = await open_evidence(scope_of(request.ctx.staff), evidence_id, storage=ctx.storage,
                                         settings=ctx.settings, starts_playback=starts, now=web.utcnow(),
                                         meta=web.meta(request))
    headers = document_headers(inline(evidence.filename or f"evidence-{evidence.id}",
                                      fallback=f"evidence-{evidence.id}.{_extension(evidence.content_type)}"))
    headers.update({"Accept-Ranges": "bytes", "Content-Security-Policy": EVIDENCE_CSP,
                    "X-Frame-Options": "SAMEORIGIN"})
    try:
        wanted = byte_range(header, len(data))
    except RangeNotSatisfiable:
        return raw(b"", status=416, headers={**headers, "Content-Range": f"bytes */{len(data)}"},
                   content_type=evidence.content_type)
    if wanted is None:
        return raw(data, content_type=evidence.content_type, headers=headers)
    first, last = wanted
    headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
    return raw(data[first:last + 1], status=206, content_type=evidence.content_type, headers=headers)


def _extension(content_type: str) -> str:
    return {"audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/wav": "wav", "audio/ogg": "ogg", "image/jpeg": "jpg",
            "image/png": "png", "image/webp": "webp", "application/pdf": "pdf", "video/mp4": "mp4"
            }.get(content_type, "bin")


# -- PII reveals (the court's list) --------------------------------------------------------------

@bp.get("/reveals")
@web.staff_page("reveals")
async def reveals(request: Request) -> HTTPResponse:
    arg = request.args.get("page") or "1"
    page = int(arg) if arg.isascii() and arg.isdigit() and len(arg) < 6 else 1
    rows, more = await queries.reveals_of_court(request.ctx.staff.court_id, page=page)
    return web.render("console_reveals.html", rows=rows, more=more, page=page, **web.page_context(request))

