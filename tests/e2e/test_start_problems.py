"""Issue 20, item 3: no silent exit at start.

A settings value of the wrong type, a ledger from a newer version and a read-only data
folder each ended the app with exit 1 before any window, and nothing on the terminal. Each
case runs here as the real app in a subprocess (``--smoke-test``: exit code and stderr,
word for word), and the cases the app runs on also in-process through
``companion.app.main`` with a driver, which reads what the window shows.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from typing import TYPE_CHECKING

import keyring
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from companion.app import CompanionApp
from companion.app import main as app_main
from companion.app_startup import (
    EXIT_CANNOT_START,
    START_PROBLEMS_TITLE,
    DataFolderUnwritable,
    refuse_to_start,
    start_problems_dialog,
)
from companion.core.ledger import Ledger
from companion.core.logsetup import teardown_logging
from companion.ui.main_window import MainWindow, shorten
from tests.e2e.test_app_process import app_env
from tests.helpers.core_fakes import redemption
from tests.helpers.memory_keyring import MemoryKeyring

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from pathlib import Path
    from typing import Any

BAD_SETTINGS = "[panels]\nenabled=@Point(1 2)\n[queue]\nundo_seconds=inf\n"


def settings_sentence(data_dir: Path) -> str:
    return (
        f"Some settings in {data_dir / 'settings.ini'} could not be used, so their defaults "
        "apply for now: panels/enabled holds a QPoint, not a list of panel names; "
        "queue/undo_seconds holds 'inf', not a number of seconds from 0 to 60. Changing a "
        "setting in the app replaces its stored value."
    )


def newer_sentence(data_dir: Path) -> str:
    return (
        f"The redemption history ({data_dir / 'ledger.sqlite3'}) was written by a newer "
        "version of Streamer Companion (schema 7; this version knows up to 2), so it is open "
        "read-only: you can browse and export it and the queue works, but redemptions and "
        "actions of this run are not saved to it. Update Streamer Companion to keep the "
        "history."
    )


def unreadable_sentence(data_dir: Path) -> str:
    return (
        f"The redemption history ({data_dir / 'ledger.sqlite3'}) was written by a newer "
        "version of Streamer Companion, which this version cannot read. It is left untouched "
        "and the queue works without it; update Streamer Companion to see it."
    )


def refusal_sentence(folder: Path) -> str:
    return (
        f"Streamer Companion cannot start: its data folder {folder} cannot be written "
        "(Read-only file system). The redemption history, the settings and the log live "
        "there. Make the folder writable, or point COMPANION_DATA_DIR at a folder that is, "
        "then start again."
    )


def newer_ledger(data_dir: Path, rows: int = 2) -> Path:
    """A ledger a newer version wrote: this version's tables and ``rows`` redemptions, an
    extra column, schema version 7."""
    path = data_dir / "ledger.sqlite3"
    ledger = Ledger(path)
    ledger.record_redemptions([redemption(n) for n in range(1, rows + 1)])
    ledger.close()
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE redemptions ADD COLUMN sentiment TEXT")
        conn.execute("PRAGMA user_version = 7")
    return path


def ledger_state(path: Path) -> tuple[int, int, list[str]]:
    """Schema version, row count and columns, read without changing anything."""
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        count = conn.execute("SELECT count(*) FROM redemptions").fetchone()[0]
        columns = [row[1] for row in conn.execute("PRAGMA table_info(redemptions)")]
    return version, count, columns


def smoke(data_dir: Path, *, wrap: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(wrap or []), sys.executable, "-m", "companion", "--smoke-test"],
        env=app_env(data_dir),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def lines(stderr: str) -> list[str]:
    """stderr without the offscreen platform's own chatter."""
    return [line for line in stderr.splitlines() if "propagateSizeHints" not in line]


# -- the real app as a process -------------------------------------------------------------


