"""Who the mini-program user is (小程序身份核验): phone possession, then name + ID number, then a
second factor — an SMS code to that phone (always offered) or the face route.

State lives in the server-side session (SessionKind.MINIPROGRAM), keyed by blind indexes only:
no phone, ID number or name is written in the clear. Recipients are always found with
``phone_index`` AND ``id_number_index`` in the query, then the name compared, so a phone alone
or an ID number alone reaches nobody. Failures go to the security log (ids and outcomes only).
"""
from __future__ import annotations

import hmac
import logging
import unicodedata
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from audit.choices import ActorKind
from audit.events import Actor, RequestMeta
from core.errors import AppError, ValidationFailed
from core.settings import Settings
from identity.id_numbers import IdType, InvalidIdNumber, normalize_id_number
from identity.limits import Hit, LimitBackend, RateLimited
from identity.models import Session
from identity.mp_models import MpBinding
from identity.phones import InvalidPhone, mask_phone, normalize_mobile
from identity.pii_keys import pii_cipher
from service.access import DeliveryClosed, advance
from service.choices import Channel, DeliveryState
from service.models import Delivery, Recipient

security_log = logging.getLogger("songda.security")
HOUR = timedelta(hours=1)
# Limits count per person and per client address, across sessions: a new WeChat login (or a new
# WeChat account) starts a session, never a fresh budget. docs/MINIPROGRAM.md lists them.
PHONE_LOOKUPS_PER_HOUR = 10           # per session, and per openid
PHONE_LOOKUPS_PER_PHONE_HOURLY = 10   # per phone asked about (its blind index), whoever asks
PHONE_LOOKUPS_PER_ADDRESS_HOURLY = 30  # per client address
IDENTITY_TRIES_PER_HOUR = 5           # per session, per openid, per proved phone, per ID number tried
IDENTITY_TRIES_PER_ADDRESS_HOURLY = 20  # per client address


class PhoneNotOnFile(AppError):
    status = 403
    code = "phone_not_on_file"


class IdentityMismatch(AppError):
    status = 403
    code = "identity_mismatch"


class StepRequired(AppError):
    status = 403
    code = "step_required"


def _who(session: Session) -> str:
    return f"mp_session={session.id}"


async def save(session: Session, **changes) -> None:
    """Merge ``changes`` into the stored session data under a row lock, so two requests of one
    user (the mini-program fires them in parallel) do not overwrite each other's steps."""
    async with in_transaction():
        fresh = await Session.filter(id=session.id).select_for_update().first()
        data = {**(fresh.data if fresh is not None else session.data), **changes}
        await Session.filter(id=session.id).update(data=data)
    session.data = data


async def pop(session: Session, key: str):
    """Take ``key`` out of the session data atomically: of two concurrent takers one gets it."""
    async with in_transaction():
        fresh = await Session.filter(id=session.id).select_for_update().first()
        data = dict(fresh.data if fresh is not None else session.data)
        value = data.get(key)
        data[key] = None
        await Session.filter(id=session.id).update(data=data)
    session.data = data
    return value


def phone_index(phone: str, settings: Settings) -> str:
    return pii_cipher(settings).blind_index(phone, context="phone")


def normalize_phone(raw: str) -> str:
    try:
        return normalize_mobile(raw or "")
    except InvalidPhone as exc:
        raise ValidationFailed("手机号码无效", details=[{"field": "phone", "message": exc.message}]) from exc


def _name_key(name: str) -> str:
    # NFKC and no spaces: "王 小明" typed on a phone is the 王小明 the court registered.
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def _openid(session: Session) -> str:
    return str(session.data.get("openid") or f"session:{session.id}")


async def _spend(limits: LimitBackend, steps: list[Hit], *, now: datetime) -> int | None:
    """Spend every step (one backend call); None when all were allowed, else seconds to wait."""
    results = await limits.spend(steps, now=now)
    refused = [r for r in results if not r.allowed]
    return refused[0].retry_after if refused else None


