"""Jinja2 pages: autoescaped, times shown in Beijing time. Each surface keeps its own templates
directory and builds one ``Templates`` for it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic.response import HTTPResponse, html

BEIJING = timezone(timedelta(hours=8))


def beijing(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored UTC time as a court's users read it; "—" when there is none."""
    if value is None:
        return "—"
    return value.astimezone(BEIJING).strftime(fmt)


def duration(hours: float | None) -> str:
    """A duration as staff say it: 分钟 under an hour, 小时 under two days, then 天."""
    if hours is None:
        return "—"
    minutes = hours * 60
    if minutes < 1:
        return "不到 1 分钟"
    if minutes < 60:
        return f"{minutes:.0f} 分钟"
    if hours < 48:
        return f"{hours:.1f} 小时"
    return f"{hours / 24:.1f} 天"


def beijing_date(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(BEIJING).strftime("%Y-%m-%d")


class Templates:
    """The pages of one surface (its ``templates`` directory)."""

    def __init__(self, directory: Path, *, time_format: str = "%Y-%m-%d %H:%M:%S") -> None:
        self.env = Environment(loader=FileSystemLoader(directory), autoescape=select_autoescape(["html"]),
                               trim_blocks=True, lstrip_blocks=True,
                               # Templates ship with the code: no stat() of the file on every page.
                               auto_reload=False)
        self.env.filters["beijing"] = lambda value: beijing(value, time_format)
        self.env.filters["beijing_date"] = beijing_date
        self.env.filters["duration"] = duration

    def render(self, template: str, *, status: int = 200, **context) -> HTTPResponse:
        return html(self.env.get_template(template).render(**context), status=status)
