"""Liveness by challenge (活体检测): blink, or turn the head left or right, across 3–8 frames.

Frame 0 is the baseline. Every later frame's 68 landmarks are first mapped onto frame 0's by the
affine transform that best aligns six points a blink or a small turn barely moves (the four eye
corners and the two mouth corners). A photograph held to the camera, moved, tilted or bent gently,
is one plane: the affine map explains all of its landmarks, so neither its eyelids nor its nose
tip move after alignment — it cannot blink or turn. A live face does both: eyelids close against
the fixed eye corners, and the nose tip, ~3 cm in front of the eye plane, shifts sideways (parallax)
when the head turns.

- BLINK: the eye aspect ratio (EAR, Soukupová & Čech 2016) of an aligned later frame drops below
  ``BLINK_DROP`` × the baseline's, and a frame after it reopens to ``BLINK_RECOVER`` × baseline.
  The baseline is the person's own open-eye EAR (0.19–0.22 measured), never a fixed 0.2.
- TURN_LEFT / TURN_RIGHT: the nose tip's horizontal offset from the eye midpoint, divided by the
  inter-ocular distance, moves by at least ``TURN_SHIFT`` towards the image's left (smaller x) or
  right (larger x). Directions are in the coordinates of the frames as uploaded, not the person's
  own left: the client must upload frames as its preview showed them (a mirrored selfie preview
  and mirrored frames, or neither) and word the prompt by the screen: "请向屏幕左侧转头".
- Identical or near-identical frames (the same picture sent several times, re-encoded or with a
  little noise) fail with ``still_image`` before the challenge is looked at.
- A camera's sequence, not a collection of photos: when the caller passes the frames' capture
  times (remote capture), they must be strictly increasing and spaced like a camera's
  (``timing``); every frame must have frame 0's dimensions (``frame_size``); and each frame must
  continue the previous one — the face box centre moves at most ``CONTINUITY_SHIFT`` inter-ocular
  distances, its scale at most ``CONTINUITY_SCALE``, and its encoding at most
  ``CONTINUITY_ENCODING`` (``discontinuous``, checked once the challenge itself was met). Three different photos of one person (the walk in
  issue 22: obama2, obama, obama3 resized to one size) differ by 0.48–2.2 inter-ocular distances in
  position, 0.63–0.92 in scale and 0.32–0.50 in encoding between neighbours; consecutive frames of
  one capture differ by a small fraction of that.

What this does not stop: a video of the person answering the same challenge, a digitally edited
sequence (eyes painted shut — the tests do exactly that), a 3-D mask. It raises the cost above a
printed or on-screen still photo; WeChat 人脸核身 (the other FaceVerifier) is the stronger check.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from identity.face import engine
from identity.face.errors import FaceImageError, LivenessFrames, ManyFaces, NoFace
from identity.face.images import load_image

MIN_FRAMES = 3
MAX_FRAMES = 8

BLINK_DROP = 0.75
BLINK_RECOVER = 0.85
# Nose-tip parallax ≈ 0.53 × tan(yaw) of the inter-ocular distance (nose tip ~33 mm in front of
# the eye plane, eyes ~62 mm apart): 0.15 is a turn of about 16°; HOG stops finding a face near 40°.
TURN_SHIFT = 0.15
# Still-photo replay: the face's largest tile difference in grey levels (0–255), or the largest
# aligned landmark movement (in inter-ocular distances): either this small means nothing moved.
STILL_PIXEL_DIFF = 6.0
STILL_SHAPE = 0.03

# The frames must be one person throughout; head turns move a face's encoding by up to ~0.5, so
# frame-to-frame consistency uses face_recognition's own 0.6, not the stricter identity threshold.
SEQUENCE_THRESHOLD = 0.6

# Camera timing (milliseconds between consecutive frames, and the whole sequence) and frame-to-
# frame continuity (see the module docstring for the figures the walk's photo attacks gave).
MIN_FRAME_GAP_MS = 30
MAX_FRAME_GAP_MS = 1000
MAX_SEQUENCE_MS = 6000
CONTINUITY_SHIFT = 0.35
CONTINUITY_SCALE = 1.15
# Loose on purpose: the synthetic blink of the tests (eyelids painted over) moves the encoding by
# 0.33, and there is no real video here to measure a live blink or turn on; position and scale
# carry the check. A court enabling remote local matching should re-measure this on its own clips.
CONTINUITY_ENCODING = 0.45

# iBUG 68-point indices.
RIGHT_EYE = slice(36, 42)   # the subject's right eye: on the image's left in an unmirrored photo
LEFT_EYE = slice(42, 48)
NOSE_TIP = 30
ANCHORS = [36, 39, 42, 45, 48, 54]  # eye corners and mouth corners


class ChallengeKind(str, Enum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"


def new_challenge() -> ChallengeKind:
    return secrets.choice(list(ChallengeKind))


@dataclass
class LivenessResult:
    passed: bool
    reason: str  # "passed", "still_image", "no_blink", "no_turn", "too_few_faces", …
    metrics: dict = field(default_factory=dict)
    # Largest encoding distance between frame 0's face and a later frame's: the sequence must be
    # one person (and the caller compares frame 0 with the matched selfie).
    same_person_distance: float | None = None
    baseline_encoding: np.ndarray | None = field(default=None, repr=False)


# -- landmark maths (pure) -------------------------------------------------------------------------

def eye_aspect_ratio(points) -> float:
    """EAR of one eye's six landmarks p1…p6: (|p2−p6| + |p3−p5|) / (2 |p1−p4|)."""
    p = np.asarray(points, dtype=np.float64)
    width = np.linalg.norm(p[0] - p[3])
    if width == 0:
        return 0.0
    return float((np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4])) / (2.0 * width))


