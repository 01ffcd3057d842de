"""The local face route end to end through the API with identity.face's LocalFaceVerifier and the
fixture photos, where a court enabled local matching (``local_face``): a synthetic blink (the face
domain's tests/identity/face/synth.py) captured as a timed sequence passes and signs; the still-photo
attacks of issue 22 fail; a failure says only 未通过 (the numbers go to the audit row); the challenge
cannot be re-rolled; and the per-person lockout is enforced and hides routes.face."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("identity.face.verifier", exc_type=ImportError)
pytest.importorskip("face_recognition")

from PIL import Image, ImageOps  # noqa: E402

from identity.mp_models import FaceAttempt, FaceLockout  # noqa: E402
from miniprogram_api.face import CONSENT_VERSION, _encode  # noqa: E402
from tests.miniprogram_api.mp_helpers import auth, login  # noqa: E402
from tests.miniprogram_api.test_face_route import identified, jpeg  # noqa: E402
from tests.paths import FACES  # noqa: E402

pytestmark = pytest.mark.usefixtures("local_face")


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


def camera_sized(name: str, *, mirror: bool = False) -> bytes:
    """A fixture photo brought to one camera frame size (480 × 640), optionally mirrored."""
    image = Image.open(FACES / name).convert("RGB").resize((480, 640))
    if mirror:
        image = ImageOps.mirror(image)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def pin(monkeypatch, kind: str) -> None:
    """The server's random draw, fixed for the test (the draw itself is identity.face's)."""
    from identity.face import liveness

    monkeypatch.setattr(liveness, "new_challenge", lambda: liveness.ChallengeKind(kind))


async def consented(http, db, fake) -> str:
    token = await identified(http, db, fake)
    assert (await http.post("/mp/api/v1/face/consent", json={"version": CONSENT_VERSION},
                            headers=auth(token))).status_code == 201
    return token


def camera_times(count: int) -> str:
    return ",".join(str(i * 200) for i in range(count))


async def attempt(http, token: str, reference: bytes, selfie: bytes, frames: list[bytes], challenge_id=None,
                  frame_ms=None):
    if challenge_id is None:
        issued = await http.post("/mp/api/v1/face/challenge", headers=auth(token))
        assert issued.status_code == 201, issued.text
        challenge_id = issued.json()["challenge_id"]
    files = [("reference", ("id.jpg", reference, "image/jpeg")), ("selfie", ("me.jpg", selfie, "image/jpeg"))]
    files += [("frame", (f"f{i}.jpg", f, "image/jpeg")) for i, f in enumerate(frames)]
    data = {"challenge_id": challenge_id, "frame_ms": camera_times(len(frames)) if frame_ms is None else frame_ms}
    return challenge_id, await http.post("/mp/api/v1/face/verify", headers=auth(token), data=data, files=files)


def not_passed(response) -> dict:
    """A failed answer: 未通过 and the SMS alternative, nothing an attacker could tune against."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["passed"] is False and body["message"] == "未通过" and body["alternative"] == "sms"
    assert not {"distance", "threshold", "outcome", "liveness", "reason"} & set(body), body
    assert "distance" not in response.text and "wrong_direction" not in response.text
    return body


async def test_still_photo_replay_fails_and_the_numbers_go_to_the_audit_row_only(mp_http, db, fake_wechat):
    token = await consented(mp_http, db, fake_wechat)
    still = photo("obama2.jpg")
    challenge_id, response = await attempt(mp_http, token, photo("obama.jpg"), still, [still] * 5)
    not_passed(response)
    row = await FaceAttempt.get()
    assert not row.passed and row.outcome == "liveness_failed" and row.distance <= 0.45
    assert row.threshold == 0.45 and row.liveness == "still_image" and row.metrics
    status = (await mp_http.get("/mp/api/v1/session", headers=auth(token))).json()
    assert status["status"]["verified"] is False and status["routes"]["sms"] is True
    # The challenge was single use.
    _, replay = await attempt(mp_http, token, photo("obama.jpg"), still, [still] * 5, challenge_id=challenge_id)
    assert replay.status_code == 400 and replay.json()["error"]["code"] == "face_challenge_invalid"


