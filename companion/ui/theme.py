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