async def count_phone_lookup(session: Session, index: str, *, ip: str, limits: LimitBackend, now: datetime) -> None:
    """A phone lookup (``POST /phone/code``), counted per session, openid, phone and address."""
    wait = await _spend(limits, [
        Hit(f"mp:phone-lookup:{session.id}", PHONE_LOOKUPS_PER_HOUR, HOUR),
        Hit(f"mp:phone-lookup:openid:{_openid(session)}", PHONE_LOOKUPS_PER_HOUR, HOUR),
        Hit(f"mp:phone-lookup:phone:{index}", PHONE_LOOKUPS_PER_PHONE_HOURLY, HOUR),
        Hit(f"mp:phone-lookup:ip:{ip}", PHONE_LOOKUPS_PER_ADDRESS_HOURLY, HOUR),
    ], now=now)
    if wait is not None:
        security_log.warning("mp phone refused: %s outcome=rate_limited ip=%s", _who(session), ip)
        raise RateLimited(f"请求过于频繁，请{wait}秒后再试", code="phone_rate_limited", retry_after=wait)


async def ensure_on_file(session: Session, index: str, *, via: str) -> None:
    if not await Recipient.filter(phone_index=index).exists():
        security_log.warning("mp phone refused: %s outcome=phone_not_on_file via=%s", _who(session), via)
        raise PhoneNotOnFile("该手机号没有法院登记的送达，请使用法院登记的手机号，或联系承办法院")


async def prove_phone(session: Session, phone: str, *, via: str, settings: Settings, now: datetime) -> str:
    """The user proved possession of ``phone`` (WeChat's getPhoneNumber or an SMS code). It must be
    a recipient's phone on file. A new phone forgets any identity proved for the old one."""
    phone = normalize_phone(phone)
    index = phone_index(phone, settings)
    await ensure_on_file(session, index, via=via)
    # Kept encrypted so an SMS code can follow a WeChat phone proof without asking for the number.
    changes: dict = {"phone_index": index, "phone_masked": mask_phone(phone), "phone_via": via,
                     "phone_cipher": pii_cipher(settings).encrypt(phone, context="phone"),
                     "phone_at": now.isoformat(timespec="seconds")}
    if session.data.get("phone_index") != index:
        changes.update(id_number_index=None, name_index=None, identity_at=None, sms_at=None, face=None,
                       verified=False, challenge=None)
    if via == "sms_code":
        changes["sms_at"] = now.isoformat(timespec="seconds")
    await save(session, **changes)
    security_log.info("mp phone proved: %s via=%s", _who(session), via)
    return changes["phone_masked"]


async def bind_identity(session: Session, *, name: str, id_type: str, id_number: str, limits: LimitBackend,
                        settings: Settings, now: datetime, ip: str) -> None:
    """Name + ID number must be those the court registered for a recipient with the proved phone."""
    if not session.data.get("phone_index"):
        raise StepRequired("请先验证手机号", code="phone_required")
    try:
        kind = IdType(id_type or IdType.RESIDENT_ID)
        number = normalize_id_number(kind, id_number or "")
    except ValueError as exc:
        message = exc.message if isinstance(exc, InvalidIdNumber) else "证件类型无效"
        raise ValidationFailed("证件号码无效", details=[{"field": "id_number", "message": message}]) from exc
    if not _name_key(name):
        raise ValidationFailed("请填写姓名", details=[{"field": "name", "message": "请填写姓名"}])
    cipher = pii_cipher(settings)
    id_index = cipher.blind_index(number, context="id_number")
    steps = [Hit(f"mp:identity:{session.id}", IDENTITY_TRIES_PER_HOUR, HOUR),
             Hit(f"mp:identity:openid:{_openid(session)}", IDENTITY_TRIES_PER_HOUR, HOUR),
             Hit(f"mp:identity:phone:{session.data['phone_index']}", IDENTITY_TRIES_PER_HOUR, HOUR),
             Hit(f"mp:identity:id:{id_index}", IDENTITY_TRIES_PER_HOUR, HOUR),
             Hit(f"mp:identity:ip:{ip}", IDENTITY_TRIES_PER_ADDRESS_HOURLY, HOUR)]
    results = await limits.spend(steps, now=now)  # stops at the first refusal
    if not results[-1].allowed:
        wait = results[-1].retry_after
        security_log.warning("mp identity refused: %s outcome=rate_limited ip=%s", _who(session), ip)
        raise RateLimited(f"核验次数过多，请{wait}秒后再试", code="identity_rate_limited", retry_after=wait)
    tries = max(results[:4], key=lambda r: r.count)  # the tightest per-person count
    matches = [r for r in await Recipient.filter(phone_index=session.data["phone_index"], id_number_index=id_index)
               if hmac.compare_digest(_name_key(r.name).encode(), _name_key(name).encode())]
    if not matches:
        # One answer for "someone else's ID", "wrong name" and "unknown ID": nothing to enumerate.
        security_log.warning("mp identity refused: %s outcome=identity_mismatch", _who(session))
        raise IdentityMismatch("姓名或证件号码与法院登记的受送达人信息不一致",
                               details={"remaining_tries": IDENTITY_TRIES_PER_HOUR - tries.count})
    await save(session, id_number_index=id_index, name_index=cipher.blind_index(_name_key(name), context="name"),
               id_type=kind.value, identity_at=now.isoformat(timespec="seconds"))
    security_log.info("mp identity matched: %s recipients=%s", _who(session), [r.id for r in matches])


