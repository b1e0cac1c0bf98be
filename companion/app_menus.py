"""The main window's menus and what their entries change (part of the composition root).

:class:`MenusMixin` gives :class:`companion.app.CompanionApp` its Account, View and
Settings menus: each entry writes its setting and applies it to the running services at
once (the theme, the panels shown and the scopes a sign-in asks for, the undo window, the
client id, desktop notifications).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QInputDialog

from companion.ui.settings import CLIENT_ID_ENV
from companion.ui.theme import ThemeChoice, apply_theme

if TYPE_CHECKING:
    import argparse
    import asyncio
    from collections.abc import Coroutine

    from PySide6.QtWidgets import QApplication, QMenu

    from companion.app_panels import PanelSet
    from companion.auth.handler import KeyringTokenHandler
    from companion.twitch.client import Client
    from companion.ui.accounts import SignInController
    from companion.ui.main_window import MainWindow
    from companion.ui.settings import AppSettings
    from companion.ui.tray import TrayIcon

#: The panels of the main window: settings key and tab title, in tab order.
PANEL_TITLES = (
    ("rewards", "Rewards"),
    ("queue", "Queue"),
    ("history", "History"),
    ("predictions", "Predictions"),
    ("polls", "Polls"),
    ("goals", "Goals"),
    ("extensions", "Extensions"),
    ("overlays", "Overlays"),
)

#: The undo windows offered in Settings (seconds; 0 sends at once).
UNDO_CHOICES = (0.0, 3.0, 5.0, 10.0)


class MenusMixin:
    """The menus of :class:`companion.app.CompanionApp` and the settings they change."""

    if TYPE_CHECKING:  # provided by CompanionApp and AccountsMixin
        qt_app: QApplication
        args: argparse.Namespace
        settings: AppSettings
        authority: str | None
        tray: TrayIcon | None
        panels: PanelSet | None
        signin: SignInController | None
        handler: KeyringTokenHandler | None
        client: Client | None
        account_menu_actions: dict[str, QAction]
        panel_actions: dict[str, QAction]
        switch_menu: QMenu

        def spawn(
            self, coro: Coroutine[Any, Any, Any], *, name: str
        ) -> asyncio.Task[Any] | None: ...
        def request_quit(self, exit_code: int = 0) -> None: ...
        async def sign_in(self) -> None: ...
        async def sign_out(self) -> None: ...
        async def switch_account(self, user_id: str) -> None: ...
        def scopes(self) -> list[str]: ...
        def _client_id(self) -> str: ...

    def _build_menus(self, window: MainWindow) -> None:
        menu_bar = window.menuBar()
        account = menu_bar.addMenu("&Account")
        sign_in = account.addAction("Sign in…")
        sign_in.triggered.connect(lambda: self.spawn(self.sign_in(), name="sign-in"))
        self.switch_menu = account.addMenu("Switch account")
        self._refresh_account_menu()
        sign_out = account.addAction("Sign out")
        sign_out.triggered.connect(lambda: self.spawn(self.sign_out(), name="sign-out"))
        account.addSeparator()
        quit_action = account.addAction("Quit")
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(lambda: self.request_quit(0))

        view = menu_bar.addMenu("&View")
        theme_group = QActionGroup(window)
        for choice in ThemeChoice:
            action = view.addAction(f"Theme: {choice.value}")
            action.setCheckable(True)
            action.setChecked(choice is self.settings.theme)
            action.triggered.connect(lambda _=False, c=choice: self.set_theme(c))
            theme_group.addAction(action)

        settings_menu = menu_bar.addMenu("&Settings")
        panels_menu = settings_menu.addMenu("Panels")
        enabled = set(self.settings.enabled_panels())
        for index, (key, title) in enumerate(PANEL_TITLES):
            action = panels_menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(key in enabled)
            action.toggled.connect(
                lambda on, i=index, k=key: self.set_panel_enabled(window, i, k, on)
            )
            self.panel_actions[key] = action
        notify = settings_menu.addAction("Desktop notifications for redemptions")
        notify.setCheckable(True)
        notify.setChecked(self.settings.notify_redemptions)
        notify.toggled.connect(self._set_notifications)
        client_id_action = settings_menu.addAction("Twitch client id…")
        client_id_action.triggered.connect(lambda: self.ask_client_id(window))
        undo_menu = settings_menu.addMenu("Undo window for queue actions")
        undo_group = QActionGroup(window)
        for seconds in UNDO_CHOICES:
            action = undo_menu.addAction(f"{seconds:g} s" if seconds else "Off (send at once)")
            action.setCheckable(True)
            action.setChecked(seconds == self.settings.undo_seconds)
            action.triggered.connect(lambda _=False, s=seconds: self.set_undo_seconds(s))
            undo_group.addAction(action)

    def _refresh_account_menu(self) -> None:
        self.switch_menu.clear()
        self.account_menu_actions.clear()
        accounts = self.settings.accounts(self.authority) if self.authority else {}
        if not accounts:
            self.switch_menu.addAction("(no saved accounts)").setEnabled(False)
        for user_id, login in sorted(accounts.items(), key=lambda item: item[1]):
            action = self.switch_menu.addAction(login)
            action.triggered.connect(
                lambda _=False, uid=user_id: self.spawn(self.switch_account(uid), name="switch")
            )
            self.account_menu_actions[user_id] = action

    def set_panel_enabled(self, window: MainWindow, index: int, key: str, on: bool) -> None:
        """Show or hide a panel; sign-in asks only for the scopes of the shown panels."""
        enabled = set(self.settings.enabled_panels())
        enabled = enabled | {key} if on else enabled - {key}
        self.settings.set_enabled_panels(enabled)
        window.tabs.setTabVisible(index, on)
        if self.signin is not None:
            self.signin.scopes = self.scopes()

    def ask_client_id(self, window: MainWindow) -> QInputDialog:
        """Ask for the public client id (non-modal; see the README for registering one)."""
        dialog = QInputDialog(window)
        dialog.setWindowTitle("Twitch client id")
        dialog.setLabelText(
            "The client id of your Twitch application (Client Type: Public).\n"
            f"{CLIENT_ID_ENV}, when set, takes precedence."
        )
        dialog.setTextValue(self.settings.client_id)
        dialog.textValueSelected.connect(self.set_client_id)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def set_client_id(self, client_id: str) -> None:
        """A new client id applies to the next sign-in (a token belongs to its client)."""
        self.settings.client_id = client_id
        if self.handler is not None and self.client is not None and not self.args.demo:
            self.handler.client_id = self._client_id()
            self.client.http.forget_client_id()

    def set_undo_seconds(self, seconds: float) -> None:
        self.settings.undo_seconds = seconds
        if self.panels is not None:
            self.panels.queue.set_undo_seconds(seconds)

    def set_theme(self, choice: ThemeChoice) -> None:
        self.settings.theme = choice
        apply_theme(self.qt_app, choice)

    def _set_notifications(self, enabled: bool) -> None:
        self.settings.notify_redemptions = enabled
        if self.tray is not None:
            self.tray.notifications_enabled = enabled
