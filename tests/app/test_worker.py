"""``python -m app worker`` stops quietly on Ctrl+C and on SIGTERM: status 0, no traceback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_worker_exits_quietly_on_a_stop_signal(tmp_path, postgres_url, signum):
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "app", "worker"], cwd=ROOT,
                                  env={**os.environ, "SONGDA_DATA_DIR": str(tmp_path),
                                       "SONGDA_DATABASE_URL": postgres_url},
                                  stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while "worker started" not in log_path.read_text():
                assert worker.poll() is None, log_path.read_text()
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
            time.sleep(1.5)  # a tick or two of the loop
            worker.send_signal(signum)
            assert worker.wait(timeout=30) == 0, log_path.read_text()
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    output = log_path.read_text()
    # (Jobs other tests left in the shared database may log their own failures before the signal.)
    assert "KeyboardInterrupt" not in output and "CancelledError" not in output, output
    assert "Traceback" not in output.split("worker stopping (signal)")[1], output
    assert "worker stopped" in output


def test_bench_addresses_are_valid_and_distinct():
    from bench.litigant_flow import address_of

    addresses = [address_of(n) for n in range(3 * 65536)]
    assert len(set(addresses)) == len(addresses)
    for address in addresses[:2000] + addresses[-2000:]:
        octets = [int(part) for part in address.split(".")]
        assert octets[0] == 10 and all(0 <= o <= 255 for o in octets) and 1 <= octets[3] <= 254, address
    assert address_of(255) != address_of(0) and address_of(255).split(".")[3] != "256"
