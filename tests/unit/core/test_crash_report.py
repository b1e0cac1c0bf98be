"""A native crash leaves a report; the next start finds it (issue 14, item 4)."""

from __future__ import annotations

import faulthandler
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from companion.core import crash_report

REPO = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    sys.path.insert(0, {repo!r})
    from pathlib import Path
    from companion.core.crash_report import start_crash_watch
    watch, previous = start_crash_watch(Path({logs!r}))
    print("previous:", previous.sentence() if previous else None, flush=True)
    how = sys.argv[1]
    if how == "segv":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif how == "sleep":
        print("ready", flush=True)
        time.sleep(60)
    elif how == "clean":
        watch.stop()
    """
)


@pytest.fixture(autouse=True)
def _restore_faulthandler():
    """The watch's clean stop disables faulthandler; give pytest's own back."""
    was_enabled = faulthandler.is_enabled()
    yield
    if was_enabled and not faulthandler.is_enabled():
        faulthandler.enable(file=sys.__stderr__)


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return folder


def child(logs: Path, how: str) -> subprocess.CompletedProcess[str]:
    code = CHILD.format(repo=str(REPO), logs=str(logs))
    return subprocess.run(
        [sys.executable, "-c", code, how], capture_output=True, text=True, timeout=30, check=False
    )


def test_segfault_writes_stacks_and_the_next_start_names_the_report(logs: Path) -> None:
    crashed = child(logs, "segv")
    assert crashed.returncode == -signal.SIGSEGV
    reports = list(logs.glob("native-crash-*.txt"))
    assert len(reports) == 1
    text = reports[0].read_text()
    assert "Fatal Python error: Segmentation fault" in text
    assert "most recent call first" in text

    watch, previous = crash_report.start_crash_watch(logs)
    try:
        assert previous is not None and previous.report is not None
        # Kept under a dated name so the next crash cannot overwrite it.
        assert previous.report.name.startswith("native-crash-")
        assert previous.report.suffix == ".log"
        assert "Segmentation fault" in previous.report.read_text()
        assert previous.sentence() == (
            f"The last session ended abnormally; its crash report is in {previous.report}."
        )
        # The dead process's marker is settled: a third start reports nothing.
        assert list(logs.glob("session-*.running")) == [logs / f"session-{os.getpid()}.running"]
    finally:
        assert watch is not None
        watch.stop()
    third, again = crash_report.start_crash_watch(logs)
    assert third is not None
    third.stop()
    assert again is None


def test_a_killed_session_is_reported_without_a_report(logs: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(repo=str(REPO), logs=str(logs)), "sleep"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("previous: None")
    assert process.stdout.readline().strip() == "ready"
    # While it runs, another start (e.g. --smoke-test beside it) sees no crash.
    beside = child(logs, "clean")
    assert beside.stdout.splitlines()[0] == "previous: None"
    process.kill()
    process.wait(timeout=10)
    process.stdout.close()

    watch, previous = crash_report.start_crash_watch(logs)
    assert watch is not None
    watch.stop()
    assert previous is not None and previous.report is None
    assert previous.sentence() == (
        "The last session ended abnormally without a crash report (it was stopped from "
        f"outside); its log is in {logs}."
    )
    # Its empty report file went with it.
    assert list(logs.glob("native-crash-*")) == []


def test_a_clean_exit_leaves_nothing_behind(logs: Path) -> None:
    clean = child(logs, "clean")
    assert clean.returncode == 0
    assert list(logs.iterdir()) == []
    watch, previous = crash_report.start_crash_watch(logs)
    assert previous is None
    assert watch is not None
    watch.stop()
    assert list(logs.iterdir()) == []


def test_an_unwritable_logs_folder_disables_reports_quietly(logs: Path) -> None:
    missing = logs / "not-there"
    watch, previous = crash_report.start_crash_watch(missing)
    assert watch is None
    assert previous is None
