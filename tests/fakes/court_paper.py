"""A loopback fake of 人民法院报's announcement system that checks what it checks: the client id
and the HMAC-SHA256 signature of each request (computed here independently of the adapter),
and the submission's fields. It answers in the system's JSON shapes and builds the signed
callbacks it would send (``callback``)."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.loopback import LoopbackServer
from tests.fakes.pdf import one_page_pdf

REQUIRED = ("court", "case_number", "title", "text", "callback_url")


@dataclass
class FakeCourtPaper:
    client_id: str = "court-01"
    secret: str = "paper-secret"
    submissions: dict[str, dict] = field(default_factory=dict)
    refused_signs: int = 0

    def start(self) -> FakeCourtPaper:
        fake, numbers = self, itertools.count(1)

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _signed(self, signed: bytes) -> bool:
                good = hmac.new(fake.secret.encode(), signed, hashlib.sha256).hexdigest()
                if self.headers.get("X-Client-Id") != fake.client_id or not hmac.compare_digest(
                        good, self.headers.get("X-Signature") or ""):
                    fake.refused_signs += 1
                    self._answer(401, json.dumps({"error": "签名无效"}).encode())
                    return False
                return True

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/api/announcements" or not self._signed(body):
                    return
                data = json.loads(body)
                if any(not data.get(k) for k in REQUIRED):
                    self._answer(400, json.dumps({"error": "缺少字段"}, ensure_ascii=False).encode())
                    return
                ref = f"RMFYB{next(numbers):06d}"
                fake.submissions[ref] = data
                self._answer(200, json.dumps({"ref": ref}).encode())

            def do_GET(self) -> None:  # noqa: N802
                parts = self.path.strip("/").split("/")
                if not self._signed(self.path.encode()):
                    return
                if len(parts) == 4 and parts[3] == "page" and parts[2] in fake.submissions:
                    self._answer(200, one_page_pdf(parts[2]), "application/pdf")
                else:
                    self._answer(404, b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self._loopback = LoopbackServer(Handler)
        return self

    @property
    def base_url(self) -> str:
        return self._loopback.base_url

    def close(self) -> None:
        self._loopback.close()

    def callback(self, ref: str, status: str, *, published_on: date | None = None, edition: str = "",
                 page: str = "", reason: str = "") -> tuple[bytes, str]:
        data = {"ref": ref, "status": status, "edition": edition, "page": page, "reason": reason}
        if published_on:
            data["date"] = published_on.isoformat()
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return body, hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
