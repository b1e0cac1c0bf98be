"""The Overlays tab: the pages a streamer adds to OBS as browser sources, and the server.

Top: overlays on/off, the port, and the server's state (running on port N, port taken,
off). Middle: the pages (a list) and, for the selected one, its URL with the options
chosen below it (font size, colours, which goals or rewards, how long a result stays),
"Copy URL", "Open in browser" and "Send test alert". Bottom: the browser sources
connected right now (live from the hub) and the alert rule of every reward (on/off,
seconds). Everything reads the :class:`~companion.services.overlay_service.OverlayService`;
nothing here touches the network.

Keyboard (shown on the panel as :data:`OVERLAY_KEYS`): Alt+P pages, Ctrl+C (in the list)
or Alt+C copies the URL, Alt+O opens it, Alt+T sends a test alert, Alt+S turns overlays
on or off, Alt+R the port (Enter applies), Alt+A the alert rules (Space toggles, F2 edits
the seconds), Alt+N the connected sources.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from companion.services.overlay_service import MAX_TICKER_ITEMS

from .overlays_models import PAGE_NAME_ROLE, PagesModel, RewardAlertsModel, SourcesModel

if TYPE_CHECKING:
    from pathlib import Path

    from companion.overlay.hub import ConnectedSource
    from companion.overlay.server import OverlayPage, PageOption
    from companion.services.overlay_service import OverlayService
    from companion.services.rewards_service import RewardsService
    from companion.ui.settings import AppSettings

__all__ = ["OVERLAY_KEYS", "OverlaysPanel", "color_problem"]

_log = logging.getLogger(__name__)

OVERLAY_KEYS = (
    "Keys: Alt+P pages · Ctrl+C / Alt+C copy URL · Alt+O open in browser · Alt+T test alert"
    " · Alt+S overlays on/off · Alt+R port (Enter applies) · Alt+A alerts per reward (Space"
    " on/off, F2 seconds) · Alt+N connected sources"
)

#: The status label's look per server state (the theme colours ``state``).
_STATE_LOOK = {
    "running": "live",
    "starting": "reconnecting",
    "port_taken": "down",
    "failed": "down",
    "off": "",
}

#: Sensible ranges of the pages' number options (the page files accept any number).
_NUMBER_RANGES = {
    "font_size": (8, 200),
    "result_seconds": (0, 3600),
    # The ticker never holds more than the service sends.
    "max": (1, MAX_TICKER_ITEMS),
}
_DEFAULT_RANGE = (0, 999)
#: How wide an option's field grows, by kind (a list of ids or titles needs the room).
_FIELD_WIDTHS = {"number": 110, "color": 170, "list": 320}

# The pages' own rule (overlay.js): hex of 3, 4, 6 or 8 digits, with or without '#'.
_HEX_COLOR = re.compile(r"#?(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_CSS_NAME = re.compile(r"[a-zA-Z]+")


def color_problem(text: str) -> str | None:
    """Why ``text`` is not a colour a page takes (None: it is one).

    The pages take hex colours (``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``, the ``#``
    optional) or a CSS colour name; QColor knows the same names, so it judges those.
    """
    text = text.strip()
    if _HEX_COLOR.fullmatch(text):
        return None
    if _CSS_NAME.fullmatch(text) and QColor.isValidColorName(text):
        return None
    return (
        f"“{text[:20]}” is not a colour: use #rrggbb (or #rrggbbaa with transparency) "
        "or a colour name such as white."
    )


class _OptionsForm(QWidget):
    """One page's options as fields; every valid change rebuilds the page's URL."""

    def __init__(self, page: OverlayPage, chosen: dict[str, str], panel: OverlaysPanel) -> None:
        super().__init__()
        self.page = page
        self.panel = panel
        self.values = {
            option.name: chosen[option.name]
            for option in page.options
            if option.name in chosen and chosen[option.name] != option.default
        }
        self.fields: dict[str, QSpinBox | QLineEdit] = {}
        #: The "Choose…" menu of each list option, by option name.
        self.choosers: dict[str, QMenu] = {}
        # Two label/field pairs a row: the options fit beside each other, and the tables
        # below keep their height.
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for number, option in enumerate(page.options):
            field = self._field(option)
            field.setToolTip(option.description)
            field.setAccessibleName(option.label)
            field.setMaximumWidth(_FIELD_WIDTHS.get(option.kind, 160))
            self.fields[option.name] = field
            label = QLabel(f"{option.label}:")
            label.setBuddy(field)
            row, pair = divmod(number, 2)
            # Columns: label, field, gap, label, field, the rest.
            layout.addWidget(label, row, pair * 3)
            if isinstance(field, QLineEdit) and option.kind == "list":
                holder = QWidget()
                line = QHBoxLayout(holder)
                line.setContentsMargins(0, 0, 0, 0)
                line.addWidget(field, 1)
                line.addWidget(self.chooser(option, field))
                layout.addWidget(holder, row, pair * 3 + 1)
            else:
                layout.addWidget(field, row, pair * 3 + 1)
        layout.setColumnMinimumWidth(2, 24)  # a gap between the two pairs
        layout.setColumnStretch(5, 1)

    def _field(self, option: PageOption) -> QSpinBox | QLineEdit:
        value = self.values.get(option.name, option.default)
        if option.kind == "number":
            spin = QSpinBox()
            low, high = _NUMBER_RANGES.get(option.name, _DEFAULT_RANGE)
            spin.setRange(low, high)
            spin.setValue(int(float(value)) if _is_number(value) else int(float(option.default)))
            spin.valueChanged.connect(lambda number, o=option: self._set(o, str(number)))
            return spin
        edit = QLineEdit(value)
        edit.setClearButtonEnabled(True)
        if option.kind == "list":
            edit.setPlaceholderText("all")
        else:
            edit.setPlaceholderText(option.default)
        edit.textChanged.connect(lambda text, o=option: self._set(o, text))
        return edit

    def chooser(self, option: PageOption, edit: QLineEdit) -> QToolButton:
        """A "Choose…" menu beside a list option: each current goal or reward, checked
        when the list holds it; picking one adds or removes it."""
        button = QToolButton()
        button.setText("Choose…")
        button.setAccessibleName(f"Choose {option.label.lower()}")
        menu = QMenu(button)

        def fill() -> None:
            menu.clear()
            chosen = _items(edit.text())
            choices = self.panel.list_choices(option.name)
            if not choices:
                menu.addAction("(none right now)").setEnabled(False)
            for label, value in choices:
                action = menu.addAction(label)
                action.setCheckable(True)
                action.setChecked(value.casefold() in chosen)
                action.triggered.connect(
                    lambda on, v=value: edit.setText(_toggled(edit.text(), v, on))
                )

        menu.aboutToShow.connect(fill)
        # popup(), not a menu button's exec(): no nested event loop under the asyncio one.
        button.clicked.connect(lambda: menu.popup(button.mapToGlobal(button.rect().bottomLeft())))
        self.choosers[option.name] = menu
        return button

    def _set(self, option: PageOption, text: str) -> None:
        text = text.strip()
        if option.kind == "color" and text:
            problem = color_problem(text)
            if problem is not None:
                self.panel.show_option_problem(f"{option.label}: {problem}")
                return  # the URL keeps the last good colour
        self.panel.show_option_problem("")
        if text in ("", option.default):
            self.values.pop(option.name, None)
        else:
            self.values[option.name] = text
        self.panel.options_changed(self.page.name)


def _items(text: str) -> set[str]:
    """The entries of a comma-separated list option, as the pages compare them."""
    return {item.strip().casefold() for item in text.split(",") if item.strip()}


def _toggled(text: str, value: str, on: bool) -> str:
    """``text`` (a comma-separated list) with ``value`` added (``on``) or removed."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    kept = [item for item in items if item.casefold() != value.casefold()]
    return ", ".join([*kept, value] if on else kept)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class OverlaysPanel(QWidget):
    """The Overlays tab (see the module docs)."""

    def __init__(
        self,
        service: OverlayService,
        rewards: RewardsService,
        settings: AppSettings,
        *,
        css_path: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.rewards = rewards
        self.settings = settings
        self._forms: dict[str, _OptionsForm] = {}
        layout = QVBoxLayout(self)
        title = QLabel("Overlays for OBS browser sources")
        title.setProperty("role", "title")
        layout.addWidget(title)

        # -- the server: on/off, port, state ---------------------------------------------
        server_row = QHBoxLayout()
        self.enabled_box = QCheckBox("&Serve overlays")
        self.enabled_box.setChecked(settings.overlay_enabled)
        self.enabled_box.toggled.connect(service.set_enabled)
        server_row.addWidget(self.enabled_box)
        port_label = QLabel("Po&rt:")
        self.port_edit = QLineEdit(str(service.port))
        self.port_edit.setMaximumWidth(90)
        self.port_edit.setAccessibleName("Overlay port")
        self.port_edit.setToolTip("A port from 1024 to 65535 on 127.0.0.1; Enter applies it.")
        port_label.setBuddy(self.port_edit)
        self.port_edit.returnPressed.connect(self.apply_port)
        self.port_button = QPushButton("Use port")
        self.port_button.setProperty("secondary", True)
        self.port_button.clicked.connect(self.apply_port)
        server_row.addWidget(port_label)
        server_row.addWidget(self.port_edit)
        server_row.addWidget(self.port_button)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        server_row.addWidget(self.status_label, 1)
        layout.addLayout(server_row)
        self.problem_label = QLabel()
        self.problem_label.setProperty("role", "error")
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        layout.addWidget(self.problem_label)

        # -- the pages: list, URL, actions, options --------------------------------------
        middle = QHBoxLayout()
        pages_column = QVBoxLayout()
        pages_label = QLabel("&Pages")
        self.pages_model = PagesModel(self.url_of, self)
        self.pages_view = QListView()
        self.pages_view.setModel(self.pages_model)
        self.pages_view.setMaximumWidth(220)
        # Five pages: the list need not take the tables' height.
        self.pages_view.setMaximumHeight(150)
        self.pages_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        pages_label.setBuddy(self.pages_view)
        pages_column.addWidget(pages_label)
        pages_column.addWidget(self.pages_view)
        pages_column.addStretch(1)
        middle.addLayout(pages_column)

        detail = QVBoxLayout()
        self.description_label = QLabel("The pages appear once the overlay server has loaded.")
        self.description_label.setWordWrap(True)
        detail.addWidget(self.description_label)
        self.url_edit = QLineEdit()
        self.url_edit.setReadOnly(True)
        self.url_edit.setAccessibleName("Browser source URL")
        detail.addWidget(self.url_edit)
        actions = QHBoxLayout()
        self.copy_button = QPushButton("&Copy URL")
        self.copy_button.clicked.connect(self.copy_url)
        self.open_button = QPushButton("&Open in browser")
        self.open_button.setProperty("secondary", True)
        self.open_button.clicked.connect(self.open_url)
        self.test_button = QPushButton("Send &test alert")
        self.test_button.setProperty("secondary", True)
        self.test_button.clicked.connect(self.send_test_alert)
        for button in (self.copy_button, self.open_button, self.test_button):
            actions.addWidget(button)
        actions.addStretch(1)
        detail.addLayout(actions)
        self.feedback_label = QLabel()
        self.feedback_label.setWordWrap(True)
        detail.addWidget(self.feedback_label)
        self.options_stack = QStackedWidget()
        detail.addWidget(self.options_stack)
        middle.addLayout(detail, 1)
        layout.addLayout(middle)

        # -- connected sources and alert rules -------------------------------------------
        bottom = QGridLayout()
        sources_label = QLabel("Co&nnected now")
        self.sources_model = SourcesModel(self)
        self.sources_view = _table(self.sources_model)
        sources_label.setBuddy(self.sources_view)
        self.sources_empty = QLabel("No browser source is connected.")
        self.sources_empty.setProperty("role", "empty")
        bottom.addWidget(sources_label, 0, 0)
        bottom.addWidget(self.sources_view, 1, 0)
        bottom.addWidget(self.sources_empty, 2, 0)
        alerts_label = QLabel("&Alerts per reward")
        self.alerts_model = RewardAlertsModel(rewards, service, self)
        self.alerts_model.problem.connect(self.show_option_problem)
        self.alerts_view = _table(self.alerts_model)
        # Cell by cell: Space toggles the Alert cell, F2 edits the Seconds cell.
        self.alerts_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.alerts_view.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
        )
        alerts_label.setBuddy(self.alerts_view)
        alerts_hint = QLabel("Every reward is alerted for 6 s unless you change it here.")
        alerts_hint.setProperty("role", "empty")
        bottom.addWidget(alerts_label, 0, 1)
        bottom.addWidget(self.alerts_view, 1, 1)
        bottom.addWidget(alerts_hint, 2, 1)
        bottom.setRowStretch(1, 1)
        layout.addLayout(bottom, 1)

        css = QLabel(
            "Your own style sheet overrides the pages' look: "
            f"{css_path if css_path is not None else 'overlays.css in the data folder'}"
        )
        css.setWordWrap(True)
        css.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(css)
        keys = QLabel(OVERLAY_KEYS)
        keys.setProperty("role", "empty")
        keys.setWordWrap(True)
        layout.addWidget(keys)

        copy = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), self.pages_view)
        copy.setContext(Qt.ShortcutContext.WidgetShortcut)
        copy.activated.connect(self.copy_url)

        service.status_changed.connect(self._show_status)
        service.sources_changed.connect(self._show_sources)
        service.pages_ready.connect(self._load_pages)
        self._show_status(service.state, service.port, service.status_text)
        self._show_sources(service.connected_sources())
        if service.pages:
            self._load_pages()
        self._update_actions()

    # -- pages and URLs --------------------------------------------------------------------

    def _load_pages(self) -> None:
        """Fill the page list and the option forms (once the server module is loaded)."""
        if self.pages_model.rowCount() == 0:
            chosen = self.settings.overlay_page_options()
            self.sources_model.titles = {page.name: page.title for page in self.service.pages}
            for page in self.service.pages:
                form = _OptionsForm(page, chosen.get(page.name, {}), self)
                self._forms[page.name] = form
                self.options_stack.addWidget(form)
            self.pages_model.set_pages(self.service.pages)
            selection = self.pages_view.selectionModel()
            selection.currentChanged.connect(lambda *_: self._show_page())
            self.pages_view.setCurrentIndex(self.pages_model.index(0))
        self.pages_model.urls_changed()
        self._show_page()

    def current_page(self) -> str | None:
        """The name of the page selected in the list (None before the pages load)."""
        index = self.pages_view.currentIndex()
        return str(index.data(PAGE_NAME_ROLE)) if index.isValid() else None

    def select_page(self, name: str) -> None:
        row = self.pages_model.row_of(name)
        if row >= 0:
            self.pages_view.selectionModel().setCurrentIndex(
                self.pages_model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )

    def options_of(self, page: str) -> dict[str, str]:
        """The options chosen for ``page`` that differ from its defaults."""
        form = self._forms.get(page)
        return dict(form.values) if form is not None else {}

    def url_of(self, page: str) -> str:
        """The URL of ``page`` with its chosen options, on the configured port."""
        return self.service.page_url(page, self.options_of(page))

    def list_choices(self, option: str) -> list[tuple[str, str]]:
        """What a list option can name now: (menu label, value for the URL).

        Goals by id (two goals may share a type); rewards by title, or by id when the
        title has a comma (the pages split the list at commas).
        """
        if option == "goals":
            return [
                (f"{goal.description or goal.type} ({goal.type})", goal.id)
                for goal in self.service.goals
            ]
        if option == "rewards":
            rewards = sorted(self.rewards.rewards.values(), key=lambda r: r.title.casefold())
            return [(r.title, r.id if "," in r.title else r.title) for r in rewards]
        return []

    def options_changed(self, page: str) -> None:
        """A form changed: keep the options and show the new URL."""
        self.settings.set_overlay_page_options(page, self.options_of(page))
        self.pages_model.urls_changed()
        if page == self.current_page():
            self.url_edit.setText(self.url_of(page))

    def _show_page(self) -> None:
        name = self.current_page()
        if name is None:
            return
        page = self.pages_model.page(self.pages_model.row_of(name))
        self.description_label.setText(f"{page.title}: {page.description}")
        self.url_edit.setText(self.url_of(name))
        self.options_stack.setCurrentWidget(self._forms[name])
        self.feedback_label.clear()
        self._update_actions()

    def _update_actions(self) -> None:
        has_url = bool(self.url_edit.text())
        self.copy_button.setEnabled(has_url)
        self.open_button.setEnabled(has_url)
        self.test_button.setEnabled(self.service.state == "running")

    def copy_url(self) -> None:
        """Put the selected page's URL on the clipboard."""
        url = self.url_edit.text()
        if not url:
            return
        QGuiApplication.clipboard().setText(url)
        self.feedback_label.setText(
            "Copied. In OBS: Sources → + → Browser, paste it as the URL, size the source."
        )

    def open_url(self) -> None:
        """Open the selected page in the default browser (to check it before OBS)."""
        url = self.url_edit.text()
        if url and not QDesktopServices.openUrl(QUrl(url)):
            self.feedback_label.setText("No browser could be opened; copy the URL instead.")

    def send_test_alert(self) -> None:
        """Show a marked test alert on every connected alerts page."""
        alert = self.service.send_test_alert()
        listening = sum(1 for s in self.service.connected_sources() if s.page == "alerts")
        if listening:
            sources = "source" if listening == 1 else "sources"
            self.feedback_label.setText(
                f"Test alert sent to {listening} alerts {sources} ({alert.duration_ms / 1000:g} s)."
            )
        else:
            self.feedback_label.setText(
                "Test alert sent, but no alerts page is connected: add the Redemption alerts "
                "URL to OBS first."
            )

    # -- the server ------------------------------------------------------------------------

    def apply_port(self) -> None:
        """Use the typed port; a bad one is explained and changes nothing."""
        try:
            self.service.set_port(self.port_edit.text())
        except ValueError as refusal:  # UserError: the sentence names the limit broken
            self.show_option_problem(str(refusal))
            return
        self.show_option_problem("")
        self.port_edit.setText(str(self.service.port))

    def show_option_problem(self, text: str) -> None:
        """Say what is wrong with a typed value (empty: nothing is)."""
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    def _show_status(self, state: str, port: int, text: str) -> None:
        self.status_label.setText(f"Overlay server {text}")
        self.status_label.setProperty("state", _STATE_LOOK.get(state, ""))
        style = self.status_label.style()
        style.unpolish(self.status_label)
        style.polish(self.status_label)
        if not self.port_edit.hasFocus():
            self.port_edit.setText(str(port))
        self.pages_model.urls_changed()
        if (name := self.current_page()) is not None:
            self.url_edit.setText(self.url_of(name))
        self._update_actions()

    def _show_sources(self, sources: list[ConnectedSource]) -> None:
        self.sources_model.set_sources(sources)
        self.sources_empty.setVisible(not sources)


def _table(model: SourcesModel | RewardAlertsModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    view.setAlternatingRowColors(True)
    return view
