"""Logging on a full disk: one line on stderr, no tracebacks, and it resumes (issue 20, item 12).

The disk is really full: the log file is a symlink to ``/dev/full``, on which every
write fails with ENOSPC from the kernel.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from companion.core.log_handlers import QuietRotatingFileHandler
from companion.core.logsetup import LOG_FILE_NAME, setup_logging, teardown_logging

if TYPE_CHECKING:
    import pytest

DEV_FULL = Path("/dev/full")


def our_handler() -> QuietRotatingFileHandler:
    found = [h for h in logging.getLogger().handlers if getattr(h, "_companion", False)]
    assert len(found) == 1 and isinstance(found[0], QuietRotatingFileHandler)
    return found[0]


def test_a_full_disk_is_one_line_on_stderr_then_silence_then_logging_resumes(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    assert DEV_FULL.is_char_device()
    log_path = tmp_path / LOG_FILE_NAME
    log_path.symlink_to(DEV_FULL)
    level = logging.getLogger().level
    log = logging.getLogger("companion.test_full_disk")
    try:
        assert setup_logging(tmp_path) == log_path
        for n in range(50):
            log.info("record %d", n)
            log.error("failed", exc_info=ValueError("boom"))
        out, err = capfd.readouterr()
        assert out == ""
        assert err == (
            f"companion: cannot write the log file {log_path} (No space left on device);"
            " log lines are dropped until it can.\n"
        )
        handler = our_handler()
        assert handler.dropped == 100

        # Space returns (here: the file is a regular file again); the next record that is
        # written says how many were lost.
        log_path.unlink()
        handler.retry_every = 0.0
        log.warning("back")
        assert capfd.readouterr() == ("", "")
        lines = log_path.read_text(encoding="utf-8").splitlines()
        assert [line.split(": ", 1)[1] for line in lines] == [
            "back",
            "100 log records were dropped while the log file could not be written",
        ]
        assert handler.dropped == 0
    finally:
        teardown_logging(restore_level=level)


def test_a_broken_log_call_is_still_reported(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    handler = QuietRotatingFileHandler(tmp_path / LOG_FILE_NAME, max_bytes=1000, backup_count=1)
    try:
        bad = logging.LogRecord(
            "companion.x", logging.INFO, __file__, 1, "%d apples", ("three",), None
        )
        handler.handle(bad)
    finally:
        handler.close()
    # A bug in a log call is not a full disk: it keeps the standard loud report.
    err = capfd.readouterr().err
    assert "--- Logging error ---" in err and "TypeError" in err
    assert handler.dropped == 0