# The walk of issue 22: an ID photo plus three public photos passed each of these challenges.
ATTACKS = {
    "turn_right with obama2, obama, obama3": ("turn_right", ["obama2.jpg", "obama.jpg", "obama3.jpg"], False),
    "blink with obama2, obama_partial_face, obama3": ("blink", ["obama2.jpg", "obama_partial_face.jpg", "obama3.jpg"],
                                                      False),
    "turn_left with the same photos mirrored": ("turn_left", ["obama2.jpg", "obama.jpg", "obama3.jpg"], True),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
@pytest.mark.parametrize("sized", [False, True], ids=["as_published", "camera_sized"])
async def test_the_still_photo_attacks_of_the_walk_fail(mp_http, db, fake_wechat, monkeypatch, attack, sized):
    kind, names, mirror = ATTACKS[attack]
    pin(monkeypatch, kind)
    token = await consented(mp_http, db, fake_wechat)
    if sized:
        frames = [camera_sized(name, mirror=mirror) for name in names]
    else:
        frames = [ImageOps.mirror(Image.open(FACES / n)) if mirror else None for n in names]
        frames = [photo(n) if f is None else _jpeg(f) for n, f in zip(names, frames)]
    _, response = await attempt(mp_http, token, photo("obama.jpg"), photo("obama2.jpg"), frames)
    not_passed(response)
    row = await FaceAttempt.get()
    assert row.challenge == kind and not row.passed and row.outcome == "liveness_failed"
    assert row.liveness in ("frame_size", "discontinuous", "no_reopen", "no_blink", "wrong_direction", "no_turn")


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


async def test_a_challenge_cannot_be_re_rolled_inside_its_window(mp_http, db, fake_wechat):
    token = await consented(mp_http, db, fake_wechat)
    first = (await mp_http.post("/mp/api/v1/face/challenge", headers=auth(token))).json()
    for _ in range(5):
        again = (await mp_http.post("/mp/api/v1/face/challenge", headers=auth(token))).json()
        assert (again["challenge_id"], again["kind"]) == (first["challenge_id"], first["kind"])
        assert again["expires_at"] == first["expires_at"]
    # A second WeChat login of the same person gets the same action, not a fresh draw.
    other = await login(mp_http, fake_wechat)
    from identity.models import Session

    mine = await Session.filter(kind="mp").order_by("id").first()
    theirs = await Session.filter(kind="mp").order_by("-id").first()
    await Session.filter(id=theirs.id).update(data={**theirs.data, **{k: mine.data[k] for k in (
        "phone_index", "identity_at", "id_number_index", "face_consent")}})
    assert (await mp_http.post("/mp/api/v1/face/challenge", headers=auth(other))).json()["kind"] == first["kind"]
    # Failing and asking again inside the window: a new id, the same action.
    still = photo("obama2.jpg")
    not_passed((await attempt(mp_http, token, photo("obama.jpg"), still, [still] * 3,
                              challenge_id=first["challenge_id"]))[1])
    after = (await mp_http.post("/mp/api/v1/face/challenge", headers=auth(token))).json()
    assert after["kind"] == first["kind"] and after["challenge_id"] != first["challenge_id"]
    # Once the window is over, the server draws again.
    row = await FaceLockout.get()
    past = (datetime.now(timezone.utc) - timedelta(seconds=1)).isoformat()
    await FaceLockout.filter(id=row.id).update(state={**row.state, "challenge": {
        **row.state["challenge"], "pinned_until": past, "issued_at": past, "id": None}})
    fresh = (await mp_http.post("/mp/api/v1/face/challenge", headers=auth(token))).json()
    assert fresh["challenge_id"] not in (first["challenge_id"], after["challenge_id"])


async def test_another_person_and_pictures_without_one_face_say_only_not_passed(mp_http, db, fake_wechat):
    token = await consented(mp_http, db, fake_wechat)
    other = photo("biden.jpg")
    not_passed((await attempt(mp_http, token, photo("obama.jpg"), other, [other] * 3))[1])
    blank = jpeg((400, 400))
    not_passed((await attempt(mp_http, token, photo("obama.jpg"), blank, [blank] * 3))[1])
    two = photo("two_people.jpg")
    not_passed((await attempt(mp_http, token, photo("obama.jpg"), two, [two] * 3))[1])
    outcomes = [(a.outcome, a.distance is not None) for a in await FaceAttempt.all().order_by("id")]
    assert outcomes == [("mismatch", True), ("no_face", False), ("many_faces", False)]


async def test_frame_times_must_come_with_the_frames(mp_http, db, fake_wechat):
    token = await consented(mp_http, db, fake_wechat)
    still = photo("obama2.jpg")
    _, response = await attempt(mp_http, token, photo("obama.jpg"), still, [still] * 3, frame_ms="0,200")
    assert response.status_code == 422 and response.json()["error"]["code"] == "face_frame_times_invalid"
    assert not await FaceAttempt.exists()


async def test_twenty_failures_disable_face_offer_sms_and_hide_routes_face(mp_http, db, fake_wechat):
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
    routes = (await mp_http.get("/mp/api/v1/session", headers=auth(token))).json()["routes"]
    assert routes["face"] is False and routes["sms"] is True


async def test_five_failures_in_a_row_make_the_person_wait(mp_http, db, fake_wechat):
    token = await consented(mp_http, db, fake_wechat)
    still = photo("obama2.jpg")
    for _ in range(5):
        _, response = await attempt(mp_http, token, photo("obama.jpg"), still, [still] * 3)
        body = not_passed(response)
    assert 0 < int(response.headers["retry-after"]) <= 30 and body["lockout"]["code"] == "face_locked"
    refused = await mp_http.post("/mp/api/v1/face/challenge", headers=auth(token))
    assert refused.status_code == 429, refused.text
    body = refused.json()["error"]
    assert body["code"] == "face_locked" and 0 < body["details"]["retry_after"] <= 30
    assert body["details"]["alternative"] == "sms" and refused.headers["retry-after"]
    assert (await mp_http.get("/mp/api/v1/session", headers=auth(token))).json()["routes"]["face"] is False


def blink_frames() -> list[bytes]:
    from tests.identity.face import synth

    pixels, landmarks = synth.face(photo("obama2.jpg"))
    return [synth.jpeg(pixels, 95), synth.jpeg(synth.close_eyes(pixels, landmarks), 93), synth.jpeg(pixels, 90)]


async def test_a_blink_with_photo_album_timing_fails(mp_http, db, fake_wechat, monkeypatch):
    pin(monkeypatch, "blink")
    token = await consented(mp_http, db, fake_wechat)
    _, response = await attempt(mp_http, token, photo("obama.jpg"), photo("obama2.jpg"), blink_frames(),
                                frame_ms="0,10,20")  # 100 frames a second: no phone camera
    not_passed(response)
    assert (await FaceAttempt.get()).liveness == "timing_gap"


async def test_a_genuine_blink_verifies_and_signs_with_a_face_proof(mp_http, db, fake_wechat, monkeypatch):
    from identity.mp_models import MpBinding
    from receipts.assemble import identity_proof_text
    from service.choices import Channel
    from service.models import Delivery, Signature
    from tests.factories import signature_png

    pin(monkeypatch, "blink")
    token = await consented(mp_http, db, fake_wechat)
    _, response = await attempt(mp_http, token, photo("obama.jpg"), photo("obama2.jpg"), blink_frames())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["passed"] is True and "distance" not in body
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
    text = identity_proof_text(proof)
    assert "活体检测（动作：眨眼）通过" in text and "passed" not in text
