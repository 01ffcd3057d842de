"""Print batches for destination printing: 1,000 recipients × 3 documents rendered into print
PDFs, beside a plain pypdf merge of the same document pages, in the same run.

    .venv/bin/python bench/mail_print.py [--recipients 1000] [--documents 3]

Rows, each in a child process of its own so its peak resident memory is its own (ru_maxrss):
- product: ``mail.printing.render_batch`` over the recipients in batches of ``MAX_ITEMS`` (the
  size mail/batches.py cuts a selection into), each written to a temporary file: per recipient a
  送达告知书 with its QR code, the documents, a 送达回证 with Code 128 and QR, duplex blanks, and a
  cover sheet per batch;
- baseline: the same document pages merged by pypdf (``PdfWriter.add_page``) per batch, without
  forms, blanks or covers.
The documents are the four sample court PDFs (app/sample_documents), 3 per recipient, cycled;
recipients of one batch share nothing else. Floor: product under 60 s and under 500 MB.
Exit status: 0 good, 2 the floor was missed.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SAMPLES = ROOT / "app" / "sample_documents"
FLOOR_SECONDS, FLOOR_MB = 60.0, 500.0


def _documents() -> dict[str, tuple[str, bytes]]:
    docs = {}
    for path in sorted(SAMPLES.glob("*.pdf")):
        data = path.read_bytes()
        docs[hashlib.sha256(data).hexdigest()] = (path.stem, data)
    return docs


def _items(recipients: int, per: int):
    from mail.printing import PrintDocument, PrintItem

    docs = list(_documents().items())
    for n in range(recipients):
        chosen = tuple(PrintDocument(docs[(n + k) % len(docs)][1][0], docs[(n + k) % len(docs)][0]) for k in range(per))
        yield PrintItem(code=f"YJ{n:010d}", court_name="示范市城中区人民法院", court_phone="0772-0000000",
                        case_number=f"(2026)桂1202民初{n + 1}号", cause="民间借贷纠纷", recipient_name=f"王小明{n}",
                        address=f"广西壮族自治区柳州市城中区示范路{n + 1}号", read_link=f"https://songda.example/s/{n:022d}",
                        documents=chosen)


def _product(recipients: int, per: int, queue) -> None:
    from mail.printing import MAX_ITEMS, render_batch

    docs = _documents()
    items = list(_items(recipients, per))
    start = time.perf_counter()
    pages = size = 0
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(0, len(items), MAX_ITEMS):
            path = Path(tmp) / f"batch{index}.pdf"
            with path.open("wb") as out:
                printed = render_batch(str(index), "广西壮族自治区 柳州市", items[index:index + MAX_ITEMS],
                                       lambda key: docs[key][1], out, now=datetime.now(timezone.utc))
            pages += printed.total_pages
            size += path.stat().st_size
    queue.put((time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, pages, size))


def _baseline(recipients: int, per: int, queue) -> None:
    from pypdf import PdfReader, PdfWriter

    from mail.printing import MAX_ITEMS

    docs = _documents()
    items = list(_items(recipients, per))
    start = time.perf_counter()
    pages = size = 0
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(0, len(items), MAX_ITEMS):
            writer, readers = PdfWriter(), {}
            for item in items[index:index + MAX_ITEMS]:
                for doc in item.documents:
                    reader = readers.setdefault(doc.sha256, PdfReader(io.BytesIO(docs[doc.sha256][1])))
                    for page in reader.pages:
                        writer.add_page(page)
            path = Path(tmp) / f"merge{index}.pdf"
            with path.open("wb") as out:
                writer.write(out)
            pages += len(writer.pages)
            size += path.stat().st_size
    queue.put((time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, pages, size))


def _run(target, recipients: int, per: int):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(recipients, per, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=1000)
    parser.add_argument("--documents", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.recipients} recipients × {args.documents} documents")
    rows = {"product: render_batch": _run(_product, args.recipients, args.documents),
            "baseline: pypdf merge": _run(_baseline, args.recipients, args.documents)}
    print(f"{'row':<24}{'seconds':>10}{'peak MB':>10}{'pages':>9}{'MB out':>9}")
    for name, (seconds, peak, pages, size) in rows.items():
        print(f"{name:<24}{seconds:>10.1f}{peak:>10.0f}{pages:>9}{size / 1e6:>9.1f}")
    seconds, peak, _, _ = rows["product: render_batch"]
    ok = seconds < FLOOR_SECONDS and peak < FLOOR_MB
    print(f"floor (< {FLOOR_SECONDS:.0f} s, < {FLOOR_MB:.0f} MB): {'met' if ok else 'MISSED'}")
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
