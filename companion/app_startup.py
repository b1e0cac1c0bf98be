"""Problems found while the app starts, said plainly (part of the composition root).

Issue 20, item 3: a bad settings value, a ledger from a newer version and an unwritable data
folder each ended the app with exit 1 before any window, and nothing on screen or terminal.
Now every such problem is written to stderr (always: a terminal or a launcher's log may be
the only place anyone looks), logged when the log can be written, and shown:

* when the app can run on (bad settings fall back to defaults, a newer ledger opens
  read-only), in a notice that stays and, where someone can see the screen, in one
  non-modal dialog listing them all: the window works meanwhile;
* when it cannot start (no writable data folder), in a modal dialog before exiting with
  :data:`EXIT_CANNOT_START`, where someone can see the screen.

"Someone can see the screen" is a Qt platform that draws somewhere a person looks: not
``offscreen`` or ``minimal`` (tests, packaging checks), and on X11 or Wayland only with a
display to connect to (without one Qt could not even start).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from companion.core.logsetup import mask_secrets
from companion.core.paths import data_dir_path, log_dir

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QWidget

#: The exit code when the app cannot start at all (no writable data folder).
EXIT_CANNOT_START = 1

#: Qt platforms that draw nowhere a person looks.
_INVISIBLE_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl"})

START_PROBLEMS_TITLE = "Streamer Companion started with a problem"


class CannotStart(Exception):
    """Why the app cannot start, as a sentence for the streamer."""

    def sentence(self) -> str:
        raise NotImplementedError


class DataFolderUnwritable(CannotStart):
    """The data folder (or its logs folder) cannot be created or written.

    Attributes:
        folder: The folder that failed.
        reason: The system's words for why.
    """

    def __init__(self, folder: Path, reason: str) -> None:
        super().__init__(f"{folder}: {reason}")
        self.folder = folder
        self.reason = reason

    def sentence(self) -> str:
        """What the streamer reads: which folder, why, and what to do."""
        return (
            f"Streamer Companion cannot start: its data folder {self.folder} cannot be "
            f"written ({self.reason}). The redemption history, the settings and the log "
            "live there. Make the folder writable, or point COMPANION_DATA_DIR at a folder "
            "that is, then start again."
        )


class StartFailed(CannotStart):
    """Something start-up does not know how to live with stopped it (a bug, most likely)."""

    def __init__(self, error: BaseException, log_path: Path) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.error = error
        self.log_path = log_path

    def sentence(self) -> str:
        return (
            "Streamer Companion stopped while starting: "
            f"{type(self.error).__name__}: {self.error}. The details are in {self.log_path}; "
            "please report it."
        )


def check_data_folder() -> Path:
    """Create the data and logs folders if needed and prove the data folder writable.

    A probe file is written and removed: a folder can exist, and even be listable, on a
    read-only file system or without write permission.

    Returns:
        The data folder.

    Raises:
        DataFolderUnwritable: Naming the folder that failed and why.
    """
    folder = data_dir_path()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder, prefix=".write-check-") as probe:
            probe.write(b"ok")
            probe.flush()
    except OSError as error:
        raise DataFolderUnwritable(folder, error.strerror or str(error)) from error
    try:
        log_dir()
    except OSError as error:
        raise DataFolderUnwritable(folder / "logs", error.strerror or str(error)) from error
    return folder


def tell_stderr(text: str) -> None:
    """One line on stderr; a missing or closed stderr (a GUI launch) is not an error."""
    stream = sys.stderr
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        stream.write(f"companion: {mask_secrets(text)}\n")
        stream.flush()


def can_show_dialogs() -> bool:
    """True if a dialog would appear where a person can see it."""
    if QGuiApplication.instance() is not None:
        platform = QGuiApplication.platformName()
    else:
        platform = os.environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0]
    if platform in _INVISIBLE_PLATFORMS:
        return False
    if sys.platform.startswith("linux") and platform in ("", "xcb", "wayland"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def refuse_to_start(problem: CannotStart, *, dialog: bool | None = None) -> int:
    """Say why the app cannot start (stderr, and a modal dialog if someone can see it).

    Args:
        problem: Why it cannot start.
        dialog: Show the dialog; None decides by :func:`can_show_dialogs`.

    Returns:
        :data:`EXIT_CANNOT_START`.
    """
    text = problem.sentence()
    # Not logged here: without a data folder there is no log (the caller logs if it can).
    tell_stderr(text)
    if dialog is None:
        dialog = can_show_dialogs()
    if dialog:
        app = QApplication.instance() or QApplication(sys.argv[:1])
        del app  # the box below needs it to exist, nothing more
        box = QMessageBox(QMessageBox.Icon.Critical, "Streamer Companion cannot start", text)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Modal: there is nothing else to use; closing it ends the app.
        box.exec()
    return EXIT_CANNOT_START


def start_problems_dialog(parent: QWidget, problems: list[str]) -> QMessageBox:
    """One non-modal dialog listing what went wrong at start (the app runs meanwhile)."""
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        START_PROBLEMS_TITLE,
        "\n\n".join(problems),
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
