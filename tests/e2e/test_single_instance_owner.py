"""Issue 20, item 5: only the owner removes the single-instance socket.

Real processes on one data folder: the app runs; ``--smoke-test`` runs beside it and exits;
a third start must still find the first instance (bring it to the front and exit at once)
instead of running a second full instance on the same folder.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING

from tests.e2e.test_app_process import app_env, wait_for_log

if TYPE_CHECKING:
    from pathlib import Path

ALREADY_RUNNING = "Streamer Companion is already running; brought it to the front."
ASKED_TO_FRONT = "another start asked this instance to come to the front"


def run_once(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "companion", *args],
        env=app_env(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_smoke_test_beside_the_app_leaves_its_socket_alone(scratch_data_dir: Path) -> None:
    log = scratch_data_dir / "logs" / "companion.log"
    first = subprocess.Popen(
        [sys.executable, "-m", "companion"],
        env=app_env(scratch_data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_log(log, "main window shown")
        smoke = run_once(scratch_data_dir, "--smoke-test")
        assert smoke.returncode == 0, smoke.stderr
        started = time.monotonic()
        second = run_once(scratch_data_dir)
        took = time.monotonic() - started
        assert second.returncode == 0, second.stderr
        assert second.stdout.strip() == ALREADY_RUNNING
        assert took < 10
        wait_for_log(log, ASKED_TO_FRONT)
        assert first.poll() is None  # the first instance is still the one running
        # ...and it is still the only owner: another start finds it too.
        third = run_once(scratch_data_dir)
        assert third.stdout.strip() == ALREADY_RUNNING
        assert log.read_text(encoding="utf-8").count(ASKED_TO_FRONT) == 2
    finally:
        first.terminate()
        assert first.wait(timeout=20) == 0
    text = log.read_text(encoding="utf-8")
    # One full instance and one smoke test started; the two later starts only knocked.
    assert text.count("main window shown") == 2
