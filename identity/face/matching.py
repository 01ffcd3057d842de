"""1:1 face matching (人脸比对): a selfie against a reference portrait.

The reference is a court-provided photo or the portrait on an uploaded ID-card front. When the
reference holds several faces, the largest is taken: ID documents may carry a small second
portrait (the "ghost image" on passports, Hong Kong and Macau cards, a hologram that prints as a
face), always smaller than the main photo. The selfie must hold exactly one face: a second person
in the frame is refused rather than guessed at.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import numpy as np

from identity.face import engine
from identity.face.images import load_image

# face_recognition's documented default is 0.6; 0.45 is stricter (docs/FACE.md has the measured rates).
DEFAULT_THRESHOLD = 0.45


@dataclass(frozen=True)
class MatchResult:
    distance: float
    threshold: float
    matched: bool


def encode_one(image: np.ndarray, *, largest: bool = False) -> np.ndarray:
    """The encoding of the one face in ``image`` (an array from ``load_image``).

    Raises NoFace, or ManyFaces unless ``largest`` picks the biggest face.
    """
    return engine.encode(image, engine.one_face(image, largest=largest))


def match(reference_encoding: np.ndarray, selfie_encoding: np.ndarray, *,
          threshold: float = DEFAULT_THRESHOLD) -> MatchResult:
    value = engine.distance(reference_encoding, selfie_encoding)
    return MatchResult(distance=round(value, 4), threshold=threshold, matched=value <= threshold)


def compare(reference: bytes, selfie: bytes, *, threshold: float = DEFAULT_THRESHOLD) -> MatchResult:
    """Decode both photos in memory, encode one face each, compare. CPU-bound (~250 ms): call it in
    a thread, or use ``compare_async``."""
    selfie_encoding = encode_one(load_image(selfie))
    reference_encoding = encode_one(load_image(reference), largest=True)
    return match(reference_encoding, selfie_encoding, threshold=threshold)


async def compare_async(reference: bytes, selfie: bytes, *, threshold: float = DEFAULT_THRESHOLD) -> MatchResult:
    return await asyncio.to_thread(compare, reference, selfie, threshold=threshold)


def warm_up() -> float:
    return engine.warm_up()
