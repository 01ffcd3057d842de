"""Court intake API v1, feedback side: the client's webhook subscription and sealed receipts for
the e-dossier (电子卷宗)."""
from __future__ import annotations

import asyncio

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from app.errors import AppError, NotFound
from court.api.routes import authorized_client, content_disposition
from court.api.validation import parse
from court.api_clients import Scope
from court.webhooks.subscriptions import remove_webhook, set_webhook
from documents.choices import ReceiptStatus
from documents.drafts import StrictModel
from documents.models import Receipt

bp = Blueprint("court_feedback_v1", url_prefix="/court/api/v1")
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
               headers={"Content-Disposition": content_disposition(f"送达回证-{receipt.receipt_no}.pdf")})
