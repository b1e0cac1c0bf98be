"""Measure the bundle and start-to-first-paint of the frozen and the unfrozen app.

Build first (``python3 packaging/build.py``), then, from the repository root::

    .venv/bin/python packaging/measure_start.py [--runs 5]

Prints ``name: value unit`` lines: the bundle's size on disk (as ``du -sh``), the
.deb's size, and the median wall time of ``--smoke-test`` (start, show the main
window, wait for its first paint, shut down, exit 0) for the frozen app, for
``python -m companion`` from the development venv, and for a bare PySide6 window
(the floor any start-up figure compares with). Every run gets a fresh data folder
and ``QT_QPA_PLATFORM=offscreen``; the commands take turns, after one unmeasured
round that warms the disk cache.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "packaging"
DEFAULT_BUNDLE = BUILD / "dist" / "streamer-companion"

# A window that quits once it has painted: what the app's --smoke-test does, minus the app.
BARE_WINDOW = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
label = QLabel("hello")
class Painted(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            QTimer.singleShot(0, app.quit)
        return False
watcher = Painted()
label.installEventFilter(watcher)
label.show()
sys.exit(app.exec())
"""


def disk_usage_bytes(path: Path) -> int:
    """Bytes the tree takes on disk (allocated blocks, as ``du`` counts them)."""
    total = 0
    for item in [path, *path.rglob("*")]:
        stat = item.lstat()
        total += stat.st_blocks * 512
    return total


def wall_time(cmd: list[str]) -> float:
    """Seconds one run takes, start to exit; the run must exit 0."""
    with tempfile.TemporaryDirectory(prefix="companion-measure-") as data:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", COMPANION_DATA_DIR=data)
        started = time.perf_counter()
        result = subprocess.run(cmd, env=env, capture_output=True, timeout=120, check=False)
        elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{cmd} exited {result.returncode}: {result.stderr.decode()[-2000:]}")
    return elapsed


def median_time(cmd: list[str], runs: int) -> float:
    """Median wall time of ``runs`` runs, after one unmeasured warm-up run."""
    return median_times({"cmd": cmd}, runs)["cmd"]


def median_times(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time of each command over ``runs`` rounds, after one warm-up round.

    The commands take turns within each round, so a burst of load from elsewhere on
    the machine falls on all of them alike rather than on whichever ran then.
    """
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(runs + 1):
        for name, cmd in commands.items():
            elapsed = wall_time(cmd)
            if round_number:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description="Bundle size and start-up time figures.")
    parser.add_argument("--runs", type=int, default=5, help="measured runs per figure")
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE, help="bundle folder")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the unfrozen app")
    args = parser.parse_args(argv)
    executable = args.bundle / "streamer-companion"
    if not executable.exists():
        print(f"no bundle at {args.bundle}: run packaging/build.py first", file=sys.stderr)
        return 1
    print(f"bundle_size: {disk_usage_bytes(args.bundle) / 2**20:.0f} MiB")
    for deb in sorted((BUILD / "deb").glob("*.deb")):
        print(f"deb_size: {deb.stat().st_size / 2**20:.0f} MiB")
    medians = median_times(
        {
            "frozen_smoke_test_median": [str(executable), "--smoke-test"],
            "unfrozen_smoke_test_median": [args.python, "-m", "companion", "--smoke-test"],
            "bare_pyside6_window_median": [args.python, "-c", BARE_WINDOW],
            "frozen_version_median": [str(executable), "--version"],
            "unfrozen_version_median": [args.python, "-m", "companion", "--version"],
        },
        args.runs,
    )
    for name, seconds in medians.items():
        print(f"{name}: {seconds:.3f} s")
    print(f"runs: {args.runs} count")
    return 0


if __name__ == "__main__":
    sys.exit(main())
