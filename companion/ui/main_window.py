"""The main window: one tab per panel, a notice bar, a sign-in bar, and a status bar.

No text ever changes the window's size: the status bar's labels elide what does not fit
(:class:`~companion.ui.elided_label.ElidedLabel`) and a notice is cut to a few lines (the
whole text is its tooltip).

Signals:
    first_painted: emitted once, after the window has painted for the first time.
    close_requested: the user closed the window (the app decides how to shut down).
    sign_in_requested: the user pressed "Sign in…" on the signed-out bar.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractItemModel, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSizePolicy,
    QStatusBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from companion.core.paths import resources_dir
from companion.ui.elided_label import ElidedLabel

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from companion.ui.settings import AppSettings

_log = logging.getLogger(__name__)

# How long a routine notice stays before it fades by itself.
NOTICE_TIMEOUT_MS = 8000
#: A notice longer than this is cut at a word (the whole text is the tooltip).
NOTICE_MAX_CHARS = 280
#: The most lines a notice takes (a longer one never pushes the panels away).
NOTICE_MAX_LINES = 3


def shorten(text: str, limit: int = NOTICE_MAX_CHARS) -> str:
    """``text`` cut at the last word boundary before ``limit`` characters, with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.") + "…"


class EmptyPanel(QWidget):
    """A panel placeholder that says plainly why there is nothing to show."""

    def __init__(self, title: str, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setAlignment(Qt.AlignmentFlag.AlignCenter)
        heading = QLabel(title)
        heading.setProperty("role", "title")
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label = QLabel(message)
        self.message_label.setProperty("role", "empty")
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(self.message_label)


class PanelPlaceholder(QWidget):
    """What a tab holds from the window's first paint until its panel is built (a moment
    later, see ``CompanionApp._load``): the tab's empty page, nothing that could be
    mistaken for a channel's state (no "nothing waiting" before anything was asked)."""


class _NextPaint(QObject):
    """Calls back once, at the first paint of a widget after :meth:`arm`."""

    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._callback = callback

    def arm(self) -> None:
        self._widget.installEventFilter(self)
        self._widget.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._widget.removeEventFilter(self)
            # After this paint has been drawn, not before.
            QTimer.singleShot(0, self._callback)
        return False


def watch_first_rows(model: QAbstractItemModel, view: QWidget) -> None:
    """Log once when ``view`` first paints with rows in ``model``: the moment the app is
    first usable (the start-up benchmark's "first usable" reads this log line)."""
    done = False

    def painted() -> None:
        _log.info(
            "queue first shows %d waiting redemptions (%.3f s of CPU)",
            model.rowCount(),
            time.process_time(),
        )

    watcher = _NextPaint(view, painted)

    def check() -> None:
        nonlocal done
        if not done and model.rowCount() > 0:
            done = True
            model.rowsInserted.disconnect(check)
            model.modelReset.disconnect(check)
            watcher.arm()

    model.rowsInserted.connect(check)
    model.modelReset.connect(check)
    check()


def _bar_label() -> QLabel:
    """The text of a strip above the panels (notices, the signed-out reason)."""
    label = QLabel()
    label.setProperty("role", "notice")
    label.setWordWrap(True)
    # Ignored: an unbreakable run of text (a URL, a token-like string) cannot make the
    # label demand more width than the window has.
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


class NoticeBar(QWidget):
    """A non-modal strip for routine errors and news; never blocks the streamer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 0)
        self.label = _bar_label()
        lines = self.label.fontMetrics().lineSpacing() * NOTICE_MAX_LINES
        self.label.setMaximumHeight(lines + 4)
        self.action_button = QPushButton()
        self.action_button.hide()
        self.action_button.clicked.connect(self._run_action)
        self._action: Callable[[], None] | None = None
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setProperty("secondary", True)
        self.dismiss_button.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(self.dismiss_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_notice(
        self,
        text: str,
        *,
        timeout_ms: int = NOTICE_TIMEOUT_MS,
        action: tuple[str, Callable[[], None]] | None = None,
    ) -> None:
        """Show ``text``; it hides itself after ``timeout_ms`` (0 keeps it).

        ``action`` adds a button (its text, and what it does) for a notice that offers a
        choice; clicking it hides the notice. A long text is cut (see :func:`shorten`).
        """
        shown = shorten(text)
        self.label.setText(shown)
        self.label.setToolTip(text if shown != text else "")
        if action is None:
            self._action = None
            self.action_button.hide()
        else:
            self.action_button.setText(action[0])
            self._action = action[1]
            self.action_button.show()
        self.show()
        if timeout_ms > 0:
            self._timer.start(timeout_ms)
        else:
            self._timer.stop()

    def _run_action(self) -> None:
        action, self._action = self._action, None
        self.hide()
        if action is not None:
            action()


class SignInBar(QWidget):
    """Says why nobody is signed in, with a button to sign in (shown above the panels)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 0)
        self.label = _bar_label()
        self.sign_in_button = QPushButton("Sign in…")
        layout.addWidget(self.label, 1)
        layout.addWidget(self.sign_in_button)
        self.hide()


