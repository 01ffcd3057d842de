"""``python -m app demo``: a court, an API key, a case with sample documents and two recipients
(a litigant and their lawyer), then the server — everything a newcomer needs to look around."""
from __future__ import annotations

import asyncio
import io
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image, ImageDraw

from app.database import close_database, init_database, migrate_database
from app.demo_centre import describe_centre, seed_centre
from app.settings import get_settings
from audit.choices import ActorKind
from audit.events import Actor, RequestMeta
from centre.courts import register_court
from core.settings import Mode, Settings
from court.api_clients import create_api_client
from documents.kinds import DocumentKind
from documents.storage import LocalStorage
from identity.sms.gateway import build_gateway
from receipts.seal import Sealer
from receipts.worker import seal_pending_receipts
from service.access import advance, documents_of, record_document_access
from service.choices import CourtSystem, DeliveryState
from service.drafts import ServiceDraft
from service.intake import create_service, upload_document
from service.models import Court, Delivery, Receipt
from service.notices import send_notice
from service.signing import sign_delivery

SAMPLE_PDFS = Path(__file__).resolve().parent / "sample_documents"
DEMO_COURT = {"code": "桂1202", "name": "示范市城中区人民法院（演示）", "phone": "0772-1234567"}
DEMO_DOCUMENTS = [
    ("summons.pdf", DocumentKind.SUMMONS, "传票"),
    ("notice_to_respond.pdf", DocumentKind.NOTICE_TO_RESPOND, "应诉通知书"),
    ("judgment.pdf", DocumentKind.JUDGMENT, "民事判决书"),
]
LITIGANT_PHONE = "13800138000"
LAWYER_PHONE = "13900139000"
DEMO_CLERK_LOGIN = "demo-clerk"
DEMO_CLERK_PASSWORD = "songda-demo-clerk"  # the demo refuses to run in production (seed)


def _sample_dir() -> Path:
    return SAMPLE_PDFS


async def walk_and_sign(delivery_id: int, *, storage: LocalStorage, now: datetime) -> Receipt:
    """What a litigant does through the SMS link — arrive, open, verify, read every document,
    sign — done here in one go so the demo (and tests) have a signed service to show."""
    delivery = await Delivery.get(id=delivery_id).prefetch_related("recipient")
    recipient = delivery.recipient
    actor = Actor(ActorKind.RECIPIENT, str(recipient.id))
    meta = RequestMeta(ip="198.51.100.9", user_agent="Mozilla/5.0 (Linux; Android 12) MicroMessenger/8.0.49")
    for state in (DeliveryState.NOTIFIED, DeliveryState.ARRIVED, DeliveryState.OPENED, DeliveryState.VERIFIED):
        await advance(delivery.id, state, actor=actor, meta=meta, now=now)
    for document in await documents_of(delivery):
        await record_document_access(delivery.id, document.id, download=False, actor=actor, meta=meta, now=now)
    return await sign_delivery(
        delivery.id, _demo_signature(), actor=actor, meta=meta, now=now, storage=storage,
        identity_proof={"method": "sms_code", "phone_masked": recipient.phone_masked,
                        "at": now.astimezone(timezone.utc).isoformat(timespec="seconds")})


