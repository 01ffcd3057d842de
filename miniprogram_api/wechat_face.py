"""WeChat 人脸核身 2.0 as the face route's second implementation: WeChat compares the face with the
national ID photo (stronger than any local check), we only start it and read the verdict.

start: getVerifyId with the recipient's name + ID number (decrypted for this call only) → the
mini-program calls ``wx.requestFacialVerify({verifyId})`` → finish: queryVerifyInfo with the
cert_hash; passed only when verify_ret == 10000. The same separate consent applies; each result is
a FaceAttempt row. Only resident ID cards are supported by WeChat.
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from audit.events import RequestMeta
from core.errors import AppError
from core.settings import Settings
from identity.id_numbers import IdType
from identity.models import Session
from identity.mp_models import FaceAttempt
from identity.pii_keys import pii_cipher
from identity.wechat.api import WeChatApi, cert_hash
from miniprogram_api.binding import complete_if_ready, pop, recipients_of, save
from miniprogram_api.face import ChallengeInvalid, _require_ready

security_log = logging.getLogger("songda.security")
VERIFY_ID_TTL = timedelta(hours=1)


async def _person(session: Session, settings: Settings) -> tuple[str, str]:
    recipients = [r for r in await recipients_of(session, settings) if r.id_number_cipher]
    if not recipients or recipients[0].id_type != IdType.RESIDENT_ID.value:
        raise AppError("微信人脸核身仅支持居民身份证，请改用短信验证码核验", code="wechat_face_unsupported",
                       status=422, details={"alternative": "sms"})
    return recipients[0].name, pii_cipher(settings).decrypt(recipients[0].id_number_cipher, context="id_number")


async def start(session: Session, *, api: WeChatApi, settings: Settings, now: datetime) -> dict:
    _require_ready(session)
    name, number = await _person(session, settings)
    out_seq_no = secrets.token_hex(16)
    verify_id = await api.face_verify_id(session.data["openid"], out_seq_no, name, number)
    await save(session, wechat_face={"verify_id": verify_id, "out_seq_no": out_seq_no,
                                     "expires_at": (now + VERIFY_ID_TTL).isoformat()})
    return {"verify_id": verify_id, "expires_in": int(VERIFY_ID_TTL.total_seconds())}


async def finish(session: Session, *, api: WeChatApi, settings: Settings, meta: RequestMeta,
                 now: datetime) -> dict:
    _require_ready(session)
    pending = await pop(session, "wechat_face") or {}  # one query per verify_id: a replay finds nothing
    if not pending or datetime.fromisoformat(pending["expires_at"]) <= now:
        raise ChallengeInvalid("微信人脸核身已失效，请重新发起")
    name, number = await _person(session, settings)
    result = await api.face_verify_result(session.data["openid"], pending["verify_id"], pending["out_seq_no"],
                                          cert_hash("IDENTITY_CARD", name, number))
    outcome = "passed" if result.passed else f"wechat_{result.verify_ret}"
    await FaceAttempt.create(subject=session.data["id_number_index"], session_id=session.id,
                             openid=session.data.get("openid", ""), challenge="wechat", outcome=outcome,
                             passed=result.passed, metrics={"verify_ret": result.verify_ret}, ip=meta.ip,
                             created_at=now)
    security_log.info("mp wechat face: mp_session=%s outcome=%s", session.id, outcome)
    if result.passed:
        await save(session, face={"method": "wechat_face", "at": now.isoformat(timespec="seconds")})
        await complete_if_ready(session, meta=meta, settings=settings, now=now)
    # verify_ret stays in the audit row: the answer says passed or 未通过, nothing to tune against.
    return {"passed": True} if result.passed else {"passed": False, "message": "未通过", "alternative": "sms"}
