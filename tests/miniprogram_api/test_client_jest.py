"""The mini-program client's jest suite (miniprogram/test, miniprogram-simulate + j-component),
which replays the API run recorded by test_contract.py. Runs offline in a few seconds once
``npm ci`` has filled miniprogram/node_modules (``./dev test`` does, and stops if it cannot)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CLIENT = Path(__file__).resolve().parents[2] / "miniprogram"


def test_the_client_suite_passes():
    npm = shutil.which("npm")
    assert npm is not None and (CLIENT / "node_modules" / ".bin" / "jest").exists(), \
        "node/npm or miniprogram/node_modules missing: run `npm ci` in miniprogram/ (./dev test does)"
    done = subprocess.run([npm, "test", "--silent"], cwd=CLIENT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
