"""Face route endpoints (/mp/api/v1/face/...): consent, challenge, verify. Thin: see face.py."""
from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from core.errors import ValidationFailed
from miniprogram_api import binding, face
from miniprogram_api.auth import mp_api, request_meta, utcnow
from miniprogram_api.uploads import MAX_IMAGE_BYTES, MB, read_multipart
from web.input_guard import refuse_control_characters

bp = Blueprint("miniprogram_face", url_prefix="/mp/api/v1/face")
bp.on_request(refuse_control_characters)  # NUL and friends: 422 before any handler
MAX_FACE_REQUEST = 30 * MB


def verifier(request: Request):
    """Built on first use: importing face_recognition costs 1.5 s and 160 MB, which processes
    that never see a face request (workers, most tests) should not pay."""
    ctx = request.app.ctx
    if getattr(ctx, "face_verifier", None) is None:
        from identity.face.verifier import LocalFaceVerifier

        ctx.face_verifier = LocalFaceVerifier(ctx.settings.face_match_threshold)
    return ctx.face_verifier


@bp.get("/consent")
@mp_api()
async def consent_text(request: Request) -> HTTPResponse:
    given = (request.ctx.mp.data.get("face_consent") or {}).get("version") == face.CONSENT_VERSION
    return json({**face.consent_document(), "consented": given})


@bp.post("/consent")
@mp_api()
async def give_consent(request: Request) -> HTTPResponse:
    try:
        body = request.json
    except Exception:  # sanic raises BadRequest for broken JSON; answer in the API's shape
        body = None
    if not isinstance(body, dict):
        raise ValidationFailed("请求体应为 JSON 对象", code="bad_json")
    version = body.get("version")
    if not isinstance(version, str):
        raise ValidationFailed("请提供所同意的同意书版本", details=[{"field": "version", "message": "必填"}])
    consent = await face.record_consent(request.ctx.mp, version, meta=request_meta(request), now=utcnow())
    return json({"version": consent.text_version, "consented_at": consent.consented_at.isoformat()}, status=201)


@bp.post("/challenge")
@mp_api()
async def challenge(request: Request) -> HTTPResponse:
    return json(await face.issue_challenge(request.ctx.mp, settings=request.app.ctx.settings, now=utcnow()),
                status=201)


@bp.post("/verify", stream=True)
@mp_api()
async def verify(request: Request) -> HTTPResponse:
    """multipart: ``challenge_id``, ``frame_ms`` (capture times, comma separated); files
    ``reference`` (ID-card front or portrait), ``selfie``, ``frame`` (repeated, the challenge
    sequence from one camera). Each image ≤ 5 MB, JPEG or PNG. Only where the court enabled it."""
    face.require_local(request.app.ctx.settings)
    upload = await read_multipart(request, max_total=MAX_FACE_REQUEST, max_file=MAX_IMAGE_BYTES)
    reference = (upload.files.get("reference") or [b""])[0]
    selfie = (upload.files.get("selfie") or [b""])[0]
    frames = upload.files.get("frame") or []
    missing = [name for name, value in (("reference", reference), ("selfie", selfie)) if not value]
    if missing or not frames:
        raise ValidationFailed("请上传身份证人像面、自拍照和动作视频帧", code="face_upload_incomplete",
                               details=[{"field": name, "message": "必填"} for name in missing or ["frame"]])
    face.check_upload(reference, selfie, frames)
    times = face.parse_frame_times(upload.fields.get("frame_ms", ""), len(frames))
    result = await face.verify_face(request.ctx.mp, challenge_id=upload.fields.get("challenge_id", ""),
                                    reference=reference, selfie=selfie, frames=frames, times_ms=times,
                                    verifier=verifier(request), meta=request_meta(request),
                                    settings=request.app.ctx.settings, now=utcnow())
    wait = ((result.get("lockout") or {}).get("details") or {}).get("retry_after")
    headers = {"Retry-After": str(wait)} if wait and not result["lockout"]["details"].get("disabled") else None
    return json({**result, "status": binding.status(request.ctx.mp)}, status=200 if result["passed"] else 422,
                headers=headers)


@bp.post("/wechat/start")
@mp_api()
async def wechat_start(request: Request) -> HTTPResponse:
    """人脸核身 2.0: → ``{verify_id}`` for ``wx.requestFacialVerify``."""
    from miniprogram_api import wechat_face

    return json(await wechat_face.start(request.ctx.mp, api=request.app.ctx.wechat_api,
                                         settings=request.app.ctx.settings, now=utcnow()), status=201)


@bp.post("/wechat/finish")
@mp_api()
async def wechat_finish(request: Request) -> HTTPResponse:
    from miniprogram_api import wechat_face

    result = await wechat_face.finish(request.ctx.mp, api=request.app.ctx.wechat_api, settings=request.app.ctx.settings,
                                      meta=request_meta(request), now=utcnow())
    return json({**result, "status": binding.status(request.ctx.mp)}, status=200 if result["passed"] else 422)
