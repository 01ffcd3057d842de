"""LocalFaceVerifier end to end on fixture photos: match, liveness, one person throughout."""
from __future__ import annotations

import numpy as np
import pytest

from identity.face import errors
from identity.face.verifier import ChallengeKind, FaceVerdict, FaceVerifier, LocalFaceVerifier
from tests.identity.face import synth
from tests.paths import FACES


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


def blink(name: str) -> list[bytes]:
    pixels, lm = synth.face(photo(name))
    return [synth.jpeg(pixels, 95), synth.jpeg(synth.close_eyes(pixels, lm), 93), synth.jpeg(pixels, 90)]


@pytest.fixture(scope="module")
def verifier() -> LocalFaceVerifier:
    return LocalFaceVerifier(0.45)


def no_image_data(value) -> bool:
    if isinstance(value, dict):
        return all(no_image_data(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(no_image_data(v) for v in value)
    return isinstance(value, (int, float, str, bool, type(None)))


def test_it_is_a_face_verifier(verifier):
    assert isinstance(verifier, FaceVerifier)
    assert verifier.threshold == 0.45


def test_genuine_selfie_with_a_blink_passes(verifier):
    verdict = verifier.verify(photo("obama.jpg"), photo("obama2.jpg"), ChallengeKind.BLINK, blink("obama2.jpg"))
    assert isinstance(verdict, FaceVerdict)
    assert verdict.passed and verdict.liveness_reason == "passed" and verdict.liveness == "passed"
    assert verdict.distance <= 0.45 and verdict.threshold == 0.45
    assert no_image_data(verdict.metrics), verdict.metrics
    assert all(isinstance(v, (int, float, str, bool, type(None))) for v in verdict.metrics.values())
    assert verdict.metrics["challenge"] == "blink" and verdict.metrics["min_ear_ratio"] < 0.75
    assert verdict.metrics["selfie_frames_distance"] < 0.45


def test_still_photo_replay_fails_even_when_the_face_matches(verifier):
    still = photo("obama2.jpg")
    verdict = verifier.verify(photo("obama.jpg"), still, ChallengeKind.TURN_LEFT, [still] * 4)
    assert not verdict.passed and verdict.liveness_reason == "still_image"
    assert verdict.distance <= 0.45  # the match itself was fine: the audit shows why it failed


def test_impostor_fails_on_distance(verifier):
    verdict = verifier.verify(photo("obama.jpg"), photo("lin-manuel-miranda.png"), ChallengeKind.BLINK,
                              blink("lin-manuel-miranda.png"))
    assert not verdict.passed and verdict.distance > 0.45
    assert verdict.liveness_reason == "passed"  # a live impostor is still an impostor


def test_frames_of_someone_else_fail_as_different_person(verifier):
    """A matching selfie (say, a photo of the recipient) with a live blink by another person."""
    verdict = verifier.verify(photo("obama.jpg"), photo("obama2.jpg"), ChallengeKind.BLINK,
                              blink("lin-manuel-miranda.png"))
    assert not verdict.passed and verdict.liveness_reason == "different_person"
    assert verdict.metrics["selfie_frames_distance"] > 0.45


def test_bad_images_raise_errors_naming_the_image(verifier):
    blank = synth.jpeg(np.full((300, 300, 3), 170, dtype=np.uint8))
    with pytest.raises(errors.NoFace) as caught:
        verifier.verify(photo("obama.jpg"), blank, ChallengeKind.BLINK, [blank] * 3)
    assert caught.value.details == {"image": "selfie"}
    with pytest.raises(errors.NoFace) as caught:
        verifier.verify(blank, photo("obama2.jpg"), ChallengeKind.BLINK, [photo("obama2.jpg")] * 3)
    assert caught.value.details == {"image": "reference"}
    with pytest.raises(errors.ManyFaces):
        verifier.verify(photo("obama.jpg"), photo("two_people.jpg"), ChallengeKind.BLINK, [photo("obama2.jpg")] * 3)
    with pytest.raises(errors.ImageFormat):
        verifier.verify(photo("obama.jpg"), b"GIF89a....", ChallengeKind.BLINK, [photo("obama2.jpg")] * 3)


async def test_verify_async(verifier):
    still = photo("obama2.jpg")
    verdict = await verifier.verify_async(photo("obama.jpg"), still, ChallengeKind.BLINK, [still] * 3)
    assert not verdict.passed and verdict.liveness_reason == "still_image"
