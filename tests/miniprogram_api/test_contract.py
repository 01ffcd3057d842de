"""The mini-program API's contract (/mp/api/v1/openapi.json): a valid OpenAPI 3.1 document; every
error code the mini-program's modules raise is listed with its meaning and the client's reaction;
every 429 documents Retry-After; and a real run of the SMS route (login → phone → identity → code →
services → read → sign → receipt) answers as documented — status listed, body matching the
schema, every time ISO 8601 with an offset. The run is what miniprogram/'s jest suite replays: with
SONGDA_RECORD_MP_RUN=1 it is written to miniprogram/test/fixtures/recorded-run.json."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import jsonschema
import pytest

from miniprogram_api.contract import ERRORS
from miniprogram_api.openapi import openapi_document
from receipts.worker import seal_pending_receipts
from tests.factories import phone as new_phone
from tests.factories import resident_id, signature_png
from tests.miniprogram_api.mp_helpers import auth, last_code, now, person, serve

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "miniprogram" / "test" / "fixtures"
RECORDING = FIXTURES / "recorded-run.json"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")
# Codes in the scanned modules that no /mp/api/v1 call can answer with.
NOT_ON_THIS_API = {"upload_invalid", "face_step_required", "step_required", "delivery_closed", "rate_limited",
                   "wechat_subscribe_refused", "session_invalid", "conflict", "unauthorized", "forbidden",
                   "bad_request", "sms_misconfigured", "csrf_failed",
                   # identity.face's picture errors: on /face/verify they are an attempt answered 未通过.
                   "no_face", "many_faces"}


async def test_the_document_is_valid_and_served(mp_http):
    from openapi_spec_validator import validate

    response = await mp_http.get("/mp/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert spec == json.loads(json.dumps(openapi_document()))
    assert {"/session", "/phone", "/phone/code", "/identity", "/face/challenge", "/face/verify",
            "/face/wechat/start", "/face/wechat/finish", "/services", "/deliveries/{delivery_id}/sign",
            "/receipts/{receipt_no}.pdf"} <= set(spec["paths"])


def _raised_codes() -> set[str]:
    sources = [*(ROOT / "miniprogram_api").glob("*.py"), ROOT / "identity/face/errors.py", ROOT / "identity/codes.py",
               ROOT / "identity/code_requests.py", ROOT / "identity/wechat/api.py", ROOT / "identity/sms/gateway.py",
               ROOT / "identity/sms/sending.py", ROOT / "identity/limits.py", ROOT / "service/signing.py",
               ROOT / "service/access.py", ROOT / "core/errors.py", ROOT / "web/input_guard.py"]
    found = set()
    for path in sources:
        if path.name in ("contract.py", "openapi.py"):
            continue
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'\bcode\s*=\s*"([a-z][a-z0-9_]+)"', text))
        found |= set(re.findall(r'^\s*\("[^"]*",\s*"([a-z_]+)",', text, re.M))  # code_requests' step table
        found |= set(re.findall(r'\), "([a-z]+_[a-z_]+)", "', text))
    return found


def test_every_error_code_is_written_down_with_meaning_and_reaction():
    missing = _raised_codes() - set(ERRORS) - NOT_ON_THIS_API
    assert not missing, f"error codes raised but not in miniprogram_api/contract.py: {sorted(missing)}"
    for code, entry in ERRORS.items():
        assert entry.meaning and entry.reaction, code
    spec = openapi_document()
    listed = {c for ops in spec["paths"].values() for op in ops.values() for r in op["responses"].values()
              for c in r.get("x-error-codes", [])}
    assert listed <= set(ERRORS)
    for ops in spec["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                if status == "429" or (status == "202" and "Retry-After" in response.get("headers", {})):
                    assert "Retry-After" in response["headers"], op["operationId"]
                for code in response.get("x-error-codes", []):
                    assert str(ERRORS[code].status) == status, code


def _times(value, path="") -> list[tuple[str, str]]:
    """Every value under a key ending in _at (and the login's expires_at)."""
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_at") and isinstance(item, str):
                out.append((f"{path}.{key}", item))
            out += _times(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _times(item, f"{path}[{i}]")
    return out


class Recorder:
    """Sends calls, checks each answer against the document, keeps them for the jest replay."""

    def __init__(self, http, spec):
        self.http, self.spec, self.calls = http, spec, []
        self.schemas = {"components": spec["components"]}

    def _operation(self, method: str, url: str) -> tuple[str, dict]:
        path = url.split("?")[0].removeprefix("/mp/api/v1")
        for template, ops in self.spec["paths"].items():
            pattern = "^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path) and method.lower() in ops:
                return template, ops[method.lower()]
        raise AssertionError(f"{method} {path} is not in the document")

    async def __call__(self, method: str, url: str, **kwargs):
        response = await self.http.request(method, url, **kwargs)
        template, operation = self._operation(method, url)
        status = str(response.status_code)
        assert status in operation["responses"], (method, url, status, response.text)
        documented = operation["responses"][status]
        body = None
        if response.headers.get("content-type", "").startswith("application/json"):
            body = response.json()
            schema = documented["content"]["application/json"]["schema"]
            jsonschema.validate(body, {**schema, **self.schemas})
            if "error" in body:
                assert body["error"]["code"] in documented["x-error-codes"], body
            for where, value in _times(body):
                assert ISO_WITH_OFFSET.match(value), (url, where, value)
        for header in documented.get("headers", {}):
            assert header in response.headers, (url, header)
        self.calls.append({"method": method, "path": url.split("?")[0].removeprefix("/mp/api/v1"),
                           "template": template, "status": response.status_code, "body": body,
                           "headers": {k: v for k, v in response.headers.items() if k.lower() == "retry-after"},
                           "content_type": response.headers.get("content-type", "").split(";")[0]})
        return response


async def test_the_sms_route_answers_as_documented(mp_http, mp_app, db, fake_wechat):
    """The calls in the order miniprogram/'s pages make them (its jest suite replays this run
    strictly, call by call): login with one stale code, phone through getPhoneNumber, name + ID,
    the SMS second factor with a cooldown and a wrong code, services, each document then the list
    again, sign, the receipt while sealing and when sealed, the list once more."""
    number, id_number = new_phone(), resident_id()
    await serve(db, [person(number, id_number)], documents=2)
    call = Recorder(mp_http, openapi_document())
    bad = await call("POST", "/mp/api/v1/session", json={"code": "stale"})
    assert bad.status_code == 400
    token = (await call("POST", "/mp/api/v1/session", json={"code": fake_wechat.login_code("o-rec")})).json()["token"]
    headers = auth(token)
    await call("GET", "/mp/api/v1/session", headers=headers)
    await call("POST", "/mp/api/v1/phone", json={"code": fake_wechat.phone_code(number)}, headers=headers)
    await call("POST", "/mp/api/v1/identity", json={"name": "王小明", "id_number": id_number}, headers=headers)
    state = (await call("GET", "/mp/api/v1/session", headers=headers)).json()
    assert state["routes"]["face"] is True and state["routes"]["face_method"] == "wechat"
    await call("GET", "/mp/api/v1/face/consent", headers=headers)
    await call("POST", "/mp/api/v1/phone/code", json={}, headers=headers)
    again = await call("POST", "/mp/api/v1/phone/code", json={}, headers=headers)
    assert again.status_code == 429 and again.json()["error"]["code"] == "code_cooldown"
    code = last_code(db, number)
    wrong = await call("POST", "/mp/api/v1/phone", json={"sms_code": "111111" if code == "000000" else "000000"},
                       headers=headers)
    assert wrong.status_code == 400
    done = await call("POST", "/mp/api/v1/phone", json={"sms_code": code}, headers=headers)
    assert done.json()["status"]["verified"] is True
    service = (await call("GET", "/mp/api/v1/services", headers=headers)).json()["services"][0]
    delivery_id = service["delivery"]["id"]
    for document in service["documents"]:
        await call("GET", f"/mp/api/v1/deliveries/{delivery_id}/documents/{document['id']}", headers=headers)
        await call("GET", "/mp/api/v1/services", headers=headers)
    signed = await call("POST", f"/mp/api/v1/deliveries/{delivery_id}/sign", headers=headers,
                        files={"signature": ("s.png", signature_png(), "image/png")})
    receipt_url = signed.json()["url"]
    assert (await call("GET", receipt_url, headers=headers)).status_code == 202
    await seal_pending_receipts(sealer=mp_app.ctx.sealer, storage=mp_app.ctx.storage, settings=db,
                                worker_id="test", now=now())
    assert (await call("GET", receipt_url, headers=headers)).status_code == 200
    await call("GET", "/mp/api/v1/services", headers=headers)
    # Refused before reading: the client guards this itself, the server too.
    early = await mp_http.post(f"/mp/api/v1/deliveries/{delivery_id}/sign", headers=headers,
                               files={"signature": ("s.png", signature_png(), "image/png")})
    assert early.status_code == 409
    _record(RECORDING, call, "test/flow.test.js")


def _record(path: Path, call: Recorder, replayed_by: str) -> None:
    if os.environ.get("SONGDA_RECORD_MP_RUN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"note": "recorded by tests/miniprogram_api/test_contract.py "
                                            f"(SONGDA_RECORD_MP_RUN=1); replayed by {replayed_by}",
                                    "calls": call.calls}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


async def test_the_wechat_face_route_answers_as_documented(mp_http, db, fake_wechat):
    """The verify page's face card with WeChat 人脸核身: consent, start, a failed scan (未通过, the
    SMS route stays), a passed one."""
    number, id_number = new_phone(), resident_id()
    await serve(db, [person(number, id_number)], documents=1)
    call = Recorder(mp_http, openapi_document())
    token = (await call("POST", "/mp/api/v1/session", json={"code": fake_wechat.login_code("o-face")})).json()["token"]
    headers = auth(token)
    await call("POST", "/mp/api/v1/phone", json={"code": fake_wechat.phone_code(number)}, headers=headers)
    await call("POST", "/mp/api/v1/identity", json={"name": "王小明", "id_number": id_number}, headers=headers)
    start = len(call.calls)
    await call("GET", "/mp/api/v1/session", headers=headers)
    await call("GET", "/mp/api/v1/face/consent", headers=headers)
    version = call.calls[-1]["body"]["version"]
    await call("POST", "/mp/api/v1/face/consent", json={"version": version}, headers=headers)
    for verify_ret in (10004, 10000):  # 比对不一致, then passed
        verify_id = (await call("POST", "/mp/api/v1/face/wechat/start", headers=headers)).json()["verify_id"]
        fake_wechat.face_scanned(verify_id, verify_ret=verify_ret)
        finished = await call("POST", "/mp/api/v1/face/wechat/finish", headers=headers)
        assert finished.status_code == (200 if verify_ret == 10000 else 422)
    assert finished.json()["status"]["verified"] is True
    call.calls = call.calls[start:]  # the replay starts on the verify page
    _record(FIXTURES / "recorded-face-wechat.json", call, "test/face.test.js")


async def test_the_local_face_route_answers_as_documented(mp_http, db, fake_wechat, local_face):
    """Where a court enabled local matching: the challenge, then frames that do not pass (blank
    pictures) — the answer is 未通过, documented as FaceResult in the 422."""
    pytest.importorskip("face_recognition")
    from tests.miniprogram_api.test_face_route import jpeg

    number, id_number = new_phone(), resident_id()
    await serve(db, [person(number, id_number)], documents=1)
    call = Recorder(mp_http, openapi_document())
    token = (await call("POST", "/mp/api/v1/session", json={"code": fake_wechat.login_code("o-local")})).json()["token"]
    headers = auth(token)
    await call("POST", "/mp/api/v1/phone", json={"code": fake_wechat.phone_code(number)}, headers=headers)
    await call("POST", "/mp/api/v1/identity", json={"name": "王小明", "id_number": id_number}, headers=headers)
    consent = (await mp_http.get("/mp/api/v1/face/consent", headers=headers)).json()
    await call("POST", "/mp/api/v1/face/consent", json={"version": consent["version"]}, headers=headers)
    start = len(call.calls)
    challenge = (await call("POST", "/mp/api/v1/face/challenge", headers=headers)).json()
    blank = jpeg((320, 240))
    files = [("reference", ("id.jpg", blank, "image/jpeg")), ("selfie", ("me.jpg", blank, "image/jpeg"))]
    files += [("frame", (f"f{i}.jpg", blank, "image/jpeg")) for i in range(6)]
    failed = await call("POST", "/mp/api/v1/face/verify", headers=headers, files=files,
                        data={"challenge_id": challenge["challenge_id"], "frame_ms": "0,250,500,750,1000,1250"})
    assert failed.status_code == 422 and failed.json()["message"] == "未通过"
    call.calls = call.calls[start:]
    _record(FIXTURES / "recorded-face-local.json", call, "test/face.test.js")
