"""Issue 14, item 4: the real app leaves a crash report, and its next start says where.

The first run is the app as a subprocess, killed by a native fault (SIGSEGV, what the Qt
binding's refcount defect ends in); the second is ``companion.app.main`` itself, driven
in-process so the notice a person would read can be checked word for word.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

from companion.app import CompanionApp
from companion.app import main as app_main
from companion.core.logsetup import teardown_logging
from tests.e2e.test_app_process import app_env, wait_for_log

if TYPE_CHECKING:
    from pathlib import Path


def test_native_crash_is_reported_on_the_next_start(scratch_data_dir: Path, qapp) -> None:
    logs = scratch_data_dir / "logs"
    process = subprocess.Popen(
        [sys.executable, "-m", "companion", "--demo"],
        env=app_env(scratch_data_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_log(logs / "companion.log", "signed in", timeout=30)
        os.kill(process.pid, signal.SIGSEGV)
        assert process.wait(timeout=20) == -signal.SIGSEGV
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    report = logs / f"native-crash-{process.pid}.txt"
    text = report.read_text(encoding="utf-8")
    assert text.startswith("Fatal Python error: Segmentation fault")
    assert "companion/app.py" in text  # the Python stack of the main thread

    seen: list[str] = []

    async def read_the_notice(app: CompanionApp) -> None:
        assert app.window is not None
        seen.append(app.window.notice_bar.label.text())
        app.request_quit(0)

    was_enabled = faulthandler.is_enabled()
    try:
        assert app_main(["--demo"], driver=read_the_notice) == 0
    finally:
        teardown_logging(restore_level=logging.WARNING)
        if was_enabled:
            faulthandler.enable(file=sys.__stderr__)
    kept = sorted(logs.glob(f"native-crash-*-{process.pid}.log"))
    assert len(kept) == 1
    assert kept[0].read_text(encoding="utf-8") == text
    assert seen == [f"The last session ended abnormally; its crash report is in {kept[0]}."]
    # The clean second run left no marker and no empty report of its own.
    assert sorted(p.name for p in logs.iterdir() if not p.name.startswith("companion.log")) == [
        kept[0].name
    ]