def test_bad_settings_start_with_defaults_and_say_so(scratch_data_dir: Path) -> None:
    (scratch_data_dir / "settings.ini").write_text(BAD_SETTINGS, encoding="utf-8")
    result = smoke(scratch_data_dir)
    assert result.returncode == 0, result.stderr
    assert lines(result.stderr) == [f"companion: {settings_sentence(scratch_data_dir)}"]
    log = (scratch_data_dir / "logs" / "companion.log").read_text(encoding="utf-8")
    assert "main window shown" in log
    assert log.rstrip().endswith("exit code 0")
    # The streamer's values stay (the app only added its window geometry at exit).
    text = (scratch_data_dir / "settings.ini").read_text(encoding="utf-8")
    assert "[panels]\nenabled=@Point(1 2)\n" in text
    assert "[queue]\nundo_seconds=inf\n" in text


def test_a_newer_ledger_opens_read_only_and_is_left_as_it_was(scratch_data_dir: Path) -> None:
    path = newer_ledger(scratch_data_dir)
    before = ledger_state(path)
    result = smoke(scratch_data_dir)
    assert result.returncode == 0, result.stderr
    assert lines(result.stderr) == [f"companion: {newer_sentence(scratch_data_dir)}"]
    assert ledger_state(path) == before == (7, 2, [*before[2][:-1], "sentiment"])


def test_a_newer_ledger_this_version_cannot_read_is_left_alone(scratch_data_dir: Path) -> None:
    path = scratch_data_dir / "ledger.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE redemptions_v7 (id TEXT PRIMARY KEY)")
        conn.execute("PRAGMA user_version = 7")
    before = path.read_bytes()
    result = smoke(scratch_data_dir)
    assert result.returncode == 0, result.stderr
    assert lines(result.stderr) == [f"companion: {unreadable_sentence(scratch_data_dir)}"]
    assert path.read_bytes() == before


