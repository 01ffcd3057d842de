"""One error hierarchy for the whole product.

Domain packages raise subclasses of ``AppError``; each surface maps them at its boundary
(JSON ``{"error": {"code", "message"}}`` for APIs, a Chinese page for the portal).
"""
from __future__ import annotations

from typing import Any

# A 429 whose window is not known (a provider's own limit): ask the client to wait a minute.
DEFAULT_RETRY_AFTER = 60


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details

    @property
    def retry_after(self) -> int | None:
        """Whole seconds to wait, for every 429 (``details["retry_after"]`` when the limit knows
        when its window ends, else ``DEFAULT_RETRY_AFTER``); None for other statuses."""
        if self.status != 429:
            return None
        seconds = self.details.get("retry_after") if isinstance(self.details, dict) else None
        return max(1, int(seconds)) if isinstance(seconds, (int, float)) else DEFAULT_RETRY_AFTER

    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries: ``Retry-After`` on a 429 (RFC 9110 §10.2.3)."""
        seconds = self.retry_after
        return {} if seconds is None else {"Retry-After": str(seconds)}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


class NotFound(AppError):
    status = 404
    code = "not_found"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Conflict(AppError):
    status = 409
    code = "conflict"


class ValidationFailed(AppError):
    """422 with a list of ``{"field": "recipients.0.phone", "message": "…"}``."""

    status = 422
    code = "validation_failed"


class Overloaded(AppError):
    """503: the web process is at its admission limit (web/admission.py) and did nothing; the
    client is asked to come back after ``retry_after`` seconds."""

    status = 503
    code = "overloaded"

    def __init__(self, message: str = "当前访问人数较多，请稍后再试", *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.wait_seconds = max(1, int(retry_after))

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.wait_seconds)}


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
