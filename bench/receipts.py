"""Receipts per second: render + seal of one 3-document 送达回证, on one core.

    .venv/bin/python bench/receipts.py [--receipts 300] [--warmup 20] [--cpu 0]

Pinned to one CPU (``--cpu``; -1 leaves the affinity alone) in one process, sequentially: the
number is what one worker core delivers. The dev sealer (RSA-2048 test CA, made in a temp dir
before timing) signs, without a TSA, so no network is involved.

Rows, all measured in the same run, interleaved round by round so that a noisy neighbour hurts
each alike:
- render only: ``render_receipt`` of the 3-document receipt;
- render + seal: the product path (``Sealer.seal(render_receipt(data))``);
- naive baseline: a one-page reportlab canvas with the same embedded CJK font and a dozen lines
  of text, sealed by pyHanko's stock ``SimpleSigner`` with its default size estimate — what a
  first version would cost;
- check: ``Sealer.check`` of a sealed receipt (public verification).

Exit status: 0 good, 2 the floor (render + seal p50 < 50 ms) was missed.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a file, so the project root is not on the path yet

from PIL import Image, ImageDraw  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.sign import signers  # noqa: E402
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter  # noqa: E402
from pyhanko.sign.signers import PdfSignatureMetadata, SimpleSigner  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from core.settings import Settings  # noqa: E402
from receipts.data import ReceiptData, ReceiptDocument  # noqa: E402
from receipts.layout import FONT, register_fonts, render_receipt  # noqa: E402
from receipts.seal import Sealer  # noqa: E402

FLOOR_P50_MS = 50.0


@dataclass
class Row:
    name: str
    samples: list[float]

    def ms(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    @property
    def per_second(self) -> float:
        return 1 / statistics.fmean(self.samples)


def signature_png() -> bytes:
    # A phone's signature canvas: 1080 × 400, transparent, black strokes.
    image = Image.new("RGBA", (1080, 400), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(60, 300), (200, 80), (330, 320), (470, 90), (640, 300), (820, 110), (1010, 260)],
              fill=(0, 0, 0, 255), width=10, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def receipt() -> ReceiptData:
    t0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
    return ReceiptData(
        receipt_no="SD2024000123", court_name="北京市朝阳区人民法院", case_number="（2024）京0105民初12345号",
        cause="买卖合同纠纷", recipient_name="张三", recipient_role="被告", recipient_id_masked="110105********002X",
        documents=[
            ReceiptDocument("民事起诉状副本", "起诉状", 5, "3f" * 32),
            ReceiptDocument("应诉通知书", "应诉通知书", 2, "a0" * 32),
            ReceiptDocument("举证通知书及诉讼风险提示书（含当事人权利义务告知）", "通知书", 3, "9c" * 32),
        ],
        channel_label="手机短信", electronic_address_masked="手机短信 138****1234",
        consent_label="受送达人签署送达地址确认书",
        times=[("发送", t0), ("到达", t0 + timedelta(seconds=3)), ("打开", t0 + timedelta(minutes=5)),
               ("身份验证", t0 + timedelta(minutes=6)), ("阅读", t0 + timedelta(minutes=8)),
               ("签收", t0 + timedelta(minutes=9))],
        identity_proof="短信验证码发送至 138****1234，2024-05-06 17:06:00 验证通过", ip="203.0.113.45",
        device="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
               "Mobile/15E148 MicroMessenger/8.0.47",
        signature_png=signature_png(), served_by="北京市朝阳区人民法院（书记员 李四）",
        effect_rule="在线诉讼规则第31条第1款；民事诉讼法第90条", effect_reason="送达至受送达人确认的电子地址，到达即生效",
        effective_at=t0 + timedelta(seconds=3),
        verify_url="https://songda.example.gov.cn/verify/SD2024000123", test_certificate=True,
    )


def naive(data: ReceiptData, stock: SimpleSigner) -> Callable[[], bytes]:
    meta = PdfSignatureMetadata(field_name="CourtSeal", subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256",
                                certify=True, docmdp_permissions=MDPPerm.NO_CHANGES, reason="电子送达凭证")
    lines = [data.court_name, "电子送达凭证（送达回证）", f"案号：{data.case_number}", f"案由：{data.cause}",
             f"受送达人：{data.recipient_name}", *(d.title for d in data.documents),
             f"送达地址：{data.electronic_address_masked}", data.identity_proof, data.effect_rule, data.verify_url]

    def run() -> bytes:
        out = io.BytesIO()
        canvas = Canvas(out, initialFontName=FONT)
        canvas.setFont(FONT, 11)
        for i, line in enumerate(lines):
            canvas.drawString(72, 770 - 18 * i, line)
        canvas.showPage()
        canvas.save()
        w = IncrementalPdfFileWriter(io.BytesIO(out.getvalue()))
        return signers.sign_pdf(w, meta, signer=stock).getvalue()

    return run


def measure(args: argparse.Namespace) -> list[Row]:
    register_fonts()
    data = receipt()
    with tempfile.TemporaryDirectory() as tmp:
        sealer = Sealer.from_settings(Settings(_env_file=None, data_dir=Path(tmp)), court_name=data.court_name)
    stock = SimpleSigner(signing_cert=sealer.signer.signing_cert, signing_key=sealer.signer.signing_key,
                         cert_registry=sealer.signer.cert_registry)
    sealed = sealer.seal(render_receipt(data))
    assert sealer.check(sealed).ok, "the bench's own receipt does not validate"
    cases: dict[str, Callable[[], object]] = {
        "render only (3 documents)": lambda: render_receipt(data),
        "render + seal (3 documents)": lambda: sealer.seal(render_receipt(data)),
        "naive: 1-page reportlab + stock pyHanko": naive(data, stock),
        "check (validate the seal)": lambda: sealer.check(sealed),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for round_no in range(args.warmup + args.receipts):
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            elapsed = time.perf_counter() - start
            if round_no >= args.warmup:
                samples[name].append(elapsed)
    return [Row(name, s) for name, s in samples.items()]


def print_table(rows: list[Row]) -> None:
    table = [["", "n", "p50 ms", "p95 ms", "per second (1 core)"]]
    table += [[r.name, str(len(r.samples)), f"{r.ms(0.5):.1f}", f"{r.ms(0.95):.1f}", f"{r.per_second:.0f}"]
              for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for n, row in enumerate(table):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def main() -> int:
    parser = argparse.ArgumentParser(description="Receipt render + seal throughput on one core.")
    parser.add_argument("--receipts", type=int, default=300, help="timed rounds per row")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin to; -1 = no pinning")
    args = parser.parse_args()
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    rows = measure(args)
    print(f"\nreceipts: {args.receipts} timed rounds after {args.warmup} warm-up, one process, "
          f"CPU {'any' if args.cpu < 0 else args.cpu}, Python {sys.version.split()[0]}\n")
    print_table(rows)
    product = rows[1]
    ok = product.ms(0.5) < FLOOR_P50_MS
    print(f"\nsealed receipts per second on one core: {product.per_second:.0f}; "
          f"render + seal p50 {product.ms(0.5):.1f} ms (floor < {FLOOR_P50_MS:.0f} ms): {'OK' if ok else 'MISSED'}")
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