def eyes_aspect_ratio(landmarks) -> float:
    """Mean EAR of both eyes of a (68, 2) landmark array."""
    lm = np.asarray(landmarks, dtype=np.float64)
    return (eye_aspect_ratio(lm[RIGHT_EYE]) + eye_aspect_ratio(lm[LEFT_EYE])) / 2.0


def inter_ocular(landmarks) -> float:
    lm = np.asarray(landmarks, dtype=np.float64)
    return float(np.linalg.norm(lm[RIGHT_EYE].mean(axis=0) - lm[LEFT_EYE].mean(axis=0)))


def nose_offset(landmarks) -> float:
    """Horizontal offset of the nose tip from the midpoint of the two eye centres, in inter-ocular
    distances; positive towards larger x (the image's right)."""
    lm = np.asarray(landmarks, dtype=np.float64)
    middle = (lm[RIGHT_EYE].mean(axis=0) + lm[LEFT_EYE].mean(axis=0)) / 2.0
    span = inter_ocular(lm)
    return 0.0 if span == 0 else float((lm[NOSE_TIP][0] - middle[0]) / span)


def align(landmarks, baseline) -> np.ndarray:
    """``landmarks`` mapped into ``baseline``'s coordinates by the least-squares affine transform
    of the anchor points (eye and mouth corners)."""
    lm = np.asarray(landmarks, dtype=np.float64)
    base = np.asarray(baseline, dtype=np.float64)
    source = np.hstack([lm[ANCHORS], np.ones((len(ANCHORS), 1))])
    matrix, *_ = np.linalg.lstsq(source, base[ANCHORS], rcond=None)
    return np.hstack([lm, np.ones((len(lm), 1))]) @ matrix


def evaluate(challenge: ChallengeKind, sequence: list, *, pixel_diffs: list[float] | None = None) -> LivenessResult:
    """Judge a landmark sequence (frame 0 first, each a (68, 2) array). ``pixel_diffs`` are the
    later frames' face differences from frame 0 (grey levels), when images were available."""
    challenge = ChallengeKind(challenge)
    if len(sequence) < 2:
        return LivenessResult(False, "too_few_faces", {"faces": len(sequence)})
    base = np.asarray(sequence[0], dtype=np.float64)
    span = inter_ocular(base)
    if span <= 0:
        return LivenessResult(False, "too_few_faces", {"faces": len(sequence)})
    aligned = [align(lm, base) for lm in sequence[1:]]
    shape_change = max(float(np.max(np.linalg.norm(a - base, axis=1))) / span for a in aligned)
    base_ear = eyes_aspect_ratio(base)
    ears = [eyes_aspect_ratio(a) for a in aligned]
    base_nose = nose_offset(base)
    shifts = [nose_offset(a) - base_nose for a in aligned]
    metrics = {
        "challenge": challenge.value,
        "frames": len(sequence),
        "baseline_ear": round(base_ear, 4),
        "ear_ratios": [round(e / base_ear, 3) if base_ear else 0.0 for e in ears],
        "nose_shifts": [round(s, 3) for s in shifts],
        "shape_change": round(shape_change, 4),
    }
    if pixel_diffs is not None:
        metrics["pixel_diff"] = round(max(pixel_diffs), 2) if pixel_diffs else 0.0
    if shape_change < STILL_SHAPE or (pixel_diffs is not None and max(pixel_diffs, default=0.0) < STILL_PIXEL_DIFF):
        return LivenessResult(False, "still_image", metrics)
    if challenge is ChallengeKind.BLINK:
        if base_ear <= 0:
            return LivenessResult(False, "no_blink", metrics)
        ratios = [e / base_ear for e in ears]
        closed = [i for i, r in enumerate(ratios) if r < BLINK_DROP]
        if not closed:
            return LivenessResult(False, "no_blink", metrics)
        reopened = any(r >= BLINK_RECOVER for r in ratios[closed[0] + 1:])
        return LivenessResult(reopened, "passed" if reopened else "no_reopen", metrics)
    sign = -1.0 if challenge is ChallengeKind.TURN_LEFT else 1.0
    if max(sign * s for s in shifts) >= TURN_SHIFT:
        return LivenessResult(True, "passed", metrics)
    wrong = max(-sign * s for s in shifts) >= TURN_SHIFT
    return LivenessResult(False, "wrong_direction" if wrong else "no_turn", metrics)


# -- images ------------------------------------------------------------------------------------------

