"""Court intake API v1, feedback side: the client's webhook subscription and sealed receipts for
the e-dossier (电子卷宗)."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from core.errors import AppError, NotFound, ValidationFailed
from court.api.routes import _int_arg, authorized_client
from court.api.validation import parse
from court.api_clients import Scope
from court.models import AttemptOutcome
from court.webhooks.log import attempt_dict, enable_webhook, endpoint_state, list_attempts, resend
from court.webhooks.subscriptions import remove_webhook, set_webhook
from service.choices import ReceiptStatus
from service.drafts import StrictModel
from service.models import Receipt
from web.downloads import attachment
from web.input_guard import refuse_control_characters

bp = Blueprint("court_feedback_v1", url_prefix="/court/api/v1")
bp.on_request(refuse_control_characters)  # NUL and friends: 422 before any handler
MAX_RECEIPT_NO = Receipt._meta.fields_map["receipt_no"].max_length


class WebhookDraft(StrictModel):
    url: str


@bp.put("/webhook")
async def put_webhook(request: Request) -> HTTPResponse:
    """Subscribe (or move) this client's webhook; the signing secret is returned this once."""
    client = await authorized_client(request, Scope.SERVICES_READ)
    draft = parse(WebhookDraft, request.json)
    secret = await set_webhook(client, draft.url, settings=request.app.ctx.settings)
    return json({"url": draft.url, "secret": secret,
                 "note": "密钥只显示这一次；请用它按 Standard Webhooks 规范校验 webhook-signature"})


@bp.delete("/webhook")
async def delete_webhook(request: Request) -> HTTPResponse:
    client = await authorized_client(request, Scope.SERVICES_READ)
    await remove_webhook(client.id, reason="removed by the client")
    return HTTPResponse(status=204)


def _state_json(state) -> dict:
    # Never the secret: it was shown once, at subscription.
    return {"url": state.url, "subscribed": bool(state.url), "disabled": state.disabled,
            "disabled_at": state.disabled_at.isoformat() if state.disabled_at else None,
            "disabled_reason": state.disabled_reason, "failures_24h": state.failures_24h,
            "last_attempt": attempt_dict(state.last_attempt) if state.last_attempt else None}


@bp.get("/webhook")
async def get_webhook(request: Request) -> HTTPResponse:
    client = await authorized_client(request, Scope.SERVICES_READ)
    return json(_state_json(await endpoint_state(client.id, now=datetime.now(timezone.utc))))


@bp.post("/webhook/enable")
async def post_webhook_enable(request: Request) -> HTTPResponse:
    client = await authorized_client(request, Scope.SERVICES_READ)
    await enable_webhook(client.id, court_id=client.court_id, actor=f"api_client:{client.id}")
    return json(_state_json(await endpoint_state(client.id, now=datetime.now(timezone.utc))))


@bp.get("/webhook/deliveries")
async def get_webhook_deliveries(request: Request) -> HTTPResponse:
    """This client's attempts, newest first; ``after`` is the last id of the previous page."""
    client = await authorized_client(request, Scope.SERVICES_READ)
    status = request.args.get("status")
    if status is not None and status not in {o.value for o in AttemptOutcome}:
        raise ValidationFailed("查询参数有误", details=[
            {"field": "status", "message": "应为 " + " / ".join(o.value for o in AttemptOutcome)}])
    limit = _int_arg(request, "limit", 50, low=1, high=200)
    after = _int_arg(request, "after", 0, low=1, high=2**63 - 1) if "after" in request.args else None
    items = await list_attempts(court_id=client.court_id, client_id=client.id, status=status,
                                limit=limit, before_id=after)
    return json({"items": [attempt_dict(a) for a in items],
                 "next_after": items[-1].id if len(items) == limit else None})


@bp.post("/webhook/deliveries/<job_id:int>/resend")
async def post_webhook_resend(request: Request, job_id: int) -> HTTPResponse:
    """Re-queue one of this client's webhook jobs now, with the same webhook-id."""
    client = await authorized_client(request, Scope.SERVICES_READ)
    if not 1 <= job_id <= 2**63 - 1:
        raise NotFound("回调任务不存在", code="webhook_job_not_found")
    job = await resend(job_id, court_id=client.court_id, client_id=client.id, now=datetime.now(timezone.utc),
                       actor=f"api_client:{client.id}")
    return json({"job_id": job.id, "webhook_id": job.dedupe_key, "available_at": job.available_at.isoformat()},
                status=202)


@bp.get("/receipts/<filename:str>")
async def receipt_pdf(request: Request, filename: str) -> HTTPResponse:
    """``/receipts/<receipt_no>.pdf``: the sealed receipt, for the e-dossier after ``receipt.ready``."""
    client = await authorized_client(request, Scope.RECEIPTS_READ)
    receipt_no = filename.removesuffix(".pdf")
    receipt = await Receipt.get_or_none(receipt_no=receipt_no, court_id=client.court_id) \
        if filename.endswith(".pdf") and len(receipt_no) <= MAX_RECEIPT_NO else None
    if receipt is None:
        raise NotFound("送达回证不存在", code="receipt_not_found")
    if receipt.status is not ReceiptStatus.SEALED:
        raise AppError("送达回证正在生成，请收到 receipt.ready 后再取", code="receipt_pending", status=409)
    pdf = await asyncio.to_thread(request.app.ctx.storage.get, receipt.pdf_sha256)
    return raw(pdf, content_type="application/pdf",
               headers={"Content-Disposition": attachment(f"送达回证-{receipt.receipt_no}.pdf")})
