"""Challenge liveness: the landmark maths on arrays, then whole sequences built from fixture photos.

There is no real video here. Still-photo replays (repeated, re-encoded, noisy, or a flat photo
tilted and moved) are real attacks and must fail. Genuine blinks and turns are synthesised
(tests/identity/face/synth.py): dlib's landmarks follow a painted blink on some faces only, so
the blink and turn rules are also pinned on landmark arrays.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from PIL import Image

from identity.face import errors, liveness
from identity.face.liveness import (
    BLINK_DROP,
    TURN_SHIFT,
    ChallengeKind,
    align,
    check_liveness,
    evaluate,
    eye_aspect_ratio,
    eyes_aspect_ratio,
    new_challenge,
    nose_offset,
)
from tests.identity.face import synth
from tests.paths import FACES


def photo(name: str) -> bytes:
    return (FACES / name).read_bytes()


# -- landmark maths --------------------------------------------------------------------------------

def test_eye_aspect_ratio():
    open_eye = [(0, 0), (1, -1), (2, -1), (3, 0), (2, 1), (1, 1)]
    assert eye_aspect_ratio(open_eye) == pytest.approx(2 / 3)
    closed = [(0, 0), (1, -0.1), (2, -0.1), (3, 0), (2, 0.1), (1, 0.1)]
    assert eye_aspect_ratio(closed) == pytest.approx(0.2 / 3)
    assert eye_aspect_ratio([(0, 0)] * 6) == 0.0


@pytest.fixture(scope="module")
def landmarks() -> np.ndarray:
    return synth.face(photo("obama2.jpg"))[1]


def closed(lm: np.ndarray, amount: float = 0.8) -> np.ndarray:
    """Eyelids moved towards the line between the eye corners."""
    out = lm.copy()
    for start in (36, 42):
        eye = out[start:start + 6]
        for lid in (1, 2, 4, 5):
            corner_line_y = (eye[0, 1] + eye[3, 1]) / 2
            eye[lid, 1] += amount * (corner_line_y - eye[lid, 1])
    return out


def turned(lm: np.ndarray, shift: float) -> np.ndarray:
    """The nose moved sideways by ``shift`` inter-ocular distances (eyes and mouth stay)."""
    out = lm.copy()
    span = liveness.inter_ocular(lm)
    out[27:36, 0] += shift * span * np.array([0.2, 0.4, 0.7, 1.0, 0.8, 0.9, 1.0, 0.9, 0.8])
    return out


def flat_affine(lm: np.ndarray, matrix) -> np.ndarray:
    m = np.asarray(matrix, dtype=np.float64)
    return lm @ m[:, :2].T + m[:, 2]


def test_nose_offset_is_in_image_coordinates(landmarks):
    base = nose_offset(landmarks)
    assert nose_offset(turned(landmarks, 0.2)) == pytest.approx(base + 0.2, abs=0.01)
    mirrored = landmarks.copy()
    mirrored[:, 0] = 1000 - mirrored[:, 0]
    assert nose_offset(mirrored) == pytest.approx(-base, abs=1e-9)


def test_align_undoes_any_affine_move_of_a_flat_photo(landmarks):
    moved = flat_affine(landmarks, [[0.8, 0.15, 30], [-0.1, 0.9, -12]])
    assert np.allclose(align(moved, landmarks), landmarks, atol=1e-6)


def test_blink_rule(landmarks):
    result = evaluate(ChallengeKind.BLINK, [landmarks, landmarks + 0.3, closed(landmarks), landmarks - 0.2])
    assert result.passed and result.reason == "passed"
    assert min(result.metrics["ear_ratios"]) < BLINK_DROP
    not_reopened = evaluate(ChallengeKind.BLINK, [landmarks, landmarks + 0.3, closed(landmarks)])
    assert not not_reopened.passed and not_reopened.reason == "no_reopen"
    half = evaluate(ChallengeKind.BLINK, [landmarks, closed(landmarks, 0.1), landmarks + 0.3])
    assert not half.passed and half.reason in ("no_blink", "still_image")


def test_turn_rules_and_direction(landmarks):
    right = [landmarks, turned(landmarks, TURN_SHIFT / 2), turned(landmarks, TURN_SHIFT + 0.05)]
    assert evaluate(ChallengeKind.TURN_RIGHT, right).passed
    wrong = evaluate(ChallengeKind.TURN_LEFT, right)
    assert not wrong.passed and wrong.reason == "wrong_direction"
    left = [landmarks, turned(landmarks, -(TURN_SHIFT + 0.05)), landmarks + 0.5]
    assert evaluate(ChallengeKind.TURN_LEFT, left).passed
    small = evaluate(ChallengeKind.TURN_LEFT, [landmarks, turned(landmarks, -0.08), turned(landmarks, -0.1)])
    assert not small.passed and small.reason == "no_turn"


@pytest.mark.parametrize("challenge", list(ChallengeKind))
def test_a_flat_photo_moved_squeezed_and_tilted_never_passes(landmarks, challenge):
    sequence = [landmarks] + [flat_affine(landmarks, m) for m in (
        [[0.6, 0.0, 40], [0.0, 1.0, 0]],       # turned about the vertical axis
        [[1.0, 0.0, 0], [0.0, 0.55, 30]],      # tilted about the horizontal axis: eyes look "closed"
        [[0.9, 0.3, -20], [-0.2, 0.95, 10]],   # rotated and sheared
        [[1.0, 0.0, 0], [0.0, 1.0, 0]],
    )]
    raw_ratio = eyes_aspect_ratio(sequence[2]) / eyes_aspect_ratio(landmarks)
    assert raw_ratio < BLINK_DROP  # without alignment the tilt would pass for a blink
    result = evaluate(challenge, sequence)
    assert not result.passed and result.reason == "still_image"


def test_new_challenge_is_random_over_all_kinds():
    seen = Counter(new_challenge() for _ in range(300))
    assert set(seen) == set(ChallengeKind) and min(seen.values()) > 50
    assert ChallengeKind("turn_left") is ChallengeKind.TURN_LEFT and ChallengeKind.BLINK == "blink"


# -- whole sequences from images -------------------------------------------------------------------

@pytest.fixture(scope="module")
def obama2():
    return synth.face(photo("obama2.jpg"))


@pytest.mark.parametrize("challenge", list(ChallengeKind))
def test_the_same_photo_sent_again_is_a_still_image(challenge):
    still = photo("obama2.jpg")
    result = check_liveness(challenge, [still] * 5)
    assert not result.passed and result.reason == "still_image"
    assert result.metrics["shape_change"] == 0 and result.metrics["pixel_diff"] == 0


@pytest.mark.parametrize("challenge", list(ChallengeKind))
def test_a_photo_re_encoded_with_noise_is_a_still_image(obama2, challenge):
    pixels, _ = obama2
    rng = np.random.default_rng(7)
    frames = [synth.jpeg(np.clip(pixels + rng.normal(0, sigma, pixels.shape), 0, 255).astype(np.uint8), quality)
              for sigma, quality in ((0, 95), (1.5, 90), (2.5, 85), (3, 80))]
    result = check_liveness(challenge, frames)
    assert not result.passed and result.reason == "still_image", result.metrics


@pytest.mark.parametrize("challenge", list(ChallengeKind))
def test_a_printed_photo_moved_in_front_of_the_camera_fails(obama2, challenge):
    pixels, lm = obama2
    # A printed portrait: the head and shoulders only (obama2.jpg has a second person at its edge).
    (x0, y0), (x1, y1) = lm.min(axis=0).astype(int), lm.max(axis=0).astype(int)
    pad = (x1 - x0) // 2
    pixels = np.ascontiguousarray(pixels[max(0, y0 - 2 * pad):y1 + pad, max(0, x0 - pad):x1 + pad])
    frames = [synth.jpeg(pixels)] + [synth.jpeg(w) for w in synth.flat_warps(pixels)[:4]]
    result = check_liveness(challenge, frames)
    assert not result.passed, result.metrics
    assert result.reason in ("still_image", "no_blink", "no_turn"), result.reason


@pytest.mark.parametrize("name", ["obama2.jpg", "lin-manuel-miranda.png"])
def test_a_synthetic_blink_passes(name):
    pixels, lm = synth.face(photo(name))
    frames = [synth.jpeg(pixels, 95), synth.jpeg(synth.close_eyes(pixels, lm), 93), synth.jpeg(pixels, 90)]
    result = check_liveness(ChallengeKind.BLINK, frames)
    assert result.passed and result.reason == "passed", result.metrics
    assert result.same_person_distance is not None and result.same_person_distance < liveness.SEQUENCE_THRESHOLD
    turn = check_liveness(ChallengeKind.TURN_LEFT, frames)
    assert not turn.passed  # the right movement for the wrong challenge


@pytest.mark.parametrize("name,amount", [("biden.jpg", 0.55), ("obama.jpg", 0.45)])
def test_a_synthetic_turn_passes_in_its_direction_only(name, amount):
    """dlib's nose follows the warp by a third to a half, unevenly: these two pairs are the ones
    where it follows in both directions; elsewhere the synthetic turn can fall short (no_turn)."""
    pixels, lm = synth.face(photo(name))
    right = [pixels, synth.shift_nose(pixels, lm, amount / 2), synth.shift_nose(pixels, lm, amount)]
    frames = [synth.jpeg(f) for f in right]
    assert check_liveness(ChallengeKind.TURN_RIGHT, frames).passed
    wrong = check_liveness(ChallengeKind.TURN_LEFT, frames)
    assert not wrong.passed and wrong.reason == "wrong_direction"
    # The same movement seen in a mirror is a turn to the image's left.
    mirrored = [synth.jpeg(np.ascontiguousarray(f[:, ::-1])) for f in right]
    assert check_liveness(ChallengeKind.TURN_LEFT, mirrored).passed
    assert not check_liveness(ChallengeKind.TURN_RIGHT, mirrored).passed
    assert not check_liveness(ChallengeKind.BLINK, frames).passed


def test_frame_count_is_3_to_8():
    still = photo("obama2.jpg")
    for count in (0, 2, 9):
        with pytest.raises(errors.LivenessFrames) as caught:
            check_liveness(ChallengeKind.BLINK, [still] * count)
        assert caught.value.code == "liveness_frames"


def test_frames_must_show_exactly_one_face():
    blank = synth.jpeg(np.full((300, 300, 3), 170, dtype=np.uint8))
    with pytest.raises(errors.NoFace) as caught:
        check_liveness(ChallengeKind.BLINK, [blank, photo("obama2.jpg"), photo("obama2.jpg")])
    assert caught.value.details == {"image": "frame", "index": 0}
    with pytest.raises(errors.ManyFaces) as caught:
        check_liveness(ChallengeKind.BLINK, [photo("obama2.jpg"), photo("two_people.jpg"), photo("obama2.jpg")])
    assert caught.value.details == {"image": "frame", "index": 1}
    # A later frame without a face (turned too far for the frontal detector) is skipped; it comes
    # from the same camera, so it has the other frames' size.
    width, height = Image.open(FACES / "obama2.jpg").size
    empty = synth.jpeg(np.full((height, width, 3), 170, dtype=np.uint8))
    result = check_liveness(ChallengeKind.BLINK, [photo("obama2.jpg"), empty, photo("obama2.jpg")])
    assert result.metrics["skipped_frames"] == 1 and not result.passed
    # A frame of another size is another camera (or a photo album): refused before the challenge.
    assert check_liveness(ChallengeKind.BLINK, [photo("obama2.jpg"), photo("obama.jpg"), photo("obama2.jpg")]).reason \
        == "frame_size"


def test_capture_times_must_be_a_cameras():
    from identity.face.liveness import timing_problem

    assert timing_problem([0, 200, 400], 3) is None
    assert timing_problem([0, 200], 3) == "timing_count"
    assert timing_problem([0, 400, 200], 3) == "timing_gap"  # not monotonic
    assert timing_problem([0, 10, 20], 3) == "timing_gap"  # faster than a phone camera
    assert timing_problem([0, 3000, 3200], 3) == "timing_gap"  # an album, not a sequence
    assert timing_problem([0, 900, 1800, 2700, 3600, 4500, 5400, 6300], 8) == "timing_span"


def test_frames_of_different_sizes_are_another_camera(obama2):
    pixels, _ = obama2
    half = Image.fromarray(pixels).resize((pixels.shape[1] // 2, pixels.shape[0] // 2))
    small = synth.jpeg(np.asarray(half))
    result = check_liveness(ChallengeKind.BLINK, [synth.jpeg(pixels), small, synth.jpeg(pixels, 80)])
    assert not result.passed and result.reason == "frame_size"


def test_continuity_between_frames_is_position_scale_and_identity():
    from identity.face.liveness import CONTINUITY_ENCODING, continuity

    same = np.zeros(128)
    near = np.full(128, 0.01)  # distance 0.11
    far = np.full(128, CONTINUITY_ENCODING / np.sqrt(128) + 0.01)
    box = (100, 300, 300, 100)  # top, right, bottom, left
    ok, metrics = continuity([box, (104, 304, 304, 104)], [60.0, 61.0], [same, near])
    assert ok and metrics["max_step_shift"] < 0.1
    moved, _ = continuity([box, (100, 330, 300, 130)], [60.0, 60.0], [same, same])  # 30 px = 0.5 eye spans
    assert not moved
    rescaled, _ = continuity([box, box], [60.0, 75.0], [same, same])  # 1.25× closer in one frame
    assert not rescaled
    other, metrics = continuity([box, box], [60.0, 60.0], [same, far])
    assert not other and metrics["max_step_distance"] > CONTINUITY_ENCODING
