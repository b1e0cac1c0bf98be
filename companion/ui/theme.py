"""Light and dark themes: follow the OS colour scheme unless the user overrides it."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from companion.core.paths import resources_dir

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


class ThemeChoice(StrEnum):
    """What the user picked in settings (``system`` follows the OS)."""

    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


def resolve_theme(choice: ThemeChoice) -> ThemeChoice:
    """Return LIGHT or DARK: the explicit choice, or what the OS says."""
    if choice is not ThemeChoice.SYSTEM:
        return choice
    scheme = QGuiApplication.styleHints().colorScheme()
    return ThemeChoice.DARK if scheme == Qt.ColorScheme.Dark else ThemeChoice.LIGHT


def load_stylesheet(theme: ThemeChoice) -> str:
    """Read the QSS file of a resolved theme."""
    return (resources_dir() / "themes" / f"{theme.value}.qss").read_text(encoding="utf-8")


#: The colour of actions that cannot be taken back (bulk fulfil and refund), as the QSS
#: paints ``QPushButton[danger="true"]``; white text on it is above 4.5:1 in both themes.
DANGER_COLORS: dict[ThemeChoice, str] = {
    ThemeChoice.LIGHT: "#b3261e",
    ThemeChoice.DARK: "#c62f2f",
}


#: Colours of filled bars (prediction outcomes, poll choices, goals) in both themes: white
#: text on each is above 4.5:1 (WCAG AA). Twitch's own outcome blue (#387aff) and pink
#: (#f5009b) give white text only 3.9:1, so these are the same hues, darker.
BAR_FILLS: dict[str, str] = {
    "BLUE": "#2a66d9",
    "PINK": "#d1008a",
    "POLL": "#7b4dd6",
    "GOAL": "#7b4dd6",
}
#: Text on a filled bar.
ON_FILL = "#ffffff"
#: How strongly a bar's colour tints its empty track (0-255) over the view's background.
TRACK_ALPHA = 45
#: The key badge on a bar: black at this alpha over the fill, with ON_FILL text.
BADGE_ALPHA = 90


def blend(color: str | QColor, background: str | QColor, alpha: int) -> QColor:
    """``color`` at ``alpha`` (0-255) over an opaque ``background``, as painted."""
    top, bottom = QColor(color), QColor(background)
    a = alpha / 255
    return QColor(
        round(top.red() * a + bottom.red() * (1 - a)),
        round(top.green() * a + bottom.green() * (1 - a)),
        round(top.blue() * a + bottom.blue() * (1 - a)),
    )


def contrast_ratio(first: str | QColor, second: str | QColor) -> float:
    """WCAG 2 contrast ratio of two opaque colours (1 to 21)."""

    def luminance(color: QColor) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(color.red())
            + 0.7152 * channel(color.green())
            + 0.0722 * channel(color.blue())
        )

    light, dark = sorted((luminance(QColor(first)), luminance(QColor(second))), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def bar_text_pairs(theme: ThemeChoice) -> dict[str, tuple[QColor, QColor]]:
    """Every (background, text) pair the bars paint in ``theme``, by name.

    The goal and outcome delegates paint with exactly these colours (see ui/bars.py).
    """
    colors = _PALETTES[theme]
    base = colors[QPalette.ColorRole.Base]
    text = QColor(colors[QPalette.ColorRole.Text])
    pairs: dict[str, tuple[QColor, QColor]] = {"numbers": (QColor(base), text)}
    for name, fill in BAR_FILLS.items():
        pairs[f"{name} fill"] = (QColor(fill), QColor(ON_FILL))
        pairs[f"{name} track"] = (blend(fill, base, TRACK_ALPHA), text)
        pairs[f"{name} key"] = (blend("#000000", fill, BADGE_ALPHA), QColor(ON_FILL))
    return pairs


def is_dark(palette: QPalette) -> bool:
    """True when a palette's background is dark (the dark theme, or a dark OS palette)."""
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


# The palette matches the QSS, for what style sheets do not reach: links in rich-text
# labels, and item delegates that paint with palette colours.
_PALETTES: dict[ThemeChoice, dict[QPalette.ColorRole, str]] = {
    ThemeChoice.LIGHT: {
        QPalette.ColorRole.Window: "#f7f7fa",
        QPalette.ColorRole.WindowText: "#1d1d24",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f3f1fa",
        QPalette.ColorRole.Text: "#1d1d24",
        QPalette.ColorRole.Button: "#ececf2",
        QPalette.ColorRole.ButtonText: "#1d1d24",
        QPalette.ColorRole.Highlight: "#7b4dd6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#5a2fb8",
        QPalette.ColorRole.PlaceholderText: "#6b6b78",
    },
    ThemeChoice.DARK: {
        QPalette.ColorRole.Window: "#18181b",
        QPalette.ColorRole.WindowText: "#efeff1",
        QPalette.ColorRole.Base: "#1f1f23",
        QPalette.ColorRole.AlternateBase: "#26262c",
        QPalette.ColorRole.Text: "#efeff1",
        QPalette.ColorRole.Button: "#34343c",
        QPalette.ColorRole.ButtonText: "#efeff1",
        QPalette.ColorRole.Highlight: "#9147ff",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#bf94ff",
        QPalette.ColorRole.PlaceholderText: "#8f8f9c",
    },
}


def palette_for(theme: ThemeChoice) -> QPalette:
    """The palette of a resolved theme."""
    palette = QPalette()
    for role, color in _PALETTES[theme].items():
        palette.setColor(role, QColor(color))
    return palette


def apply_theme(app: QApplication, choice: ThemeChoice) -> ThemeChoice:
    """Apply ``choice`` to the whole app and return the theme actually used."""
    resolved = resolve_theme(choice)
    app.setPalette(palette_for(resolved))
    app.setStyleSheet(load_stylesheet(resolved))
    app.setProperty("companionTheme", resolved.value)
    return resolved
