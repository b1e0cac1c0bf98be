"""Composition root: the QApplication, the qasync loop, services, windows and shutdown.

Only this module creates the event loop. ``main()`` runs :meth:`CompanionApp.run` on a
qasync loop; ``run`` awaits a quit event that the window, the tray, Ctrl+Q or
SIGINT/SIGTERM set, then cancels and awaits every background task and closes the HTTP
session (and the in-process simulator in demo mode) before returning the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication, QInputDialog

from companion import __version__, qtloop
from companion.app_panels import PanelSet, open_ledger
from companion.auth.handler import KeyringTokenHandler
from companion.auth.sim_discovery import discover_demo_client_id, discovery_url
from companion.auth.token_store import (
    KeyringTokenStore,
    KeyringUnavailable,
    SessionTokenStore,
    TokenStore,
    UnavailableTokenStore,
)
from companion.core.crash_report import start_crash_watch
from companion.core.logsetup import setup_logging
from companion.core.paths import log_dir
from companion.core.scopes import scopes_for
from companion.services.live_events import LiveEvents
from companion.services.messages import explain
from companion.services.session import TwitchSession
from companion.twitch.authority import authority_key, require_secure_url
from companion.twitch.client import Client
from companion.twitch.errors import InsecureURL
from companion.twitch.http import DEFAULT_EVENTSUB_URL, DEFAULT_HELIX_URL
from companion.twitch.oauth import DEFAULT_OAUTH_URL
from companion.ui.accounts import SignInController
from companion.ui.main_window import MainWindow
from companion.ui.settings import CLIENT_ID_ENV, AppSettings
from companion.ui.single_instance import SingleInstanceGuard, activate_running_instance
from companion.ui.theme import ThemeChoice, apply_theme
from companion.ui.tray import TrayIcon

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Sequence

    from companion.auth.signout import SignedOut
    from companion.sim import Simulator
    from companion.twitch.models.users import User
    from companion.twitch.oauth import DeviceFlow
    from companion.twitch.tokens import Token

_log = logging.getLogger(__name__)

PANEL_TITLES = (
    ("rewards", "Rewards"),
    ("queue", "Queue"),
    ("history", "History"),
    ("predictions", "Predictions"),
    ("polls", "Polls"),
    ("goals", "Goals"),
    ("extensions", "Extensions"),
)

#: The undo windows offered in Settings (seconds; 0 sends at once).
UNDO_CHOICES = (0.0, 3.0, 5.0, 10.0)

#: Redemptions per second the demo channel's simulated viewers make.
DEMO_TRAFFIC_RATE = 0.4


def _twitch_url(text: str) -> str:
    """``--twitch-url``: refused at once (exit 2, before any request) if it would carry
    tokens in plain http to another machine."""
    try:
        require_secure_url(text, purpose="--twitch-url")
    except InsecureURL as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text.rstrip("/")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="companion",
        description="Streamer Companion: a desktop companion for Twitch streamers.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against the built-in Twitch simulator with a demo channel (no account needed)",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="show the main window, wait until it has painted, and exit 0 (for packaging checks)",
    )
    parser.add_argument(
        "--theme",
        choices=[choice.value for choice in ThemeChoice],
        default=None,
        help="override the theme for this run (default: the saved choice, which follows the OS)",
    )
    parser.add_argument(
        "--twitch-url",
        default=None,
        type=_twitch_url,
        metavar="URL",
        help="talk to a Twitch simulator at URL (e.g. one started with python -m companion.sim) "
        "instead of Twitch; plain http only to this machine. Without a client id, the "
        "simulator's demo client id is used",
    )
    parser.add_argument("--verbose", action="store_true", help="also log to the terminal")
    return parser.parse_args(argv)


class CompanionApp:
    """Owns the window, the services and every background task of one run."""

    def __init__(
        self,
        qt_app: QApplication,
        args: argparse.Namespace,
        *,
        driver: Callable[[CompanionApp], Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        self.qt_app = qt_app
        self.args = args
        # Something that drives the running app like a person (the soak test); None in use.
        self.driver = driver
        self.exit_code = 0
        self.settings = AppSettings()
        self._quit = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.window: MainWindow | None = None
        self.tray: TrayIcon | None = None
        self.guard: SingleInstanceGuard | None = None
        self.sim: Simulator | None = None
        self.client: Client | None = None
        self.session: TwitchSession | None = None
        self.handler: KeyringTokenHandler | None = None
        self.store: TokenStore | None = None
        self.signin: SignInController | None = None
        self.live = LiveEvents()
        # Built once the ledger is open; panel services get a broadcaster at sign-in.
        self.panels: PanelSet | None = None
        self.account_menu_actions: dict[str, QAction] = {}
        self.panel_actions: dict[str, QAction] = {}
        self._previous_excepthook = sys.excepthook
        self._early_notices: list[str] = []
        # The client id a simulator named (GET /_sim/info) when none was configured.
        self._discovered_client_id = ""
        #: Whose accounts this run remembers: the OAuth authority it signs in with. None in
        #: demo mode, whose throwaway accounts are never remembered.
        self.authority: str | None = None if args.demo else authority_key(self._endpoints()[1])

    # -- tasks ---------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Start a named background task that shutdown cancels and awaits."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            _log.error("background task %s failed", task.get_name(), exc_info=error)
            self.notify_error(explain(error))

    def notify_error(self, text: str) -> None:
        """Show an error as a non-modal notice (never a crash, never a blocking dialog).

        Notices raised while the window is being built are shown once it exists.
        """
        if self.window is not None:
            self.window.show_notice(text)
        else:
            self._early_notices.append(text)

    def request_quit(self, exit_code: int = 0) -> None:
        """Ask the app to shut down; safe to call more than once."""
        if not self._quit.is_set():
            _log.info("quit requested (exit code %d)", exit_code)
            self.exit_code = exit_code
            self._quit.set()

    def _install_excepthook(self) -> None:
        """An exception escaping a Qt slot is logged and shown; the window survives."""
        previous = sys.excepthook

        def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
            if issubclass(exc_type, KeyboardInterrupt):
                previous(exc_type, exc, tb)
                return
            _log.error("unhandled exception in a slot", exc_info=(exc_type, exc, tb))
            self.notify_error(explain(exc))

        self._previous_excepthook = previous
        sys.excepthook = hook

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self.request_quit)
            except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
                signal.signal(signum, lambda *_: loop.call_soon_threadsafe(self.request_quit))

    # -- window --------------------------------------------------------------------

    def _build_window(self) -> MainWindow:
        assert self.panels is not None
        built = self.panels.build()
        window = MainWindow([(title, built[key]) for key, title in PANEL_TITLES])
        window.offline_panels.add(built["history"])  # the local ledger needs no sign-in
        enabled = set(self.settings.enabled_panels())
        for index, (key, _title) in enumerate(PANEL_TITLES):
            window.tabs.setTabVisible(index, key in enabled)
        if self.args.demo:
            window.setWindowTitle("Streamer Companion (demo)")
        window.close_requested.connect(self.request_quit)
        geometry = self.settings.window_geometry("main")
        if geometry is not None:
            window.restoreGeometry(geometry)
        self._build_menus(window)
        return window

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

    def _bring_to_front(self) -> None:
        if self.window is not None:
            self.window.showNormal()
            self.window.raise_()
            self.window.activateWindow()

    # -- accounts ------------------------------------------------------------------

    def _make_token_store(self) -> TokenStore:
        if self.args.demo:
            # Demo tokens belong to the in-process simulator: never put them in the keyring.
            return SessionTokenStore()
        try:
            return KeyringTokenStore()
        except KeyringUnavailable as error:
            _log.warning("no usable keyring: %s", error)
            store = UnavailableTokenStore(str(error))
            self._offer_session_store(store)
            return store

    def _offer_session_store(self, store: UnavailableTokenStore) -> None:
        """Say plainly that there is no keyring, and offer this-run-only storage."""
        assert self.window is not None
        self.window.show_notice(
            f"{explain(KeyringUnavailable(store.reason))} Nothing is saved to a file instead.",
            timeout_ms=0,
            action=("Keep sign-in for this run only", self._use_session_store),
        )

    def _use_session_store(self) -> None:
        self.store = SessionTokenStore()
        if self.handler is not None:
            self.handler.store = self.store
        _log.info("tokens are kept in memory for this run only (user's choice)")
        self.spawn(self.sign_in(), name="sign-in")

    def _client_id(self) -> str:
        if self.args.demo:
            from companion.sim import DEMO_CLIENT_ID

            return DEMO_CLIENT_ID
        return (
            os.environ.get(CLIENT_ID_ENV, "").strip()
            or self.settings.client_id
            or self._discovered_client_id
        )

    def _endpoints(self) -> tuple[str, str, str]:
        """Helix, OAuth and EventSub URLs of this run: the demo simulator's, the
        ``--twitch-url`` server's, or Twitch's."""
        if self.sim is not None:
            return self.sim.helix_url, self.sim.oauth_url, self.sim.eventsub_url
        if self.args.twitch_url:
            base = self.args.twitch_url.rstrip("/")
            ws_base = "ws" + base.removeprefix("http")  # http -> ws, https -> wss
            return f"{base}/helix", f"{base}/oauth2", f"{ws_base}/ws"
        return DEFAULT_HELIX_URL, DEFAULT_OAUTH_URL, DEFAULT_EVENTSUB_URL

    async def _discover_client_id(self) -> None:
        """No client id and ``--twitch-url`` on this machine: ask the simulator for its demo
        client id. Twitch, and any other host, is never asked."""
        if self._client_id() or discovery_url(self.args.twitch_url) is None or self.client is None:
            return
        session = await self.client.http.get_session()
        found = await discover_demo_client_id(session, self.args.twitch_url)
        if found and self.handler is not None:
            self._discovered_client_id = found
            self.handler.client_id = self._client_id()
            self.client.http.forget_client_id()

    def _build_client(self) -> None:
        assert self.window is not None
        self.store = self._make_token_store()
        helix_url, oauth_url, eventsub_url = self._endpoints()
        # The handler keeps and looks up tokens under this run's authority only.
        self.handler = KeyringTokenHandler(self._client_id(), self.store, authority=oauth_url)
        self.client = Client(
            self.handler, helix_url=helix_url, oauth_url=oauth_url, eventsub_url=eventsub_url
        )
        self.session = TwitchSession(self.client, self.handler)
        window = self.window
        self.session.signed_in.connect(self._on_signed_in)
        self.session.account_lost.connect(self._on_account_lost)
        self.session.signed_out.connect(self._on_signed_out)
        self.live.authorization_revoked.connect(self.session.authorization_revoked)
        self.session.ratelimit_changed.connect(window.set_ratelimit)
        self.session.error.connect(self.notify_error)

        client = self.client
        handler = self.handler

        async def make_flow() -> DeviceFlow:
            # Read each time: the client id may have been set in Settings since start-up.
            return await client.device_flow(self._client_id(), self.scopes())

        async def validate(token: Token) -> None:
            await token.validate(client.http, handler, await client.http.get_session())

        self.signin = SignInController(make_flow, self.scopes(), window, validate=validate)
        self.handler.relogin = self.signin.relogin

    def scopes(self) -> list[str]:
        return scopes_for(self.settings.enabled_panels())

    async def sign_in(self) -> None:
        """Run the device-code sign-in and make the new account active."""
        if self.session is None or self.signin is None:
            return
        if isinstance(self.store, UnavailableTokenStore):
            self._offer_session_store(self.store)
            return
        if self.signin.bring_to_front():
            return  # a (re-login) prompt is open already: one dialog, not two
        if not self._client_id():
            await self._discover_client_id()
        if not self._client_id():
            self.notify_error(
                "No Twitch client id is set. Register one (see the README) and set "
                f"{CLIENT_ID_ENV} or the client id in Settings."
            )
            return
        response = await self.signin.ask()
        if response is not None:
            await self.session.sign_in_with(response)

    async def sign_out(self) -> None:
        if self.session is not None and self.session.user is not None:
            user_id = self.session.user.id
            await self.session.sign_out()
            if self.panels is not None:
                self.panels.set_broadcaster(None)  # the streamer let go of the channel
            if self.authority is not None:
                accounts = self.settings.accounts(self.authority)
                accounts.pop(user_id, None)
                self.settings.set_accounts(self.authority, accounts)
                self.settings.set_active_account(self.authority, None)
            self._refresh_account_menu()

    async def switch_account(self, user_id: str) -> None:
        if self.session is not None:
            await self.session.activate(user_id)

    def _on_signed_in(self, user: User) -> None:
        assert self.window is not None and self.panels is not None
        broadcaster = self.session.broadcaster if self.session is not None else None
        self.panels.set_broadcaster(broadcaster)
        self.panels.release(send=True)  # what waited for this sign-in goes out now
        if self.session is not None and self.session.broadcaster:
            self.spawn(
                self.live.start(self.session.http, self.session.broadcaster), name="live events"
            )
        name = user.display_name or user.login or user.id
        self._show_account(f"Signed in as {name}" + (" (demo)" if self.args.demo else ""), None)
        if self.authority is not None:
            accounts = self.settings.accounts(self.authority)
            accounts[user.id] = user.login or user.id
            self.settings.set_accounts(self.authority, accounts)
            self.settings.set_active_account(self.authority, user.id)
            self._refresh_account_menu()

    def _on_account_lost(self, lost: SignedOut) -> None:
        """The token died: show it at once; keep the queue and forms for the re-login."""
        assert self.panels is not None
        self.panels.hold()
        self.spawn(self.live.stop(), name="live events stop")
        self._show_account(lost.status, lost.banner)

    def _on_signed_out(self, gone: SignedOut) -> None:
        """Signed out for good: what waited for a re-login is reported as not sent."""
        assert self.panels is not None
        self.panels.release(send=False)
        self.spawn(self.live.stop(), name="live events stop")
        self._show_account(gone.status, gone.banner)

    def _show_account(self, status: str, signed_out_banner: str | None) -> None:
        """The account's state in the status bar, above the panels and in the tray."""
        assert self.window is not None and self.tray is not None
        self.window.set_account(status)
        self.window.set_signed_out(signed_out_banner)
        self.tray.set_signed_out(None if signed_out_banner is None else status)

    async def _start_demo(self) -> None:
        from companion.sim import DEMO_BROADCASTER_LOGIN, SimConfig, Simulator

        self.sim = Simulator(
            SimConfig(
                demo=True,
                traffic_rate=DEMO_TRAFFIC_RATE,
                auto_approve_login=DEMO_BROADCASTER_LOGIN,
                device_poll_interval=0.2,
            )
        )
        await self.sim.start(host="127.0.0.1", port=0)
        _log.info("demo simulator listening on %s", self.sim.base_url)
        self._build_client()
        assert self.client is not None and self.session is not None
        # The real device-code flow, approved by the simulator's demo viewer on first poll.
        flow = await self.client.device_flow(self._client_id(), self.scopes())
        await flow.start()
        response = await flow.wait(timeout=30)
        await self.session.sign_in_with(response)

    async def _start_real(self) -> None:
        self._build_client()
        assert self.session is not None and self.authority is not None
        await self._discover_client_id()
        user_id = self.settings.active_account(self.authority)
        if user_id:
            await self.session.activate(user_id)

    # -- run -----------------------------------------------------------------------

    async def run(self) -> int:
        """Run until asked to quit, then shut down cleanly. Returns the exit code."""
        self._install_signal_handlers()
        self._install_excepthook()
        theme = ThemeChoice(self.args.theme) if self.args.theme else self.settings.theme
        apply_theme(self.qt_app, theme)
        self.guard = SingleInstanceGuard()
        self.guard.listen()
        self.panels = PanelSet(
            self.settings, await open_ledger(self.notify_error), self.notify_error
        )
        self.window = self._build_window()
        self.window.sign_in_requested.connect(lambda: self.spawn(self.sign_in(), name="sign-in"))
        self.live.state_changed.connect(self.window.set_eventsub_state)
        self.live.revoked.connect(self.notify_error)
        self.live.error.connect(self.notify_error)
        for text in self._early_notices:
            self.window.show_notice(text, timeout_ms=0)
        self._early_notices.clear()
        self.guard.activation_requested.connect(self._bring_to_front)
        self.tray = TrayIcon()
        self.tray.notifications_enabled = self.settings.notify_redemptions
        self.tray.show_window_requested.connect(self._bring_to_front)
        self.tray.quit_requested.connect(lambda: self.request_quit(0))
        self.panels.wire(self.live, self.window, self.tray)
        self.tray.show()
        if self.args.smoke_test:
            self.window.first_painted.connect(lambda: self.request_quit(0))
        self.window.show()
        _log.info("main window shown (demo=%s)", self.args.demo)
        if not self.args.smoke_test:
            starter = self._start_demo() if self.args.demo else self._start_real()
            self.spawn(starter, name="start-up")
        if self.driver is not None:
            self.spawn(self.driver(self), name="driver")
        try:
            await self._quit.wait()
        finally:
            await self.shutdown()
        return self.exit_code

    async def shutdown(self) -> None:
        """Cancel and await every task, close the session and the simulator, close windows."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.live.shutdown()
        if self.panels is not None:
            await self.panels.shutdown()
        if self.session is not None:
            await self.session.shutdown()
        if self.client is not None:
            await self.client.close()
        if isinstance(self.store, KeyringTokenStore):
            self.store.close()
        if self.sim is not None:
            await self.sim.stop()
        if self.window is not None:
            self.settings.set_window_geometry("main", self.window.saveGeometry())
            self.settings.sync()
            self.window.hide()
            self.window.deleteLater()
        if self.tray is not None:
            self.tray.hide()
        if self.guard is not None:
            self.guard.close()
        sys.excepthook = self._previous_excepthook
        _log.info("shutdown complete")


def _binding_check(companion: CompanionApp) -> None:
    """Warn, once and plainly, when the installed Qt binding leaks references (issue 14)."""
    defect = qtloop.binding_refcount_defect()
    if defect is None:
        return
    import PySide6

    _log.error("Qt binding PySide6 %s is defective: %s", PySide6.__version__, defect)
    companion.notify_error(
        f"This installation uses Qt for Python {PySide6.__version__}, which has a known "
        "defect that makes the app crash after minutes of use; reinstall Streamer "
        "Companion (or pip install 'pyside6-essentials>=6.8,<6.11') before you go live."
    )


def main(
    argv: Sequence[str] | None = None,
    *,
    driver: Callable[[CompanionApp], Coroutine[Any, Any, None]] | None = None,
) -> int:
    """Run the app (``companion.cli.main`` calls this once ``--version`` is ruled out).

    ``driver``, when given, is started as a background task once the window shows: the
    soak test drives the real app through it.
    """
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.version:
        print(f"companion {__version__}")
        return 0
    logs = log_dir()
    log_path = setup_logging(logs, console=args.verbose)
    _log.info("Streamer Companion %s starting; log file %s", __version__, log_path)
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(qt_app, QApplication)
    qt_app.setApplicationName("Streamer Companion")
    qt_app.setOrganizationName("StreamerCompanion")
    qt_app.setApplicationVersion(__version__)
    if not args.smoke_test and activate_running_instance():
        _log.info("another instance is running; asked it to come to the front")
        print("Streamer Companion is already running; brought it to the front.")
        return 0
    crash_watch, previous = start_crash_watch(logs)
    # The window's close goes through CompanionApp.request_quit so tasks are awaited first.
    qt_app.setQuitOnLastWindowClosed(False)
    companion = CompanionApp(qt_app, args, driver=driver)
    if previous is not None:
        companion.notify_error(previous.sentence())
    _binding_check(companion)
    code: int = qtloop.run(companion.run)
    _log.info("exit code %d", code)
    if crash_watch is not None:
        crash_watch.stop()
    return code
