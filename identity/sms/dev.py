"""The dev SMS gateway (开发用短信网关): writes texts to a file instead of sending them.

Refused in production by ``build_gateway`` and ``Settings.check_production``. The outbox
holds phones and codes in the clear — that is its purpose on a laptop, and why the file is
created readable by its owner only.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from identity.models import SmsStatus, SmsTemplate
from identity.phones import mask_phone
from identity.sms.gateway import DeliveryReport, SendResult
from identity.sms.templates import render, segments

__all__ = ["DevSmsGateway"]

log = logging.getLogger(__name__)
CHINA_TZ = ZoneInfo("Asia/Shanghai")  # the same calendar Aliyun's SendDate uses


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class DevSmsGateway:
    provider = "dev"

    def __init__(self, outbox: Path, *, sign_name: str = "电子送达",
                 clock: Callable[[], datetime] = _utc_now) -> None:
        self.outbox = Path(outbox)
        self.sign_name = sign_name
        self._clock = clock
        # What this process has read of the outbox so far, by phone: reports are looked up once
        # per text sent, and re-reading the whole file each time was quadratic in the texts sent.
        self._offset, self._inode = 0, -1
        self._by_phone: dict[str, list[dict]] = {}
        self._reading = threading.Lock()
        log.warning("dev SMS gateway: texts are written to %s, not sent", self.outbox)

    def __repr__(self) -> str:
        return f"DevSmsGateway(outbox={str(self.outbox)!r})"

    async def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> SendResult:
        text = render(template, params, sign_name=self.sign_name)
        result = SendResult(provider_message_id=f"dev-{uuid.uuid4().hex}", request_id=uuid.uuid4().hex)
        line = {
            "id": result.provider_message_id,
            "phone": phone,
            "template": template.value,
            "params": dict(params),
            "text": text,
            "segments": segments(text),
            "time": self._clock().isoformat(),
        }
        await asyncio.to_thread(self._append, json.dumps(line, ensure_ascii=False) + "\n")
        # The developer needs the code to log in; the masked number says whose it is.
        print(f"[开发短信] 发往 {mask_phone(phone)}（未真实发送）：{_one_line(text)}", flush=True)
        return result

    async def query_reports(self, phone: str, sent_on: date,
                            provider_message_id: str | None) -> list[DeliveryReport]:
        # Every text "arrives" the moment it is written, so the demo shows the arrival step.
        lines = await asyncio.to_thread(self._lines_of, phone)
        reports = []
        for line in lines:
            sent_at = datetime.fromisoformat(line["time"])
            if (line["phone"] != phone or sent_at.astimezone(CHINA_TZ).date() != sent_on
                    or (provider_message_id and line["id"] != provider_message_id)):
                continue
            reports.append(DeliveryReport(provider_message_id=line["id"], phone=phone,
                                          status=SmsStatus.DELIVERED, received_at=sent_at))
        return reports

    def _append(self, data: str) -> None:
        self.outbox.parent.mkdir(parents=True, exist_ok=True)
        # One write() on an O_APPEND descriptor: lines from several threads or worker
        # processes never interleave (a buffered file could split a long line in two).
        fd = os.open(self.outbox, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data.encode("utf-8"))
        finally:
            os.close(fd)

    def _lines_of(self, phone: str) -> list[dict]:
        """The outbox lines for ``phone``, reading only what was appended since the last call
        (by any process); a file emptied or replaced by hand is read again from the start."""
        with self._reading:
            try:
                with open(self.outbox, "rb") as f:
                    info = os.fstat(f.fileno())
                    if info.st_ino != self._inode or info.st_size < self._offset:
                        self._offset, self._by_phone, self._inode = 0, {}, info.st_ino
                    f.seek(self._offset)
                    data = f.read()
            except FileNotFoundError:
                self._offset, self._by_phone = 0, {}
                return []
            end = data.rfind(b"\n") + 1  # a line still being written waits for the next call
            self._offset += end
            for raw in data[:end].splitlines():
                try:
                    line = json.loads(raw)
                except ValueError:
                    continue  # a line someone edited by hand; the others still count
                self._by_phone.setdefault(line.get("phone"), []).append(line)
            return list(self._by_phone.get(phone, ()))


def _one_line(text: str) -> str:
    return " ".join(text.split())
