"""The monthly statement: items by price band, cases, totals, as xlsx and PDF."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from core.errors import ValidationFailed
from mail.batches import create_print_batches
from mail.statement import monthly_statement, statement_pdf, statement_xlsx
from tests.mail.helpers import BEIHAI, GUANGZHOU, LIUZHOU, META, NOW, mail_tasks
from web.templating import BEIJING


async def test_statement_totals_by_band(db):
    (_, server, _, _), tasks, _ = await mail_tasks(
        db, [LIUZHOU.format(n=1), LIUZHOU.format(n=2), BEIHAI.format(n=3), GUANGZHOU.format(n=4)])
    await create_print_batches(server, [t.id for t in tasks], settings=db, now=NOW, meta=META)
    month = NOW.astimezone(BEIJING).strftime("%Y-%m")
    result = await monthly_statement(tasks[0].court_id, month)
    assert [(line.band.label, line.items, line.postage_fen) for line in result.lines] == [
        ("同城", 2, 4000), ("区内", 1, 3000), ("省外", 1, 4000)]
    assert (result.items, result.cases, result.total_fen) == (4, 1, 4000 + 3000 + 4000 + 4 * 800)
    book = load_workbook(io.BytesIO(statement_xlsx(result)))
    assert book["汇总"]["E6"].value == 142.0 and book["明细"].max_row == 5
    assert "142.00" in PdfReader(io.BytesIO(statement_pdf(result))).pages[0].extract_text()
    empty = await monthly_statement(tasks[0].court_id, "2020-01")
    assert (empty.items, empty.total_fen) == (0, 0)
    with pytest.raises(ValidationFailed):
        await monthly_statement(tasks[0].court_id, "2020-1x")
