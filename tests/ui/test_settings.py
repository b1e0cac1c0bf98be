"""Settings persist in an INI file in the data folder, with safe defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray

from companion.ui.settings import PANEL_KEYS, AppSettings
from companion.ui.theme import ThemeChoice

if TYPE_CHECKING:
    from pathlib import Path


def test_defaults(scratch_data_dir: Path, qapp) -> None:
    settings = AppSettings()
    assert settings.path == str(scratch_data_dir / "settings.ini")
    assert settings.theme is ThemeChoice.SYSTEM
    assert settings.enabled_panels() == list(PANEL_KEYS)
    assert settings.notify_redemptions is True
    assert settings.undo_seconds == 5.0
    assert settings.accounts() == {}
    assert settings.active_account is None
    assert settings.window_geometry("main") is None
    assert settings.window_opacity("pinned") == 1.0


def test_values_survive_a_restart(scratch_data_dir: Path, qapp) -> None:
    first = AppSettings()
    first.theme = ThemeChoice.DARK
    first.set_enabled_panels(["queue", "rewards", "nonsense"])
    first.notify_redemptions = False
    first.undo_seconds = 8
    first.set_accounts({"141981764": "twitchdev"})
    first.active_account = "141981764"
    first.set_window_geometry("main", QByteArray(b"\x01\x02"))
    first.set_window_opacity("pinned", 0.05)
    first.sync()
    second = AppSettings()
    assert second.theme is ThemeChoice.DARK
    assert second.enabled_panels() == ["rewards", "queue"]
    assert second.notify_redemptions is False
    assert second.undo_seconds == 8.0
    assert second.accounts() == {"141981764": "twitchdev"}
    assert second.active_account == "141981764"
    assert second.window_geometry("main") == QByteArray(b"\x01\x02")
    assert second.window_opacity("pinned") == 0.2  # clamped: a window must stay visible


def test_bad_values_fall_back(scratch_data_dir: Path, qapp) -> None:
    (scratch_data_dir / "settings.ini").write_text(
        "[ui]\ntheme=purple\n[queue]\nundo_seconds=soon\n", encoding="utf-8"
    )
    settings = AppSettings()
    assert settings.theme is ThemeChoice.SYSTEM
    assert settings.undo_seconds == 5.0
