"""Where test data lives: the face photos under tests/fixtures, the sample court PDFs the demo
also uses under app/sample_documents. Everything is inside the repository."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT / "tests" / "fixtures" / "faces"
PDFS = ROOT / "app" / "sample_documents"
