"""Showing a widget as the active window: Qt fires shortcuts only in the active window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.helpers.queue_sim import until

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget
    from pytestqt.qtbot import QtBot


def show_active(widget: QWidget, qtbot: QtBot) -> None:
    """Show ``widget`` and wait until it is the active window (sync pytest-qt tests)."""
    widget.show()
    qtbot.waitExposed(widget)
    handle = widget.windowHandle()
    assert handle is not None
    handle.requestActivate()
    qtbot.waitUntil(widget.isActiveWindow, timeout=2000)


async def show_active_async(widget: QWidget) -> None:
    """The same in a ``qt_loop`` test, which must await instead of blocking in qtbot."""
    widget.show()
    handle = widget.windowHandle()
    assert handle is not None
    handle.requestActivate()
    await until(widget.isActiveWindow)
