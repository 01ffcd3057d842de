"""送达回证 — receipts with legal weight: what one says (``data``), how it is drawn (``layout``),
and the court's electronic seal on it (``seal``).

Kept import-free: ``data`` is light, while ``layout`` (reportlab) and ``seal`` (pyHanko) are
imported only by the code that renders or seals.
"""
