"""``/console/track/…`` (按案件跟踪, 按受送达人跟踪) and ``/console/stats/centre`` (总体统计, with its
``.xlsx``): thin handlers over centre/tracking.py and centre/statistics.py, scoped by the signed-in
staff member's ``Scope`` (court staff: their court; dispatcher: their centre; process server:
their own tasks)."""
from __future__ import annotations

import asyncio
from datetime import datetime

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from centre.scope import Scope
from centre.statistics import BEIJING, CentreStatistics, Period, centre_statistics, period
from centre.statistics_export import CONTENT_TYPE, statistics_workbook
from centre.tracking import MACHINE, track_case, track_person
from core.errors import Forbidden, ValidationFailed
from court.console import web
from court.console.charts import bar_chart
from court.console.staff import may, scope_of
from web.downloads import attachment, document_headers
from web.input_guard import refuse_control_characters

bp = Blueprint("console_tracking", url_prefix="/console", strict_slashes=False)
bp.on_request(refuse_control_characters)




# -- tracking ------------------------------------------------------------------------------------

@bp.get("/track/case/<case_id:int>")
@web.staff_page("tasks")
async def track_by_case(request: Request, case_id: int) -> HTTPResponse:
    track = await track_case(scope_of(request.ctx.staff), case_id)
    return web.render("console_track.html", heading=f"按案件跟踪 · {track.case.case_number}", case=track.case,
                      person=None, tracks=track.tracks, machine=MACHINE, **web.page_context(request))


@bp.get("/track/recipient/<recipient_id:int>")
@web.staff_page("tasks")
async def track_by_recipient(request: Request, recipient_id: int) -> HTTPResponse:
    track = await track_person(scope_of(request.ctx.staff), recipient_id)
    return web.render("console_track.html", heading=f"按受送达人跟踪 · {track.anchor.name}", case=None,
                      person=track, tracks=track.tracks, machine=MACHINE, **web.page_context(request))


# -- 总体统计 ------------------------------------------------------------------------------------

def _statistics_scope(request: Request) -> Scope:
    staff = request.ctx.staff
    if not (may(staff.role, "view") or may(staff.role, "centre_statistics")):
        raise Forbidden("您的角色无权查看总体统计", code="role_forbidden")
    return scope_of(staff)


def _today() -> datetime:
    return web.utcnow().astimezone(BEIJING)


@bp.get("/stats/centre")
@web.staff_page("tasks")
async def centre_stats(request: Request) -> HTTPResponse:
    scope = _statistics_scope(request)
    error, status = "", 200
    try:
        span = period(request.args.get("from"), request.args.get("to"), today=_today().date())
    except ValidationFailed as exc:
        span, error, status = period(None, None, today=_today().date()), exc.message, 422
    stats = await centre_statistics(scope, span, now=web.utcnow())
    return web.render("console_centre_stats.html", status=status, error=error, stats=stats, span=span,
                      charts=_charts(stats), **web.page_context(request))


@bp.get("/stats/centre.xlsx")
@web.staff_page("tasks")
async def centre_stats_xlsx(request: Request) -> HTTPResponse:
    scope = _statistics_scope(request)
    span: Period = period(request.args.get("from"), request.args.get("to"), today=_today().date())
    stats = await centre_statistics(scope, span, now=web.utcnow())
    data = await asyncio.to_thread(statistics_workbook, stats)
    name = f"总体统计-{span.start:%Y%m%d}-{span.end:%Y%m%d}.xlsx"
    return raw(data, content_type=CONTENT_TYPE,
               headers=document_headers(attachment(name, fallback=f"statistics-{span.start:%Y%m%d}-{span.end:%Y%m%d}.xlsx")))


def _charts(stats: CentreStatistics) -> list:
    channels = stats.channels[:-1]
    used = [f for f in channels if f.attempts] or channels
    charts = [
        bar_chart([(f.label, f.attempts) for f in used], title="送达次数（按送达方式）"),
        bar_chart([(f.label, round(100 * f.success_share)) for f in used if f.success_share is not None],
                  title="成功占比 %（送达成功 / 已办结）"),
        bar_chart([(f.label, round(f.median_hours)) for f in used if f.median_hours is not None],
                  title="处理时间中位数（小时）"),
    ]
    if stats.routes:
        charts.append(bar_chart(sorted(stats.routes.items(), key=lambda kv: -kv[1]), title="领取途径（送达成功次数）"))
    if stats.staff:
        charts.append(bar_chart([(s.name, s.workload) for s in stats.staff[:20]], title="工作量（已分派任务）"))
    return charts

