"""QR codes drawn into a reportlab canvas as vectors: receipts, print batches and receipts of
in-person service all print them, and reportlab's QrCodeWidget (one shape object per module)
cost most of a print batch's time (docs/PERFORMANCE.md)."""
from __future__ import annotations

from reportlab.pdfgen.canvas import Canvas


def draw_qr(c: Canvas, matrix: list[list[bool]], x: float, y: float, size: float, quiet: int = 4) -> None:
    """Vector QR code in the square (x, y, size), quiet zone included: one rectangle per horizontal
    run of dark modules, in module units under one transform, so it stays crisp at any zoom and
    the content stream stays small (~400 ``re`` operators, no float formatting per module)."""
    n = len(matrix)
    module = size / (n + 2 * quiet)
    ops = []
    for row_index, row in enumerate(matrix):
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                ops.append(f"{start} {n - 1 - row_index} {col - start} 1 re")
            else:
                col += 1
    ox, oy = x + quiet * module, y + quiet * module
    c.addLiteral(f"q 0 g {module:.5f} 0 0 {module:.5f} {ox:.3f} {oy:.3f} cm\n" + "\n".join(ops) + "\nf Q")
