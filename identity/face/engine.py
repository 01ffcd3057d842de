"""The one place that touches face_recognition / dlib: lazy import, detection, landmarks, encoding.

Importing face_recognition costs ~1.5 s and 160 MB, so it happens on first use or in
``warm_up()`` at start-up, never at module import. dlib releases the GIL, so callers run these
functions in a thread (``asyncio.to_thread``). dlib's HOG detector and ResNet encoder keep scratch
state inside the object (``object_detector::operator()`` loads the image pyramid into its scanner;
the net keeps its layer outputs), so each thread gets its own detector and encoder; the shape
predictors are const when called and are shared.
"""
from __future__ import annotations

import threading
import time
import warnings
from typing import Any

import numpy as np

from identity.face.errors import ManyFaces, NoFace

Box = tuple[int, int, int, int]  # (top, right, bottom, left), face_recognition's "css" order

_import_lock = threading.Lock()
_module: Any = None
_local = threading.local()


def library() -> Any:
    """The face_recognition module, imported once. A broken install raises RuntimeError."""
    global _module
    if _module is None:
        with _import_lock:
            if _module is None:
                from PIL import ImageFile

                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # pkg_resources deprecation, from the models package
                        import face_recognition
                except (ImportError, SystemExit) as exc:
                    # face_recognition_models calls quit() when pkg_resources is missing (setuptools ≥ 81).
                    raise RuntimeError(
                        "face_recognition is not usable: install dlib-bin, face_recognition_models and "
                        "face_recognition, with setuptools<81 (see docs/FACE.md)") from exc
                finally:
                    # face_recognition.api sets PIL's LOAD_TRUNCATED_IMAGES = True for the whole
                    # process on import: a cut-off upload would then decode with grey filler.
                    # Back to PIL's default (images.load_image also insists on it).
                    ImageFile.LOAD_TRUNCATED_IMAGES = False
                _module = face_recognition
    return _module


def _detector() -> Any:
    detector = getattr(_local, "detector", None)
    if detector is None:
        import dlib

        library()
        detector = _local.detector = dlib.get_frontal_face_detector()
    return detector


def _encoder() -> Any:
    encoder = getattr(_local, "encoder", None)
    if encoder is None:
        import dlib
        import face_recognition_models

        library()
        # ~22 MB a thread; asyncio's default pool has at most cpu_count + 4 threads.
        encoder = _local.encoder = dlib.face_recognition_model_v1(
            face_recognition_models.face_recognition_model_location())
    return encoder


def _rect(box: Box) -> Any:
    import dlib

    top, right, bottom, left = box
    return dlib.rectangle(left, top, right, bottom)


def warm_up() -> float:
    """Import face_recognition and run one tiny detection, landmark and encoding pass, so a broken
    install fails at start-up, not inside a request. Returns the seconds it took."""
    started = time.perf_counter()
    blank = np.zeros((64, 64, 3), dtype=np.uint8)
    detect(blank)
    box = (8, 56, 56, 8)
    landmarks68(blank, box)
    encode(blank, box)
    return time.perf_counter() - started


def detect(image: np.ndarray, *, upsample: int = 0) -> list[Box]:
    """Face boxes (HOG), largest first. Upsample 0 first; callers retry with 1 for small faces."""
    height, width = image.shape[:2]
    boxes = [(max(r.top(), 0), min(r.right(), width), min(r.bottom(), height), max(r.left(), 0))
             for r in _detector()(image, upsample)]
    return distinct(boxes)


def distinct(boxes: list[Box]) -> list[Box]:
    """Drop a detection whose centre lies inside a larger one: HOG sometimes fires on the lower
    half of a squeezed face, which is not a second person."""
    kept: list[Box] = []
    for box in sorted(boxes, key=area, reverse=True):
        top, right, bottom, left = box
        cy, cx = (top + bottom) / 2, (left + right) / 2
        if not any(t <= cy <= b and lft <= cx <= r for t, r, b, lft in kept):
            kept.append(box)
    return kept


def area(box: Box) -> int:
    top, right, bottom, left = box
    return max(0, bottom - top) * max(0, right - left)


def find_faces(image: np.ndarray) -> list[Box]:
    """Faces at upsample 0, retried at upsample 1 only when none is found (a small portrait on an
    ID card photographed from afar); the retry costs ~4× the detection, paid only on misses."""
    boxes = detect(image, upsample=0)
    return boxes or detect(image, upsample=1)


def one_face(image: np.ndarray, *, largest: bool = False) -> Box:
    """Exactly one face, or with ``largest`` the biggest of several."""
    boxes = find_faces(image)
    if not boxes:
        raise NoFace()
    if len(boxes) > 1 and not largest:
        raise ManyFaces()
    return max(boxes, key=area)


def encode(image: np.ndarray, box: Box) -> np.ndarray:
    """The 128-d descriptor of the face in ``box`` (5-point alignment, face_recognition's default)."""
    shape = library().api.pose_predictor_5_point(image, _rect(box))
    return np.asarray(_encoder().compute_face_descriptor(image, shape, 1), dtype=np.float64)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)))


def landmarks68(image: np.ndarray, box: Box) -> np.ndarray:
    """The 68 iBUG landmarks of the face in ``box`` as a ``(68, 2)`` float array of (x, y) in
    image coordinates (x grows to the right of the image as stored, y downwards)."""
    shape = library().api.pose_predictor_68_point(image, _rect(box))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
