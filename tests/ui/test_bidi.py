"""Right-to-left and mixed text (issue 16, item 9): a title, a name or an input keeps its
own direction inside rows, confirmations and notifications, and the sentence around it
keeps its order. Positions come from Qt's own text layout of the text shown."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextLayout, QTextOption

from companion.app_panels import PanelSet
from companion.core.bidi import FSI, PDI, has_rtl, isolate
from companion.services.queue_service import QueueService
from companion.services.rewards_service import RewardsService
from companion.twitch.http import HTTPHandler
from companion.twitch.models.channel_points import CustomReward, CustomRewardRedemption
from companion.twitch.models.users import PartialUser
from companion.twitch.tokens import SimpleTokenHandler
from companion.ui.queue_model import Column, QueueTableModel
from companion.ui.rewards_panel import RewardsPanel
from companion.ui.settings import AppSettings
from tests.helpers.core_fakes import redemption
from tests.helpers.fake_clock import FakeScheduler
from tests.helpers.queue_sim import reward_payload
from tests.ui.test_redemption_notifications import EXAMPLE, RecordingTray

ARABIC_TITLE = "أغنية Song 2"  # starts right to left, holds left-to-right words
HEBREW_TITLE = "שלום 🎉 3"
ARABIC_NAME = "محمد"

_FLAGS = (
    QTextLayout.GlyphRunRetrievalFlag.RetrieveStringIndexes
    | QTextLayout.GlyphRunRetrievalFlag.RetrieveGlyphPositions
    | QTextLayout.GlyphRunRetrievalFlag.RetrieveGlyphIndexes
)


def visual_x(text: str, direction: Qt.LayoutDirection | None = None) -> dict[int, float]:
    """Where each character of ``text`` is drawn (x of its glyph), as Qt lays it out.

    ``direction`` None lets Qt pick the paragraph's direction from the text, as a
    word-wrapped QLabel (confirmations, notifications) does; a table cell is laid out in
    the view's direction (left to right).
    """
    layout = QTextLayout(text, QFont("DejaVu Sans", 12))
    if direction is not None:
        option = QTextOption()
        option.setTextDirection(direction)
        layout.setTextOption(option)
    layout.beginLayout()
    line = layout.createLine()
    line.setLineWidth(4000)
    layout.endLayout()
    positions: dict[int, float] = {}
    for run in layout.glyphRuns(-1, -1, _FLAGS):
        for point, index in zip(run.positions(), run.stringIndexes(), strict=True):
            positions.setdefault(index, point.x())
    return positions


def test_isolate_wraps_only_right_to_left_text() -> None:
    assert isolate("Hydrate!") == "Hydrate!"
    assert isolate("🎉 123") == "🎉 123"
    assert isolate(None) == ""
    assert isolate(ARABIC_NAME) == f"{FSI}{ARABIC_NAME}{PDI}"
    assert isolate(isolate(HEBREW_TITLE)) == isolate(HEBREW_TITLE)  # never twice
    assert has_rtl(HEBREW_TITLE) and not has_rtl("Song 2")


def test_queue_row_shows_a_mixed_title_in_its_own_direction(qapp) -> None:
    service = QueueService(None, None, scheduler=FakeScheduler())
    record = replace(redemption(1), reward_title=ARABIC_TITLE, user_name=ARABIC_NAME)
    service.queue.add(record)
    model = QueueTableModel(service.queue)
    shown = model.index(0, Column.REWARD).data()
    x = visual_x(shown, Qt.LayoutDirection.LeftToRight)  # a cell: the view's direction
    # Right to left as a whole: its left-to-right words sit left of its first word.
    assert x[shown.index("Song")] < x[shown.index("أ")]
    assert model.index(0, Column.VIEWER).data().strip(FSI + PDI) == ARABIC_NAME


def test_confirmation_keeps_its_sentence_in_order(qtbot, qapp) -> None:
    queue = QueueService(None, None, scheduler=FakeScheduler())
    rewards = RewardsService(PartialUser(None, "1337"), queue)  # type: ignore[arg-type]
    reward = CustomReward(None, reward_payload(id="he", title=HEBREW_TITLE))  # type: ignore[arg-type]
    rewards.rewards[reward.id] = reward
    rewards.manageable.add(reward.id)
    queue.queue.add(redemption(1, reward_id="he", broadcaster_id="1"))
    panel = RewardsPanel(rewards)
    qtbot.addWidget(panel)
    rewards.rewards_loaded.emit()
    panel.select_reward("he")
    panel.ask_delete()
    text = panel.confirm.label.text()
    assert text.startswith(f"“{FSI}{HEBREW_TITLE}{PDI}” has 1 waiting")
    x = visual_x(text)  # a word-wrapped label: Qt picks the direction from the text
    # The English sentence reads left to right, starting with the title...
    assert x[text.index("“")] < x[text.index("has")] < x[text.index("If it is deleted")]
    # ...and inside the quotes the Hebrew title reads right to left.
    assert x[text.index("3")] < x[text.index("ש")]


def test_notification_keeps_its_sentence_in_order(qtbot, scratch_data_dir) -> None:
    event = json.loads(EXAMPLE.read_text(encoding="utf-8"))["event"]
    event = {**event, "user_name": ARABIC_NAME, "user_input": "!شكرا"}
    http = HTTPHandler(SimpleTokenHandler("x" * 30, "client"))
    panels = PanelSet(AppSettings(), None, lambda text: None)
    tray = RecordingTray()
    panels._tray = tray
    panels._notify_redemption(CustomRewardRedemption.from_eventsub(http, event))
    [(_title, text)] = tray.shown
    x = visual_x(text)
    name = text.index(ARABIC_NAME)
    assert x[name] < x[text.index("redeemed")] < x[text.index(":")]


@pytest.mark.parametrize("title", [ARABIC_TITLE, HEBREW_TITLE])
def test_rewards_row_title_in_its_own_direction(qtbot, qapp, title: str) -> None:
    rewards = RewardsService(PartialUser(None, "1337"))  # type: ignore[arg-type]
    reward = CustomReward(None, reward_payload(id="r", title=title))  # type: ignore[arg-type]
    rewards.rewards[reward.id] = reward
    panel = RewardsPanel(rewards)
    qtbot.addWidget(panel)
    rewards.rewards_loaded.emit()
    shown = panel.model.index(0, 0).data()
    assert shown == f"{FSI}{title}{PDI}"
    x = visual_x(shown, Qt.LayoutDirection.LeftToRight)
    first_rtl = next(i for i, char in enumerate(shown) if has_rtl(char))
    assert x[shown.index(title[-1])] < x[first_rtl]  # its last character is leftmost
