"""The mini-program client's jest suite (miniprogram/test, miniprogram-simulate + j-component),
which replays the API run recorded by test_contract.py. Runs offline in a few seconds once
``npm ci`` has filled miniprogram/node_modules (``./dev test`` does); skipped without node or
without the modules, so a machine without the npm registry still runs the Python suite."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "miniprogram"


def test_the_client_suite_passes():
    npm = shutil.which("npm")
    if npm is None or not (CLIENT / "node_modules" / ".bin" / "jest").exists():
        pytest.skip("node/npm or miniprogram/node_modules missing: run `npm ci` in miniprogram/ (./dev test does)")
    done = subprocess.run([npm, "test", "--silent"], cwd=CLIENT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
