"""The local face route end to end through the API with identity.face's LocalFaceVerifier and the
fixture photos: a synthetic blink (the face domain's tests/identity/face/synth.py) passes and signs,
a still-photo replay fails liveness and is audited, a wrong person or a picture without exactly one
face fails, and the per-person lockout is enforced."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

pytest.importorskip("identity.face.verifier", exc_type=ImportError)
pytest.importorskip("face_recognition")

from identity.mp_models import FaceAttempt, FaceLockout  # noqa: E402
from miniprogram_api.face import CONSENT_VERSION, _encode  # noqa: E402
from tests.miniprogram_api.mp_helpers import auth  # noqa: E402
from tests.miniprogram_api.test_face_route import identified, jpeg  # noqa: E402
from tests.paths import FACES


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


async def consented(http, db, fake) -> str:
    token = await identified(http, db, fake)
    assert (await http.post("/mp/api/v1/face/consent", json={"version": CONSENT_VERSION},
                            headers=auth(token))).status_code == 201
    return token


async def attempt(http, token: str, reference: bytes, selfie: bytes, frames: list[bytes], challenge_id=None):
    if challenge_id is None:
        issued = await http.post("/mp/api/v1/face/challenge", headers=auth(token))
        assert issued.status_code == 201, issued.text
        challenge_id = issued.json()["challenge_id"]
    files = [("reference", ("id.jpg", reference, "image/jpeg")), ("selfie", ("me.jpg", selfie, "image/jpeg"))]
    files += [("frame", (f"f{i}.jpg", f, "image/jpeg")) for i, f in enumerate(frames)]
    return challenge_id, await http.post("/mp/api/v1/face/verify", headers=auth(token),
                                         data={"challenge_id": challenge_id}, files=files)


async def test_still_photo_replay_fails_liveness_and_is_audited(mp_http, db, fake_wechat):
    token = await consented(mp_http, db, fake_wechat)
    still = photo("obama2.jpg")
    challenge_id, response = await attempt(mp_http, token, photo("obama.jpg"), still, [still] * 5)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["passed"] is False and body["outcome"] == "liveness_failed" and body["alternative"] == "sms"
    assert body["distance"] <= 0.45  # the same person: only liveness failed
    row = await FaceAttempt.get()
    assert not row.passed and row.outcome == "liveness_failed" and row.distance == body["distance"]
    assert row.threshold == 0.45 and row.liveness and row.metrics
    assert await FaceLockout.exists()
    status = (await mp_http.get("/mp/api/v1/session", headers=auth(token))).json()
    assert status["status"]["verified"] is False and status["routes"]["sms"] is True
    # The challenge was single use.
    _, replay = await attempt(mp_http, token, photo("obama.jpg"), still, [still] * 5, challenge_id=challenge_id)
    assert replay.status_code == 400 and replay.json()["error"]["code"] == "face_challenge_invalid"


async def test_another_person_is_a_mismatch(mp_http, db, fake_wechat):
    token = await consented(mp_http, db, fake_wechat)
    other = photo("biden.jpg")
    _, response = await attempt(mp_http, token, photo("obama.jpg"), other, [other] * 3)
    assert response.status_code == 422
    assert response.json()["outcome"] == "mismatch" and response.json()["distance"] > 0.45


async def test_no_face_and_two_faces_are_clear_errors(mp_http, db, fake_wechat):
    token = await consented(mp_http, db, fake_wechat)
    blank = jpeg((400, 400))
    _, no_face = await attempt(mp_http, token, photo("obama.jpg"), blank, [blank] * 3)
    assert no_face.status_code == 422 and no_face.json()["error"]["code"] == "no_face"
    _, two = await attempt(mp_http, token, photo("obama.jpg"), photo("two_people.jpg"), [photo("two_people.jpg")] * 3)
    assert two.status_code == 422 and two.json()["error"]["code"] == "many_faces"
    assert [a.outcome for a in await FaceAttempt.all().order_by("id")] == ["no_face", "many_faces"]


async def test_twenty_failures_disable_face_and_offer_sms(mp_http, db, fake_wechat):
    from identity.face.lockout import FaceAttemptState, after_failure

    token = await consented(mp_http, db, fake_wechat)
    now = datetime.now(timezone.utc)
    state = FaceAttemptState()
    for _ in range(20):
        state = after_failure(state, now)
    from identity.models import Session

    subject = (await Session.filter(kind="mp").order_by("-id").first()).data["id_number_index"]
    await FaceLockout.create(subject=subject, state=_encode(state), updated_at=now)
    refused = await mp_http.post("/mp/api/v1/face/challenge", headers=auth(token))
    assert refused.status_code in (403, 429), refused.text
    assert refused.json()["error"]["details"]["alternative"] == "sms"


async def test_five_failures_in_a_row_make_the_person_wait(mp_http, db, fake_wechat):
    token = await consented(mp_http, db, fake_wechat)
    still = photo("obama2.jpg")
    for _ in range(5):
        _, response = await attempt(mp_http, token, photo("obama.jpg"), still, [still] * 3)
        assert 400 <= response.status_code < 500
    refused = await mp_http.post("/mp/api/v1/face/challenge", headers=auth(token))
    assert refused.status_code == 429, refused.text
    body = refused.json()["error"]
    assert body["code"] == "face_locked" and 0 < body["details"]["retry_after"] <= 30
    assert body["details"]["alternative"] == "sms"


async def blink_challenge(http, token: str) -> str:
    """Ask for challenges until the random pick is a blink (asking is not an attempt): the blink
    is the challenge the face domain can synthesise from one photo."""
    for _ in range(60):
        issued = await http.post("/mp/api/v1/face/challenge", headers=auth(token))
        assert issued.status_code == 201, issued.text
        if issued.json()["kind"] == "blink":
            return issued.json()["challenge_id"]
    raise AssertionError("no blink challenge in 60 draws")


async def test_a_genuine_blink_verifies_and_signs_with_a_face_proof(mp_http, db, fake_wechat):
    from identity.mp_models import MpBinding
    from service.choices import Channel
    from service.models import Delivery, Signature
    from tests.factories import signature_png
    from tests.identity.face import synth

    token = await consented(mp_http, db, fake_wechat)
    pixels, landmarks = synth.face(photo("obama2.jpg"))
    frames = [synth.jpeg(pixels, 95), synth.jpeg(synth.close_eyes(pixels, landmarks), 93), synth.jpeg(pixels, 90)]
    challenge_id = await blink_challenge(mp_http, token)
    _, response = await attempt(mp_http, token, photo("obama.jpg"), photo("obama2.jpg"), frames,
                                challenge_id=challenge_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["passed"] and body["outcome"] == "passed" and body["distance"] <= 0.45
    assert body["status"]["verified"] is True and body["status"]["method"] == "face"
    assert (await MpBinding.get()).method == "face"
    assert (await FaceLockout.get()).state["consecutive_failures"] == 0
    row = await FaceAttempt.get()
    assert row.passed and row.challenge == "blink" and row.liveness == "passed"
    entry = (await mp_http.get("/mp/api/v1/services", headers=auth(token))).json()["services"][0]
    delivery_id = entry["delivery"]["id"]
    for document in entry["documents"]:
        await mp_http.get(f"/mp/api/v1/deliveries/{delivery_id}/documents/{document['id']}", headers=auth(token))
    signed = await mp_http.post(f"/mp/api/v1/deliveries/{delivery_id}/sign", headers=auth(token),
                                files={"signature": ("s.png", signature_png(), "image/png")})
    assert signed.status_code == 201, signed.text
    proof = (await Signature.get(delivery_id=delivery_id)).identity_proof
    assert proof["method"] == "face" and proof["distance"] <= 0.45 and proof["threshold"] == 0.45
    assert (await Delivery.get(id=delivery_id)).channel is Channel.WECHAT