async def recipients_of(session: Session, settings: Settings) -> list[Recipient]:
    """The recipient rows this user proved to be (several services may name the same person)."""
    data = session.data
    if not (data.get("phone_index") and data.get("id_number_index") and data.get("name_index")):
        return []
    cipher = pii_cipher(settings)
    rows = await Recipient.filter(phone_index=data["phone_index"], id_number_index=data["id_number_index"]) \
        .order_by("-service_id", "position")
    return [r for r in rows
            if hmac.compare_digest(cipher.blind_index(_name_key(r.name), context="name"), data["name_index"])]


def second_factor(session: Session) -> dict | None:
    """The proof that completes verification: the SMS code, or a passed face check."""
    if session.data.get("face"):
        return {"method": "face", **session.data["face"]}
    if session.data.get("sms_at"):
        return {"method": "sms_code", "phone_masked": session.data.get("phone_masked", ""),
                "at": session.data["sms_at"]}
    return None


def status(session: Session) -> dict:
    data = session.data
    return {
        "phone_verified": bool(data.get("phone_index")),
        "phone_masked": data.get("phone_masked"),
        "identity_verified": bool(data.get("identity_at")),
        "sms_verified": bool(data.get("sms_at")),
        "face_verified": bool(data.get("face")),
        "verified": bool(data.get("verified")),
        "method": data.get("method"),
    }


async def complete_if_ready(session: Session, *, meta: RequestMeta, settings: Settings, now: datetime) -> bool:
    """Once phone, name + ID and a second factor are in, the session is verified: the person's
    WeChat deliveries become verified and the openid is bound for subscribe messages."""
    proof = second_factor(session)
    if not (session.data.get("identity_at") and proof):
        return False
    recipients = await recipients_of(session, settings)
    if not recipients:
        return False
    async with in_transaction():
        binding = await MpBinding.get_or_none(openid=session.data["openid"],
                                              id_number_index=session.data["id_number_index"])
        if binding is None:
            await MpBinding.create(openid=session.data["openid"], phone_index=session.data["phone_index"],
                                   id_number_index=session.data["id_number_index"], method=proof["method"],
                                   bound_at=now, last_verified_at=now)
        else:
            await MpBinding.filter(id=binding.id).update(phone_index=session.data["phone_index"],
                                                         method=proof["method"], last_verified_at=now)
        await save(session, verified=True, method=proof["method"], verified_at=now.isoformat(timespec="seconds"))
    await mark_verified([r.id for r in recipients], method=proof["method"], meta=meta, now=now)
    security_log.info("mp session verified: %s method=%s", _who(session), proof["method"])
    return True


async def mark_verified(recipient_ids: list[int], *, method: str, meta: RequestMeta, now: datetime) -> None:
    """Move the recipients' WeChat deliveries to opened → verified (each step its own event)."""
    for delivery in await Delivery.filter(recipient_id__in=recipient_ids, channel=Channel.WECHAT):
        if delivery.state not in (DeliveryState.CREATED, DeliveryState.NOTIFIED, DeliveryState.ARRIVED,
                                  DeliveryState.OPENED):
            continue
        try:
            for target in (DeliveryState.OPENED, DeliveryState.VERIFIED):
                await advance(delivery.id, target, actor=Actor(ActorKind.RECIPIENT, str(delivery.recipient_id)),
                              meta=meta, now=now, data={"via": "miniprogram", "method": method})
        except DeliveryClosed:
            continue
