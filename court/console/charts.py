"""Bar charts as inline SVG, drawn from our own figures on the server: no script, no CDN, and the
page's CSP (no inline script, no third-party origin) stays as strict as everywhere else."""
from __future__ import annotations

from markupsafe import Markup, escape

ROW, LABEL, BAR, PAD = 28, 150, 360, 60


def bar_chart(rows: list[tuple[str, int]], *, title: str) -> Markup:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    top = max((value for _, value in rows), default=0) or 1
    height = ROW * len(rows) + 30
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {LABEL + BAR + PAD} {height}" '
             f'width="{LABEL + BAR + PAD}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<text x="0" y="16" class="chart-title">{escape(title)}</text>']
    for i, (label, value) in enumerate(rows):
        y = 30 + i * ROW
        width = round(BAR * value / top) if value else 0
        parts.append(f'<text x="{LABEL - 8}" y="{y + 15}" text-anchor="end" class="chart-label">{escape(label)}</text>'
                     f'<rect x="{LABEL}" y="{y + 2}" width="{width}" height="{ROW - 10}" class="chart-bar">'
                     f"<title>{escape(label)}：{value}</title></rect>"
                     f'<text x="{LABEL + width + 6}" y="{y + 15}" class="chart-value">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
