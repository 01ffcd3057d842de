"""人民法院报 announcement system (公告管理系统): JSON over HTTPS.

Submission: ``POST {base}/api/announcements`` with a JSON body and headers ``X-Client-Id`` and
``X-Signature`` (HMAC-SHA256 of the body, publisher.py); the answer is ``{"ref": ...}`` or
``{"error": ...}`` with a 4xx. The published page: ``GET {base}/api/announcements/{ref}/page``,
signed over the path. Callbacks come to ``/announcement/paper/callback`` (publisher.py).
"""
from __future__ import annotations

import json
from urllib.parse import quote

import httpx

from announcement.publishers.publisher import (
    PaperEvent,
    PublisherRejected,
    PublisherUnavailable,
    Submission,
    parse_callback,
    sign,
)


class CourtPaperPublisher:
    name = "court_paper"

    def __init__(self, *, client_id: str, secret: str, base_url: str, timeout: float = 10.0) -> None:
        if not (client_id and secret and base_url):
            raise ValueError("court_paper needs client id, secret and base URL")
        self._client_id, self._secret, self._base, self._timeout = client_id, secret, base_url.rstrip("/"), timeout

    async def submit(self, submission: Submission) -> str:
        body = json.dumps({"court": submission.court_name, "case_number": submission.case_number,
                           "title": submission.title, "text": submission.text,
                           "callback_url": submission.callback_url},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        response = await self._request("POST", "/api/announcements", body)
        try:
            data = response.json()
        except ValueError as exc:
            raise PublisherUnavailable("人民法院报公告系统返回了无法识别的内容") from exc
        if response.status_code >= 400 or not data.get("ref"):
            raise PublisherRejected(f"人民法院报公告系统拒绝了提交：{str(data.get('error') or '')[:100]}")
        return str(data["ref"])[:64]

    def read_callback(self, body: bytes, signature: str) -> PaperEvent:
        return parse_callback(body, signature, self._secret, publisher=self.name)

    async def fetch_page(self, ref: str) -> tuple[bytes, str]:
        path = f"/api/announcements/{quote(ref, safe='')}/page"
        response = await self._request("GET", path, path.encode("utf-8"))
        if response.status_code >= 400:
            raise PublisherRejected("人民法院报公告系统未提供刊登版面")
        kind = response.headers.get("content-type", "")
        return response.content, f"{ref}.{'pdf' if 'pdf' in kind else 'png'}"

    async def _request(self, method: str, path: str, signed: bytes) -> httpx.Response:
        headers = {"X-Client-Id": self._client_id, "X-Signature": sign(signed, self._secret),
                   "Content-Type": "application/json; charset=utf-8"}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.request(method, f"{self._base}{path}", headers=headers,
                                                content=signed if method == "POST" else None)
        except httpx.HTTPError as exc:
            raise PublisherUnavailable("人民法院报公告系统暂时无法连接，请稍后再试") from exc
        if response.status_code >= 500:
            raise PublisherUnavailable("人民法院报公告系统暂时不可用，请稍后再试")
        return response
