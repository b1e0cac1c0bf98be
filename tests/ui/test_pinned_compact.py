"""The pinned queue at 340x260 (issue 16, item 5): at least 7 readable rows, no
horizontal scrollbar, every control in view, and it remembers its place and filter."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication, QStyle, QWidget

from companion.services.queue_service import QueueService
from companion.ui.pinned_window import PinnedQueueWindow
from companion.ui.queue_model import Column, QueueTableModel
from companion.ui.settings import AppSettings
from companion.ui.theme import ThemeChoice, apply_theme
from tests.helpers.core_fakes import redemption
from tests.helpers.fake_clock import FakeScheduler

TITLES = {
    "game": "Pick the next game",
    "song": "Song request",
    "hyd": "Hydrate!",
    "shout": "Shout-out",
}
VIEWERS = ["AnaPlays", "ByteBard", "cozy_carl", "FrostByte", "EliLurks", "DeeVee"]


@pytest.fixture
def settings(tmp_path) -> AppSettings:
    return AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def service(qapp) -> QueueService:
    service = QueueService(None, None, undo_seconds=5, scheduler=FakeScheduler())
    rows = []
    for n in range(1, 21):
        reward = list(TITLES)[n % 4]
        rec = redemption(
            n,
            reward_id=reward,
            seconds=n,
            user_login=VIEWERS[n % 6].lower(),
            user_name=VIEWERS[n % 6],
            user_input="Darude - Sandstorm" if reward == "song" else None,
        )
        rows.append(replace(rec, reward_title=TITLES[reward]))
    service.queue.add_many(rows)
    return service


def make(service: QueueService, settings: AppSettings, qtbot) -> PinnedQueueWindow:
    # Redeemed 11m to 11m 20s ago: the widest ages a streamer sees in the first hour.
    from datetime import timedelta

    from tests.helpers.core_fakes import BASE_TIME

    model = QueueTableModel(service.queue, now=lambda: BASE_TIME + timedelta(minutes=11))
    window = PinnedQueueWindow(service, model, settings)
    qtbot.addWidget(window)
    return window


def inside(child: QWidget, window: QWidget) -> bool:
    """True if ``child`` is shown whole inside ``window`` (not clipped by it)."""
    top_left = child.mapTo(window, QPoint(0, 0))
    return (
        child.isVisible()
        and top_left.x() >= 0
        and top_left.y() >= 0
        and top_left.x() + child.width() <= window.width()
        and top_left.y() + child.height() <= window.height()
    )


@pytest.mark.parametrize("theme", [ThemeChoice.LIGHT, ThemeChoice.DARK])
def test_340_by_260_shows_seven_readable_rows_and_every_control(
    qapp, service, settings, qtbot, theme: ThemeChoice
) -> None:
    apply_theme(qapp, theme)
    try:
        window = make(service, settings, qtbot)
        window.resize(340, 260)
        window.show()
        qtbot.waitExposed(window)
        QApplication.processEvents()
        view = window.view
        table = view.table
        assert (window.width(), window.height()) == (340, 260)
        assert not table.horizontalScrollBar().isVisible()
        viewport = table.viewport().rect()
        whole = [
            r
            for r in range(view.proxy.rowCount())
            if table.visualRect(view.proxy.index(r, 0)).bottom() <= viewport.bottom()
        ]
        assert len(whole) >= 7
        # Reward, viewer and age are readable: each text fits its cell, uncut.
        metrics = table.fontMetrics()
        margin = table.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table)
        icon = table.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, table)
        for row in whole:
            for column in (Column.REWARD, Column.VIEWER, Column.AGE):
                index = view.proxy.index(row, column)
                text = index.data()
                room = table.visualRect(index).width() - 2 * (margin + 1)
                if column == Column.REWARD:
                    room -= icon + 2 * (margin + 1)
                assert metrics.horizontalAdvance(text) <= room, (text, room)
        assert viewport.right() <= table.viewport().width()
        # Input is one hover away (the pinned window has no input column).
        song_row = next(
            r for r in whole if view.proxy.index(r, Column.REWARD).data() == "Song request"
        )
        tip = view.proxy.index(song_row, Column.VIEWER).data(Qt.ItemDataRole.ToolTipRole)
        assert "Darude - Sandstorm" in tip
        # Every control is whole inside the window; opacity and keys live in the menu.
        for child in (
            view.reward_filter,
            view.search,
            window.menu_button,
            view.fulfill_button,
            view.refund_button,
            view.undo_button,
        ):
            assert inside(child, window), child
            assert child.width() >= child.minimumSizeHint().width(), child
        assert not window.opacity_slider.isVisible()
        assert not view.hint_label.isVisible()
        actions = [a.text() for a in window.menu.actions()]
        assert any("F fulfil" in text for text in actions)
    finally:
        qapp.setStyleSheet("")


def test_remembers_size_position_opacity_and_filter(service, settings, qtbot) -> None:
    window = make(service, settings, qtbot)
    window.show()
    qtbot.waitExposed(window)
    window.resize(350, 270)
    window.move(140, 90)
    window.opacity_slider.setValue(65)
    window.view.set_reward_filter("song")
    assert window.view.proxy.rowCount() == 5
    window.close()
    again = make(service, settings, qtbot)
    assert (again.width(), again.height()) == (350, 270)
    again.show()  # a window is placed when shown (its frame is known then)
    qtbot.waitExposed(again)
    assert (again.pos().x(), again.pos().y()) == (140, 90)
    assert again.opacity_slider.value() == 65
    assert again.view.proxy.reward_id == "song"
    assert again.view.proxy.rowCount() == 5
    assert again.view.reward_filter.currentText() == "Song request (5)"


def test_a_remembered_filter_with_nothing_waiting_keeps_its_title(qapp, settings, qtbot) -> None:
    settings.set_window_filter("pinned", "song", "Song request")
    empty = QueueService(None, None, undo_seconds=5, scheduler=FakeScheduler())
    window = PinnedQueueWindow(empty, QueueTableModel(empty.queue), settings)
    qtbot.addWidget(window)
    assert window.view.proxy.reward_id == "song"
    assert window.view.reward_filter.currentText() == "Song request (0)"
