"""Gathering what a receipt says from the database: masked, labelled, with its legal effect."""
from __future__ import annotations

from datetime import datetime

from core.settings import Settings
from documents.kinds import DocumentKind
from documents.storage import Storage
from receipts.data import ReceiptData, ReceiptDocument
from receipts.layout import beijing_time
from receipts.verification import verify_url
from service.choices import Channel
from service.effects import recipient_effect
from service.models import Case, Court, Delivery, Receipt, Recipient, Service, ServiceDocument, Signature

_ADDRESS = {
    Channel.SMS: "手机短信 {phone}",
    Channel.PORTAL: "诉讼服务网账户（登录手机 {phone}）",
    Channel.WECHAT: "微信小程序账户（绑定手机 {phone}）",
}


_CHALLENGE = {"blink": "眨眼", "turn_left": "向屏幕左侧转头", "turn_right": "向屏幕右侧转头"}


def identity_proof_text(proof: dict) -> str:
    """The sentence a judge reads: how the platform knew who was signing."""
    method = proof.get("method")
    at = _beijing(proof.get("at", ""))
    if method == "sms_code":
        return f"短信验证码发送至 {proof.get('phone_masked', '')}，{at} 验证通过"
    if method == "face":
        action = _CHALLENGE.get(proof.get("challenge", ""), "")
        liveness = "通过" if proof.get("liveness") == "passed" else "未记录"
        return (f"本地人脸比对通过（距离 {proof.get('distance')}，阈值 {proof.get('threshold')}），"
                f"活体检测{f'（动作：{action}）' if action else ''}{liveness}，{at}")
    if method == "wechat_face":
        return f"微信人脸核身通过（公安身份信息比对），{at}"
    return "；".join(f"{k}: {v}" for k, v in proof.items()) or "未记录"


def _beijing(iso: str) -> str:
    try:
        return beijing_time(datetime.fromisoformat(iso))
    except (TypeError, ValueError):
        return iso


async def receipt_data(receipt: Receipt, *, settings: Settings, storage: Storage, test_certificate: bool) -> ReceiptData:
    service = await Service.get(id=receipt.service_id)
    court = await Court.get(id=receipt.court_id)
    case = await Case.get(id=service.case_id)
    recipient = await Recipient.get(id=receipt.recipient_id)
    delivery = await Delivery.get(id=receipt.delivery_id)
    signature = await Signature.get_or_none(delivery_id=delivery.id)
    documents = await ServiceDocument.filter(service_id=service.id).order_by("position").prefetch_related("document")
    effect = await recipient_effect(recipient, documents)
    return ReceiptData(
        receipt_no=receipt.receipt_no,
        court_name=court.name,
        case_number=case.case_number,
        cause=case.cause,
        recipient_name=recipient.name,
        recipient_role=recipient.role.label,
        recipient_id_masked=recipient.id_number_masked,
        documents=[ReceiptDocument(title=sd.document.title, kind_label=DocumentKind(sd.document.kind).label,
                                   pages=sd.document.page_count, sha256=sd.document.sha256) for sd in documents],
        channel_label=delivery.channel.label,
        electronic_address_masked=_ADDRESS[delivery.channel].format(phone=recipient.phone_masked),
        consent_label=recipient.consent_basis.label,
        times=[("发送", delivery.notified_at), ("到达", delivery.arrived_at), ("打开", delivery.opened_at),
               ("身份验证", delivery.verified_at), ("阅读", delivery.viewed_at), ("签收", delivery.signed_at)],
        identity_proof=identity_proof_text(signature.identity_proof if signature else {}),
        ip=signature.ip if signature else "",
        device=signature.user_agent if signature else "",
        signature_png=storage.get(signature.image_sha256) if signature else None,
        served_by=f"{court.name}" + (f"（书记员 {case.clerk}）" if case.clerk else ""),
        effect_rule=effect.rule,
        effect_reason=effect.reason,
        effective_at=effect.at,
        effect_channel=effect.channel if effect.effective else None,
        verify_url=verify_url(settings.public_base_url, receipt.receipt_no),
        test_certificate=test_certificate,
        court_phone=court.phone,
    )
