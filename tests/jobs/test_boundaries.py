"""The dependency rules the jobs remodel relies on: jobs/ knows no domain (handlers are
registered into it), and no domain package imports sanic."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = ("service", "documents", "receipts", "audit", "jobs", "identity", "core")


def _imports(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            found.update((str(path.relative_to(ROOT)), name.split(".")[0]) for name in names)
    return found


def test_jobs_imports_no_domain_package():
    assert {(f, m) for f, m in _imports("jobs")
            if m in {"service", "receipts", "court", "miniprogram_api", "portal", "identity", "documents", "app"}} == set()


def test_domain_packages_do_not_import_sanic():
    assert {(f, m) for package in DOMAINS for f, m in _imports(package) if m == "sanic"} == set()
