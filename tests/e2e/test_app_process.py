"""The real app as a subprocess: --version, --smoke-test, and clean shutdown on signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from companion import __version__

if TYPE_CHECKING:
    from pathlib import Path


def app_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["COMPANION_DATA_DIR"] = str(data_dir)
    return env


def test_version(scratch_data_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "companion", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        env=app_env(scratch_data_dir),
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"companion {__version__}"


def test_smoke_test_paints_and_exits_zero(scratch_data_dir: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "companion", "--smoke-test"],
        capture_output=True,
        text=True,
        timeout=60,
        env=app_env(scratch_data_dir),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    log = (scratch_data_dir / "logs" / "companion.log").read_text(encoding="utf-8")
    assert "main window shown" in log
    assert "shutdown complete" in log
    assert log.rstrip().endswith("exit code 0")


def wait_for_log(path: Path, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(encoding="utf-8"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


def test_sigterm_and_sigint_shut_down_cleanly(scratch_data_dir: Path) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        log_path = scratch_data_dir / "logs" / "companion.log"
        if log_path.exists():
            log_path.unlink()
        with subprocess.Popen(
            [sys.executable, "-m", "companion"],
            env=app_env(scratch_data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ) as proc:
            try:
                wait_for_log(log_path, "main window shown")
                proc.send_signal(signum)
                assert proc.wait(timeout=20) == 0
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        assert "shutdown complete" in log_path.read_text(encoding="utf-8")
