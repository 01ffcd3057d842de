"""A loopback fake of a court's lookup gateway (docs/LOOKUPS.md) that checks what the gateway
must check: the app key, the HMAC-SHA256 signature over the canonical string (computed here
independently of the adapter), the timestamp window, nonce replay, the JSON body's required
fields (a reason and an operator on every query). It answers in the documented shapes:
``{"code": "OK", "records": […]}``, ``NOT_FOUND`` (404), ``NAME_MISMATCH`` (403), and on demand
``RATE_LIMITED`` (429 + Retry-After), ``UPSTREAM_UNAVAILABLE`` (503) or a slow answer."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.loopback import LoopbackServer

WINDOW = 300
COMMON = ("request_id", "court_code", "operator", "purpose", "name")
PATHS = {"/v1/population/residence": "id_number", "/v1/carrier/subscriber-address": "phone"}


@dataclass
class FakeLookupGateway:
    app_key: str = "songda-court-01"
    secret: str = "lookup-gateway-secret"
    # number (ID number or phone) → (the holder's name, records as the gateway answers them)
    people: dict[str, tuple[str, list[dict[str, str]]]] = field(default_factory=dict)
    queries: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    fail_with: tuple[int, str] | None = None     # (HTTP status, code) for every query until cleared
    delay: float = 0.0
    _nonces: dict[str, float] = field(default_factory=dict)

    def start(self) -> FakeLookupGateway:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer, headers = fake.handle(self.command, self.path, dict(self.headers), body)
                if fake.delay:
                    time.sleep(fake.delay)
                data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(status)
                    for name, value in {"Content-Type": "application/json; charset=utf-8",
                                        "Content-Length": str(len(data)), **headers}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self._loopback = LoopbackServer(Handler)
        return self

    @property
    def base_url(self) -> str:
        return self._loopback.base_url

    def close(self) -> None:
        self._loopback.close()

    def add_person(self, number: str, name: str, records: list[dict[str, str]]) -> None:
        self.people[number] = (name, records)

    def _refuse(self, status: int, code: str) -> tuple[int, dict, dict]:
        self.refusals.append(code)
        return status, {"code": code, "message": code}, {}

    def _expected_signature(self, method: str, path: str, headers: dict[str, str], body: bytes) -> str:
        headers = {k.lower(): v for k, v in headers.items()}
        canonical = "\n".join((method, path, headers.get("x-lookup-app-key", ""),
                               headers.get("x-lookup-timestamp", ""), headers.get("x-lookup-nonce", ""),
                               hashlib.sha256(body).hexdigest()))
        mac = hmac.new(self.secret.encode(), canonical.encode(), hashlib.sha256).digest()
        return base64.b64encode(mac).decode()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        if path not in PATHS:
            return 404, {"code": "NO_SUCH_API"}, {}
        if headers.get("x-lookup-app-key") != self.app_key:
            return self._refuse(401, "APP_KEY_UNKNOWN")
        if not hmac.compare_digest(self._expected_signature(method, path, headers, body),
                                   headers.get("x-lookup-signature", "")):
            return self._refuse(401, "SIGNATURE_INVALID")
        stamp = headers.get("x-lookup-timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > WINDOW:
            return self._refuse(401, "TIMESTAMP_EXPIRED")
        nonce = headers.get("x-lookup-nonce", "")
        now = time.time()
        self._nonces = {n: t for n, t in self._nonces.items() if now - t <= 2 * WINDOW}
        if len(nonce) < 16 or nonce in self._nonces:
            return self._refuse(401, "NONCE_REPLAYED")
        self._nonces[nonce] = now
        if not headers.get("content-type", "").startswith("application/json"):
            return self._refuse(400, "INVALID_REQUEST")
        try:
            data = json.loads(body)
        except ValueError:
            return self._refuse(400, "INVALID_REQUEST")
        number_field = PATHS[path]
        if any(not str(data.get(k) or "").strip() for k in (*COMMON, number_field)):
            return self._refuse(400, "MISSING_FIELD")
        self.queries.append(data)
        if self.fail_with:
            status, code = self.fail_with
            return status, {"code": code, "message": code}, {"Retry-After": "120"} if status == 429 else {}
        person = self.people.get(data[number_field])
        if person is None:
            return 404, {"code": "NOT_FOUND", "request_id": data["request_id"]}, {}
        if person[0] != data["name"]:
            return self._refuse(403, "NAME_MISMATCH")
        return 200, {"code": "OK", "request_id": data["request_id"], "records": person[1]}, {}

    def replay(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict, dict]:
        """A captured request sent again, as an attacker on the wire would."""
        return self.handle("POST", path, headers, body)
