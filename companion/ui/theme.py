"""Light and dark themes: follow the OS colour scheme unless the user overrides it."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

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


def apply_theme(app: QApplication, choice: ThemeChoice) -> ThemeChoice:
    """Apply ``choice`` to the whole app and return the theme actually used."""
    resolved = resolve_theme(choice)
    app.setStyleSheet(load_stylesheet(resolved))
    app.setProperty("companionTheme", resolved.value)
    return resolved
