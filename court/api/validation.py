"""Turning pydantic's errors into our 422: a field path and a Chinese reason per problem."""
from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from core.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "list_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "enum": "取值无效",
    "too_short": "数量或长度不足",
    "too_long": "数量或长度超出上限",
    "string_too_short": "不能为空",
    "string_too_long": "长度超出上限",
    "datetime_type": "应为 ISO 8601 时间",
    "datetime_parsing": "应为 ISO 8601 时间",
    "datetime_from_date_parsing": "应为 ISO 8601 时间",
    "bool_type": "应为布尔值",
}


def _message(error: dict[str, Any]) -> str:
    if error["type"] == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    base = _MESSAGES.get(error["type"], error["msg"])
    if error["type"] == "enum":
        return f"{base}，可选值：{error.get('ctx', {}).get('expected', '')}"
    if error["type"] in ("too_short", "too_long", "string_too_long"):
        ctx = error.get("ctx", {})
        limit = ctx.get("max_length") if "long" in error["type"] else ctx.get("min_length")
        return f"{base}（{limit}）" if limit is not None else base
    return base


def parse(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise ValidationFailed("请求体应为 JSON 对象", details=[{"field": "", "message": "应为 JSON 对象"}])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": _message(e)}
            for e in exc.errors(include_url=False)
        ]
        raise ValidationFailed("请求内容有误", details=details) from None
