"""The reward form says what it will save (issue 16, item 8): the swatch is the colour
sent, the title's error waits for the first edit, and a cooldown can be typed in
minutes and seconds."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor

from companion.twitch.models.channel_points import CustomReward
from companion.ui.reward_form import FIELD_HELP, RewardForm, parse_duration
from tests.helpers.queue_sim import reward_payload


@pytest.fixture
def form(qtbot) -> RewardForm:
    widget = RewardForm()
    qtbot.addWidget(widget)
    widget.resize(520, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def swatch(form: RewardForm) -> QColor:
    """The colour painted in the middle of the swatch."""
    image = form.color_swatch.grab().toImage()
    return QColor(image.pixel(image.width() // 2, image.height() // 2))


def test_new_form_swatch_is_the_colour_sent(form: RewardForm, qtbot) -> None:
    form.start_create(set())
    form.title_edit.setText("Hydrate")
    assert form.color_edit.text() == "#9147FF"
    assert swatch(form).name() == "#9147ff"
    with qtbot.waitSignal(form.submitted) as blocker:
        form.save_button.click()
    assert blocker.args[0]["background_color"] == "#9147FF"
    form.color_edit.setText("#1f69ff")
    assert swatch(form).name() == "#1f69ff"
    with qtbot.waitSignal(form.submitted) as blocker:
        form.save_button.click()
    assert blocker.args[0]["background_color"] == "#1F69FF"


def test_an_emptied_colour_shows_no_colour_and_says_twitch_picks(form: RewardForm) -> None:
    form.start_create(set())
    form.color_edit.clear()
    assert form.values()["background_color"] is None
    # No made-up colour: the swatch is empty and the help line says why.
    assert form.color_swatch.property("empty") is True
    assert swatch(form).name() != "#9147ff"
    assert "Twitch picks" in form.fields["background_color"].message.text()


def test_edit_with_an_empty_colour_shows_the_colour_kept(form: RewardForm) -> None:
    reward = CustomReward(None, reward_payload(background_color="#00C8AF"))  # type: ignore[arg-type]
    form.start_edit(reward, set(), None)
    assert swatch(form).name() == "#00c8af"
    form.color_edit.clear()
    assert swatch(form).name() == "#00c8af"  # empty keeps the reward's colour
    assert "background_color" not in form.changes()


def test_title_error_waits_for_the_first_edit(form: RewardForm, qtbot) -> None:
    form.start_create(set())
    assert form.fields["title"].message.text() == FIELD_HELP["title"]
    assert not form.save_button.isEnabled()  # still cannot be saved without a title
    assert form.summary_label.text() == "Give the reward a title to save it."
    qtbot.keyClicks(form.title_edit, "x")
    qtbot.keyClick(form.title_edit, "\b")
    assert form.fields["title"].message.text() == (
        "The reward title is empty; Twitch needs at least 1 character. Fill it in."
    )
    assert form.summary_label.text() == "1 field(s) to fix before saving."
    # A second new form starts quiet again.
    form.start_create(set())
    assert form.fields["title"].message.text() == FIELD_HELP["title"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90),
        ("1:30", 90),
        ("5m", 300),
        ("2m 30s", 150),
        ("2 min 5 sec", 125),
        ("1h", 3600),
        ("1:00:05", 3605),
        ("10 minutes", 600),
        ("1:75", None),
        ("5x", None),
        ("", None),
    ],
)
def test_parse_duration(text: str, seconds: int | None) -> None:
    assert parse_duration(text) == seconds


def test_cooldown_in_minutes_and_seconds(form: RewardForm, qtbot) -> None:
    form.start_create(set())
    form.title_edit.setText("Shout-out")
    form.cooldown_check.setChecked(True)
    form.cooldown_edit.setText("2:30")
    assert "global_cooldown" not in form.errors()
    assert "= 2 min 30 s" in form.fields["global_cooldown"].message.text()
    with qtbot.waitSignal(form.submitted) as blocker:
        form.save_button.click()
    assert blocker.args[0]["global_cooldown"] == 150
    form.cooldown_edit.setText("soon")
    assert form.errors()["global_cooldown"].startswith("Cooldown: type seconds (90)")


def test_edit_shows_the_cooldown_in_minutes(form: RewardForm) -> None:
    payload = reward_payload(
        global_cooldown_setting={"is_enabled": True, "global_cooldown_seconds": 330}
    )
    form.start_edit(CustomReward(None, payload), set(), None)  # type: ignore[arg-type]
    assert form.cooldown_edit.text() == "5m 30s"
    assert form.changes() == {}
