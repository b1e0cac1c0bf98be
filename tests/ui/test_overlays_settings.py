"""The overlay settings: port, on/off, per-reward alert rules and page options.

Each survives a restart; a bad value (typed or hand-edited) is refused with a sentence
that names the limit it broke and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QSettings

from companion.core.errors import UserError
from companion.core.overlay_rules import AlertRule, check_alert_seconds, check_overlay_port
from companion.ui.settings import AppSettings

if TYPE_CHECKING:
    from pathlib import Path


def test_defaults_are_on_port_7480_and_every_reward_alerted_6_s(
    qapp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPANION_OVERLAY_PORT")  # the suite's own port (tests/conftest.py)
    settings = AppSettings()
    assert settings.overlay_enabled is True
    assert settings.overlay_port == 7480
    assert settings.alert_rules() == {}
    assert settings.alert_rule("any-reward") == AlertRule(True, 6.0)
    assert settings.overlay_page_options() == {}
    assert settings.check() == {}


def test_overlay_choices_survive_a_restart(qapp) -> None:
    first = AppSettings()
    first.overlay_enabled = False
    first.overlay_port = 8123
    first.set_alert_rule("rw1", AlertRule(False, 6.0))
    first.set_alert_rule("rw2", AlertRule(True, 12.5))
    first.set_overlay_page_options("goals", {"font_size": "32", "goals": "g1,g2"})
    first.sync()
    second = AppSettings()
    assert second.overlay_enabled is False
    assert second.overlay_port == 8123
    assert second.alert_rules() == {"rw1": AlertRule(False, 6.0), "rw2": AlertRule(True, 12.5)}
    assert second.alert_rule("rw3") == AlertRule(True, 6.0)
    assert second.overlay_page_options() == {"goals": {"font_size": "32", "goals": "g1,g2"}}


@pytest.mark.parametrize(
    ("typed", "sentence"),
    [
        (
            "80",
            "The overlay port must be at least 1024 (lower ports are reserved for the system);"
            " 80 is too low.",
        ),
        (
            "70000",
            "The overlay port must be at most 65535, the highest port there is; 70000 is too high.",
        ),
        (
            "74.5",
            "The overlay port must be a whole number from 1024 to 65535; “74.5” is not a whole"
            " number.",
        ),
        ("", "The overlay port must be a whole number from 1024 to 65535; nothing was given."),
    ],
)
def test_a_bad_port_is_refused_naming_the_limit(qapp, typed: str, sentence: str) -> None:
    settings = AppSettings()
    settings.overlay_port = 9000
    with pytest.raises(UserError) as refused:
        settings.overlay_port = typed  # type: ignore[assignment]  # typed text, as the field
    assert str(refused.value) == sentence
    assert settings.overlay_port == 9000


def test_port_edges_are_accepted() -> None:
    assert check_overlay_port("1024") == 1024
    assert check_overlay_port(" 65535 ") == 65535
    assert check_overlay_port(7480.0) == 7480


def test_a_bad_alert_duration_is_refused_naming_the_limit(qapp) -> None:
    settings = AppSettings()
    settings.set_alert_rule("rw1", AlertRule(True, 10.0))
    for seconds, sentence in [
        (0.5, "An alert must stay at least 1 s to be read; 0.5 s is too short."),
        (61, "An alert may stay at most 60 s (alerts behind it wait); 61 s is too long."),
    ]:
        with pytest.raises(UserError) as refused:
            settings.set_alert_rule("rw1", AlertRule(True, seconds))
        assert str(refused.value) == sentence
    assert settings.alert_rules() == {"rw1": AlertRule(True, 10.0)}
    assert check_alert_seconds("1") == 1.0
    assert check_alert_seconds(60) == 60.0


def test_the_environment_names_the_default_port(qapp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANION_OVERLAY_PORT", "9123")
    assert AppSettings().overlay_port == 9123
    monkeypatch.setenv("COMPANION_OVERLAY_PORT", "80")  # refused: the default applies
    assert AppSettings().overlay_port == 7480
    settings = AppSettings()
    settings.overlay_port = 9200  # a chosen port wins
    monkeypatch.setenv("COMPANION_OVERLAY_PORT", "9123")
    assert AppSettings().overlay_port == 9200


def test_hand_edited_overlay_values_fall_back_and_are_noted(
    scratch_data_dir: Path, qapp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPANION_OVERLAY_PORT")
    raw = QSettings(str(scratch_data_dir / "settings.ini"), QSettings.Format.IniFormat)
    raw.setValue("overlay/port", "80")
    raw.setValue("overlay/enabled", "sometimes")
    raw.setValue("overlay/alerts", '{"rw1": {"on": true, "seconds": 600}}')
    raw.setValue("overlay/page_options", "[1, 2]")
    raw.sync()
    settings = AppSettings()
    assert settings.check() == {
        "overlay/enabled": "holds 'sometimes', not true or false",
        "overlay/port": "holds '80', not a whole number from 1024 to 65535",
        "overlay/alerts": 'holds \'{"rw1": {"on": true, "seconds": 600}}\', not the alert '
        "choices this app wrote",
        "overlay/page_options": "holds '[1, 2]', not the overlay options this app wrote",
    }
    assert settings.overlay_enabled is True
    assert settings.overlay_port == 7480
    assert settings.alert_rule("rw1") == AlertRule(True, 6.0)
    assert settings.overlay_page_options() == {}


def test_a_panel_list_stored_before_the_overlays_tab_shows_it(scratch_data_dir: Path, qapp) -> None:
    """A streamer who hid a panel in an older version never hid the Overlays tab."""
    raw = QSettings(str(scratch_data_dir / "settings.ini"), QSettings.Format.IniFormat)
    raw.setValue("panels/enabled", ["rewards", "queue", "goals"])
    raw.sync()
    settings = AppSettings()
    assert settings.enabled_panels() == ["rewards", "queue", "goals", "overlays"]
    assert settings.check() == {}
    # Once this version stores the list, hiding the Overlays tab sticks.
    settings.set_enabled_panels(["rewards", "queue"])
    settings.sync()
    assert AppSettings().enabled_panels() == ["rewards", "queue"]
