"""``python -m app`` as a newcomer runs it: real processes, a fresh data directory."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.servers import running_server

ROOT = Path(__file__).resolve().parents[2]


def run_cli(data_dir: Path, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "SONGDA_DATA_DIR": str(data_dir), **env}
    result = subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def sql(data_dir: Path, statement: str) -> str:
    """One statement on the data dir's embedded PostgreSQL, as its one value (psql -At)."""
    from app import embedded_postgres

    server = embedded_postgres.start(data_dir)
    try:
        return server.psql(f"\\c {embedded_postgres.DATABASE}\n\\pset tuples_only on\n\\pset format unaligned\n"
                           f"{statement};\n").strip().splitlines()[-1]
    finally:
        server.cleanup()


def test_migrate_create_court_and_api_client(tmp_path):
    run_cli(tmp_path, "migrate")
    run_cli(tmp_path, "migrate")  # idempotent
    missing = run_cli(tmp_path, "create-api-client", "--name", "x", "--system", "trial", check=False)
    assert missing.returncode == 1 and "create-court" in missing.stderr
    run_cli(tmp_path, "create-court", "--code", "桂1202", "--name", "示范法院")
    duplicate = run_cli(tmp_path, "create-court", "--code", "桂1202", "--name", "示范法院", check=False)
    assert duplicate.returncode == 1 and "已存在" in duplicate.stderr
    out = run_cli(tmp_path, "create-api-client", "--name", "审判系统", "--system", "dossier").stdout
    key = out.strip().splitlines()[-1]
    assert key.startswith("sdk_") and len(key) > 40
    stored = sql(tmp_path, "select key_hash || ' ' || scopes::text from api_client")
    assert stored == f'{hashlib.sha256(key.encode()).hexdigest()} ["services:read", "receipts:read"]'
    assert key not in sql(tmp_path, "select row_to_json(t)::text from api_client t")


def test_production_mode_refuses_dev_settings(tmp_path):
    result = run_cli(tmp_path, "migrate", check=False, SONGDA_MODE="production")
    assert result.returncode == 2
    for setting in ("SONGDA_SMS_GATEWAY", "SONGDA_SECRET_KEY", "SONGDA_DATABASE_URL"):
        assert setting in result.stderr


def test_demo_seeds_a_case_and_prints_what_a_newcomer_needs(tmp_path):
    out = run_cli(tmp_path, "demo", "--no-serve").stdout
    assert "(2024)桂1202民初123号" in out and "/court/api/v1/openapi.json" in out
    assert "sdk_" in out and "dev-sms.jsonl" in out
    link = re.search(r"http://127\.0\.0\.1:8000/s/([0-9A-Za-z]{22})", out)
    assert link, out
    assert link.group(0) in (tmp_path / "dev-sms.jsonl").read_text()  # the notice text carries it
    for login in ("demo-dispatcher", "demo-server1", "demo-server2"):   # the service centre's people
        assert f"登录名 {login}" in out
    assert "/console/dispatch" in out and "/console/tasks/" in out
    first = int(re.search(r"送达 id: (\d+)", out).group(1))
    again = run_cli(tmp_path, "demo", "--no-serve").stdout  # a second run works too
    assert int(re.search(r"送达 id: (\d+)", again).group(1)) > first and "送达回证编号: SD" in again
    assert "登录名 demo-dispatcher" in again


def test_serve_with_two_workers_on_the_embedded_database(tmp_path):
    """No SONGDA_DATABASE_URL: the embedded PostgreSQL, shared by both workers, stopped at exit."""
    run_cli(tmp_path, "migrate")
    with running_server(tmp_path, workers=2) as (base, server, log):
        assert httpx.get(f"{base}/court/api/v1/services").status_code == 401
        assert httpx.get(f"{base}/court/api/v1/openapi.json", timeout=5).status_code == 200
        server.terminate()
        assert server.wait(timeout=30) == 0, log.read_text()
    assert not (tmp_path / "postgres" / "postmaster.pid").exists()  # the last holder stopped it


def test_serve_with_two_workers_answers_real_http(tmp_path, postgres_url):
    env = {"SONGDA_DATABASE_URL": postgres_url}
    run_cli(tmp_path, "migrate", **env)
    with running_server(tmp_path, workers=2, env=env) as (base, server, log):
        response = httpx.get(f"{base}/court/api/v1/openapi.json", timeout=5)
        assert response.status_code == 200 and response.json()["openapi"].startswith("3.")
        assert httpx.get(f"{base}/court/api/v1/services").status_code == 401
        server.terminate()
        assert server.wait(timeout=30) == 0, log.read_text()


