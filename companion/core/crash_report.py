"""A native crash leaves a trace, and the next start says so.

A fault in a C extension (Qt, its binding) kills the interpreter before Python's
logging can write a line: ``companion.log`` ends mid-session and the streamer sees the
window vanish. :func:`start_crash_watch` points :mod:`faulthandler` at a file in the
logs folder, so such a fault writes every thread's Python stack there, and leaves a
marker that a clean exit removes. On the next start, a leftover marker or a non-empty
report means the last session ended abnormally; the report is kept under a dated
name and the app tells the user in one sentence where it is.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from pathlib import Path

_log = logging.getLogger(__name__)

#: faulthandler's file for the process with this pid (renamed once it is reported).
REPORT_PATTERN = "native-crash-{pid}.txt"
#: Exists while the process with this pid runs; a clean exit removes it.
MARKER_PATTERN = "session-{pid}.running"


@dataclass(frozen=True)
class PreviousSession:
    """How the last session in this data folder ended, when it did not end cleanly."""

    report: Path | None
    """The crash report it left (faulthandler's stacks), if it left one."""
    log: Path
    """The log folder, where the last session's log lines are."""

    def sentence(self) -> str:
        """One sentence for the user: what happened and where to look."""
        if self.report is not None:
            return f"The last session ended abnormally; its crash report is in {self.report}."
        return (
            "The last session ended abnormally without a crash report (it was stopped "
            f"from outside); its log is in {self.log}."
        )


class CrashWatch:
    """The open report file faulthandler writes to, and this session's marker."""

    def __init__(self, log_dir: Path, report_file: TextIO) -> None:
        self.log_dir = log_dir
        self._report_file = report_file

    def stop(self) -> None:
        """A clean exit: stop watching, drop the empty report and the marker."""
        faulthandler.disable()
        self._report_file.close()
        pid = os.getpid()
        report = self.log_dir / REPORT_PATTERN.format(pid=pid)
        with contextlib.suppress(OSError):
            if report.stat().st_size == 0:
                report.unlink()
        with contextlib.suppress(OSError):
            (self.log_dir / MARKER_PATTERN.format(pid=pid)).unlink()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _pid_of(path: Path, prefix: str) -> int | None:
    digits = path.name.removeprefix(prefix).split(".", 1)[0]
    return int(digits) if digits.isdigit() else None


def _previous_session(log_dir: Path) -> PreviousSession | None:
    """Settle what dead sessions left: keep non-empty reports, drop the rest.

    Files of processes that still run belong to another instance (e.g. ``--smoke-test``
    beside a running app) and are left alone.
    """
    ended_abnormally = False
    kept: Path | None = None
    for marker in sorted(log_dir.glob("session-*.running")):
        pid = _pid_of(marker, "session-")
        if pid is None or _pid_alive(pid):
            continue
        ended_abnormally = True
        with contextlib.suppress(OSError):
            marker.unlink()
    for report in sorted(log_dir.glob("native-crash-*.txt")):
        pid = _pid_of(report, "native-crash-")
        if pid is None or _pid_alive(pid):
            continue  # a dated, already reported file, or a running instance's
        try:
            size = report.stat().st_size
            if size == 0:
                report.unlink()
                continue
            stamp = datetime.fromtimestamp(report.stat().st_mtime, UTC)
            kept = report.with_name(f"native-crash-{stamp:%Y%m%d-%H%M%S}-{pid}.log")
            report.replace(kept)
            ended_abnormally = True
        except OSError as error:
            _log.warning("could not keep the crash report %s: %s", report, error)
    return PreviousSession(kept, log_dir) if ended_abnormally else None


def start_crash_watch(log_dir: Path) -> tuple[CrashWatch | None, PreviousSession | None]:
    """Arm faulthandler for this session and find out how the last one ended.

    Returns the watch (None if the logs folder cannot be written, which is logged) and
    the previous session's abnormal end, if it had one.
    """
    previous = _previous_session(log_dir)
    pid = os.getpid()
    try:
        # Line-buffered: what faulthandler writes reaches the disk at once.
        report_file = (log_dir / REPORT_PATTERN.format(pid=pid)).open(
            "a", encoding="utf-8", buffering=1
        )
        (log_dir / MARKER_PATTERN.format(pid=pid)).write_text(str(pid), encoding="ascii")
    except OSError as error:
        _log.warning("crash reports disabled: %s", error)
        return None, previous
    faulthandler.enable(file=report_file, all_threads=True)
    if previous is not None:
        _log.warning("the last session ended abnormally (report: %s)", previous.report)
    return CrashWatch(log_dir, report_file), previous
