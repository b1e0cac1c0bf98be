"""The reward form: every limit just inside and just outside, explained inline as you type."""

from __future__ import annotations

import pytest

from companion.twitch.models.channel_points import CustomReward
from companion.ui.reward_form import FIELD_HELP, RewardForm
from tests.helpers.queue_sim import reward_payload


@pytest.fixture
def form(qtbot) -> RewardForm:
    widget = RewardForm()
    qtbot.addWidget(widget)
    widget.start_create({"Hydrate!"})
    widget.title_edit.setText("Song request")
    return widget


def test_valid_defaults_enable_save(form: RewardForm) -> None:
    assert form.errors() == {}
    assert form.save_button.isEnabled()
    assert form.fields["title"].message.text() == FIELD_HELP["title"]


@pytest.mark.parametrize(
    ("length", "error"),
    [
        (0, "The reward title is empty; Twitch needs at least 1 character. Fill it in."),
        (1, None),
        (45, None),
        (46, "The reward title is 46 characters long; Twitch allows at most 45. Shorten it."),
    ],
)
def test_title_length(form: RewardForm, qtbot, length: int, error: str | None) -> None:
    form.title_edit.clear()
    qtbot.keyClicks(form.title_edit, "t" * length)
    assert form.errors().get("title") == error
    assert form.title_count.text() == f"{length}/45"
    assert form.save_button.isEnabled() is (error is None)
    shown = form.fields["title"].message.text()
    assert shown == (error or FIELD_HELP["title"])


def test_title_must_be_unique_ignoring_case(form: RewardForm) -> None:
    form.title_edit.setText("hydrate!")
    assert "unique" in form.errors()["title"]
    assert "1 field(s) to fix" in form.summary_label.text()


@pytest.mark.parametrize(("length", "ok"), [(200, True), (201, False)])
def test_prompt_length(form: RewardForm, length: int, ok: bool) -> None:
    form.prompt_edit.setPlainText("p" * length)
    assert ("prompt" not in form.errors()) is ok
    assert form.prompt_count.text() == f"{length}/200"
    if not ok:
        assert form.errors()["prompt"] == (
            "The reward prompt is 201 characters long; Twitch allows at most 200. Shorten it."
        )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("1", None),
        ("0", "The reward cost is 0; Twitch needs at least 1. Choose a larger number."),
        ("", "Cost: type a whole number."),
        ("12a", "Cost: type a whole number."),
        ("1,000,000", None),
    ],
)
def test_cost(form: RewardForm, text: str, error: str | None) -> None:
    form.cost_edit.setText(text)
    assert form.errors().get("cost") == error


@pytest.mark.parametrize(
    ("check", "edit", "key", "inside", "outside", "message"),
    [
        (
            "per_stream_check",
            "per_stream_edit",
            "max_per_stream",
            "1",
            "0",
            "The max redemptions per stream is 0; Twitch needs at least 1. Choose a larger number.",
        ),
        (
            "per_user_check",
            "per_user_edit",
            "max_per_user_per_stream",
            "1",
            "0",
            "The max redemptions per user per stream is 0; Twitch needs at least 1. "
            "Choose a larger number.",
        ),
        (
            "cooldown_check",
            "cooldown_edit",
            "global_cooldown",
            "604800",
            "604801",
            "The global cooldown is 604,801 seconds; Twitch allows at most 604,800 seconds. "
            "Choose a smaller number.",
        ),
        (
            "cooldown_check",
            "cooldown_edit",
            "global_cooldown",
            "1",
            "0",
            "The global cooldown is 0 seconds; Twitch needs at least 1 second. "
            "Choose a larger number.",
        ),
    ],
)
def test_limits_only_count_when_switched_on(
    form: RewardForm, check: str, edit: str, key: str, inside: str, outside: str, message: str
) -> None:
    getattr(form, edit).setText(outside)
    assert key not in form.errors()  # off: the value is not sent, so not checked
    assert not getattr(form, edit).isEnabled()
    getattr(form, check).setChecked(True)
    assert getattr(form, edit).isEnabled()
    assert form.errors()[key] == message
    assert form.fields[key].message.text() == message
    assert not form.save_button.isEnabled()
    getattr(form, edit).setText(inside)
    assert key not in form.errors()
    assert form.save_button.isEnabled()


def test_short_cooldown_is_allowed_with_a_note(form: RewardForm) -> None:
    form.cooldown_check.setChecked(True)
    form.cooldown_edit.setText("30")
    assert "global_cooldown" not in form.errors()
    assert "Twitch's own pages will not show it" in form.fields["global_cooldown"].message.text()


@pytest.mark.parametrize(("text", "ok"), [("#9147ff", True), ("#9147F", False), ("red", False)])
def test_colour(form: RewardForm, text: str, ok: bool) -> None:
    form.color_edit.setText(text)
    assert ("background_color" not in form.errors()) is ok


def test_create_values(form: RewardForm, qtbot) -> None:
    form.prompt_edit.setPlainText("Artist - title")
    form.cost_edit.setText("500")
    form.input_check.setChecked(True)
    form.per_user_check.setChecked(True)
    form.per_user_edit.setText("2")
    with qtbot.waitSignal(form.submitted) as blocker:
        form.save_button.click()
    assert blocker.args == [
        {
            "title": "Song request",
            "cost": 500,
            "prompt": "Artist - title",
            "enabled": True,
            "background_color": "#9147FF",  # a new form starts with the colour it shows
            "input_required": True,
            "redemptions_skip_queue": False,
            "paused": False,
            "max_per_stream": None,
            "max_per_user_per_stream": 2,
            "global_cooldown": None,
        }
    ]


def test_edit_sends_only_changes(qtbot) -> None:
    form = RewardForm()
    qtbot.addWidget(form)
    reward = CustomReward(None, reward_payload())  # type: ignore[arg-type]  # no requests here
    form.start_edit(reward, {"Hydrate!", "Other"}, None)
    assert form.errors() == {}
    assert not form.save_button.isEnabled()  # nothing changed yet
    assert form.summary_label.text() == "No changes yet."
    form.cost_edit.setText("150")
    form.cooldown_check.setChecked(False)
    form.per_stream_check.setChecked(True)
    form.per_stream_edit.setText("3")
    form.paused_check.setChecked(True)
    assert form.changes() == {
        "cost": 150,
        "paused": True,
        "max_per_stream_enabled": True,
        "max_per_stream": 3,
        "global_cooldown_enabled": False,
    }


def test_read_only_reward_cannot_be_saved(qtbot) -> None:
    form = RewardForm()
    qtbot.addWidget(form)
    reward = CustomReward(None, reward_payload())  # type: ignore[arg-type]
    form.start_edit(reward, set(), "Created by another app")
    assert form.read_only_label.text() == "Created by another app"
    assert not form.title_edit.isEnabled()
    assert form.save_button.isHidden()
    assert form.cancel_button.text() == "Close"
