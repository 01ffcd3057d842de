"""Multipart uploads with route-level limits, read as a stream so a 50 MB body is refused after
5 MB, not buffered whole (the app's REQUEST_MAX_SIZE is sized for court PDFs)."""
from __future__ import annotations

from dataclasses import dataclass

from sanic import Request
from sanic.headers import parse_content_header
from sanic.request.form import parse_multipart_form

from core.errors import AppError, PayloadTooLarge

MB = 1024 * 1024
MAX_IMAGE_BYTES = 5 * MB


class BadUpload(AppError):
    status = 422
    code = "upload_invalid"


@dataclass
class Upload:
    fields: dict[str, str]
    files: dict[str, list[bytes]]


async def read_multipart(request: Request, *, max_total: int, max_file: int) -> Upload:
    content_type, options = parse_content_header(request.headers.get("content-type", ""))
    if content_type != "multipart/form-data" or not options.get("boundary"):
        raise BadUpload("请以 multipart/form-data 上传", code="upload_not_multipart", status=415)
    declared = request.headers.get("content-length", "")
    too_large = PayloadTooLarge(f"上传内容过大：每张图片不超过 {max_file // MB} MB，合计不超过 {max_total // MB} MB",
                                code="upload_too_large")
    if declared.isascii() and declared.isdigit() and int(declared) > max_total:
        raise too_large
    body = bytearray()
    while (chunk := await request.stream.read()) is not None:
        body += chunk
        if len(body) > max_total:
            raise too_large
    fields, files = parse_multipart_form(bytes(body), str(options["boundary"]).encode("utf-8"))
    out: dict[str, list[bytes]] = {}
    for name, items in files.items():
        for item in items:
            if len(item.body) > max_file:
                raise PayloadTooLarge(f"每张图片不能超过 {max_file // MB} MB", code="image_too_large",
                                      details={"field": name})
            out.setdefault(name, []).append(item.body)
    return Upload({k: v[0] for k, v in fields.items() if v}, out)
