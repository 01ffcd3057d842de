"""The face verifier interface and the local implementation (match + liveness on our own CPU).

A ``FaceVerdict`` carries numbers and decisions for the audit row, never image data. The WeChat
人脸核身 2.0 route (miniprogram_api.wechat_face) is the other implementation of the same step.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from identity.face import engine
from identity.face.liveness import SEQUENCE_THRESHOLD, ChallengeKind, check_liveness
from identity.face.matching import DEFAULT_THRESHOLD, encode_reference, encode_selfie, match

__all__ = ["ChallengeKind", "FaceVerdict", "FaceVerifier", "LocalFaceVerifier"]


@dataclass(frozen=True)
class FaceVerdict:
    passed: bool
    distance: float | None  # selfie ↔ reference; None when it was not computed
    threshold: float
    liveness_reason: str  # "passed", "still_image", "no_blink", "different_person", …
    metrics: dict = field(default_factory=dict)

    @property
    def liveness(self) -> str:
        return self.liveness_reason


@runtime_checkable
class FaceVerifier(Protocol):
    def verify(self, reference: bytes, selfie: bytes, challenge: ChallengeKind,
               frames: list[bytes], times_ms: list[int] | None = None) -> FaceVerdict:
        """CPU-bound: call it in a thread (``asyncio.to_thread``) or use ``verify_async``.
        Bad images and not-exactly-one face raise identity.face.errors' AppErrors."""
        ...


class LocalFaceVerifier:
    """face_recognition (dlib HOG + ResNet) for the match, landmarks for the liveness challenge."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold

    def verify(self, reference: bytes, selfie: bytes, challenge: ChallengeKind,
               frames: list[bytes], times_ms: list[int] | None = None) -> FaceVerdict:
        started = time.perf_counter()
        selfie_encoding = encode_selfie(selfie)
        reference_encoding = encode_reference(reference)
        result = match(reference_encoding, selfie_encoding, threshold=self.threshold)
        liveness = check_liveness(challenge, frames, times_ms)
        metrics = {"distance": result.distance, "threshold": self.threshold, **_flat(liveness.metrics)}
        reason = liveness.reason
        passed = result.matched and liveness.passed
        # The frames must show the person of the selfie (both frontal, same minute: the strict
        # threshold) and be one person throughout (poses differ: SEQUENCE_THRESHOLD).
        if liveness.baseline_encoding is not None:
            frames_distance = round(engine.distance(selfie_encoding, liveness.baseline_encoding), 4)
            metrics["selfie_frames_distance"] = frames_distance
            if frames_distance > self.threshold or (liveness.same_person_distance or 0.0) > SEQUENCE_THRESHOLD:
                passed, reason = False, "different_person"
        metrics["ms"] = round((time.perf_counter() - started) * 1000)
        return FaceVerdict(passed=passed, distance=result.distance, threshold=self.threshold,
                           liveness_reason=reason, metrics=metrics)

    async def verify_async(self, reference: bytes, selfie: bytes, challenge: ChallengeKind,
                           frames: list[bytes], times_ms: list[int] | None = None) -> FaceVerdict:
        return await asyncio.to_thread(self.verify, reference, selfie, challenge, frames, times_ms)


def _flat(liveness: dict) -> dict:
    """Liveness metrics as scalars for a JSON audit column: the lists become their extremes."""
    out = {}
    for key, value in liveness.items():
        if isinstance(value, (list, tuple)):
            if key == "ear_ratios":
                out["min_ear_ratio"] = min(value, default=None)
            elif key == "nose_shifts":
                out["min_nose_shift"] = min(value, default=None)
                out["max_nose_shift"] = max(value, default=None)
        else:
            out[key] = value
    return out