class MainWindow(QMainWindow):
    """The shell that hosts the panels. It owns no network code."""

    first_painted = Signal()
    close_requested = Signal()
    sign_in_requested = Signal()

    def __init__(
        self, panels: Sequence[tuple[str, QWidget]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Streamer Companion")
        self.setWindowIcon(QIcon(str(resources_dir() / "icons" / "companion.svg")))
        self.resize(1100, 720)
        self._painted = False

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(6, 6, 6, 6)
        self.notice_bar = NoticeBar()
        layout.addWidget(self.notice_bar)
        self.sign_in_bar = SignInBar()
        self.sign_in_bar.sign_in_button.clicked.connect(self.sign_in_requested.emit)
        layout.addWidget(self.sign_in_bar)
        #: Panels that work without Twitch (local data): never disabled when signed out.
        self.offline_panels: set[QWidget] = set()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)
        for title, widget in panels:
            self.tabs.addTab(widget, title)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        status = QStatusBar()
        self.account_label = ElidedLabel("Not signed in")
        self.eventsub_label = ElidedLabel("Live events: off")
        self.eventsub_label.setProperty("state", "down")
        self.ratelimit_label = ElidedLabel("")
        status.addWidget(self.account_label, 1)
        status.addPermanentWidget(self.eventsub_label)
        status.addPermanentWidget(self.ratelimit_label)
        self.setStatusBar(status)

        # Keyboard first: Ctrl+1..9 jumps to a panel, Ctrl+Tab cycles (QTabWidget's own).
        for index in range(min(self.tabs.count(), 9)):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{index + 1}"), self)
            shortcut.activated.connect(lambda i=index: self.tabs.setCurrentIndex(i))

        # The central widget covers the window, so watch it for the first paint.
        central.installEventFilter(self)

    @property
    def painted(self) -> bool:
        """Whether the window has painted (``first_painted`` may still be on its way)."""
        return self._painted

    def open_tab(self, keys: Sequence[str], last: str) -> None:
        """Open on the tab ``last`` (the queue if it is not shown), as :meth:`remember_tab`
        will once the panels are in: ``keys`` are the tabs' settings keys, in tab order."""
        for key in (last, "queue"):
            index = keys.index(key) if key in keys else -1
            if index >= 0 and self.tabs.isTabVisible(index):
                self.tabs.setCurrentIndex(index)
                return

    def set_pages(self, pages: Sequence[QWidget]) -> None:
        """Put the panels in place of the placeholders the window first painted with.

        Each tab keeps its title, whether it is shown, and which tab is open; the window
        is not repainted until all are in (no tab flickers through another's page).
        """
        current = self.tabs.currentIndex()
        self.setUpdatesEnabled(False)
        self.tabs.blockSignals(True)
        try:
            for index, page in enumerate(pages):
                old = self.tabs.widget(index)
                title = self.tabs.tabText(index)
                visible = self.tabs.isTabVisible(index)
                self.tabs.removeTab(index)
                self.tabs.insertTab(index, page, title)
                self.tabs.setTabVisible(index, visible)
                if old is not None:
                    old.deleteLater()
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(False)
            self.setUpdatesEnabled(True)

    def remember_tab(self, settings: AppSettings, pages: Mapping[str, QWidget]) -> None:
        """Open on the tab the streamer left (the queue the first time), and remember it.

        Args:
            settings: Where the last tab's key is kept.
            pages: Each tab's page by its settings key (``queue``, ``polls``, ...).
        """
        keys = {page: key for key, page in pages.items()}
        wanted = [settings.last_tab, "queue"]
        for key in wanted:
            index = self.tabs.indexOf(pages[key]) if key in pages else -1
            if index >= 0 and self.tabs.isTabVisible(index):
                self.tabs.setCurrentIndex(index)
                break

        def changed(index: int) -> None:
            page = self.tabs.widget(index)
            key = keys.get(page) if page is not None else None
            if key is not None and self.tabs.isTabVisible(index):
                settings.last_tab = key

        self.tabs.currentChanged.connect(changed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._painted and event.type() == QEvent.Type.Paint:
            self._painted = True
            QTimer.singleShot(0, self.first_painted.emit)
        return super().eventFilter(watched, event)

    def set_account(self, text: str) -> None:
        """Show who is signed in (a login and display name, never a token)."""
        self.account_label.setText(text)

    def set_signed_out(self, reason: str | None) -> None:
        """Disable the panels that need Twitch and say why (None: signed in, enable them).

        What the panels hold (queue rows, half-filled forms) is left as it is.
        """
        if reason is None:
            self.sign_in_bar.hide()
        else:
            self.sign_in_bar.label.setText(reason)
            self.sign_in_bar.show()
            self.ratelimit_label.setText("")  # the budget belonged to the signed-out account
        for page in self._pages():
            if page not in self.offline_panels:
                page.setEnabled(reason is None)

    def disabled_panels(self) -> list[str]:
        """Titles of the panels disabled now (tests, accessibility checks)."""
        pages = self._pages()
        return [self.tabs.tabText(i) for i, page in enumerate(pages) if not page.isEnabled()]

    def _pages(self) -> list[QWidget]:
        pages = [self.tabs.widget(index) for index in range(self.tabs.count())]
        return [page for page in pages if page is not None]

    def set_eventsub_state(self, state: str, text: str) -> None:
        """Show the live-events connection state: ``live``, ``reconnecting`` or ``down``."""
        self.eventsub_label.setText(text)
        self.eventsub_label.setProperty("state", state)
        style = self.eventsub_label.style()
        style.unpolish(self.eventsub_label)
        style.polish(self.eventsub_label)

    def set_ratelimit(self, remaining: int, limit: int) -> None:
        """Show the Helix rate-limit budget left."""
        self.ratelimit_label.setText(f"API budget {remaining}/{limit}")

    def show_notice(
        self,
        text: str,
        *,
        timeout_ms: int = NOTICE_TIMEOUT_MS,
        action: tuple[str, Callable[[], None]] | None = None,
    ) -> None:
        """Tell the streamer something without blocking them."""
        self.notice_bar.show_notice(text, timeout_ms=timeout_ms, action=action)

    def closeEvent(self, event: QCloseEvent) -> None:
        # The app shuts down asynchronously (tasks cancelled and awaited), so the
        # window only reports the request; app.py closes it when done.
        event.ignore()
        self.close_requested.emit()
