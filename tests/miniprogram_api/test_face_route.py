"""The face route's gates and upload checks through the API (the matching itself is identity.face's)."""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from identity.mp_models import FaceConsent
from miniprogram_api.face import CONSENT_VERSION
from tests.factories import phone as new_phone
from tests.factories import resident_id
from tests.miniprogram_api.mp_helpers import auth, login, person, serve


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    return response.json()["error"]


def png_bomb(side: int = 20000) -> bytes:
    """A small PNG that inflates to side² bytes of grey."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\0" * (side + 1)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def jpeg(size=(64, 64), fmt="JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 90, 80)).save(buffer, format=fmt)
    return buffer.getvalue()


async def identified(http, db, fake) -> str:
    number, id_number = new_phone(), resident_id()
    await serve(db, [person(number, id_number)], documents=1)
    token = await login(http, fake)
    proved = await http.post("/mp/api/v1/phone", json={"code": fake.phone_code(number)}, headers=auth(token))
    assert proved.status_code == 200
    bound = await http.post("/mp/api/v1/identity", json={"name": "王小明", "id_number": id_number}, headers=auth(token))
    routes = bound.json()["routes"]
    assert routes["sms"] is True and routes["face"] is True and routes["face_consent_version"] == CONSENT_VERSION
    assert routes["face_method"] in ("wechat", "local")
    return token


def files(reference: bytes, selfie: bytes, frames: list[bytes]) -> list:
    out = [("reference", ("id.jpg", reference, "image/jpeg")), ("selfie", ("me.jpg", selfie, "image/jpeg"))]
    return out + [("frame", (f"f{i}.jpg", frame, "image/jpeg")) for i, frame in enumerate(frames)]


async def test_consent_is_separate_versioned_and_required(mp_http, db, fake_wechat, local_face):
    token = await identified(mp_http, db, fake_wechat)
    error(await mp_http.post("/mp/api/v1/face/challenge", headers=auth(token)), 403, "face_consent_required")
    text = (await mp_http.get("/mp/api/v1/face/consent", headers=auth(token))).json()
    assert text["version"] == CONSENT_VERSION and "短信验证码" in text["text"] and text["consented"] is False
    error(await mp_http.post("/mp/api/v1/face/consent", json={"version": "old"}, headers=auth(token)),
          409, "consent_version_mismatch")
    given = await mp_http.post("/mp/api/v1/face/consent", json={"version": CONSENT_VERSION}, headers=auth(token))
    assert given.status_code == 201
    row = await FaceConsent.get()
    assert row.text_version == CONSENT_VERSION and row.ip == "203.0.113.7"
    assert (await mp_http.get("/mp/api/v1/face/consent", headers=auth(token))).json()["consented"] is True


async def test_face_before_identity_is_refused(mp_http, fake_wechat, local_face):
    token = await login(mp_http, fake_wechat)
    error(await mp_http.post("/mp/api/v1/face/challenge", headers=auth(token)), 403, "identity_required")


async def test_png_bomb_gif_and_50_mb_are_refused_before_any_attempt(mp_http, db, fake_wechat, local_face):
    token = await identified(mp_http, db, fake_wechat)
    small = jpeg()
    bomb = png_bomb()
    assert len(bomb) < 5 * 1024 * 1024
    body = error(await mp_http.post("/mp/api/v1/face/verify", headers=auth(token), data={"challenge_id": "x"},
                                    files=files(bomb, small, [small] * 3)), 422, "image_bomb")
    assert body["details"]["field"] == "reference"
    error(await mp_http.post("/mp/api/v1/face/verify", headers=auth(token), data={"challenge_id": "x"},
                             files=files(small, jpeg(fmt="GIF"), [small] * 3)), 422, "image_format")
    error(await mp_http.post("/mp/api/v1/face/verify", headers=auth(token), data={"challenge_id": "x"},
                             files=files(small, jpeg((5000, 10)), [small] * 3)), 422, "image_dimensions")
    error(await mp_http.post("/mp/api/v1/face/verify", headers=auth(token), data={"challenge_id": "x"},
                             files=files(small, small, [small] * 9)), 422, "liveness_frames")
    error(await mp_http.post("/mp/api/v1/face/verify", headers=auth(token), data={"challenge_id": "x"},
                             files=files(small, b"\xff\xd8" + b"\0" * (50 * 1024 * 1024), [small])),
          413, "upload_too_large")
    error(await mp_http.post("/mp/api/v1/face/verify", headers=auth(token), data={"challenge_id": "x"},
                             files=files(small, b"\xff\xd8" + b"\0" * (6 * 1024 * 1024), [small])),
          413, "image_too_large")
    error(await mp_http.post("/mp/api/v1/face/verify", headers=auth(token), data={"challenge_id": "x"},
                             files=files(small, small, [])), 422, "face_upload_incomplete")
    from identity.mp_models import FaceAttempt

    assert not await FaceAttempt.exists()  # a bad file is not an attempt: no lockout count


async def _consented(http, db, fake) -> str:
    token = await identified(http, db, fake)
    given = await http.post("/mp/api/v1/face/consent", json={"version": CONSENT_VERSION}, headers=auth(token))
    assert given.status_code == 201
    return token


async def test_wechat_face_verification_completes_the_route(mp_http, db, fake_wechat):
    from identity.mp_models import FaceAttempt
    from service.models import Recipient

    token = await _consented(mp_http, db, fake_wechat)
    started = await mp_http.post("/mp/api/v1/face/wechat/start", headers=auth(token))
    assert started.status_code == 201, started.text
    verify_id = started.json()["verify_id"]
    fake_wechat.face_scanned(verify_id)  # the user passes wx.requestFacialVerify on the phone
    done = await mp_http.post("/mp/api/v1/face/wechat/finish", headers=auth(token))
    assert done.status_code == 200, done.text
    assert done.json()["status"]["verified"] is True and done.json()["status"]["face_verified"] is True
    attempt = await FaceAttempt.get()
    assert attempt.passed and attempt.challenge == "wechat" and attempt.metrics == {"verify_ret": 10000}
    # cert_hash matched: the fake computed it from the name + ID sent in getverifyid.
    assert (await mp_http.get("/mp/api/v1/services", headers=auth(token))).status_code == 200
    replay = await mp_http.post("/mp/api/v1/face/wechat/finish", headers=auth(token))
    assert replay.status_code == 400 and replay.json()["error"]["code"] == "face_challenge_invalid"
    assert await Recipient.exists()


async def test_wechat_face_failure_offers_sms(mp_http, db, fake_wechat):
    token = await _consented(mp_http, db, fake_wechat)
    verify_id = (await mp_http.post("/mp/api/v1/face/wechat/start", headers=auth(token))).json()["verify_id"]
    fake_wechat.face_scanned(verify_id, verify_ret=10004)  # 比对人脸信息不匹配
    done = await mp_http.post("/mp/api/v1/face/wechat/finish", headers=auth(token))
    assert done.status_code == 422
    assert done.json()["alternative"] == "sms" and done.json()["status"]["verified"] is False
    assert done.json()["message"] == "未通过" and "verify_ret" not in done.json()  # WeChat's reason: audit only


async def test_wechat_is_the_default_and_local_matching_is_refused(mp_http, db, fake_wechat):
    token = await _consented(mp_http, db, fake_wechat)
    routes = (await mp_http.get("/mp/api/v1/session", headers=auth(token))).json()["routes"]
    assert routes["face_method"] == "wechat" and routes["face"] is True
    body = error(await mp_http.post("/mp/api/v1/face/challenge", headers=auth(token)), 403, "face_local_disabled")
    assert body["details"] == {"use": "wechat", "alternative": "sms"}
    small = jpeg()
    error(await mp_http.post("/mp/api/v1/face/verify", headers=auth(token), data={"challenge_id": "x"},
                             files=files(small, small, [small] * 3)), 403, "face_local_disabled")


def test_production_with_local_matching_needs_a_calibrated_threshold(tmp_path):
    import pytest

    from core.settings import ConfigurationError
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, face_local_remote=True, mode="production")
    with pytest.raises(ConfigurationError) as refused:
        settings.check_production()
    assert "SONGDA_FACE_MATCH_THRESHOLD" in str(refused.value)


async def test_wechat_face_needs_consent(mp_http, db, fake_wechat):
    token = await identified(mp_http, db, fake_wechat)
    error(await mp_http.post("/mp/api/v1/face/wechat/start", headers=auth(token)), 403, "face_consent_required")


async def test_a_challenge_is_taken_once_even_by_concurrent_requests(mp_http, db, fake_wechat):
    import asyncio

    from identity.models import Session
    from miniprogram_api.binding import pop, save

    token = await identified(mp_http, db, fake_wechat)
    session = await Session.filter(kind="mp").order_by("-id").first()
    await save(session, challenge={"id": "c1"})
    copies = [await Session.get(id=session.id) for _ in range(4)]  # four requests, one stale view each
    taken = await asyncio.gather(*(pop(copy, "challenge") for copy in copies))
    assert [t for t in taken if t] == [{"id": "c1"}]
    # A step saved by one request survives another request's save of a different field.
    first, second = await Session.get(id=session.id), await Session.get(id=session.id)
    await save(first, sms_at="x")
    await save(second, face_consent={"version": "v"})
    data = (await Session.get(id=session.id)).data
    assert data["sms_at"] == "x" and data["face_consent"] == {"version": "v"} and data["identity_at"]
    assert token


async def test_broken_json_for_the_consent_is_bad_json(mp_http, db, fake_wechat):
    token = await identified(mp_http, db, fake_wechat)
    broken = await mp_http.post("/mp/api/v1/face/consent", content=b"{", headers={
        **auth(token), "content-type": "application/json"})
    error(broken, 422, "bad_json")  # found by tests/hardening/test_mp_openapi_fuzz.py (was bad_request)


async def test_wechat_face_is_not_offered_to_a_passport_holder(mp_http, db, fake_wechat):
    number = new_phone()
    await serve(db, [person(number, "E12345678", id_type="passport")], documents=1)
    token = await login(mp_http, fake_wechat)
    assert (await mp_http.post("/mp/api/v1/phone", json={"code": fake_wechat.phone_code(number)},
                               headers=auth(token))).status_code == 200
    bound = await mp_http.post("/mp/api/v1/identity", json={"name": "王小明", "id_number": "E12345678",
                                                             "id_type": "passport"}, headers=auth(token))
    assert bound.status_code == 200, bound.text
    routes = bound.json()["routes"]
    assert routes["face"] is False and routes["sms"] is True  # WeChat 人脸核身 takes resident IDs only
