"""Benchmark: process start to the main window's first paint, beside a bare PySide6 window,
and to the moment the app is first usable (demo: the queue shows the waiting redemptions).

Run with ``.venv/bin/python tests/bench/run.py --only bench_startup`` or
``pytest -m bench tests/bench/bench_startup.py -s``. Not part of the default run.

Four programs, each started as a fresh process (offscreen, a fresh data folder), RUNS times,
interleaved so a slow moment of the machine hits all of them alike:

* the floor: a tiny script that shows a ``QWidget`` and quits on its first paint;
* ``python -m companion --smoke-test``: the app, which quits once its window is built;
* ``python -m companion --demo --smoke-test``: the same in demo mode;
* ``python -m companion --demo``: the demo until its queue first shows the demo channel's
  waiting redemptions (then SIGTERM, a clean shutdown).

The clock starts just before the process is spawned. First paint: the floor prints
``time.time()`` from its ``paintEvent``; the app logs "main window first painted" when
``MainWindow.first_painted`` fires (the log carries milliseconds). First usable: the app's log
line "queue first shows N waiting redemptions", written once the queue's table has painted
with rows. Both clocks are this machine's wall clock. The figures are medians; the ratio is
the median app time over the median floor time. Also printed: the CPU time (user + system)
each process had spent at those moments (from the same lines) and in all, its peak RSS
(``VmHWM`` sampled from ``/proc``, see :class:`PeakRss`), and the time to process exit.

The children start with their bytecode cached, as an installed app does (see ``_env``).
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = pytest.mark.bench

RUNS = int(os.environ.get("BENCH_STARTUP_RUNS", "7"))
ROOT = Path(__file__).resolve().parents[2]
#: The app's log lines the clock stops at, with the CPU seconds spent so far.
FIRST_PAINT = re.compile(r"main window first painted \(([0-9.]+) s of CPU\)")
FIRST_USABLE = re.compile(r"queue first shows (\d+) waiting redemptions \(([0-9.]+) s of CPU\)")
#: The demo channel's waiting redemptions at start (companion.sim.demo.seed_demo).
DEMO_WAITING = 3

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
            print(f"painted {time.time():.6f} {time.process_time():.6f}", flush=True)
            QTimer.singleShot(0, app.quit)

app = QApplication(sys.argv[:1])
window = Window()
window.resize(1100, 720)
window.show()
sys.exit(app.exec())
"""


@dataclass
class Run:
    """One process: seconds from spawn to the moment measured, and what it cost."""

    at: float  # wall seconds from spawn to the first paint (or first usable)
    cpu_at: float  # CPU seconds the process had spent by then
    exit: float  # wall seconds from spawn to exit
    cpu: float  # CPU seconds in all (user + system)
    peak_mib: float  # peak resident set size


