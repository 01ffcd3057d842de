"""The service centre in the demo: a dispatcher, two process servers, and services whose phone,
mail and field tasks stand at every step — waiting for dispatch, assigned, in progress, and one
closed as served with its call recording — so each page has something to show."""
from __future__ import annotations

import io
import math
import struct
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher

from audit.events import Actor, RequestMeta
from centre.dispatch import assign_tasks
from centre.evidence import attach_evidence
from centre.handling import Closing, close_task, record_contact
from centre.scope import Scope
from core.settings import Settings
from court.console.models import StaffAccount, StaffRole
from court.console.staff import TOTP_CONTEXT, create_staff
from documents.storage import LocalStorage
from identity.pii_keys import pii_cipher
from service.choices import ContactKind, CourtSystem, Outcome, ServiceMethod
from service.drafts import ServiceDraft
from service.intake import create_service
from service.models import Attempt, Court

PASSWORD = "songda-demo-centre"  # the demo refuses to run in production (seed)
PEOPLE = [("demo-dispatcher", "周调度", StaffRole.DISPATCHER),
          ("demo-server1", "吴送达", StaffRole.PROCESS_SERVER),
          ("demo-server2", "郑送达", StaffRole.PROCESS_SERVER)]
# (case number, recipient, phone, address, channels)
CASES = [
    ("(2024)桂1202民初201号", "刘建国", "13600136001", "广西壮族自治区柳州市城中区公园路8号", ["sms", "phone", "mail"]),
    ("(2024)桂1202民初202号", "孙丽", "13600136002", "广西壮族自治区柳州市鱼峰区驾鹤路15号", ["phone", "field"]),
    ("(2024)桂1202民初203号", "黄海", "13600136003", "广西壮族自治区南宁市青秀区民族大道100号", ["mail", "field"]),
    ("(2024)桂1202民初204号", "何芳", "13600136004", "广西壮族自治区柳州市城中区文昌路21号", ["sms", "phone"]),
]


@dataclass
class CentreDemo:
    logins: list[tuple[str, str, str, str]]   # (login, name, role label, TOTP secret)
    closed_service_id: int
    closed_task_id: int


async def _account(court: Court, login: str, name: str, role: StaffRole, settings: Settings,
                   now: datetime) -> tuple[StaffAccount, str]:
    """The demo account, with a fresh password and TOTP secret each run. Accounts are kept (their
    tasks, contacts and evidence refer to them), so a second run resets them instead."""
    existing = await StaffAccount.get_or_none(login=login)
    if existing is None:
        return await create_staff(court, login=login, display_name=name, role=role, password=PASSWORD,
                                  settings=settings, now=now)
    secret = pyotp.random_base32()
    await StaffAccount.filter(id=existing.id).update(
        password_hash=PasswordHasher().hash(PASSWORD), totp_last_step=0, failed_logins=0, locked_until=None,
        totp_secret_cipher=pii_cipher(settings).encrypt(secret, context=TOTP_CONTEXT), disabled_at=None)
    return existing, secret


def call_recording(seconds: float = 4.0, rate: int = 8000) -> bytes:
    """A telephone-quality WAV tone standing in for a call recording."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * n / rate)))
                                 for n in range(int(seconds * rate))))
    return buffer.getvalue()


async def seed_centre(court: Court, document_ids: list[int], *, client_id: int, settings: Settings,
                      storage: LocalStorage, now: datetime) -> CentreDemo:
    accounts = [(await _account(court, login, name, role, settings, now), login, name, role)
                for login, name, role in PEOPLE]
    logins = [(login, name, role.label, secret) for (_, secret), login, name, role in accounts]
    dispatcher, server1, server2 = (account for (account, _), *_ in accounts)
    meta = RequestMeta(ip="198.51.100.20", user_agent="demo")
    tasks: list[list[Attempt]] = []
    for case_number, name, phone, address, channels in CASES:
        draft = ServiceDraft.model_validate({
            "case": {"case_number": case_number, "cause": "民间借贷纠纷", "judge": "张明", "clerk": "李华"},
            "document_ids": document_ids[:1],
            "recipients": [{"name": name, "role": "defendant", "phone": phone, "address": address,
                            "consent": "court_found", "channels": channels}]})
        service = await create_service(court=court, draft=draft, source_system=CourtSystem.TRIAL,
                                       source_client_id=client_id, actor=Actor.system(), meta=meta, now=now,
                                       valid_days=settings.service_valid_days, settings=settings)
        tasks.append(await Attempt.filter(service_id=service.id, delivery_id=None).order_by("id"))
    desk = Scope(dispatcher.id, centre_id=court.centre_id)
    one = Scope(server1.id, centre_id=court.centre_id, assignee_id=server1.id)
    # Case 201: phone assigned to 吴送达 and closed as served with the recording; mail waits.
    # Case 202: both with 吴送达, the phone task in progress. Case 203 waits for dispatch.
    # Case 204: the phone task with 郑送达.
    phone_201 = tasks[0][0]
    await assign_tasks(desk, [phone_201.id, *(t.id for t in tasks[1])], server1.id, now=now, meta=meta)
    await assign_tasks(desk, [tasks[3][0].id], server2.id, now=now, meta=meta)
    called = now - timedelta(minutes=30)
    await record_contact(one, phone_201.id, kind=ContactKind.CALL, contacted_at=called,
                         result="已接通，当事人确认收到传票，知悉开庭时间", now=now, meta=meta)
    await attach_evidence(one, phone_201.id, data=call_recording(), filename="通话录音.wav",
                          description="电话送达录音", storage=storage, max_bytes=settings.max_evidence_bytes,
                          now=now, meta=meta)
    await close_task(one, phone_201.id, Closing(Outcome.SERVED, method=ServiceMethod.PHONE, served_at=called),
                     now=now, meta=meta)
    await record_contact(one, tasks[1][0].id, kind=ContactKind.CALL, contacted_at=now - timedelta(minutes=5),
                         result="无人接听，明天上午再打", now=now, meta=meta)
    return CentreDemo(logins, phone_201.service_id, phone_201.id)


def describe_centre(demo: CentreDemo, base: str) -> str:
    lines = ["送达中心（密码均为 " + PASSWORD + "；动态验证码取法同上，把密钥换成各自的）:"]
    where = {"demo-dispatcher": f"{base}/console/dispatch   送达分派：勾选任务 → 选择送达员 → 批量分派",
             "demo-server1": f"{base}/console/tasks   我的待办：打开任务 → 记录联系 → 上传证据 → 办结",
             "demo-server2": f"{base}/console/tasks"}
    for login, name, role, secret in demo.logins:
        lines.append(f"  {role} {name}: 登录名 {login}   TOTP 密钥 {secret}")
        lines.append(f"    {where[login]}")
    lines.append(f"  已办结并附录音的任务: {base}/console/tasks/{demo.closed_task_id}")
    lines.append(f"  书记员在送达页收听录音（“送达任务”一节）: {base}/console/services/{demo.closed_service_id}")
    return "\n".join(lines)
