"""Jinja2 for the portal's pages: autoescaped, Beijing time, templates beside this file."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic.response import HTTPResponse, html

BEIJING = timezone(timedelta(hours=8))

env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def beijing(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


env.filters["beijing"] = beijing


def render(template: str, *, status: int = 200, **context) -> HTTPResponse:
    return html(env.get_template(template).render(**context), status=status)
