"""Helpers shared by the portal's pages: the session cookie and its CSRF token, the link session.

A link session (SessionKind.LINK) opens exactly one delivery. A portal session (a litigant or
lawyer logged in with phone + code) opens the portal deliveries (channel ``portal``) of the
recipient rows carrying that phone, so the same reading and signing pages serve both. Every
``/d/<id>`` page asks ``visit_for``; a missing session and a session for another delivery both
give the same 404, so a visitor cannot tell someone else's delivery id from one that does not
exist.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sanic import Request
from sanic.response import HTTPResponse

from audit.choices import ActorKind
from audit.events import Actor
from core.errors import NotFound
from core.settings import Settings
from identity.models import Session, SessionKind
from identity.sessions import live_session, rotate_session, sid_hash
from portal import render
from service.access import DeliveryClosed, advance, delivery_of_row, portal_delivery, visit_by_session
from service.choices import DeliveryState
from service.effects import RecipientFacts, facts_of_row, litigant_line
from service.models import Court, Delivery, Receipt, Recipient, Service
from web import csrf
from web.cookies import read_cookie, set_cookie
from web.requests import client_address, limit_backend, request_meta

CSRF_FIELD = csrf.CSRF_FIELD
CSRF_PURPOSE = "portal-csrf"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def idle(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.session_idle_minutes)


def absolute(settings: Settings) -> timedelta:
    return timedelta(hours=settings.session_absolute_hours)


def csrf_token(settings: Settings, sid: str) -> str:
    """The forms' token, bound to the session id: valid only with the cookie it was issued for."""
    return csrf.csrf_token(settings.secret_key, CSRF_PURPOSE, sid)


def check_csrf(request: Request, sid: str) -> None:
    csrf.check_form(request, CSRF_PURPOSE, sid)


address = client_address


def recipient_actor(recipient_id: int) -> Actor:
    return Actor(ActorKind.RECIPIENT, str(recipient_id))


limits = limit_backend


def session_id(request: Request) -> str | None:
    return read_cookie(request, request.app.ctx.settings)


def set_session_cookie(response: HTTPResponse, settings: Settings, sid: str) -> HTTPResponse:
    return set_cookie(response, settings, sid)


@dataclass
class Visit:
    """The visitor's session and the one delivery it opens."""

    sid: str
    session: Session
    delivery: Delivery
    # The recipient's legal-effect facts read with the visit (``visit_for(..., facts=True)``), or
    # None: the effect line then reads them itself.
    facts: RecipientFacts | None = None

    @property
    def verified(self) -> bool:
        return self.via_portal or bool(self.session.data.get("verified"))

    @property
    def via_portal(self) -> bool:
        return self.session.kind is SessionKind.PORTAL

    def identity_proof(self, recipient: Recipient) -> dict:
        """How the signer proved possession of the phone: a code on the link, or the portal login."""
        at = self.session.data.get("verified_at") or self.session.created_at.isoformat(timespec="seconds")
        return {"method": "sms_code", "via": "portal_login" if self.via_portal else "short_link",
                "phone_masked": recipient.phone_masked, "at": at}


# A portal delivery reached before the login marked it (created after the login) is brought to
# "verified" on the way in: the login itself was the proof.
_BEFORE_VERIFIED = (DeliveryState.CREATED, DeliveryState.NOTIFIED, DeliveryState.ARRIVED, DeliveryState.OPENED)


async def visit_for(request: Request, delivery_id: int, *, facts: bool = False) -> Visit:
    settings = request.app.ctx.settings
    sid = session_id(request)
    if not sid:
        raise NotFound("页面不存在")
    now = utcnow()
    # Every /d/ page needs both, in one statement (service/access.py); the delivery is only
    # looked at once the session is known to open it.
    found, row = await visit_by_session(sid_hash(sid), delivery_id, facts=facts)
    session = await live_session(found, now=now, idle=idle(settings))
    if session is None:
        raise NotFound("页面不存在")
    if session.kind is SessionKind.PORTAL:
        return await _portal_visit(request, sid, session, delivery_id, now=now)
    if session.data.get("delivery_id") != delivery_id:
        raise NotFound("页面不存在")
    # A portal visit may move the delivery on (below) after the row was read: it reads its own.
    return Visit(sid, session, delivery_of_row(row, now=now), facts_of_row(row) if facts else None)


async def _portal_visit(request: Request, sid: str, session: Session, delivery_id: int, *,
                        now: datetime) -> Visit:
    phone_index = session.data.get("phone_index")
    delivery = phone_index and await portal_delivery(phone_index, delivery_id, now=now)
    if not delivery:
        raise NotFound("页面不存在")
    if delivery.state in _BEFORE_VERIFIED:
        for target in (DeliveryState.OPENED, DeliveryState.VERIFIED):
            delivery = await advance(delivery.id, target, actor=recipient_actor(delivery.recipient_id),
                                     meta=request_meta(request), now=now, data={"via": "portal_login"})
    return Visit(sid, session, delivery)


async def closed_page(exc: DeliveryClosed, delivery_id: int) -> HTTPResponse:
    """410 with the court's phone: a revoked or expired service still needs a human to call."""
    delivery = await Delivery.get_or_none(id=delivery_id)
    phone = None
    if delivery is not None:
        service = await Service.get(id=delivery.service_id)
        phone = (await Court.get(id=service.court_id)).phone or None
    return render("error.html", status=410, title="链接已失效", message=exc.message, phone=phone)


async def effect_line(delivery: Delivery, *, signing: bool = False, receipt: Receipt | None = None,
                      facts: RecipientFacts | None = None) -> str:
    """The page's sentence on legal effect (``service.effects.litigant_line``)."""
    return await litigant_line(delivery, now=utcnow(), signing=signing, receipt=receipt, facts=facts)


def signature_from_data_url(value: str) -> bytes:
    """The PNG behind the pad's ``data:image/png;base64,…`` field; sizes checked before decoding."""
    import base64
    import binascii

    from core.errors import PayloadTooLarge
    from service.signing import MAX_SIGNATURE_BYTES, BadSignature

    prefix = "data:image/png;base64,"
    if not value:
        raise BadSignature("请先在签名框内手写签名", code="signature_missing")
    if not value.startswith(prefix):
        raise BadSignature("签名图片必须是 PNG 格式")
    if len(value) > len(prefix) + (MAX_SIGNATURE_BYTES * 4) // 3 + 4:
        raise PayloadTooLarge("签名图片不能超过 1 MB", code="signature_too_large")
    try:
        return base64.b64decode(value[len(prefix):], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadSignature("签名图片无法读取") from exc


async def rotate_session_verified(visit: Visit, *, now: datetime) -> str:
    """New session id, and the session marked verified (with when, for the identity proof)."""
    data = {**visit.session.data, "verified": True, "verified_at": now.isoformat(timespec="seconds")}
    return await rotate_session(visit.sid, now=now, data=data)
