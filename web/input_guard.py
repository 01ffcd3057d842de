"""Text from outside never carries control characters: PostgreSQL refuses NUL (a 500 deep in a
use case), and the others have no business in a name, an address or a filter. Checked at the
edge, for every query argument, form field and JSON string of a surface's requests: 422."""
from __future__ import annotations

import re
from typing import Any

from core.errors import ValidationFailed

# C0 controls and DEL, except tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _refused(field: str) -> ValidationFailed:
    return ValidationFailed("输入包含不允许的控制字符", code="invalid_characters",
                            details=[{"field": field, "message": "包含不允许的控制字符"}])


def _check(value: Any, field: str, depth: int = 0) -> None:
    if isinstance(value, str):
        if has_control_characters(value):
            raise _refused(field)
    elif isinstance(value, dict) and depth < 32:
        for key, item in value.items():
            _check(key, field, depth + 1)
            _check(item, f"{field}.{key}" if field else str(key), depth + 1)
    elif isinstance(value, list) and depth < 32:
        for index, item in enumerate(value):
            _check(item, f"{field}.{index}" if field else str(index), depth + 1)


async def refuse_control_characters(request: Any) -> None:
    """A sanic ``on_request`` hook for a surface's blueprint."""
    for name, values in request.args.items():
        _check(name, name)
        _check(values, name)
    content_type = (request.content_type or "").split(";", 1)[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data") and request.form:
        for name, values in request.form.items():
            _check(name, name)
            _check(values, name)
    elif content_type == "application/json" and request.body:
        try:
            body = request.json
        except Exception:  # noqa: BLE001 (malformed JSON is the handler's 400)
            return
        _check(body, "")
