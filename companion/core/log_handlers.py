"""A log file handler that survives a full disk quietly (issue 20, item 12).

The standard handlers answer a failed write by printing ``--- Logging error ---`` and a
traceback to stderr, for every record: on a full disk the terminal filled with
tracebacks while the app itself was fine. Here an ``OSError`` while writing (ENOSPC,
EIO, a file that went read-only) is said once, in one line on stderr; later records are
dropped and counted without a word, the file is reopened at most once a second to see
whether space returned, and the first line written afterwards says how many records
were lost. Any other error (a bad format string: a bug) is still reported the standard
way, so a broken log call is never hidden.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["QuietRotatingFileHandler"]


class QuietRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file that drops records quietly while it cannot be written.

    Attributes:
        dropped: Records lost since writing last failed (0 while writing works).
        retry_every: Seconds between two attempts to write while failing.
    """

    def __init__(self, path: Path, *, max_bytes: int, backup_count: int) -> None:
        # delay=True: the file is opened at the first record, and reopened after a failure.
        super().__init__(
            path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=True
        )
        self.dropped = 0
        self.retry_every = 1.0
        self._failing = False
        self._failed_at = 0.0
        self._error_in_emit = False

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record``; while failing, try at most once per ``retry_every`` seconds."""
        if self._failing and time.monotonic() - self._failed_at < self.retry_every:
            self.dropped += 1
            return
        self._error_in_emit = False
        super().emit(record)
        if self._failing and not self._error_in_emit:
            lost, self.dropped, self._failing = self.dropped, 0, False
            note = logging.LogRecord(
                record.name, logging.WARNING, __file__, 0,
                "%d log records were dropped while the log file could not be written",
                (lost,), None,
            )  # fmt: skip
            super().emit(note)

    def handleError(self, record: logging.LogRecord) -> None:  # logging's own camelCase name
        """One line on stderr at the first failed write; silence after that."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            super().handleError(record)
            return
        self._error_in_emit = True
        self.dropped += 1
        self._failed_at = time.monotonic()
        self._drop_stream()
        if self._failing:
            return
        self._failing = True
        # No usable stderr either (closed, or a GUI launch): then nothing is said at all.
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(
                f"companion: cannot write the log file {self.baseFilename}"
                f" ({error.strerror or error}); log lines are dropped until it can.\n"
            )

    def _drop_stream(self) -> None:
        # Close the stream so the next attempt reopens the file: what the failed write
        # left in its buffer is lost anyway, and must not fail every later flush.
        stream, self.stream = self.stream, None  # delay=True: the next emit reopens it
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
