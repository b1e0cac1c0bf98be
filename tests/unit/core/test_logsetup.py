"""Registered secrets never reach the log file: not in messages, and not in the tracebacks
(``exc_info``) or stacks (``stack_info``) the formatter adds after the message."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from companion.core.logsetup import LOG_FILE_NAME, register_secret, setup_logging, teardown_logging

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

# Synthetic: no real token is ever used in a test.
SECRET = "synthetic-secret-3f9c2a7be41d"
CAUSE_SECRET = "synthetic-cause-secret-77aa01"

_log = logging.getLogger("companion.test_logsetup")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    setup_logging(tmp_path)
    yield tmp_path / LOG_FILE_NAME
    teardown_logging(restore_level=logging.WARNING)


def read(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_secret_in_an_exception_is_masked_in_the_traceback(log_file: Path) -> None:
    register_secret(SECRET)
    register_secret(CAUSE_SECRET)
    try:
        try:
            raise KeyError(f"refresh token {CAUSE_SECRET} unknown")
        except KeyError as cause:
            raise ValueError(f"Twitch refused token {SECRET}") from cause
    except ValueError:
        _log.exception("sign-in failed")
    text = read(log_file)
    assert SECRET not in text
    assert CAUSE_SECRET not in text
    # The traceback itself is still there, with both exceptions and the masks.
    assert "ERROR companion.test_logsetup: sign-in failed" in text
    assert "Traceback (most recent call last):" in text
    assert "ValueError: Twitch refused token [redacted]" in text
    assert "KeyError: 'refresh token [redacted] unknown'" in text


def test_exc_info_given_as_an_exception_object_is_masked(log_file: Path) -> None:
    register_secret(SECRET)
    _log.error("background task failed", exc_info=RuntimeError(f"bad token {SECRET}"))
    text = read(log_file)
    assert SECRET not in text
    assert "RuntimeError: bad token [redacted]" in text


def test_stack_info_is_masked(log_file: Path) -> None:
    # The stack shows this function's name and source line; registering a piece of it as a
    # "secret" proves the stack text goes through the mask.
    register_secret("test_stack_info_is_masked")
    _log.warning("where am I", stack_info=True)
    text = read(log_file)
    assert "Stack (most recent call last):" in text
    assert "test_stack_info_is_masked" not in text
    assert "in [redacted]" in text


def test_message_and_arguments_are_masked(log_file: Path) -> None:
    register_secret(SECRET)
    _log.info("token %s stored", SECRET)
    text = read(log_file)
    assert SECRET not in text
    assert "token [redacted] stored" in text
