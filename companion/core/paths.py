"""Where the app keeps its files, per platform, without Qt.

The data folder holds the log, the ledger database and the settings file. It
never holds a token: tokens live in the OS keyring only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "streamer-companion"

# Tests and the packaged smoke test point the app at a scratch folder with this.
DATA_DIR_ENV = "COMPANION_DATA_DIR"


def data_dir() -> Path:
    """Return the app-data folder, creating it if needed.

    Linux follows XDG (``$XDG_DATA_HOME`` or ``~/.local/share``), Windows uses
    ``%APPDATA%`` and macOS ``~/Library/Application Support``.
    """
    path = data_dir_path()
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir_path() -> Path:
    """The app-data folder's path (see :func:`data_dir`), without creating it."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        path = Path(override)
    elif sys.platform == "win32":
        path = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / APP_DIR_NAME
    elif sys.platform == "darwin":
        path = Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = Path(base) / APP_DIR_NAME
    return path


def log_dir() -> Path:
    """Return the folder of the rotating log files."""
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def resources_dir() -> Path:
    """Return the folder of icons, themes and sounds.

    An installed wheel carries them as ``companion/resources``; a source
    checkout (editable install) keeps them at the top level ``resources/``;
    a PyInstaller bundle unpacks them beside the package under ``_MEIPASS``.
    """
    package_dir = Path(__file__).resolve().parent.parent
    frozen_base = getattr(sys, "_MEIPASS", None)
    candidates = [package_dir / "resources", package_dir.parent / "resources"]
    if frozen_base:
        candidates.insert(0, Path(frozen_base) / "companion" / "resources")
    for candidate in candidates:
        if (candidate / "themes").is_dir():
            return candidate
    raise FileNotFoundError(
        "resources folder not found (looked in: " + ", ".join(map(str, candidates)) + ")"
    )