def _demo_signature() -> bytes:
    image = Image.new("RGBA", (600, 200), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(40, 140), (120, 60), (200, 150), (300, 50), (420, 140), (560, 70)], fill=(20, 20, 20, 255), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def seed(settings: Settings) -> dict[str, object]:
    if settings.mode is Mode.PRODUCTION:
        raise SystemExit("演示数据不能写入生产环境 (demo refused: SONGDA_MODE=production)")
    await migrate_database(settings)
    await init_database(settings)
    try:
        court = await register_court(**DEMO_COURT)
        client, key = await create_api_client(court, "演示审判系统", CourtSystem.TRIAL)
        storage = LocalStorage(settings.files_dir)
        actor = Actor.system()
        documents = []
        for filename, kind, title in DEMO_DOCUMENTS:
            documents.append(await upload_document(
                court=court, data=(_sample_dir() / filename).read_bytes(), filename=filename, kind=kind,
                title=title, storage=storage, max_bytes=settings.max_document_bytes,
                max_pages=settings.max_document_pages, client_id=client.id, actor=actor,
                meta=RequestMeta.none()))
        draft = ServiceDraft.model_validate({
            "case": {"case_number": "(2024)桂1202民初123号", "cause": "民间借贷纠纷",
                     "judge": "张明", "clerk": "李华"},
            "document_ids": [d.id for d in documents],
            "recipients": [
                {"ref": "litigant", "name": "王小明", "role": "defendant", "phone": LITIGANT_PHONE,
                 "id_type": "resident_id", "id_number": "11010519491231002X",
                 "address": "示范市城中区文昌路1号", "consent": "confirmed",
                 "channels": ["sms", "portal", "wechat"]},
                {"ref": "lawyer", "name": "赵律师", "role": "agent", "agent_of": "litigant",
                 "phone": LAWYER_PHONE, "consent": "confirmed", "channels": ["portal"]},
            ],
        })
        now = datetime.now(timezone.utc)
        service = await create_service(
            court=court, draft=draft, source_system=CourtSystem.TRIAL, source_client_id=client.id,
            actor=actor, meta=RequestMeta.none(), now=now, valid_days=settings.service_valid_days, settings=settings)

        # Text the litigant's notice now, so the short link can be printed below.
        litigant_sms = await Delivery.get(service=service, channel="sms")
        token = await send_notice(litigant_sms.id, gateway=build_gateway(settings), settings=settings, now=now)

        # A second case, already signed for, so the receipt and its verify page can be seen now.
        signed_draft = ServiceDraft.model_validate({
            "case": {"case_number": "(2024)桂1202民初124号", "cause": "买卖合同纠纷", "judge": "张明", "clerk": "李华"},
            "document_ids": [documents[0].id, documents[2].id],
            "recipients": [{"name": "陈静", "role": "plaintiff", "phone": "13700137000",
                            "id_type": "resident_id", "id_number": "110105198506120034", "consent": "confirmed",
                            "channels": ["sms"]}],
        })
        signed_service = await create_service(
            court=court, draft=signed_draft, source_system=CourtSystem.TRIAL, source_client_id=client.id,
            actor=actor, meta=RequestMeta.none(), now=now, valid_days=settings.service_valid_days, settings=settings)
        delivery = await Delivery.get(service=signed_service)
        receipt = await walk_and_sign(delivery.id, storage=storage, now=now)
        await seal_pending_receipts(sealer=Sealer.from_settings(settings), storage=storage, settings=settings,
                                    worker_id="demo", now=now)
        await receipt.refresh_from_db()
        receipt_file = settings.data_dir / "demo-receipt.pdf"
        receipt_file.write_bytes(storage.get(receipt.pdf_sha256))
        totp_secret = await _demo_clerk(court, now, settings)
        centre = await seed_centre(court, [d.id for d in documents], client_id=client.id, settings=settings,
                                   storage=storage, now=now)
        return {"court": court.name, "key": key, "service_id": service.id, "link_token": token,
                "receipt_no": receipt.receipt_no, "receipt_file": receipt_file, "totp_secret": totp_secret,
                "centre": centre}
    finally:
        await close_database()


async def _demo_clerk(court: Court, now: datetime, settings: Settings) -> str:
    """The demo clerk, made afresh on every run (a new TOTP secret each time)."""
    from court.console.models import StaffAccount, StaffRole
    from court.console.staff import create_staff

    await StaffAccount.filter(login=DEMO_CLERK_LOGIN).delete()
    _, secret = await create_staff(court, login=DEMO_CLERK_LOGIN, display_name="李华", role=StaffRole.CLERK,
                                   password=DEMO_CLERK_PASSWORD, settings=settings, now=now)
    return secret


def describe(seeded: dict[str, object], base: str, settings: Settings) -> str:
    key, service_id = seeded["key"], seeded["service_id"]
    return f"""
================ 电子送达平台 · 演示环境 ================
法院: {seeded['court']}
案号: (2024)桂1202民初123号   送达 id: {service_id}
受送达人: 王小明（被告，手机 {LITIGANT_PHONE}）与其委托代理人 赵律师（手机 {LAWYER_PHONE}）

法院接入接口 (court intake API):   {base}/court/api/v1/
OpenAPI 文档:                       {base}/court/api/v1/openapi.json
小程序接口文档 (mini-program API):  {base}/mp/api/v1/openapi.json（客户端：miniprogram/，在微信开发者工具中打开）
API 密钥（演示审判系统，只显示这一次）:
  {key}

王小明的短信链接（也在开发短信输出里；验证码同样在那里）:
  {base}/s/{seeded['link_token']}
律师登录诉讼服务网: {base}/portal/login  手机 {LAWYER_PHONE}

书记员工作台: {base}/console/login
  登录名 {DEMO_CLERK_LOGIN}   密码 {DEMO_CLERK_PASSWORD}
  动态验证码密钥（TOTP，填入身份验证器 App，或运行下面的命令取当前 6 位码）: {seeded['totp_secret']}
  .venv/bin/python -c "import pyotp; print(pyotp.TOTP('{seeded['totp_secret']}').now())"

{describe_centre(seeded['centre'], base)}

已签收示例（(2024)桂1202民初124号，受送达人 陈静）:
  送达回证编号: {seeded['receipt_no']}
  回证 PDF:     {seeded['receipt_file']}
  公开核验页:   {base}/verify/{seeded['receipt_no']}

试一试 (try it):
  curl -s -H 'Authorization: Bearer {key}' {base}/court/api/v1/services/{service_id}
  curl -s -H 'Authorization: Bearer {key}' '{base}/court/api/v1/services/{service_id}/events'

数据目录（内置 PostgreSQL、文书文件）: {settings.data_dir}
开发短信网关输出（含验证码）: {settings.data_dir / 'dev-sms.jsonl'}
按 Ctrl+C 停止。
=========================================================
"""


def run_demo(*, host: str, port: int, serve_after: bool = True) -> None:
    settings = get_settings()
    seeded = asyncio.run(seed(settings))
    print(describe(seeded, f"http://{host}:{port}", settings), flush=True)
    if serve_after:
        from app.server import serve

        serve(host=host, port=port)
