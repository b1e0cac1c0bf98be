"""The predictions and polls panels painted in both themes with live state from the
simulator. Each grab must show the bars in their colours; with COMPANION_SCREENSHOTS set to
a folder (``docs/screenshots``) the PNGs are kept there for people to look at."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest

from companion.core.templates import PollTemplate, PredictionTemplate, TemplateStore
from companion.services.polls_service import PollsService
from companion.services.predictions_service import PredictionsService, auto_cancel_at
from companion.twitch.limits import LIMITS
from companion.ui.outcome_bars import BAR_COLORS
from companion.ui.polls_panel import PollsPanel
from companion.ui.predictions_panel import PredictionsPanel
from companion.ui.theme import ThemeChoice, apply_theme
from tests.integration.app.conftest import LiveChannel, until

if TYPE_CHECKING:
    from collections.abc import Iterator

    from PySide6.QtWidgets import QApplication, QWidget
    from pytestqt.qtbot import QtBot

pytestmark = pytest.mark.qt_loop


def _check(name: str, value: object) -> None:
    LIMITS[name].check(value)


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[QApplication]:
    yield qapp
    qapp.setStyleSheet("")
    qapp.setProperty("companionTheme", None)


def _has_color(image: QImage, color: str, tolerance: int = 12) -> bool:
    want = QColor(color)
    for y in range(0, image.height(), 3):
        for x in range(0, image.width(), 3):
            got = image.pixelColor(x, y)
            if (
                abs(got.red() - want.red()) <= tolerance
                and abs(got.green() - want.green()) <= tolerance
                and abs(got.blue() - want.blue()) <= tolerance
            ):
                return True
    return False


def _grab(widget: QWidget, name: str, tmp_path: Path) -> QImage:
    folder = Path(os.environ.get("COMPANION_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    assert widget.grab().save(str(path))
    return QImage(str(path))


async def test_screens_in_both_themes(
    live_channel: LiveChannel, qtbot: QtBot, themed: QApplication, tmp_path: Path
) -> None:
    sim = live_channel.sim
    state = sim.state
    viewers = [state.user_ids_by_login[login] for login in ("ana_plays", "bytebard", "cozy_carl")]
    templates = TemplateStore(tmp_path, _check)
    templates.save_prediction(
        PredictionTemplate("Elden Ring: boss", "Boss down?", ("Yes", "No"), 300)
    )
    templates.save_poll(PollTemplate("Friday picks", "Next game?", ("Hades", "Celeste"), 120, 50))

    predictions = PredictionsService()
    live_channel.live.prediction_event.connect(predictions.on_prediction_event)
    polls = PollsService()
    live_channel.live.poll_event.connect(polls.on_poll_event)
    prediction_panel = PredictionsPanel(predictions, templates)
    poll_panel = PollsPanel(polls, templates)
    for panel in (prediction_panel, poll_panel):
        qtbot.addWidget(panel)
        panel.resize(1100, 700)
        panel.show()
    predictions.set_broadcaster(live_channel.broadcaster)
    polls.set_broadcaster(live_channel.broadcaster)
    await predictions.wait_idle()
    await polls.wait_idle()

    # History first, then a live one of each.
    old = await predictions.create_now("Warm-up: first try?", ["Yes", "No"], 60)
    state.predict(old.id, viewers[0], old.outcomes[0].id, 300)
    await predictions.resolve_now(old.outcomes[0].id)
    prediction = await predictions.create_now(
        "Boss down this try?", ["First try", "Five tries", "Never"], 600
    )
    for viewer, outcome, points in zip(viewers, (0, 0, 1), (1500, 700, 900), strict=True):
        state.predict(prediction.id, viewer, prediction.outcomes[outcome].id, points)
    old_poll = await polls.create_now("Snack break?", ["Chips", "Fruit"], 60)
    state.vote(old_poll.id, old_poll.choices[1].id, 12)
    await polls.end_now("TERMINATED")
    poll = await polls.create_now("Which boss next?", ["Margit", "Godrick", "Rennala"], 300, 100)
    for choice, votes in zip(poll.choices, (18, 31, 9), strict=True):
        state.vote(poll.id, choice.id, votes)
    await until(lambda: prediction_panel.totals_label.text().startswith("3,100"))
    await until(lambda: poll_panel.totals_label.text().startswith("58 votes"))
    prediction_panel.form.fill("Next run: sub 1 hour?", ["Yes", "No"], 120)

    for theme in (ThemeChoice.LIGHT, ThemeChoice.DARK):
        apply_theme(themed, theme)
        # Let Qt re-polish and lay out with the new style sheet before painting.
        await asyncio.sleep(0.1)
        for panel, name, colors in (
            (prediction_panel, "predictions", (BAR_COLORS["BLUE"],)),
            (poll_panel, "polls", (BAR_COLORS["POLL"],)),
        ):
            image = _grab(panel, f"{name}-{theme.value}", tmp_path)
            assert image.width() == 1100 and image.height() == 700
            for color in colors:
                assert _has_color(image, color), f"{name} {theme.value}: no {color} bar"

    # Locked, close to Twitch's automatic cancel, with a winner half-confirmed.
    await predictions.lock_now()
    locked = predictions.active
    assert locked is not None
    deadline = auto_cancel_at(locked)
    assert deadline is not None
    prediction_panel.clock = lambda: deadline - timedelta(minutes=42)
    prediction_panel.update_clock()
    QTest.keyClick(prediction_panel.bars, Qt.Key.Key_1)
    assert prediction_panel.warning_label.isVisibleTo(prediction_panel)
    for theme in (ThemeChoice.LIGHT, ThemeChoice.DARK):
        apply_theme(themed, theme)
        await asyncio.sleep(0.1)
        image = _grab(prediction_panel, f"predictions-locked-{theme.value}", tmp_path)
        assert _has_color(image, BAR_COLORS["BLUE"])
    await predictions.shutdown()
    await polls.shutdown()
