"""The face route (人脸核验): separate consent, a single-use liveness challenge, the match, and the
per-person lockout (5 consecutive failures → 30 s wait; 20 → face off for 24 h, SMS offered).

The matching itself is identity.face's; this module stores what it decides. Images stay in
memory for the call and are dropped; each attempt is one FaceAttempt row with the distance and
the decisions.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from audit.events import RequestMeta
from core.errors import AppError, Conflict, ValidationFailed
from core.settings import Settings
from identity.models import Session
from identity.mp_models import FaceAttempt, FaceConsent, FaceLockout
from miniprogram_api.binding import complete_if_ready, save

security_log = logging.getLogger("songda.security")

CONSENT_VERSION = "2026-11-v1"
CONSENT_TEXT = (
    f"人脸识别单独同意书（{CONSENT_VERSION}）\n"
    "为核验您是否为本案受送达人本人，本平台将在您同意后采集您的人脸照片及动作视频帧，"
    "与您上传的身份证人像进行比对并进行活体检测。图像仅在本次核验中于内存内处理，核验结束即删除，"
    "不作保存；平台仅记录比对距离与核验结论。您可以拒绝人脸识别，改用“手机号 + 姓名 + 证件号码 + 短信验证码”"
    "完成核验，不影响您查看与签收文书。依据《个人信息保护法》及《人脸识别技术应用安全管理办法》。"
)
CHALLENGE_TTL = timedelta(seconds=120)


class FaceStepRequired(AppError):
    status = 403
    code = "face_step_required"


class ChallengeInvalid(AppError):
    status = 400
    code = "face_challenge_invalid"


class FaceLocked(AppError):
    """Too many failures: wait, or (after 20) use the SMS route; the details say which."""

    status = 429
    code = "face_locked"


def check_upload(reference: bytes, selfie: bytes, frames: list[bytes]) -> None:
    """identity.face's header checks (type, size, pixel count: bombs refused undecoded) and its
    frame count, before the challenge is spent or a failure counted: a bad file is not an attempt."""
    from identity.face.errors import FaceImageError, LivenessFrames
    from identity.face.images import check
    from identity.face.liveness import MAX_FRAMES, MIN_FRAMES

    if not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
        raise LivenessFrames(details={"field": "frame", "min": MIN_FRAMES, "max": MAX_FRAMES})
    for name, image in [("reference", reference), ("selfie", selfie)] + [("frame", f) for f in frames]:
        try:
            check(image)
        except FaceImageError as exc:
            exc.details = {"field": name}
            raise


def consent_document() -> dict:
    return {"version": CONSENT_VERSION, "text": CONSENT_TEXT}


async def record_consent(session: Session, version: str, *, meta: RequestMeta, now: datetime) -> FaceConsent:
    if version != CONSENT_VERSION:
        raise Conflict("同意书版本已更新，请重新阅读后同意", code="consent_version_mismatch",
                       details={"version": CONSENT_VERSION})
    consent = await FaceConsent.create(session_id=session.id, openid=session.data.get("openid", ""),
                                       text_version=version, consented_at=now, ip=meta.ip, user_agent=meta.user_agent)
    await save(session, face_consent={"id": consent.id, "version": version,
                                      "at": now.isoformat(timespec="seconds")})
    return consent


def _require_ready(session: Session) -> None:
    if not session.data.get("identity_at"):
        raise FaceStepRequired("请先完成手机号与姓名、证件号码核验", code="identity_required")
    consent = session.data.get("face_consent") or {}
    if consent.get("version") != CONSENT_VERSION:
        raise FaceStepRequired("人脸识别需要您单独同意；您也可以改用短信验证码核验",
                               code="face_consent_required", details={"version": CONSENT_VERSION,
                                                                     "alternative": "sms"})


# -- lockout state (policy in identity.face.lockout; storage here) -------------------------------

def _encode(state: Any) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in dataclasses.asdict(state).items()}


def _decode(data: dict):
    from identity.face.lockout import FaceAttemptState

    values = {}
    for f in dataclasses.fields(FaceAttemptState):
        if f.name not in data:
            continue
        value = data[f.name]
        if isinstance(value, str) and "datetime" in str(f.type):
            value = datetime.fromisoformat(value)
        values[f.name] = value
    return FaceAttemptState(**values)


async def _load_state(subject: str):
    from identity.face.lockout import FaceAttemptState

    row = await FaceLockout.get_or_none(subject=subject)
    return _decode(row.state) if row is not None else FaceAttemptState()


async def _store_state(subject: str, state: Any, now: datetime, **extra: Any) -> None:
    """Write the lockout state; the pinned challenge (``extra``'s ``challenge``) is kept unless given."""
    async with in_transaction():
        row = await FaceLockout.filter(subject=subject).select_for_update().first()
        if row is None:
            await FaceLockout.create(subject=subject, state={**_encode(state), **extra}, updated_at=now)
            return
        kept = {"challenge": row.state["challenge"]} if "challenge" in row.state else {}
        await FaceLockout.filter(id=row.id).update(state={**_encode(state), **kept, **extra}, updated_at=now)


def _blocked(decision: Any, now: datetime) -> AppError | None:
    """identity.face.lockout's Decision as an error for the user, or None when allowed."""
    if decision.allowed:
        return None
    details = {"retry_after": decision.seconds, "alternative": "sms", "disabled": decision.disabled,
               "until": decision.until.isoformat() if decision.until else None, "reason": decision.reason}
    if decision.disabled:
        return FaceLocked("人脸核验失败次数过多，已暂停24小时；请改用短信验证码完成核验",
                          code="face_disabled", status=403, details=details)
    return FaceLocked(f"人脸核验失败次数过多，请{decision.seconds}秒后再试，或改用短信验证码核验", details=details)


# -- challenge and attempt ------------------------------------------------------------------------

def method(settings: Settings) -> str:
    """The face route this court offers: WeChat 人脸核身 (liveness certified by WeChat, compared
    with the national ID photo) unless the court enabled local matching for remote use."""
    return "local" if settings.face_local_remote else "wechat"


def require_local(settings: Settings) -> None:
    if not settings.face_local_remote:
        raise FaceStepRequired("本院使用微信人脸核身，请在小程序内发起；也可以改用短信验证码核验",
                               code="face_local_disabled", details={"use": "wechat", "alternative": "sms"})


async def face_offered(session: Session, settings: Settings, now: datetime) -> bool:
    """What /session's ``routes.face`` says: identity bound, a document the route can check
    (WeChat 人脸核身 takes resident ID cards only), and the person not locked out."""
    if not session.data.get("identity_at") or not session.data.get("id_number_index"):
        return False
    if method(settings) == "wechat" and session.data.get("id_type", "resident_id") != "resident_id":
        return False
    from identity.face.lockout import decide

    return decide(await _load_state(session.data["id_number_index"]), now).allowed


async def issue_challenge(session: Session, *, settings: Settings, now: datetime) -> dict:
    """The server picks the action; the pick is pinned to the person (across sessions and WeChat
    accounts) until ``CHALLENGE_TTL`` after it was first drawn, so asking again — or failing and
    asking again — inside that window gives the same action, never a re-roll."""
    require_local(settings)
    _require_ready(session)
    from identity.face.liveness import new_challenge
    from identity.face.lockout import decide

    subject = session.data["id_number_index"]
    blocked = _blocked(decide(await _load_state(subject), now), now)
    if blocked is not None:
        raise blocked
    async with in_transaction():
        row = await FaceLockout.filter(subject=subject).select_for_update().first()
        pinned = (row.state.get("challenge") if row is not None else None) or {}
        if not pinned or datetime.fromisoformat(pinned["pinned_until"]) <= now:
            pinned = {"kind": new_challenge().value, "pinned_until": (now + CHALLENGE_TTL).isoformat()}
        if not pinned.get("id"):  # unused challenges are handed out again, used ones get a new id
            pinned = {**pinned, "id": secrets.token_urlsafe(16), "issued_at": now.isoformat()}
        if row is None:
            await FaceLockout.create(subject=subject, state={"challenge": pinned}, updated_at=now)
        else:
            await FaceLockout.filter(id=row.id).update(state={**row.state, "challenge": pinned}, updated_at=now)
    expires_at = datetime.fromisoformat(pinned["issued_at"]) + CHALLENGE_TTL
    return {"challenge_id": pinned["id"], "kind": pinned["kind"], "expires_at": expires_at.isoformat(),
            "ttl_seconds": max(0, int((expires_at - now).total_seconds()))}


async def _take_challenge(session: Session, challenge_id: str, now: datetime) -> tuple[str, datetime]:
    """Single use: taken off the person's row (the kind stays pinned) before any image is looked at."""
    subject = session.data["id_number_index"]
    async with in_transaction():
        row = await FaceLockout.filter(subject=subject).select_for_update().first()
        pinned = (row.state.get("challenge") if row is not None else None) or {}
        if pinned.get("id"):
            await FaceLockout.filter(id=row.id).update(
                state={**row.state, "challenge": {**pinned, "id": None}}, updated_at=now)
    issued = datetime.fromisoformat(pinned["issued_at"]) if pinned.get("issued_at") else now
    if not pinned.get("id") or not secrets.compare_digest(str(pinned["id"]), challenge_id or "") \
            or issued + CHALLENGE_TTL <= now:
        raise ChallengeInvalid("动作指令已失效，请重新获取后再拍摄")
    return pinned["kind"], issued


NOT_PASSED = "未通过"


def parse_frame_times(raw: str, frames: int) -> list[int]:
    """``frame_ms``: the frames' capture times in milliseconds, comma separated (e.g. ``0,180,360``)."""
    try:
        times = [int(part) for part in raw.split(",")] if raw.strip() else []
    except ValueError:
        times = []
    if len(times) != frames or any(not 0 <= t <= 10**9 for t in times):
        raise ValidationFailed("请随每一帧上传拍摄时间（毫秒）", code="face_frame_times_invalid",
                               details=[{"field": "frame_ms", "message": f"{frames} 个非负整数，以逗号分隔"}])
    return times


async def verify_face(session: Session, *, challenge_id: str, reference: bytes, selfie: bytes, frames: list[bytes],
                      times_ms: list[int], verifier: Any, meta: RequestMeta, settings: Settings,
                      now: datetime) -> dict:
    """One attempt: challenge → lockout → match + liveness → audit row → lockout state → session.

    A failure answers only 未通过 (and the wait, if any): distances, thresholds and reasons would
    tell an attacker what to tune, so they go to the FaceAttempt row alone."""
    require_local(settings)
    _require_ready(session)
    from identity.face.lockout import after_success, decide
    from identity.face.verifier import ChallengeKind

    subject = session.data["id_number_index"]
    kind, issued = await _take_challenge(session, challenge_id, now)
    state = await _load_state(subject)
    blocked = _blocked(decide(state, now), now)
    row = {"subject": subject, "session_id": session.id, "openid": session.data.get("openid", ""),
           "challenge": kind, "ip": meta.ip, "created_at": now}
    if blocked is not None:
        await FaceAttempt.create(**row, outcome="locked", lockout=blocked.code)
        security_log.warning("mp face refused: mp_session=%s outcome=%s", session.id, blocked.code)
        raise blocked
    # The frames cannot span more time than the challenge has existed (plus a second of clock slack).
    if times_ms and times_ms[-1] - times_ms[0] > (now - issued).total_seconds() * 1000 + 1000:
        return await _failed(session, row, state, now, outcome="liveness_failed", liveness="timing_before_challenge")
    try:
        verdict = await asyncio.to_thread(verifier.verify, reference, selfie, ChallengeKind(kind), frames, times_ms)
    except AppError as exc:
        return await _failed(session, row, state, now, outcome=exc.code[:32], liveness=str(exc.details or "")[:200])
    passed = bool(verdict.passed)
    liveness = str(getattr(verdict, "liveness_reason", None) or getattr(verdict, "liveness", "") or "")
    metrics = _jsonable(getattr(verdict, "metrics", {}) or {})
    if not passed:
        outcome = "mismatch" if verdict.distance is None or verdict.distance > verdict.threshold else "liveness_failed"
        return await _failed(session, row, state, now, outcome=outcome, liveness=liveness,
                             distance=verdict.distance, threshold=verdict.threshold, metrics=metrics)
    state = after_success(state)
    await _store_state(subject, state, now)
    await FaceAttempt.create(**row, outcome="passed", passed=True, distance=verdict.distance,
                             threshold=verdict.threshold, liveness=liveness[:200], metrics=metrics)
    security_log.info("mp face attempt: mp_session=%s outcome=passed", session.id)
    await save(session, face={"distance": round(verdict.distance, 4), "threshold": verdict.threshold,
                              "liveness": liveness, "challenge": kind, "at": now.isoformat(timespec="seconds")})
    await complete_if_ready(session, meta=meta, settings=settings, now=now)
    return {"passed": True}


async def _failed(session: Session, row: dict, state: Any, now: datetime, *, outcome: str, liveness: str,
                  **numbers: Any) -> dict:
    from identity.face.lockout import after_failure, decide

    state = after_failure(state, now)
    await _store_state(row["subject"], state, now)
    await FaceAttempt.create(**row, outcome=outcome, liveness=liveness[:200], lockout=_lockout_note(state, now),
                             **numbers)
    security_log.warning("mp face failed: mp_session=%s outcome=%s", session.id, outcome)
    result: dict = {"passed": False, "message": NOT_PASSED, "alternative": "sms"}
    blocked = _blocked(decide(state, now), now)
    if blocked is not None:
        result["lockout"] = blocked.to_dict()["error"]
    return result


def _lockout_note(state: Any, now: datetime) -> str:
    from identity.face.lockout import decide

    blocked = _blocked(decide(state, now), now)
    return "" if blocked is None else f"{blocked.code} retry_after={blocked.details.get('retry_after')}"


def _jsonable(metrics: Any) -> dict:
    """The verifier's numbers as plain JSON (nested dicts kept; anything exotic as text)."""
    import json

    if dataclasses.is_dataclass(metrics):
        metrics = dataclasses.asdict(metrics)
    if not isinstance(metrics, dict):
        return {}
    return json.loads(json.dumps(metrics, default=str))