def patch_difference(a: np.ndarray, b: np.ndarray, block: int = 8) -> float:
    """The largest mean absolute grey-level difference over ``block`` × ``block`` tiles of two face
    patches: a blink changes two small tiles a lot, camera noise changes every tile a little."""
    diff = np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))
    rows, cols = diff.shape[0] // block, diff.shape[1] // block
    tiles = diff[:rows * block, :cols * block].reshape(rows, block, cols, block).mean(axis=(1, 3))
    return float(tiles.max())


def _face_patch(image: np.ndarray, box: engine.Box, size: int = 64) -> np.ndarray:
    top, right, bottom, left = box
    crop = image[max(0, top):max(top + 1, bottom), max(0, left):max(left + 1, right)]
    grey = crop.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    rows = np.linspace(0, grey.shape[0] - 1, size).astype(int)
    cols = np.linspace(0, grey.shape[1] - 1, size).astype(int)
    return grey[np.ix_(rows, cols)]


def timing_problem(times_ms: list[int], frames: int) -> str | None:
    """Why these capture times are not one camera's sequence, or None."""
    if len(times_ms) != frames:
        return "timing_count"
    gaps = [b - a for a, b in zip(times_ms, times_ms[1:])]
    if any(not MIN_FRAME_GAP_MS <= gap <= MAX_FRAME_GAP_MS for gap in gaps):
        return "timing_gap"
    if times_ms[-1] - times_ms[0] > MAX_SEQUENCE_MS:
        return "timing_span"
    return None


def continuity(boxes: list, spans: list[float], encodings: list) -> tuple[bool, dict]:
    """Whether each detected frame continues the previous one (position, scale, identity)."""
    shifts, scales, distances = [], [], []
    for i in range(1, len(boxes)):
        (t0, r0, b0, l0), (t1, r1, b1, l1) = boxes[i - 1], boxes[i]
        centre = np.hypot((l1 + r1 - l0 - r0) / 2.0, (t1 + b1 - t0 - b0) / 2.0)
        shifts.append(float(centre) / spans[i - 1] if spans[i - 1] else 99.0)
        scales.append(max(spans[i], spans[i - 1]) / max(min(spans[i], spans[i - 1]), 1e-6))
        distances.append(engine.distance(encodings[i - 1], encodings[i]))
    metrics = {"max_step_shift": round(max(shifts, default=0.0), 3),
               "max_step_scale": round(max(scales, default=1.0), 3),
               "max_step_distance": round(max(distances, default=0.0), 4)}
    ok = (metrics["max_step_shift"] <= CONTINUITY_SHIFT and metrics["max_step_scale"] <= CONTINUITY_SCALE
          and metrics["max_step_distance"] <= CONTINUITY_ENCODING)
    return ok, metrics


def check_liveness(challenge: ChallengeKind, frames: list[bytes], times_ms: list[int] | None = None) -> LivenessResult:
    """Decode the frames in memory, find exactly one face in each, and judge the challenge.

    Frame 0 must show one face (NoFace / ManyFaces otherwise); a later frame with two faces is
    refused, one with none (a turn too far for the frontal detector) is skipped. ``times_ms`` (the
    client's capture times) are required for remote capture and checked before any decoding; at
    a desk where staff watch the camera they may be None.
    """
    if not MIN_FRAMES <= len(frames) <= MAX_FRAMES:
        raise LivenessFrames()
    if times_ms is not None and (problem := timing_problem(list(times_ms), len(frames))):
        return LivenessResult(False, problem, {"frames": len(frames)})
    sequence, patches, encodings, boxes, spans, skipped, size = [], [], [], [], [], 0, None
    for index, data in enumerate(frames):
        try:
            image = load_image(data)
            found = engine.find_faces(image) if index == 0 else engine.detect(image)
            if len(found) > 1:
                raise ManyFaces()
            if not found and index == 0:
                raise NoFace()
        except FaceImageError as exc:
            exc.details = {"image": "frame", "index": index}
            raise
        size = size or image.shape[:2]
        if image.shape[:2] != size:  # one camera gives one frame size
            return LivenessResult(False, "frame_size", {"frames": len(frames), "index": index})
        if not found:
            skipped += 1
            continue
        box = found[0]
        landmarks = engine.landmarks68(image, box)
        sequence.append(landmarks)
        patches.append(_face_patch(image, box))
        encodings.append(engine.encode(image, box))
        boxes.append(box)
        spans.append(inter_ocular(landmarks))
    continuous, steps = continuity(boxes, spans, encodings)
    diffs = [patch_difference(p, patches[0]) for p in patches[1:]]
    result = evaluate(challenge, sequence, pixel_diffs=diffs)
    result.metrics.update(steps)
    if result.passed and not continuous:
        result.passed, result.reason = False, "discontinuous"
    result.metrics["skipped_frames"] = skipped
    if len(encodings) > 1:
        result.same_person_distance = round(max(engine.distance(encodings[0], e) for e in encodings[1:]), 4)
        result.metrics["same_person_distance"] = result.same_person_distance
    result.baseline_encoding = encodings[0]
    return result
