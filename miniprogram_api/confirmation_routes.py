"""送达地址确认书 in the mini-program (/mp/api/v1/cases/<id>/address-confirmation): the same use
case as the portal's (address_confirmation/), for the recipient rows the session proved. A case
the user is not in answers 404 ``case_not_found``, exactly like one that does not exist."""
from __future__ import annotations

import asyncio
import re

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from address_confirmation.access import Litigant, litigant_in_case, on_file
from address_confirmation.confirm import request_confirmation_code, sign_address_confirmation
from address_confirmation.form import NOTICE, NOTICE_ACCEPTED, ConfirmationForm, check_form
from addresses.choices import ConfirmationChannel
from addresses.models import AddressConfirmation
from core.errors import NotFound, ValidationFailed
from miniprogram_api import binding
from miniprogram_api.auth import address, limits, mp_api, request_meta, utcnow
from miniprogram_api.uploads import MB, read_multipart
from web.disconnects import finish_on_disconnect
from web.downloads import attachment
from web.input_guard import refuse_control_characters

bp = Blueprint("miniprogram_confirmation", url_prefix="/mp/api/v1")
bp.on_request(refuse_control_characters)
_NUMBER = re.compile(r"DZ[0-9]{8}[0-9A-Z]{10}")
FIELDS = ("postal", "phone", "email", "wechat")


async def _recipient_ids(request: Request) -> list[int]:
    return [r.id for r in await binding.recipients_of(request.ctx.mp, request.app.ctx.settings)]


async def _litigant(request: Request, case_id: int) -> Litigant:
    return await litigant_in_case(case_id, recipient_ids=await _recipient_ids(request))


def _form(values: dict) -> ConfirmationForm:
    texts = {}
    for name in FIELDS:
        value = values.get(name, "")
        if not isinstance(value, str) or len(value) > 600:
            raise ValidationFailed(f"字段 {name} 应为字符串", details=[{"field": name, "message": "应为字符串"}])
        texts[name] = value
    return ConfirmationForm(**texts, accepted=values.get("accepted") in (True, "1", "true"))


def _confirmation(found: AddressConfirmation) -> dict:
    return {"confirmation_no": found.confirmation_no, "case_id": found.case_id,
            "confirmed_at": found.created_at.isoformat(), "postal_masked": found.postal_masked,
            "electronic": found.electronic_masked,
            "url": f"/mp/api/v1/address-confirmations/{found.confirmation_no}.pdf"}


def _body(request: Request) -> dict:
    try:
        body = request.json
    except Exception:
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed("请求体应为 JSON 对象", code="bad_json")
    return body


@bp.get("/cases/<case_id:int>/address-confirmation")
@mp_api(verified=True)
async def confirmation_form(request: Request, case_id: int) -> HTTPResponse:
    litigant = await _litigant(request, case_id)
    view = await on_file(litigant, request.app.ctx.settings)
    return json({
        "case": {"id": litigant.case.id, "case_number": litigant.case.case_number, "court": litigant.court.name},
        "recipient": {"name": litigant.recipient.name, "phone_masked": litigant.recipient.phone_masked},
        "on_file": [{"kind": a.kind.value, "kind_label": a.kind.label, "masked": a.value_masked,
                     "status_label": a.status.label, "source_label": a.source.label} for a in view.addresses],
        "confirmations": [_confirmation(c) for c in view.confirmations],
        "notice": list(NOTICE), "accepted_text": NOTICE_ACCEPTED})


@bp.post("/cases/<case_id:int>/address-confirmation/code")
@finish_on_disconnect
@mp_api(verified=True)
async def send_code(request: Request, case_id: int) -> HTTPResponse:
    """The form is checked first (a bad province: 422, no text sent), then the code is texted."""
    litigant = await _litigant(request, case_id)
    check_form(_form(_body(request)))
    ctx = request.app.ctx
    await request_confirmation_code(litigant, client_ip=address(request), gateway=ctx.sms_gateway,
                                    limits=limits(request), settings=ctx.settings, now=utcnow())
    return json({"sent": True, "ttl_seconds": ctx.settings.code_ttl_seconds,
                 "phone_masked": litigant.recipient.phone_masked})


@bp.post("/cases/<case_id:int>/address-confirmation", stream=True)
@mp_api(verified=True)
async def sign(request: Request, case_id: int) -> HTTPResponse:
    """multipart: the form's fields, ``code``, ``submission_key`` and the ``signature`` PNG."""
    litigant = await _litigant(request, case_id)
    upload = await read_multipart(request, max_total=2 * MB, max_file=1 * MB)
    png = (upload.files.get("signature") or [b""])[0]
    if not png:
        raise ValidationFailed("请先手写签名", code="signature_missing")
    ctx = request.app.ctx
    found = await sign_address_confirmation(
        litigant, _form(upload.fields), signature_png=png, code=upload.fields.get("code", ""),
        submission_key=upload.fields.get("submission_key", ""), channel=ConfirmationChannel.MINIPROGRAM,
        sealer=ctx.sealer, storage=ctx.storage, settings=ctx.settings, now=utcnow(), meta=request_meta(request))
    return json(_confirmation(found), status=201)


@bp.get("/address-confirmations/<file:str>")
@mp_api(verified=True)
async def confirmation_pdf(request: Request, file: str) -> HTTPResponse:
    number = file[:-4] if file.endswith(".pdf") else ""
    found = await AddressConfirmation.get_or_none(
        confirmation_no=number, recipient_id__in=await _recipient_ids(request)) if _NUMBER.fullmatch(number) else None
    if found is None:
        raise NotFound("送达地址确认书不存在", code="confirmation_not_found")
    data = await asyncio.to_thread(request.app.ctx.storage.get, found.pdf_sha256)
    return raw(data, content_type="application/pdf", headers={"Content-Disposition": attachment(f"{number}.pdf")})
