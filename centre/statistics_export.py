"""总体统计 as an Excel workbook (openpyxl): one sheet per channel figures, pickup routes and staff.

Cells hold numbers as numbers (shares as a percentage format), so the court can compute on them.
Names come from staff accounts: written as values, never as formulas (a leading ``=`` is kept as
text), so a display name cannot become a formula in the court's spreadsheet.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font

from centre.statistics import CentreStatistics

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHANNEL_HEADER = ["送达方式", "发起送达案件数", "受送达人次", "文书数量", "送达次数", "已办结", "送达成功",
                  "成功占比", "处理时间中位数（小时）", "处理时间P90（小时）", "领取途径"]
STAFF_HEADER = ["工作人员", "工作量（已分派）", "已办结", "超期"]


def statistics_workbook(stats: CentreStatistics) -> bytes:
    book = Workbook()
    channels = book.active
    channels.title = "按送达方式"
    period = f"{stats.period.start:%Y-%m-%d} 至 {stats.period.end:%Y-%m-%d}"
    _rows(channels, [f"总体统计（{period}，按送达尝试创建时间）", stats.precision_note], CHANNEL_HEADER, [
        [f.label, f.cases, f.recipients, f.documents, f.attempts, f.closed, f.served, f.success_share,
         f.median_hours, f.p90_hours, "；".join(f"{k} {v}" for k, v in f.routes.items())]
        for f in stats.channels])
    for row in channels.iter_rows(min_row=3, min_col=8, max_col=8):
        row[0].number_format = "0.0%"
    routes = book.create_sheet("领取途径")
    _rows(routes, [f"领取途径（{period}，送达成功的尝试）"], ["领取途径", "送达成功次数"],
          [[label, n] for label, n in sorted(stats.routes.items(), key=lambda kv: -kv[1])])
    staff = book.create_sheet("按工作人员")
    _rows(staff, [f"工作人员（{period}）"], STAFF_HEADER,
          [[s.name, s.workload, s.closed, s.overdue] for s in stats.staff])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rows(sheet, title: list[str], header: list[str], rows: list[list]) -> None:
    sheet.append(title)
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = TYPE_STRING   # text stays text: "=cmd|..." is not a formula
    for column in sheet.columns:
        width = max((len(str(c.value or "")) for c in column[1:]), default=0)
        sheet.column_dimensions[column[0].column_letter].width = min(60, max(10, width * 2))
