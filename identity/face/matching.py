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
from identity.face.errors import FaceImageError, NoFace
from identity.face.images import DETECTION_SIDE, load_image

# A reference portrait with no face at detection size is looked at again at this size with
# upsampling (an ID card photographed from arm's length has a small portrait); only misses pay.
REFERENCE_RETRY_SIDE = 1600

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


def encode_reference(data: bytes) -> np.ndarray:
    """The reference portrait's encoding: the largest face, looked for harder than in a selfie."""
    try:
        image = load_image(data)
        boxes = engine.find_faces(image)
        if not boxes and max(image.shape[:2]) >= DETECTION_SIDE:  # smaller: nothing more to see
            image = load_image(data, max_side=REFERENCE_RETRY_SIDE)
            boxes = engine.detect(image, upsample=1)
        if not boxes:
            raise NoFace("证件照或参考照片中未检测到人像，请重新拍摄清晰的证件人像面")
        return engine.encode(image, max(boxes, key=engine.area))
    except FaceImageError as exc:
        exc.details = {"image": "reference"}
        raise


def encode_selfie(data: bytes) -> np.ndarray:
    try:
        return encode_one(load_image(data))
    except FaceImageError as exc:
        exc.details = {"image": "selfie"}
        raise


def match(reference_encoding: np.ndarray, selfie_encoding: np.ndarray, *,
          threshold: float = DEFAULT_THRESHOLD) -> MatchResult:
    value = round(engine.distance(reference_encoding, selfie_encoding), 4)  # the audited number decides
    return MatchResult(distance=value, threshold=threshold, matched=value <= threshold)


def compare(reference: bytes, selfie: bytes, *, threshold: float = DEFAULT_THRESHOLD) -> MatchResult:
    """Decode both photos in memory, encode one face each, compare. CPU-bound (bench/face.py): call it in
    a thread, or use ``compare_async``."""
    selfie_encoding = encode_selfie(selfie)
    reference_encoding = encode_reference(reference)
    return match(reference_encoding, selfie_encoding, threshold=threshold)


async def compare_async(reference: bytes, selfie: bytes, *, threshold: float = DEFAULT_THRESHOLD) -> MatchResult:
    return await asyncio.to_thread(compare, reference, selfie, threshold=threshold)


def warm_up() -> float:
    return engine.warm_up()
