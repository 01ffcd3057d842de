"""Court intake API v1 handlers: parse → call the domain → render JSON."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from audit.choices import ActorKind
from audit.events import Actor, RequestMeta
from audit.models import Event
from core.errors import NotFound, ValidationFailed
from core.settings import Settings
from court.api.idempotency import request_fingerprint, run_once
from court.api.openapi import openapi_document
from court.api.validation import parse
from court.api_clients import Scope, authenticate, require_scope, touch
from court.models import ApiClient
from receipts.service_report import case_report_pdf
from service.case_numbers import InvalidCaseNumber, normalize_case_number
from service.choices import ServiceStatus
from service.drafts import DocumentUploadForm, RevokeDraft, ServiceDraft
from service.intake import create_service_rows, upload_document
from service.models import Case, Service
from service.revocation import revoke_service
from service.status import render_service, service_summary, service_view
from web.disconnects import finish_on_disconnect
from web.downloads import attachment
from web.input_guard import refuse_control_characters

bp = Blueprint("court_api_v1", url_prefix="/court/api/v1")
bp.on_request(refuse_control_characters)  # NUL and friends: 422 before any handler
MAX_PAGE = 100


def _settings(request: Request) -> Settings:
    return request.app.ctx.settings


def _meta(request: Request) -> RequestMeta:
    return RequestMeta(ip=request.remote_addr or request.ip or "",
                       user_agent=request.headers.get("user-agent", ""))


async def authorized_client(request: Request, scope: Scope) -> ApiClient:
    client = await authenticate(request.headers.get("authorization"))
    require_scope(client, scope)
    await touch(client)
    return client


def _actor(client: ApiClient) -> Actor:
    return Actor(ActorKind.API_CLIENT, str(client.id))


async def _own_service(client: ApiClient, service_id: int) -> Service:
    # Another court's id is indistinguishable from one that does not exist.
    service = await Service.get_or_none(id=service_id, court_id=client.court_id)
    if service is None:
        raise NotFound("送达不存在", code="service_not_found")
    return service


INT4_MAX = 2**31 - 1  # the id columns' type: a larger number is asyncpg's error, not a filter


def _int_arg(request: Request, name: str, default: int, *, low: int = 0, high: int = INT4_MAX) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw) if len(raw) <= 20 else None
        if value is None:
            raise ValueError(raw)
    except ValueError:
        raise ValidationFailed("查询参数有误", details=[{"field": name, "message": "应为整数"}]) from None
    if value < low or (high is not None and value > high):
        raise ValidationFailed("查询参数有误", details=[
            {"field": name, "message": f"应在 {low} 到 {high} 之间"}])
    return value


@bp.get("/openapi.json")
async def openapi(request: Request) -> HTTPResponse:
    return json(openapi_document(_settings(request)))


@bp.post("/documents")
@finish_on_disconnect
async def post_document(request: Request) -> HTTPResponse:
    client = await authorized_client(request, Scope.DOCUMENTS_WRITE)
    settings = _settings(request)
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ValidationFailed("请以 multipart/form-data 上传 PDF 文件", details=[
            {"field": "file", "message": "缺少文件"}])
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise ValidationFailed("请求内容有误", details=[{"field": "file", "message": "缺少必填字段"}])
    form = parse(DocumentUploadForm, {k: request.form.get(k) for k in (request.form or {})})
    document = await upload_document(
        court=client.court, data=upload.body, filename=upload.name or "", kind=form.kind,
        title=form.title, storage=request.app.ctx.storage, max_bytes=settings.max_document_bytes,
        max_pages=settings.max_document_pages, client_id=client.id, actor=_actor(client),
        meta=_meta(request),
    )
    return json(_document_json(document), status=201)


def _document_json(document) -> dict:
    return {"id": document.id, "kind": document.kind.value, "title": document.title,
            "sha256": document.sha256, "size": document.size, "pages": document.page_count,
            "created_at": document.created_at.isoformat()}


@bp.post("/services")
@finish_on_disconnect
async def post_service(request: Request) -> HTTPResponse:
    client = await authorized_client(request, Scope.SERVICES_WRITE)
    settings = _settings(request)
    body = request.json
    draft = parse(ServiceDraft, body)
    now = datetime.now(timezone.utc)

    async def work() -> tuple[int, dict]:
        # Answered from the rows just written: the same view GET gives, without reading them back.
        rows = await create_service_rows(
            court=client.court, draft=draft, source_system=client.system, source_client_id=client.id,
            actor=_actor(client), meta=_meta(request), now=now, valid_days=settings.service_valid_days,
            settings=settings,
        )
        return 201, render_service(rows)

    status, payload, replayed = await run_once(
        client, request.headers.get("idempotency-key"),
        request_fingerprint("POST", request.path, body), work,
        now=now, ttl=timedelta(hours=settings.idempotency_ttl_hours),
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return json(payload, status=status, headers=headers)


@bp.get("/services/<service_id:int>")
async def get_service(request: Request, service_id: int) -> HTTPResponse:
    client = await authorized_client(request, Scope.SERVICES_READ)
    return json(await service_view(await _own_service(client, service_id)))


@bp.get("/services")
async def list_services(request: Request) -> HTTPResponse:
    """Newest first, paged by ``before`` (an id) so pages stay stable while services arrive."""
    client = await authorized_client(request, Scope.SERVICES_READ)
    limit = _int_arg(request, "limit", 50, low=1, high=MAX_PAGE)
    before = _int_arg(request, "before", 0)
    query = Service.filter(court_id=client.court_id)
    if case_number := request.args.get("case_number"):
        case = await Case.get_or_none(court_id=client.court_id, case_number=_normalized(case_number))
        query = query.filter(case_id=case.id if case else -1)
    if external_id := request.args.get("external_id"):
        if len(external_id) > 100:  # the column's length: a longer value is no id of ours
            raise ValidationFailed("查询参数有误", details=[{"field": "external_id", "message": "长度超出上限（100）"}])
        query = query.filter(external_id=external_id)
    if status := request.args.get("status"):
        try:
            query = query.filter(status=ServiceStatus(status))
        except ValueError:
            raise ValidationFailed("查询参数有误", details=[{"field": "status", "message": "取值无效，可选值："
                                   + "、".join(s.value for s in ServiceStatus)}]) from None
    if before:
        query = query.filter(id__lt=before)
    services = await query.order_by("-id").limit(limit + 1).prefetch_related("case")
    page = services[:limit]
    return json({
        "services": [await service_summary(s) for s in page],
        "next_before": page[-1].id if len(services) > limit else None,
    })


def _normalized(case_number: str) -> str:
    try:
        return normalize_case_number(case_number)
    except InvalidCaseNumber as exc:
        raise ValidationFailed("查询参数有误", details=[{"field": "case_number", "message": exc.message}]) from None


@bp.get("/cases/report.pdf")
async def case_report(request: Request) -> HTTPResponse:
    """送达报告 for one case: ``?case_number=…``."""
    client = await authorized_client(request, Scope.SERVICES_READ)
    number = request.args.get("case_number")
    if not number:
        raise ValidationFailed("查询参数有误", details=[{"field": "case_number", "message": "缺少必填字段"}])
    case = await Case.get_or_none(court_id=client.court_id, case_number=_normalized(number))
    if case is None:
        raise NotFound("该案号没有送达记录", code="case_not_found")
    pdf = await case_report_pdf(client.court, case, generated_at=datetime.now(timezone.utc))
    return raw(pdf, content_type="application/pdf",
               headers={"Content-Disposition": attachment(f"送达报告-{case.case_number}.pdf")})


@bp.get("/services/<service_id:int>/events")
async def list_events(request: Request, service_id: int) -> HTTPResponse:
    client = await authorized_client(request, Scope.SERVICES_READ)
    service = await _own_service(client, service_id)
    after = _int_arg(request, "after", 0)
    limit = _int_arg(request, "limit", 100, low=1, high=500)
    events = await Event.filter(service_id=service.id, id__gt=after).order_by("id").limit(limit)
    return json({
        "events": [{
            "id": e.id, "type": e.type.value, "at": e.created_at.isoformat(),
            "recipient_id": e.recipient_id, "delivery_id": e.delivery_id,
            "actor": {"kind": e.actor_kind.value, "id": e.actor_id}, "data": e.data,
        } for e in events],
        "next_after": events[-1].id if len(events) == limit else None,
    })


@bp.post("/services/<service_id:int>/revoke")
@finish_on_disconnect
async def post_revoke(request: Request, service_id: int) -> HTTPResponse:
    client = await authorized_client(request, Scope.SERVICES_WRITE)
    service = await _own_service(client, service_id)
    draft = parse(RevokeDraft, request.json)
    service = await revoke_service(service.id, reason=draft.reason, actor=_actor(client),
                                   meta=_meta(request), now=datetime.now(timezone.utc))
    return json(await service_view(service))
