"""``/verify/<receipt_no>``: the public page the QR code on every receipt points to, electronic
(``service.access.receipt_by_number``) or of a pickup or field task
(``inperson.verification.task_receipt_by_number``): one number space, one page."""
from __future__ import annotations

import asyncio

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from address_confirmation.verification import check_confirmation_file, confirmation_by_number
from core.errors import NotFound
from inperson.verification import check_task_receipt_file, task_receipt_by_number
from portal import render
from receipts.verification import FileCheck, check_file, mask_name
from service.access import receipt_by_number, service_documents
from service.models import Receipt
from web.input_guard import refuse_control_characters

bp = Blueprint("verify", url_prefix="/verify")
bp.on_request(refuse_control_characters)  # NUL and friends: 422 before any handler


async def _lookup(receipt_no: str):
    """The electronic receipt, else the in-person task's; neither is a 404."""
    try:
        return await receipt_by_number(receipt_no)
    except NotFound:
        return await task_receipt_by_number(receipt_no)


async def _page(request: Request, receipt_no: str, result=None) -> HTTPResponse:
    receipt = await _lookup(receipt_no)
    if isinstance(receipt, Receipt):
        facts = {"case": receipt.service.case, "recipient": receipt.recipient, "signed_at": receipt.delivery.signed_at}
    else:
        facts = {"case": receipt.case, "recipient": receipt.recipient, "signed_at": receipt.served_at,
                 "method": receipt.method, "signed_label": receipt.served_label}
    return render("verify.html", receipt=receipt, court=receipt.court, recipient_name=mask_name(facts["recipient"].name),
                  documents=await service_documents(receipt.service_id), result=result, **facts)


def _uploaded(request: Request) -> bytes | None:
    """The PDF the visitor chose to check, or None."""
    upload = request.files.get("file") if request.files else None
    return upload.body if upload is not None and upload.body else None


async def _confirmation_page(request: Request, number: str, result=None) -> HTTPResponse:
    found = await confirmation_by_number(number)
    return render("verify_confirmation.html", confirmation=found, name=mask_name(found.person_name), result=result)


@bp.get("/confirmation/<number:str>")
async def show_confirmation(request: Request, number: str) -> HTTPResponse:
    """送达地址确认书: the QR code on the sealed PDF points here."""
    return await _confirmation_page(request, number)


@bp.post("/confirmation/<number:str>")
async def check_confirmation(request: Request, number: str) -> HTTPResponse:
    found = await confirmation_by_number(number)
    pdf = _uploaded(request)
    if pdf is None:
        return await _confirmation_page(request, number, FileCheck(False, "请选择要核验的 PDF 文件"))
    result = await asyncio.to_thread(check_confirmation_file, found, pdf, request.app.ctx.sealer)
    return await _confirmation_page(request, number, result)


@bp.get("/<receipt_no:str>")
async def show(request: Request, receipt_no: str) -> HTTPResponse:
    return await _page(request, receipt_no)


@bp.post("/<receipt_no:str>")
async def check(request: Request, receipt_no: str) -> HTTPResponse:
    receipt = await _lookup(receipt_no)
    pdf = _uploaded(request)
    if pdf is None:
        return await _page(request, receipt_no, FileCheck(False, "请选择要核验的回证 PDF 文件"))
    checker = check_file if isinstance(receipt, Receipt) else check_task_receipt_file
    result = await asyncio.to_thread(checker, receipt, pdf, request.app.ctx.sealer)
    return await _page(request, receipt_no, result)
