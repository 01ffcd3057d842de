"""identity/sms/dev.py and build_gateway: the laptop gateway and who may use it."""
from __future__ import annotations

import asyncio
import json
import logging
import stat
from datetime import datetime, timezone

import pytest

from core.settings import ConfigurationError
from identity.models import SmsStatus, SmsTemplate
from identity.sms import build_gateway
from identity.sms.aliyun import AliyunSmsGateway
from identity.sms.dev import DevSmsGateway
from tests.conftest import make_settings

NOW = datetime(2024, 5, 1, 1, 30, tzinfo=timezone.utc)
PHONE = "13812345678"
CODE_PARAMS = {"code": "482913", "minutes": "5"}


def test_build_gateway_picks_dev_with_an_outbox_in_data_dir(tmp_path):
    gateway = build_gateway(make_settings(tmp_path))
    assert isinstance(gateway, DevSmsGateway)
    assert gateway.outbox == tmp_path.resolve() / "dev-sms.jsonl"


def test_build_gateway_picks_aliyun(tmp_path):
    settings = make_settings(tmp_path, sms_gateway="aliyun", aliyun_access_key_id="LTAI-x",
                             aliyun_access_key_secret="s")
    assert isinstance(build_gateway(settings), AliyunSmsGateway)


def test_dev_gateway_is_refused_in_production(tmp_path):
    with pytest.raises(ConfigurationError, match="SONGDA_SMS_GATEWAY"):
        build_gateway(make_settings(tmp_path, mode="production"))


def test_construction_warns_that_nothing_is_sent(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="identity.sms.dev"):
        DevSmsGateway(tmp_path / "out.jsonl")
    assert "dev SMS gateway: texts are written to" in caplog.text and "not sent" in caplog.text


async def test_send_writes_one_json_line_and_prints_a_notice(tmp_path, capsys):
    outbox = tmp_path / "var" / "dev-sms.jsonl"
    gateway = DevSmsGateway(outbox, clock=lambda: NOW)
    result = await gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    [line] = [json.loads(raw) for raw in outbox.read_text(encoding="utf-8").splitlines()]
    assert line == {
        "id": result.provider_message_id, "phone": PHONE, "template": "code", "params": CODE_PARAMS,
        "text": "【电子送达】您的验证码为482913，5分钟内有效。如非本人操作，请忽略本短信。",
        "segments": 1, "time": "2024-05-01T01:30:00+00:00",
    }
    # Phones and codes in the clear: readable by the developer only.
    assert stat.S_IMODE(outbox.stat().st_mode) == 0o600
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and "开发短信" in printed and "482913" in printed
    assert "138****5678" in printed and PHONE not in printed


async def test_concurrent_sends_never_interleave_lines(tmp_path):
    outbox = tmp_path / "dev-sms.jsonl"
    gateways = [DevSmsGateway(outbox) for _ in range(3)]  # as if from several worker processes
    await asyncio.gather(*(
        gateways[i % 3].send(PHONE, SmsTemplate.SERVICE_NOTICE, {
            "court": "示范市城中区人民法院" * 20, "case_number": f"(2024)桂1202民初{i}号", "link": "https://x.cn/s",
        }) for i in range(60)
    ))
    lines = [json.loads(raw) for raw in outbox.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["params"]["case_number"] for line in lines) == sorted(
        f"(2024)桂1202民初{i}号" for i in range(60))


async def test_reports_come_from_the_outbox_so_another_process_sees_them(tmp_path):
    outbox = tmp_path / "dev-sms.jsonl"
    result = await DevSmsGateway(outbox, clock=lambda: NOW).send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    reader = DevSmsGateway(outbox)
    [report] = await reader.query_reports(PHONE, NOW.date(), result.provider_message_id)
    assert (report.status, report.received_at) == (SmsStatus.DELIVERED, NOW)
    assert await reader.query_reports(PHONE, NOW.date(), "dev-other") == []
    assert await DevSmsGateway(tmp_path / "empty.jsonl").query_reports(PHONE, NOW.date(), None) == []


async def test_sent_on_is_the_china_date(tmp_path):
    late = datetime(2024, 5, 1, 17, 0, tzinfo=timezone.utc)  # 01:00 on 2 May in Beijing
    gateway = DevSmsGateway(tmp_path / "dev-sms.jsonl", clock=lambda: late)
    await gateway.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    assert await gateway.query_reports(PHONE, late.date(), None) == []
    assert len(await gateway.query_reports(PHONE, datetime(2024, 5, 2).date(), None)) == 1


async def test_reports_see_later_texts_half_lines_and_a_replaced_outbox(tmp_path):
    outbox = tmp_path / "dev-sms.jsonl"
    writer, reader = DevSmsGateway(outbox, clock=lambda: NOW), DevSmsGateway(outbox)
    first = await writer.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    assert [r.provider_message_id for r in await reader.query_reports(PHONE, NOW.date(), None)] == [
        first.provider_message_id]
    second = await writer.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)  # written after the reader's last read
    with open(outbox, "ab") as f:
        f.write(b'{"id": "dev-half", "phone": "138')  # another process still writing its line
    assert [r.provider_message_id for r in await reader.query_reports(PHONE, NOW.date(), None)] == [
        first.provider_message_id, second.provider_message_id]
    outbox.unlink()  # a developer clears the outbox
    third = await writer.send(PHONE, SmsTemplate.CODE, CODE_PARAMS)
    assert [r.provider_message_id for r in await reader.query_reports(PHONE, NOW.date(), None)] == [
        third.provider_message_id]
