"""Synthetic challenge sequences built from one fixture photo (there is no real video here).

- ``close_eyes``: stretches the upper-lid skin down over each eye and draws a lash line — a
  digital "blink". dlib's landmarks follow it on obama2 and lin-manuel-miranda (EAR ratio ~0.6–0.7),
  not on obama, obama3 or biden (the shape model keeps the eyes open there), so image-level blink tests use the
  former and the EAR logic is also tested on landmark arrays directly.
- ``shift_nose``: a local horizontal warp around the nose tip, leaving eye and mouth corners in
  place — the parallax a head turn makes. dlib follows about a third of the shift.
- ``flat_warps``: the whole photo squeezed, sheared, rotated — what a printed photo tilted in
  front of a camera looks like. It must never pass.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from identity.face import engine
from identity.face.images import load_image


def jpeg(pixels: np.ndarray, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def face(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The detection-sized pixels of a photo and its face's 68 landmarks."""
    pixels = load_image(data)
    return pixels, engine.landmarks68(pixels, engine.one_face(pixels))


def close_eyes(pixels: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    out = pixels.astype(np.float64).copy()
    for eye in (landmarks[36:42], landmarks[42:48]):
        width = np.linalg.norm(eye[0] - eye[3])
        x0, x1 = eye[:, 0].min() - 0.25 * width, eye[:, 0].max() + 0.25 * width
        top, bottom = eye[:, 1].min(), eye[:, 1].max()
        y0, y1 = top - 0.6 * width, bottom + 0.15 * max(bottom - top, 2)
        for y in range(int(y0), int(np.ceil(y1)) + 1):
            source = int(round(y0 + (y - y0) * (top - y0) / (y1 - y0)))
            for x in range(int(x0), int(np.ceil(x1)) + 1):
                alpha = float(np.clip(min(x - x0, x1 - x) / (0.25 * width), 0, 1))
                out[y, x] = alpha * pixels[source, x] + (1 - alpha) * pixels[y, x]
    image = Image.fromarray(out.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for eye in (landmarks[36:42], landmarks[42:48]):
        width = np.linalg.norm(eye[0] - eye[3])
        lash = [eye[0], 0.85 * eye[5] + 0.15 * eye[1], 0.85 * eye[4] + 0.15 * eye[2], eye[3]]
        draw.line([tuple(p) for p in lash], fill=(25, 20, 20), width=max(2, int(width * 0.1)))
    return np.asarray(image)


def shift_nose(pixels: np.ndarray, landmarks: np.ndarray, amount: float) -> np.ndarray:
    """Move the nose region sideways by ``amount`` inter-ocular distances (positive: larger x)."""
    span = np.linalg.norm(landmarks[36:42].mean(0) - landmarks[42:48].mean(0))
    nose_x, nose_y = landmarks[30]
    height, width = pixels.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    dx = amount * span * np.exp(-((xs - nose_x) ** 2 / (2 * (0.35 * span) ** 2)
                                  + (ys - nose_y) ** 2 / (2 * (0.22 * span) ** 2)))
    source = np.clip(np.rint(xs - dx).astype(int), 0, width - 1)
    return pixels[ys.astype(int), source]


def affine(pixels: np.ndarray, matrix: tuple) -> np.ndarray:
    """PIL's inverse-affine warp (output → input coefficients), white border."""
    image = Image.fromarray(pixels)
    return np.asarray(image.transform(image.size, Image.Transform.AFFINE, matrix,
                                      resample=Image.Resampling.BILINEAR, fillcolor=(255, 255, 255)))


def flat_warps(pixels: np.ndarray) -> list[np.ndarray]:
    """A flat photo moved in front of a camera: squeezed, sheared, rotated, shifted."""
    height, width = pixels.shape[:2]
    cx, cy = width / 2, height / 2
    out = []
    for sx, sy, shear, angle, dx in ((0.85, 1.0, 0.0, 0.0, 4), (1.0, 0.8, 0.0, 0.0, -3),
                                     (1.0, 1.0, 0.12, 0.0, 0), (1.0, 1.0, 0.0, 6.0, 2), (0.9, 0.9, -0.08, -4.0, 0)):
        theta = np.radians(angle)
        forward = np.array([[sx * np.cos(theta), -np.sin(theta) + shear, 0.0],
                            [np.sin(theta), sy * np.cos(theta), 0.0], [0.0, 0.0, 1.0]])
        centre = np.array([[1, 0, cx], [0, 1, cy], [0, 0, 1.0]])
        full = centre @ forward @ np.linalg.inv(centre) @ np.array([[1, 0, dx], [0, 1, 0], [0, 0, 1.0]])
        inverse = np.linalg.inv(full)
        out.append(affine(pixels, tuple(inverse[:2].ravel())))
    return out
