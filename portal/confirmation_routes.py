"""送达地址确认书 in the portal, for a logged-in litigant (phone + code login):
``/portal/cases/<id>/address-confirmation``.

Two steps, each a full form post (works without scripts except the signature pad): 1. the
addresses (postal, divided and checked; phone, email, WeChat) and the notice accepted → a code is
texted to the phone on file; 2. the handwritten signature and the code → the sealed confirmation.
Step 2 carries step 1's values in hidden fields and the use case checks them again. A case the
user is not in is the same 404 as one that does not exist.
"""
from __future__ import annotations

import asyncio
import secrets

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw, redirect

from address_confirmation.access import Litigant, litigant_in_case, on_file
from address_confirmation.confirm import (
    check_submission_key,
    request_confirmation_code,
    sign_address_confirmation,
)
from address_confirmation.form import NOTICE, NOTICE_ACCEPTED, ConfirmationForm, check_form, first_message
from addresses.choices import ConfirmationChannel
from addresses.models import AddressConfirmation
from core.errors import AppError, NotFound
from portal import pages, render
from portal.account_routes import _page_context, portal_page
from web.disconnects import finish_on_disconnect
from web.downloads import attachment, document_headers
from web.input_guard import refuse_control_characters

bp = Blueprint("portal_address_confirmation", url_prefix="/portal/cases")
bp.on_request(refuse_control_characters)
FIELDS = ("postal", "phone", "email", "wechat")


def _form(request: Request) -> ConfirmationForm:
    data = request.form or {}
    values = {name: (data.get(name) or "")[:600] for name in FIELDS}
    return ConfirmationForm(**values, accepted=data.get("accepted") == "1")


async def _litigant(request: Request, case_id: int) -> Litigant:
    return await litigant_in_case(case_id, phone_index=request.ctx.phone_index)


async def _page(request: Request, litigant: Litigant, *, step: str, form: ConfirmationForm | None = None,
                key: str = "", error: str = "", status: int = 200, sent: bool = False) -> HTTPResponse:
    view = await on_file(litigant, request.app.ctx.settings)
    return render("portal_confirmation.html", status=status, litigant=litigant, view=view, step=step,
                  form=form or ConfirmationForm(postal=""), key=key or secrets.token_urlsafe(24), error=error,
                  sent=sent, minutes=request.app.ctx.settings.code_ttl_seconds // 60, notice=NOTICE, accepted_text=NOTICE_ACCEPTED, **_page_context(request))


def _refused(response: HTTPResponse, exc: AppError) -> HTTPResponse:
    response.headers.update(exc.headers())
    return response


@bp.get("/<case_id:int>/address-confirmation")
@portal_page
async def confirmation_form(request: Request, case_id: int) -> HTTPResponse:
    return await _page(request, await _litigant(request, case_id), step="form")


@bp.post("/<case_id:int>/address-confirmation/code")
@finish_on_disconnect
@portal_page
async def send_code(request: Request, case_id: int) -> HTTPResponse:
    """Step 1 → 2: the form is checked (nothing written), then the code is texted."""
    litigant = await _litigant(request, case_id)
    form = _form(request)
    try:
        key = check_submission_key((request.form or {}).get("submission_key") or "")
        check_form(form)
        ctx = request.app.ctx
        await request_confirmation_code(litigant, client_ip=pages.address(request), gateway=ctx.sms_gateway,
                                        limits=pages.limits(request), settings=ctx.settings, now=pages.utcnow())
    except AppError as exc:
        return _refused(await _page(request, litigant, step="form", form=form, error=first_message(exc),
                                    status=min(exc.status, 503)), exc)
    return await _page(request, litigant, step="sign", form=form, key=key, sent=True)


@bp.post("/<case_id:int>/address-confirmation")
@finish_on_disconnect
@portal_page
async def sign(request: Request, case_id: int) -> HTTPResponse:
    litigant = await _litigant(request, case_id)
    form = _form(request)
    data = request.form or {}
    key = data.get("submission_key") or ""
    ctx = request.app.ctx
    try:
        png = pages.signature_from_data_url(data.get("signature") or "")
        found = await sign_address_confirmation(
            litigant, form, signature_png=png, code=data.get("code") or "", submission_key=key,
            channel=ConfirmationChannel.PORTAL, sealer=ctx.sealer, storage=ctx.storage, settings=ctx.settings,
            now=pages.utcnow(), meta=pages.request_meta(request))
    except AppError as exc:
        step = "form" if exc.code in ("confirmation_invalid", "submission_key_invalid") else "sign"
        return _refused(await _page(request, litigant, step=step, form=form, key=key, error=first_message(exc),
                                    status=min(exc.status, 503)), exc)
    return redirect(f"/portal/cases/{case_id}/address-confirmation/{found.confirmation_no}", status=303)


async def _confirmation(litigant: Litigant, number: str) -> AddressConfirmation:
    # The caller's own confirmation in this case only (their recipient rows carry their phone).
    found = await AddressConfirmation.get_or_none(confirmation_no=number, case_id=litigant.case.id,
                                                  recipient__phone_index=litigant.recipient.phone_index)
    if found is None:
        raise NotFound("未找到该送达地址确认书", code="confirmation_not_found")
    return found


@bp.get("/<case_id:int>/address-confirmation/<number:str>")
@portal_page
async def confirmed(request: Request, case_id: int, number: str) -> HTTPResponse:
    litigant = await _litigant(request, case_id)
    if number.endswith(".pdf"):
        found = await _confirmation(litigant, number[:-4])
        data = await asyncio.to_thread(request.app.ctx.storage.get, found.pdf_sha256)
        return raw(data, content_type="application/pdf", headers=document_headers(
            attachment(f"送达地址确认书-{found.confirmation_no}.pdf", fallback=f"{found.confirmation_no}.pdf")))
    found = await _confirmation(litigant, number)
    return render("portal_confirmed.html", litigant=litigant, confirmation=found, **_page_context(request))
