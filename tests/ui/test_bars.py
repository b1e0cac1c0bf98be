"""Goal, prediction and poll bars (issue 16, item 10): the numbers are never cut nor
painted over, and text on a coloured bar meets WCAG's 4.5:1 in both themes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from PySide6.QtGui import QColor, QFontMetrics, QImage
from PySide6.QtWidgets import QApplication, QListView

from companion.twitch.models.goals import Goal
from companion.ui.bars import bar_font
from companion.ui.goals import GoalsModel, GoalStrip
from companion.ui.outcome_bars import BarRow, OutcomeBarDelegate, OutcomeBarsModel
from companion.ui.theme import (
    BAR_FILLS,
    TRACK_ALPHA,
    ThemeChoice,
    apply_theme,
    bar_text_pairs,
    blend,
    contrast_ratio,
    palette_for,
)

if TYPE_CHECKING:
    from PySide6.QtCore import QRect

THEMES = [ThemeChoice.LIGHT, ThemeChoice.DARK]


@pytest.fixture(params=THEMES, ids=lambda t: t.value)
def theme(request, qapp):
    apply_theme(qapp, request.param)
    yield request.param
    qapp.setStyleSheet("")
    qapp.setPalette(QApplication.style().standardPalette())


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("choice", THEMES, ids=lambda t: t.value)
def test_every_text_on_a_bar_meets_4_5_to_1(choice: ThemeChoice) -> None:
    pairs = bar_text_pairs(choice)
    assert {"BLUE fill", "PINK fill", "POLL fill", "GOAL fill", "numbers"} <= set(pairs)
    failing = {
        name: round(contrast_ratio(background, text), 2)
        for name, (background, text) in pairs.items()
        if contrast_ratio(background, text) < 4.5
    }
    assert failing == {}


def goal(current: int, target: int, description: str = "Road to partner") -> Goal:
    payload = {
        "id": "g1",
        "broadcaster_id": "1",
        "broadcaster_login": "c",
        "broadcaster_name": "C",
        "type": "follower",
        "description": description,
        "current_amount": current,
        "target_amount": target,
        "created_at": datetime(2026, 11, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z"),
    }
    return Goal(None, payload)  # type: ignore[arg-type]  # no requests here


@pytest.mark.parametrize("width", [360, 240])
def test_goal_strip_never_cuts_its_numbers(qtbot, theme, width: int) -> None:
    model = GoalsModel()
    model.set_goals([goal(990, 1000, "Road to partner: the long way round")])
    strip = GoalStrip(model)
    qtbot.addWidget(strip)
    strip.resize(width, 80)
    strip.show()
    qtbot.waitExposed(strip)
    view = strip.view
    delegate = view.itemDelegate()
    index = model.index(0)
    layout = delegate.layout(view.visualRect(index), view.font(), index)
    numbers = "990 / 1,000"
    assert model.index(0).data(delegate.NUMBERS_ROLE) == numbers
    needed = QFontMetrics(bar_font(view.font())).horizontalAdvance(numbers)
    assert layout.numbers.width() >= needed
    assert layout.numbers.right() <= view.viewport().width()
    assert layout.bar.right() < layout.numbers.left()


def grab_bars(qtbot, rows: list[BarRow], width: int = 520) -> tuple[QListView, QImage]:
    model = OutcomeBarsModel()
    model.set_rows(rows)
    view = QListView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setItemDelegate(OutcomeBarDelegate(view))
    view.resize(width, 200)
    view.show()
    qtbot.waitExposed(view)
    QApplication.processEvents()
    return view, view.viewport().grab().toImage()


def colors_in(image: QImage, rect: QRect) -> set[str]:
    return {
        QColor(image.pixel(x, y)).name()
        for x in range(max(0, rect.left()), min(image.width(), rect.right() + 1))
        for y in range(max(0, rect.top()), min(image.height(), rect.bottom() + 1))
    }


def test_prediction_bars_never_paint_over_the_points(qtbot, theme: ThemeChoice) -> None:
    blue = BAR_FILLS["BLUE"]
    rows = [
        BarRow("o1", "1", "First try", 2200, "2,200 pts · 2 viewers", color=blue),
        BarRow("o2", "2", "Never", 0, "0 pts · 0 viewers", color=BAR_FILLS["PINK"]),
    ]
    view, image = grab_bars(qtbot, rows)
    delegate = view.itemDelegate()
    assert isinstance(delegate, OutcomeBarDelegate)
    index = view.model().index(0, 0)
    layout = delegate.layout(view.visualRect(index), view.font(), index)
    # All the points on one outcome: its bar is full, and still none of it is under the text.
    assert view.model().index(0, 0).data(delegate.NUMBERS_ROLE) == "2,200 pts · 2 viewers · 100%"
    assert blue.lower() not in colors_in(image, layout.numbers)
    assert not layout.bar.intersects(layout.numbers)
    # The painted colours are the ones the contrast test computes.
    inside = layout.bar.adjusted(2, 2, -2, -2)
    assert QColor(image.pixel(inside.right() - 3, inside.top() + 1)).name() == blue.lower()
    empty_index = view.model().index(1, 0)
    empty = delegate.layout(view.visualRect(empty_index), view.font(), empty_index).bar
    base = palette_for(theme).color(palette_for(theme).ColorRole.Base)
    track = blend(BAR_FILLS["PINK"], base, TRACK_ALPHA).name()
    assert QColor(image.pixel(empty.right() - 8, empty.top() + 3)).name() == track