def _env(data_dir: Path, pycache: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["COMPANION_DATA_DIR"] = str(data_dir)
    # As an installed app starts: with its bytecode cached (pip and the bundle compile it).
    # With PYTHONDONTWRITEBYTECODE (set in the development sandbox) every start compiled the
    # app's ~160 modules from source, about a third of a second of CPU. The cache goes to
    # the benchmark's own folder (filled by the warm-up round), never into the source tree.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


class PeakRss(threading.Thread):
    """The child's own peak resident set (``VmHWM``), sampled every 5 ms until it exits.

    Not ``ru_maxrss`` from ``wait4``: Linux carries the parent's high-water mark into a child
    across fork and exec, so every child of this pytest process (which holds every other
    benchmark's data when they share one process) reported the parent's peak, 165 MiB even
    for the bare window. ``VmHWM`` is the child's address space only and never decreases, so
    the last sample before exit is its peak up to that moment (what happens in the last 5 ms
    of shutdown can be missed).
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self._status = Path(f"/proc/{pid}/status")
        self._done = threading.Event()
        self.peak_kib = 0

    def run(self) -> None:
        while not self._done.is_set():
            try:
                text = self._status.read_text()
            except OSError:
                return
            match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.MULTILINE)
            if match is None:  # an exited (zombie) process has no memory left to report
                return
            self.peak_kib = max(self.peak_kib, int(match.group(1)))
            self._done.wait(0.005)

    def stop(self) -> float:
        """Stop sampling; the peak in MiB."""
        self._done.set()
        self.join()
        return self.peak_kib / 1024


def _finish(
    proc: subprocess.Popen[str], started: float, errors: Path, peak: PeakRss
) -> tuple[float, float, float]:
    """Wait for ``proc``: wall seconds to exit, CPU seconds, peak RSS in MiB."""
    _pid, status, usage = os.wait4(proc.pid, 0)
    exited = time.time()
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, errors.read_text()
    return exited - started, usage.ru_utime + usage.ru_stime, peak.stop()


def _sample_peak(proc: subprocess.Popen[str]) -> PeakRss:
    sampler = PeakRss(proc.pid)
    sampler.start()
    return sampler


def _log_time(line: str) -> float:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()


def _log_lines(data: Path) -> list[str]:
    return [line for log in data.rglob("*.log") for line in log.read_text().splitlines()]


def run_floor(tmp: Path) -> Run:
    script = tmp / "floor.py"
    script.write_text(FLOOR)
    errors = tmp / "floor.err"
    started = time.time()
    with (
        errors.open("w") as err,
        subprocess.Popen(
            [sys.executable, str(script)],
            env=_env(tmp, tmp / "pycache"),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        ) as proc,
    ):
        sampler = _sample_peak(proc)
        assert proc.stdout is not None
        out = proc.stdout.read()
        exit_, cpu, peak = _finish(proc, started, errors, sampler)
    painted, cpu_at = (float(value) for value in out.split("painted ", 1)[1].split()[:2])
    return Run(painted - started, cpu_at, exit_, cpu, peak)


def run_app(tmp: Path, *extra: str) -> Run:
    data = tmp / f"app-{time.monotonic_ns()}"
    data.mkdir()
    errors = data / "stderr.txt"
    started = time.time()
    with (
        errors.open("w") as err,
        subprocess.Popen(
            [sys.executable, "-m", "companion", "--smoke-test", *extra],
            env=_env(data, tmp / "pycache"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        ) as proc,
    ):
        exit_, cpu, peak = _finish(proc, started, errors, _sample_peak(proc))
    lines = [(line, match) for line in _log_lines(data) if (match := FIRST_PAINT.search(line))]
    assert len(lines) == 1, lines
    line, match = lines[0]
    return Run(_log_time(line) - started, float(match.group(1)), exit_, cpu, peak)


def run_demo_usable(tmp: Path) -> Run:
    """``--demo`` until the queue first shows the demo channel's waiting redemptions."""
    data = tmp / f"demo-{time.monotonic_ns()}"
    data.mkdir()
    errors = data / "stderr.txt"
    started = time.time()
    with (
        errors.open("w") as err,
        subprocess.Popen(
            [sys.executable, "-m", "companion", "--demo"],
            env=_env(data, tmp / "pycache"),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        ) as proc,
    ):
        sampler = _sample_peak(proc)
        found: list[tuple[str, re.Match[str]]] = []
        deadline = time.monotonic() + 60
        while not found and time.monotonic() < deadline:
            time.sleep(0.02)
            found = [(line, m) for line in _log_lines(data) if (m := FIRST_USABLE.search(line))]
        proc.send_signal(signal.SIGTERM)
        exit_, cpu, peak = _finish(proc, started, errors, sampler)
    assert len(found) == 1, found
    line, match = found[0]
    # The seeded ones at least (the demo's viewers may have added one meanwhile).
    assert int(match.group(1)) >= DEMO_WAITING, line
    return Run(_log_time(line) - started, float(match.group(2)), exit_, cpu, peak)


def test_startup_to_first_paint(tmp_path: Path) -> None:
    programs: dict[str, Callable[[], Run]] = {
        "floor": lambda: run_floor(tmp_path),
        "app": lambda: run_app(tmp_path),
        "demo": lambda: run_app(tmp_path, "--demo"),
        "demo_usable": lambda: run_demo_usable(tmp_path),
    }
    runs: dict[str, list[Run]] = {name: [] for name in programs}
    for warm in programs.values():
        warm()  # fill the file cache once; not counted
    for _ in range(RUNS):
        for name, run in programs.items():
            runs[name].append(run())

    def median(name: str, field: str) -> float:
        return statistics.median(getattr(run, field) for run in runs[name])

    print()
    print(f"startup_runs: {RUNS} runs")
    for name in ("floor", "app", "demo"):
        print(f"startup_{name}_first_paint: {median(name, 'at') * 1000:.0f} ms")
        print(f"startup_{name}_first_paint_cpu: {median(name, 'cpu_at') * 1000:.0f} ms")
        print(f"startup_{name}_exit: {median(name, 'exit') * 1000:.0f} ms")
        print(f"startup_{name}_cpu: {median(name, 'cpu') * 1000:.0f} ms")
        print(f"startup_{name}_peak_rss: {median(name, 'peak_mib'):.0f} MiB")
    print(f"startup_app_over_floor: {median('app', 'at') / median('floor', 'at'):.2f} x")
    print(f"startup_demo_over_floor: {median('demo', 'at') / median('floor', 'at'):.2f} x")
    cpu_ratio = median("app", "cpu_at") / median("floor", "cpu_at")
    print(f"startup_app_over_floor_cpu: {cpu_ratio:.2f} x")
    print(f"startup_demo_first_usable: {median('demo_usable', 'at') * 1000:.0f} ms")
    print(f"startup_demo_first_usable_cpu: {median('demo_usable', 'cpu_at') * 1000:.0f} ms")
    print(f"startup_demo_usable_peak_rss: {median('demo_usable', 'peak_mib'):.0f} MiB")
    assert all(run.at > 0 for values in runs.values() for run in values)
