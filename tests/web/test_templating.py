"""Pages are autoescaped and show stored UTC times in Beijing time."""
from __future__ import annotations

from datetime import UTC, datetime

from web.templating import Templates, beijing, beijing_date, duration


def test_beijing_time():
    noon_utc = datetime(2024, 5, 1, 16, 30, tzinfo=UTC)
    assert beijing(noon_utc) == "2024-05-02 00:30:00"
    assert beijing(noon_utc, "%H:%M") == "00:30"
    assert beijing(None) == "—"
    assert beijing_date(noon_utc) == "2024-05-02" and beijing_date(None) == ""


def test_render_escapes_and_uses_filters(tmp_path):
    (tmp_path / "page.html").write_text("<p>{{ name }} {{ at | beijing }} {{ at | beijing_date }}</p>",
                                        encoding="utf-8")
    templates = Templates(tmp_path, time_format="%Y-%m-%d %H:%M")
    at = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
    response = templates.render("page.html", status=201, name="<script>", at=at)
    assert response.status == 201 and response.content_type.startswith("text/html")
    assert response.body.decode() == "<p>&lt;script&gt; 2024-05-01 09:00 2024-05-01</p>"


def test_durations_in_the_unit_that_fits():
    assert duration(None) == "—"
    assert duration(0.005) == "不到 1 分钟"
    assert duration(7 / 60) == "7 分钟"
    assert duration(3.25) == "3.2 小时" or duration(3.25) == "3.3 小时"
    assert duration(24 * 5) == "5.0 天"