def read_only_wrapper(folder: Path) -> tuple[list[str], Callable[[], None]]:
    """How to run a command with ``folder`` read-only: file modes for a normal user; for
    root (who ignores them, as in a CI container) a read-only bind mount in a private mount
    namespace. Returns the command prefix and the undo."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return [], lambda: folder.chmod(0o755)
    assert shutil.which("unshare"), "util-linux's unshare makes the read-only mount"
    script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && shift && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, str(folder), "_"], lambda: None


def test_a_read_only_data_folder_is_a_clear_refusal(scratch_data_dir: Path) -> None:
    wrap, undo = read_only_wrapper(scratch_data_dir)
    try:
        result = smoke(scratch_data_dir, wrap=wrap)
    finally:
        undo()
    assert result.returncode == EXIT_CANNOT_START
    assert lines(result.stderr) == [f"companion: {refusal_sentence(scratch_data_dir)}"]
    assert result.stdout == ""
    assert list(scratch_data_dir.iterdir()) == []  # nothing was written anywhere


# -- in-process: what the window shows -----------------------------------------------------


def run_main(argv: list[str], driver: Callable[[CompanionApp], Coroutine[Any, Any, None]]) -> int:
    """``companion.app.main`` in this process (an in-memory keyring: no other notice)."""
    was_enabled = faulthandler.is_enabled()
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        return app_main(argv, driver=driver)
    finally:
        keyring.set_keyring(previous)
        teardown_logging(restore_level=logging.WARNING)
        if was_enabled:
            faulthandler.enable(file=sys.__stderr__)


def test_bad_settings_in_the_window(scratch_data_dir: Path, qapp, capfd) -> None:
    (scratch_data_dir / "settings.ini").write_text(BAD_SETTINGS, encoding="utf-8")
    seen: dict[str, object] = {}

    async def look(app: CompanionApp) -> None:
        assert app.window is not None and app.panels is not None
        notice = app.window.notice_bar
        seen["notice"] = (notice.isVisible(), notice.label.text(), notice.label.toolTip())
        seen["tabs"] = [app.window.tabs.isTabVisible(i) for i in range(app.window.tabs.count())]
        seen["undo"] = app.panels.queue.queue.undo_window
        seen["problems"] = list(app.start_problems)
        app.request_quit(0)

    assert run_main([], look) == 0
    sentence = settings_sentence(scratch_data_dir)
    assert seen == {
        "notice": (True, shorten(sentence), sentence),
        "tabs": [True] * 8,  # the default: every panel
        "undo": 5.0,
        "problems": [sentence],
    }
    assert f"companion: {sentence}" in capfd.readouterr().err


@pytest.mark.parametrize("argv", [["--demo"]], ids=["demo"])
def test_a_newer_ledger_in_the_window(scratch_data_dir: Path, qapp, argv: list[str]) -> None:
    """History readable, the queue working (the demo channel's waiting redemptions arrive),
    and not one row of this run written to the newer file."""
    path = newer_ledger(scratch_data_dir, rows=2)
    before = ledger_state(path)
    seen: dict[str, object] = {}

    async def look(app: CompanionApp) -> None:
        assert app.window is not None and app.panels is not None
        panels = app.panels
        await until(lambda: len(panels.queue.queue) >= 3, timeout=20)
        history = app.window.tabs.widget(2)
        app.window.tabs.setCurrentIndex(2)
        await until(lambda: history.model.total == 2)
        seen["history"] = sorted(row.record.redemption_id for row in history.model.entries)
        seen["queue"] = len(panels.queue.queue)
        seen["tooltip"] = app.window.notice_bar.label.toolTip()
        seen["writer"] = panels.queue.ledger_writer
        app.request_quit(0)

    assert run_main(argv, look) == 0
    assert seen["history"] == ["r00001", "r00002"]
    assert seen["queue"] == 3
    assert seen["tooltip"] == newer_sentence(scratch_data_dir)
    assert seen["writer"] is None  # the queue has no ledger to write to
    assert ledger_state(path) == before


async def until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    import asyncio

    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


# -- the dialogs --------------------------------------------------------------------------


def test_start_problems_dialog_is_non_modal_and_lists_them_all(qtbot) -> None:
    window = MainWindow([])
    qtbot.addWidget(window)
    box = start_problems_dialog(window, ["First problem.", "Second problem."])
    assert box.isVisible()
    assert box.windowModality() is box.windowModality().NonModal
    assert not box.isModal()
    assert box.windowTitle() == START_PROBLEMS_TITLE
    assert box.text() == "First problem.\n\nSecond problem."
    assert window.isEnabled()  # the window stays usable meanwhile
    box.close()


def test_refusal_is_a_modal_dialog_where_someone_can_see_it(qapp, tmp_path, capfd) -> None:
    problem = DataFolderUnwritable(tmp_path / "data", "Read-only file system")
    shown: list[tuple[str, str, bool]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        shown.append((box.windowTitle(), box.text(), box.isModal()))
        box.accept()

    QTimer.singleShot(100, answer)
    assert refuse_to_start(problem, dialog=True) == EXIT_CANNOT_START
    assert shown == [("Streamer Companion cannot start", problem.sentence(), True)]
    assert capfd.readouterr().err == f"companion: {problem.sentence()}\n"


def test_an_unforeseen_failure_at_start_is_said_not_swallowed(
    scratch_data_dir: Path, qapp, capfd, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start failure nobody foresaw: stderr says what and where the log is, exit 1, and
    the app's excepthook (which only logs) is gone again, so nothing else is swallowed."""
    import companion.app

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the panels broke")

    monkeypatch.setattr(companion.app, "PanelSet", broken)
    hook = sys.excepthook

    async def never(app: CompanionApp) -> None:
        raise AssertionError("the app did not start, so no driver runs")

    assert run_main([], never) == EXIT_CANNOT_START
    assert sys.excepthook is hook
    log = scratch_data_dir / "logs" / "companion.log"
    assert capfd.readouterr().err.splitlines()[-1] == (
        "companion: Streamer Companion stopped while starting: RuntimeError: the panels "
        f"broke. The details are in {log}; please report it."
    )
    text = log.read_text(encoding="utf-8")
    assert "the app stopped while starting" in text
    assert "shutdown complete" in text
