"""Why an image or a face was refused (人脸核验): each is an AppError with a code the mini-program
can act on and a Chinese message the litigant can act on. None carries image data."""
from __future__ import annotations

from core.errors import AppError


class FaceImageError(AppError):
    status = 422
    code = "image_unreadable"
    default_message = "照片无法处理，请重新拍摄"

    def __init__(self, message: str | None = None, **kwargs) -> None:
        super().__init__(message or self.default_message, **kwargs)


class ImageFormat(FaceImageError):
    code = "image_format"
    default_message = "仅支持 JPEG 或 PNG 格式的照片"


class ImageTooLarge(FaceImageError):
    status = 413
    code = "image_too_large"
    default_message = "照片过大，单张不能超过 5 MB"


class ImageDimensions(FaceImageError):
    code = "image_dimensions"
    default_message = "照片尺寸过大，长宽均不能超过 4096 像素"


class ImageBomb(FaceImageError):
    code = "image_bomb"
    default_message = "照片像素数量异常，已拒绝处理"


class ImageUnreadable(FaceImageError):
    code = "image_unreadable"
    default_message = "照片已损坏或无法读取，请重新拍摄"


class NoFace(FaceImageError):
    code = "no_face"
    default_message = "照片中未检测到人脸，请正对镜头、在光线充足处重新拍摄"


class ManyFaces(FaceImageError):
    code = "many_faces"
    default_message = "照片中检测到多张人脸，请确保画面中只有您本人"


class LivenessFrames(FaceImageError):
    """The challenge sequence has too few or too many frames."""

    code = "liveness_frames"
    default_message = "动作视频帧数量不符合要求（需要 3 至 8 帧），请重新拍摄"


FaceError = FaceImageError
