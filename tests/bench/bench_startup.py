"""Benchmark: process start to the main window's first paint, beside a bare PySide6 window.

Run with ``.venv/bin/python tests/bench/run.py`` (all benchmarks) or
``pytest -m bench tests/bench/bench_startup.py -s``. Not part of the default run.

Three programs, each started as a fresh process (offscreen, a fresh data folder), RUNS times,
interleaved so a slow moment of the machine hits all three alike:

* the floor: a tiny script that shows a ``QWidget`` and quits on its first paint;
* ``python -m companion --smoke-test``: the app quits when the main window first painted;
* ``python -m companion --demo --smoke-test``: the same in demo mode.

The clock starts just before the process is spawned and stops at the first paint: the floor
prints ``time.time()`` from its ``paintEvent``; the app's log line "quit requested", which
``MainWindow.first_painted`` triggers at once, carries the time with milliseconds. Both
clocks are this machine's wall clock. The figure is the median app time over the median
floor time. Time to process exit (shutdown included) is printed as well.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.bench

RUNS = int(os.environ.get("BENCH_STARTUP_RUNS", "7"))
ROOT = Path(__file__).resolve().parents[2]

FLOOR = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

class Window(QWidget):
    painted = False

    def paintEvent(self, event):
        super().paintEvent(event)
        if not self.painted:
            self.painted = True
            print(f"painted {time.time():.6f}", flush=True)
            QTimer.singleShot(0, app.quit)

app = QApplication(sys.argv[:1])
window = Window()
window.resize(1100, 720)
window.show()
sys.exit(app.exec())
"""


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["COMPANION_DATA_DIR"] = str(data_dir)
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def run_floor(tmp: Path) -> tuple[float, float]:
    script = tmp / "floor.py"
    script.write_text(FLOOR)
    started = time.time()
    done = subprocess.run(
        [sys.executable, str(script)],
        env=_env(tmp),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    exited = time.time()
    painted = float(done.stdout.split("painted ", 1)[1].split()[0])
    return painted - started, exited - started


def run_app(tmp: Path, *extra: str) -> tuple[float, float]:
    data = tmp / f"app-{time.monotonic_ns()}"
    data.mkdir()
    started = time.time()
    subprocess.run(
        [sys.executable, "-m", "companion", "--smoke-test", *extra],
        env=_env(data),
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=True,
    )
    exited = time.time()
    lines = [
        line
        for log in data.rglob("*.log")
        for line in log.read_text().splitlines()
        if "quit requested" in line
    ]
    assert len(lines) == 1, lines
    stamp = datetime.strptime(lines[0][:23], "%Y-%m-%d %H:%M:%S,%f")
    return stamp.timestamp() - started, exited - started


def test_startup_to_first_paint(tmp_path: Path) -> None:
    programs: dict[str, Callable[[], tuple[float, float]]] = {
        "floor": lambda: run_floor(tmp_path),
        "app": lambda: run_app(tmp_path),
        "demo": lambda: run_app(tmp_path, "--demo"),
    }
    paint: dict[str, list[float]] = {name: [] for name in programs}
    exit_: dict[str, list[float]] = {name: [] for name in programs}
    for warm in programs.values():
        warm()  # fill the file cache once; not counted
    for _ in range(RUNS):
        for name, run in programs.items():
            first, last = run()
            paint[name].append(first)
            exit_[name].append(last)

    median = {name: statistics.median(values) for name, values in paint.items()}
    print()
    print(f"startup_runs: {RUNS} runs")
    for name in programs:
        print(f"startup_{name}_first_paint: {median[name] * 1000:.0f} ms")
        print(f"startup_{name}_exit: {statistics.median(exit_[name]) * 1000:.0f} ms")
    print(f"startup_app_over_floor: {median['app'] / median['floor']:.2f} x")
    print(f"startup_demo_over_floor: {median['demo'] / median['floor']:.2f} x")
    assert all(value > 0 for values in paint.values() for value in values)
