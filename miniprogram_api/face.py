"""The face route (人脸核验): separate consent, a single-use liveness challenge, the match, and the
per-person lockout (5 consecutive failures → 30 s wait; 20 → face off for 24 h, SMS offered).

The matching itself is identity.face's; this module stores what it decides. Images stay in
memory for the call and are dropped; each attempt is one FaceAttempt row with the distance and
the decisions.
"""
from __future__ import annotations

CONSENT_VERSION = "2026-11-v1"
CONSENT_TEXT = (
    "人脸识别单独同意书（{version}）\n"
    "为核验您是否为本案受送达人本人，本平台将在您同意后采集您的人脸照片及动作视频帧，"
    "与您上传的身份证人像进行比对并进行活体检测。图像仅在本次核验中于内存内处理，核验结束即删除，"
    "不作保存；平台仅记录比对距离与核验结论。您可以拒绝人脸识别，改用“手机号 + 姓名 + 证件号码 + 短信验证码”"
    "完成核验，不影响您查看与签收文书。依据《个人信息保护法》及《人脸识别技术应用安全管理办法》。"
).format(version=CONSENT_VERSION)
