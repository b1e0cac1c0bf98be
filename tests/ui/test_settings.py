"""Settings persist in an INI file in the data folder, with safe defaults."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings

from companion.twitch.authority import TWITCH_AUTHORITY
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
    assert settings.accounts(TWITCH_AUTHORITY) == {}
    assert settings.active_account(TWITCH_AUTHORITY) is None
    assert settings.window_geometry("main") is None
    assert settings.window_opacity("pinned") == 1.0


def test_values_survive_a_restart(scratch_data_dir: Path, qapp) -> None:
    first = AppSettings()
    first.theme = ThemeChoice.DARK
    first.set_enabled_panels(["queue", "rewards", "nonsense"])
    first.notify_redemptions = False
    first.undo_seconds = 8
    first.set_accounts(TWITCH_AUTHORITY, {"141981764": "twitchdev"})
    first.set_active_account(TWITCH_AUTHORITY, "141981764")
    first.set_window_geometry("main", QByteArray(b"\x01\x02"))
    first.set_window_opacity("pinned", 0.05)
    first.sync()
    second = AppSettings()
    assert second.theme is ThemeChoice.DARK
    assert second.enabled_panels() == ["rewards", "queue"]
    assert second.notify_redemptions is False
    assert second.undo_seconds == 8.0
    assert second.accounts(TWITCH_AUTHORITY) == {"141981764": "twitchdev"}
    assert second.active_account(TWITCH_AUTHORITY) == "141981764"
    assert second.window_geometry("main") == QByteArray(b"\x01\x02")
    assert second.window_opacity("pinned") == 0.2  # clamped: a window must stay visible


def test_bad_values_fall_back(scratch_data_dir: Path, qapp) -> None:
    (scratch_data_dir / "settings.ini").write_text(
        "[ui]\ntheme=purple\n[queue]\nundo_seconds=soon\n", encoding="utf-8"
    )
    settings = AppSettings()
    assert settings.theme is ThemeChoice.SYSTEM
    assert settings.undo_seconds == 5.0


SIM = "http://127.0.0.1:8080/oauth2"


def test_accounts_are_remembered_per_authority(scratch_data_dir: Path, qapp) -> None:
    settings = AppSettings()
    settings.set_accounts(TWITCH_AUTHORITY, {"141981764": "twitchdev"})
    settings.set_active_account(TWITCH_AUTHORITY, "141981764")
    settings.set_accounts(SIM, {"1": "democaster"})
    assert settings.active_account(SIM) is None  # Twitch's active account is not the sim's
    settings.set_active_account("HTTP://127.0.0.1:8080/oauth2/", "1")  # one authority, one key
    settings.sync()
    again = AppSettings()
    assert again.accounts(TWITCH_AUTHORITY) == {"141981764": "twitchdev"}
    assert again.active_account(TWITCH_AUTHORITY) == "141981764"
    assert again.accounts(SIM) == {"1": "democaster"}
    assert again.active_account(SIM) == "1"
    assert again.accounts("http://127.0.0.1:9999/oauth2") == {}


def test_accounts_from_before_authorities_belong_to_twitch(scratch_data_dir: Path, qapp) -> None:
    old = QSettings(str(scratch_data_dir / "settings.ini"), QSettings.Format.IniFormat)
    old.setValue("auth/accounts", json.dumps({"141981764": "twitchdev"}))
    old.setValue("auth/active_account", "141981764")
    old.sync()
    settings = AppSettings()
    assert settings.accounts(TWITCH_AUTHORITY) == {"141981764": "twitchdev"}
    assert settings.active_account(TWITCH_AUTHORITY) == "141981764"
    assert settings.accounts(SIM) == {}
    assert settings.active_account(SIM) is None
    # The first write moves them under Twitch's authority and drops the old keys.
    settings.set_accounts(SIM, {"1": "democaster"})
    settings.sync()
    reread = QSettings(str(scratch_data_dir / "settings.ini"), QSettings.Format.IniFormat)
    assert not reread.contains("auth/accounts")
    assert not reread.contains("auth/active_account")
    assert json.loads(str(reread.value("auth/authorities"))) == {
        TWITCH_AUTHORITY: {"accounts": {"141981764": "twitchdev"}, "active": "141981764"},
        SIM: {"accounts": {"1": "democaster"}, "active": ""},
    }


def test_values_of_the_wrong_type_fall_back_and_are_noted(scratch_data_dir: Path, qapp) -> None:
    """Issue 20, item 3: a hand-edited file never stops the app; each bad key is named."""
    text = (
        "[panels]\nenabled=@Point(1 2)\n"
        "[ui]\ntheme=@Rect(1 2 3 4)\n"
        "[notifications]\nredemptions=maybe\n"
        "[queue]\nundo_seconds=inf\n"
        "[auth]\nclient_id=@Size(3 4)\nauthorities=[1, 2]\n"
        "[windows]\nmain\\geometry=@Point(5 6)\npinned\\opacity=nan\n"
    )
    path = scratch_data_dir / "settings.ini"
    path.write_text(text, encoding="utf-8")
    settings = AppSettings()
    assert settings.check() == {
        "ui/theme": "holds a QRect, not one of system, light, dark",
        "notifications/redemptions": "holds 'maybe', not true or false",
        "queue/undo_seconds": "holds 'inf', not a number of seconds from 0 to 60",
        "auth/client_id": "holds a QSize, not text",
        "panels/enabled": "holds a QPoint, not a list of panel names",
        "auth/authorities": "holds a list, not the accounts this app wrote",
        "windows/main/geometry": "holds a QPoint, not a saved window geometry",
        "windows/pinned/opacity": "holds 'nan', not a number from 0.2 to 1",
    }
    # Every one reads as its default...
    assert settings.theme is ThemeChoice.SYSTEM
    assert settings.enabled_panels() == list(PANEL_KEYS)
    assert settings.notify_redemptions is True
    assert settings.undo_seconds == 5.0
    assert settings.client_id == ""
    assert settings.accounts(TWITCH_AUTHORITY) == {}
    assert settings.window_geometry("main") is None
    assert settings.window_opacity("pinned", 0.9) == 0.9
    assert len(settings.problems()) == 8  # each noted once, however often it is read
    # ...and the file is left as the streamer wrote it until a setting is changed.
    settings.sync()
    assert path.read_text(encoding="utf-8") == text
    settings.undo_seconds = 3.0
    settings.sync()
    assert AppSettings().undo_seconds == 3.0


def test_an_empty_panel_list_is_a_choice_not_a_problem(scratch_data_dir: Path, qapp) -> None:
    first = AppSettings()
    first.set_enabled_panels([])
    first.sync()
    second = AppSettings(QSettings(first.path, QSettings.Format.IniFormat))
    assert second.enabled_panels() == []
    assert second.check() == {}