def test_audit_verify_and_checkpoint(tmp_path):
    run_cli(tmp_path, "demo", "--no-serve")
    assert "已签署检查点" in run_cli(tmp_path, "audit", "checkpoint").stdout
    assert "审计链完整" in run_cli(tmp_path, "audit", "verify").stdout
    event_id = int(sql(tmp_path, "select id from event order by chain_seq limit 1 offset 2"))
    sql(tmp_path, f"update event set ip = '10.0.0.1' where id = {event_id}")
    broken = run_cli(tmp_path, "audit", "verify", check=False)
    assert broken.returncode == 3 and f"id {event_id}" in broken.stderr and "修改" in broken.stderr


def test_the_demo_receipt_renders_validates_and_verifies(tmp_path):
    """The issue's bar: a demo receipt opens in a real viewer, validates, and the page says 一致."""
    import asyncio
    import re

    from PIL import Image

    from receipts.seal import Sealer
    from tests.conftest import make_settings

    out = run_cli(tmp_path, "demo", "--no-serve").stdout
    receipt_no = re.search(r"送达回证编号: (SD\w+)", out).group(1)
    pdf = tmp_path / "demo-receipt.pdf"
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    with Image.open(next(tmp_path.glob("page*.png"))).convert("L") as page:
        histogram = page.histogram()
        dark = sum(histogram[:200]) / (page.width * page.height)
    assert dark > 0.01, "the receipt renders blank"
    check = asyncio.run(Sealer.from_settings(make_settings(tmp_path)).check_async(pdf.read_bytes()))
    assert check.ok, check
    with running_server(tmp_path) as (base, _, _):
        page = httpx.post(f"{base}/verify/{receipt_no}", files={"file": ("r.pdf", pdf.read_bytes(), "application/pdf")},
                          timeout=30)
    assert page.status_code == 200 and "一致" in page.text and "不一致" not in page.text


def test_create_staff_prints_password_and_totp_once_and_the_demo_clerk_can_log_in(tmp_path):
    import pyotp

    run_cli(tmp_path, "migrate")
    run_cli(tmp_path, "create-court", "--code", "桂1202", "--name", "示范法院")
    out = run_cli(tmp_path, "create-staff", "--court", "桂1202", "--login", "li", "--name", "李书记员",
                  "--role", "clerk").stdout
    assert "李书记员" in out and "书记员" in out
    secret = re.search(r"TOTP 密钥: ([A-Z2-7]{32})", out).group(1)
    assert f"secret={secret}" in out and "otpauth://totp/" in out
    assert re.search(r"密码: (\S{12,})", out)
    taken = run_cli(tmp_path, "create-staff", "--court", "桂1202", "--login", "li", "--name", "x",
                    "--role", "judge", check=False)
    assert taken.returncode != 0 and "已被使用" in taken.stderr
    demo = run_cli(tmp_path, "demo", "--no-serve").stdout
    demo_secret = re.search(r"动态验证码密钥.*: ([A-Z2-7]{32})", demo).group(1)
    assert pyotp.TOTP(demo_secret).now().isdigit() and "demo-clerk" in demo and "/console/login" in demo


def test_links_and_qr_codes_follow_the_port_in_dev(tmp_path):
    out = run_cli(tmp_path, "demo", "--no-serve", "--port", "8123").stdout
    link = re.search(r"http://127\.0\.0\.1:8123/s/([0-9A-Za-z]{22})", out)
    assert link and "127.0.0.1:8000" not in out, out
    assert link.group(0) in (tmp_path / "dev-sms.jsonl").read_text()  # the text sent, not only the printout
    receipt = subprocess.run(["pdftotext", str(tmp_path / "demo-receipt.pdf"), "-"], capture_output=True,
                             text=True, check=True).stdout
    assert "http://127.0.0.1:8123/verify/SD" in receipt.replace("\n", "")


def test_an_explicit_public_base_url_wins_and_zero_host_means_this_machine():
    from app.__main__ import dev_public_base_url

    assert dev_public_base_url("0.0.0.0", 8100) == "http://127.0.0.1:8100"
    assert dev_public_base_url("192.168.1.20", 8100) == "http://192.168.1.20:8100"
    assert dev_public_base_url("::1", 8100) == "http://[::1]:8100"
