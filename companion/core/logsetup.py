"""Logging to a rotating file in the app-data folder, with secrets masked.

Tokens must never reach a log line. Code that handles a secret registers it
with :func:`register_secret`; the filter below replaces every registered value
in every record, as a last line of defence behind "never log a token". That covers
the message and what the formatter adds after it: the traceback of ``exc_info``
(an exception's text often quotes the request that failed) and ``stack_info``.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from .log_handlers import QuietRotatingFileHandler

if TYPE_CHECKING:
    from pathlib import Path

_MASK = "[redacted]"
_secrets: set[str] = set()
_secrets_lock = threading.Lock()

LOG_FILE_NAME = "companion.log"


def register_secret(value: str | None) -> None:
    """Mask ``value`` in every log record from now on (values under 8 chars are ignored)."""
    if value and len(value) >= 8:
        with _secrets_lock:
            _secrets.add(value)


def mask_secrets(text: str) -> str:
    """Return ``text`` with every registered secret replaced by a mask."""
    with _secrets_lock:
        secrets = tuple(_secrets)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


# Renders tracebacks exactly as the handlers' formatter would (neither overrides it).
_TRACEBACK_FORMATTER = logging.Formatter()


class SecretMaskingFilter(logging.Filter):
    """Mask registered secrets in the record's message, traceback and stack.

    The traceback is rendered here and stored as ``exc_text``, which formatters use
    instead of rendering ``exc_info`` again, so no handler prints the unmasked text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked is not message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACK_FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_secrets(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_secrets(record.stack_info)
        return True


class SecretMaskingFormatter(logging.Formatter):
    """Masks the finished line too: whatever a record carries, no secret is written."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


def setup_logging(log_dir: Path, *, level: int = logging.INFO, console: bool = False) -> Path:
    """Send the root logger to ``log_dir/companion.log`` (1 MB x 5 files).

    Returns the log file path.
    """
    log_path = log_dir / LOG_FILE_NAME
    root = logging.getLogger()
    root.setLevel(level)
    teardown_logging()
    # A full disk must not flood stderr with tracebacks: see log_handlers.
    file_handler = QuietRotatingFileHandler(log_path, max_bytes=1_000_000, backup_count=5)
    handlers: list[logging.Handler] = [file_handler]
    if console:
        handlers.append(logging.StreamHandler())
    formatter = SecretMaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(SecretMaskingFilter())
        handler._companion = True  # type: ignore[attr-defined]  # marks our own handlers for re-setup
        root.addHandler(handler)
    return log_path


def teardown_logging(*, restore_level: int | None = None) -> None:
    """Remove and close the handlers :func:`setup_logging` added (tests, re-setup).

    ``restore_level`` also sets the root logger's level back (a test that logged at
    DEBUG must not leave every later test's log capture flooded).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_companion", False):
            root.removeHandler(handler)
            handler.close()
    if restore_level is not None:
        root.setLevel(restore_level)
