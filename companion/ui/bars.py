"""Painting a labelled bar: the goal bars and the prediction and poll bars share it.

A bar row is ``[ filled | track ]  numbers``: the numbers sit right of the bar on the
view's background, whole, so the fill never paints over them and a narrow window cuts
the title (with "…"), never "990 / 1,000". The title inside the bar is white over the
fill and the theme's text colour over the track; every pair is in
:func:`companion.ui.theme.bar_text_pairs`, which a test holds above 4.5:1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette

from companion.core.bidi import isolate

from .theme import BADGE_ALPHA, ON_FILL, TRACK_ALPHA, blend

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["BarLayout", "bar_font", "bar_layout", "numbers_width", "paint_bar"]

_GAP = 10
_RADIUS = 6
_PADDING = 10
_BADGE_WIDTH = 20


@dataclass(frozen=True, slots=True)
class BarLayout:
    """Where a bar row's parts go.

    Attributes:
        bar: The bar (track and fill).
        numbers: The numbers, right of the bar, as wide as their text.
    """

    bar: QRect
    numbers: QRect


def bar_font(font: QFont) -> QFont:
    """The bold font bars are labelled in."""
    bold = QFont(font)
    bold.setBold(True)
    return bold


def numbers_width(font: QFont, column: Iterable[str]) -> int:
    """The room the widest of a view's numbers needs (every row's bar then ends at the same
    x, so bar lengths compare across rows)."""
    metrics = QFontMetrics(bar_font(font))
    return max((metrics.horizontalAdvance(text) + 2 for text in column if text), default=0)


def bar_layout(rect: QRect, width: int) -> BarLayout:
    """Split ``rect`` into the bar and ``width`` for the numbers (kept whole, however
    narrow ``rect``: the bar gives way)."""
    bar = QRect(rect)
    bar.setRight(rect.right() - width - (_GAP if width else 0))
    return BarLayout(bar, QRect(bar.right() + 1 + _GAP, rect.top(), width, rect.height()))


def paint_bar(
    painter: QPainter,
    layout: BarLayout,
    *,
    fraction: float,
    fill: str,
    palette: QPalette,
    font: QFont,
    title: str,
    numbers: str,
    key: str = "",
) -> None:
    """Paint a bar row: the track and fill, the key badge and title inside, the numbers
    right of it. ``painter`` is restored as it was."""
    bar = layout.bar
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    # The track is painted opaque (the colour blended over the background), so what the
    # contrast test computes is what is on screen.
    painter.setBrush(blend(fill, base, TRACK_ALPHA))
    painter.drawRoundedRect(bar, _RADIUS, _RADIUS)
    filled = QRect(bar)
    filled.setWidth(round(bar.width() * max(0.0, min(1.0, fraction))))
    if filled.width() > 0:
        painter.setBrush(QColor(fill))
        painter.drawRoundedRect(filled, _RADIUS, _RADIUS)
    bold = bar_font(font)
    painter.setFont(bold)
    text_rect = bar.adjusted(_PADDING, 0, -_PADDING, 0)
    if key:
        # The key in a small badge, so "press 2" is obvious from across the room.
        badge = QRect(text_rect.left(), bar.top() + 5, _BADGE_WIDTH, bar.height() - 10)
        painter.setBrush(blend("#000000", fill, BADGE_ALPHA))
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor(ON_FILL))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, key)
        text_rect.setLeft(badge.right() + 8)
    # A title in its own direction (Arabic, Hebrew), whatever the painter's.
    elided = QFontMetrics(bold).elidedText(title, Qt.TextElideMode.ElideRight, text_rect.width())
    shown = isolate(elided)
    unfilled = QRect(bar)
    unfilled.setLeft(filled.right() + 1 if filled.width() > 0 else bar.left())
    # White over the fill, the theme's text colour over the track: readable at any share.
    for clip, pen in ((filled, QColor(ON_FILL)), (unfilled, text)):
        if clip.width() <= 0:
            continue
        painter.save()
        painter.setClipRect(clip)
        painter.setPen(pen)
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, shown
        )
        painter.restore()
    painter.setPen(text)
    painter.drawText(
        layout.numbers, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, numbers
    )
    painter.restore()
