"""``/verify/<receipt_no>``: the public page the QR code on every receipt points to."""
from __future__ import annotations

import asyncio

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from service.models import Case, Court, Delivery, Recipient, Service, ServiceDocument
from receipts.verification import FileCheck, check_file, find_receipt, mask_name
from portal import render

bp = Blueprint("verify", url_prefix="/verify")


async def _page(request: Request, receipt_no: str, result=None) -> HTTPResponse:
    receipt = await find_receipt(receipt_no)
    service = await Service.get(id=receipt.service_id)
    recipient = await Recipient.get(id=receipt.recipient_id)
    delivery = await Delivery.get(id=receipt.delivery_id)
    documents = [sd.document for sd in await ServiceDocument.filter(service_id=service.id)
                 .order_by("position").prefetch_related("document")]
    return render("verify.html", receipt=receipt, court=await Court.get(id=receipt.court_id),
                  case=await Case.get(id=service.case_id), recipient=recipient,
                  recipient_name=mask_name(recipient.name), signed_at=delivery.signed_at,
                  documents=documents, result=result)


@bp.get("/<receipt_no:str>")
async def show(request: Request, receipt_no: str) -> HTTPResponse:
    return await _page(request, receipt_no)


@bp.post("/<receipt_no:str>")
async def check(request: Request, receipt_no: str) -> HTTPResponse:
    receipt = await find_receipt(receipt_no)
    upload = request.files.get("file") if request.files else None
    if upload is None or not upload.body:
        return await _page(request, receipt_no, FileCheck(False, "请选择要核验的回证 PDF 文件"))
    result = await asyncio.to_thread(check_file, receipt, upload.body, request.app.ctx.sealer)
    return await _page(request, receipt_no, result)
