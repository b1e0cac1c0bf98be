"""Composition root: the QApplication, the qasync loop, services, windows and shutdown.

The app is split by role: this module runs it (tasks, window, start and shutdown, ``main``);
:mod:`companion.app_accounts` holds tokens, the client and sign-in,
:mod:`companion.app_menus` the menus and the settings they change, and
:mod:`companion.app_panels` the panels and their services.

Only this module creates the event loop. ``main()`` runs :meth:`CompanionApp.run` on a
qasync loop; ``run`` awaits a quit event that the window, the tray, Ctrl+Q or
SIGINT/SIGTERM set, then cancels and awaits every background task and closes the HTTP
session (and the in-process simulator in demo mode) before returning the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication

from companion import __version__
from companion.app_accounts import AccountsMixin
from companion.app_menus import PANEL_TITLES, MenusMixin
from companion.app_startup import (
    DataFolderUnwritable,
    StartFailed,
    can_show_dialogs,
    check_data_folder,
    refuse_to_start,
    start_problems_dialog,
    tell_stderr,
)
from companion.core.crash_report import start_crash_watch
from companion.core.logsetup import setup_logging
from companion.core.paths import log_dir
from companion.twitch.authority import authority_key
from companion.ui.main_window import MainWindow, PanelPlaceholder, watch_first_rows
from companion.ui.settings import AppSettings
from companion.ui.single_instance import SingleInstanceGuard, activate_running_instance
from companion.ui.theme import ThemeChoice, apply_theme

# Everything else (asyncio and the qasync loop, aiohttp and the client, the services and
# panels, the ledger and SQLite, the tray, the keyring) is imported after the window's first
# paint: main() paints it before the event loop exists, CompanionApp._load() builds the
# rest. tests/unit/test_first_paint_imports.py keeps this module and everything it imports
# free of them. These names are this module's all the same (a test
# replaces PanelSet here), imported on first use:
_DEFERRED = {
    "PanelSet": "companion.app_panels",
    "open_ledger": "companion.app_panels",
    "LiveEvents": "companion.services.live_events",
    "TrayIcon": "companion.ui.tray",
}


def _deferred(name: str) -> Any:
    """One of :data:`_DEFERRED`'s names, imported now if it was not yet (or as replaced)."""
    value = globals().get(name)
    if value is None:
        value = globals()[name] = getattr(importlib.import_module(_DEFERRED[name]), name)
    return value


def __getattr__(name: str) -> Any:
    if name in _DEFERRED:
        return _deferred(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable, Callable, Coroutine, Sequence

    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMessageBox

    from companion.app_panels import PanelSet
    from companion.auth.handler import KeyringTokenHandler
    from companion.auth.token_store import TokenStore
    from companion.services.live_events import LiveEvents
    from companion.services.session import TwitchSession
    from companion.sim import Simulator
    from companion.twitch.client import Client
    from companion.ui.accounts import SignInController
    from companion.ui.tray import TrayIcon

_log = logging.getLogger(__name__)

#: Seconds shutdown's steps may take in all. Quit completes within 5 s whatever is pending
#: (issue 20, item 4); Qt's teardown and the interpreter's exit take well under the rest.
SHUTDOWN_BUDGET = 3.5
#: Of that, seconds kept back from the slow steps (tasks, live events, panels and their
#: last queue actions and ledger writes) for closing the session and the HTTP client.
SHUTDOWN_RESERVE = 0.5
#: The least a shutdown step is given, even when the budget is spent.
MIN_STEP_SECONDS = 0.1
#: Seconds start-up waits for the window's first paint before it builds the rest anyway.
FIRST_PAINT_WAIT = 2.0
#: Seconds at most the overlay server waits for start-up's sign-in and first reads.
OVERLAY_START_WAIT = 2.0
#: Seconds after the window is built that the Qt binding's self-check runs.
BINDING_CHECK_DELAY = 2.0


def _twitch_url(text: str) -> str:
    """``--twitch-url``: refused at once (exit 2, before any request) if it would carry
    tokens in plain http to another machine."""
    from companion.twitch.authority import require_secure_url
    from companion.twitch.errors import InsecureURL

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


class CompanionApp(AccountsMixin, MenusMixin):
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
        # Made in run(), on the loop (asyncio is not imported before the first paint).
        self._quit: asyncio.Event | None = None
        self._quit_requested = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self.window: MainWindow | None = None
        self.tray: TrayIcon | None = None
        self.guard: SingleInstanceGuard | None = None
        self.sim: Simulator | None = None
        self.client: Client | None = None
        self.session: TwitchSession | None = None
        self.handler: KeyringTokenHandler | None = None
        self.store: TokenStore | None = None
        self.signin: SignInController | None = None
        # Built after the first paint (see _load): live events, the panels, the tray.
        self._live: LiveEvents | None = None
        # Built once the ledger is open; panel services get a broadcaster at sign-in.
        self.panels: PanelSet | None = None
        self.account_menu_actions: dict[str, QAction] = {}
        self.panel_actions: dict[str, QAction] = {}
        self._previous_excepthook = sys.excepthook
        self._early_notices: list[str] = []
        #: What went wrong while starting (each also told on stderr and in the notice).
        self.start_problems: list[str] = []
        self.start_dialog: QMessageBox | None = None
        # The client id a simulator named (GET /_sim/info) when none was configured.
        self._discovered_client_id = ""
        # The open offer to keep a sign-in the keyring refused for this run only.
        self._keep_offer: asyncio.Future[bool] | None = None
        #: Whose accounts this run remembers: the OAuth authority it signs in with. None in
        #: demo mode, whose throwaway accounts are never remembered.
        self.authority: str | None = None if args.demo else authority_key(self._oauth_url())
        # The window from its first paint on; self.window is set once its panels are in.
        self._shown: MainWindow | None = None
        self._painted = False

    @property
    def live(self) -> LiveEvents:
        """The live events (EventSub) of this run; built after the window's first paint."""
        if self._live is None:
            raise RuntimeError("live events are built after the window's first paint")
        return self._live

    # -- tasks ---------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any] | None:
        """Start a named background task that shutdown cancels and awaits.

        Once shutdown has begun nothing new starts (it would outlive the loop): the
        coroutine is closed and None returned.
        """
        import asyncio

        if self._stopping:
            _log.debug("%s not started: the app is shutting down", name)
            coro.close()
            return None
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
            from companion.services.messages import explain

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

    def start_problem(self, text: str) -> None:
        """A problem found while starting that the app runs on with (see app_startup).

        Logged, written to stderr, shown in the notice and, where someone can see the
        screen, listed in one non-modal dialog once the window shows.
        """
        _log.warning("start problem: %s", text)
        tell_stderr(text)
        self.start_problems.append(text)
        if self.window is not None:
            self.window.show_notice(text, timeout_ms=0)
        else:
            self._early_notices.append(text)

    def request_quit(self, exit_code: int = 0) -> None:
        """Ask the app to shut down; safe to call more than once."""
        if not self._quit_requested:
            _log.info("quit requested (exit code %d)", exit_code)
            self._quit_requested = True
            self.exit_code = exit_code
            if self._quit is not None:
                self._quit.set()

    def _install_excepthook(self) -> None:
        """An exception escaping a Qt slot is logged and shown; the window survives."""
        previous = sys.excepthook

        def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
            if issubclass(exc_type, KeyboardInterrupt):
                previous(exc_type, exc, tb)
                return
            from companion.services.messages import explain

            _log.error("unhandled exception in a slot", exc_info=(exc_type, exc, tb))
            self.notify_error(explain(exc))

        self._previous_excepthook = previous
        sys.excepthook = hook

    def _install_signal_handlers(self) -> None:
        import asyncio

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(signum, self.request_quit)
            except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
                signal.signal(signum, lambda *_: loop.call_soon_threadsafe(self.request_quit))

    # -- window --------------------------------------------------------------------

    def _build_window(self) -> MainWindow:
        """The main window as it first paints: its menus, bars, status bar and tab titles,
        each tab holding a placeholder until :meth:`_load` puts the real panel in."""
        window = MainWindow([(title, PanelPlaceholder()) for _key, title in PANEL_TITLES])
        enabled = set(self.settings.enabled_panels())
        for index, (key, _title) in enumerate(PANEL_TITLES):
            window.tabs.setTabVisible(index, key in enabled)
        # The tab remember_tab opens once the panels are in, so the tab bar never jumps.
        window.open_tab([key for key, _title in PANEL_TITLES], self.settings.last_tab)
        if self.args.demo:
            window.setWindowTitle("Streamer Companion (demo)")
        window.close_requested.connect(self.request_quit)
        geometry = self.settings.window_geometry("main")
        if geometry is not None:
            window.restoreGeometry(geometry)
        self._build_menus(window)
        return window

    def _bring_to_front(self) -> None:
        window = self.window or self._shown
        if window is not None:
            window.showNormal()
            window.raise_()
            window.activateWindow()

    # -- run -----------------------------------------------------------------------

    def _check_binding(self) -> None:
        """Warn, once and plainly, when the installed Qt binding leaks references (issue 14)."""
        if self._stopping:
            return
        from companion import qtloop

        defect = qtloop.binding_refcount_defect()
        if defect is None:
            return
        import PySide6

        _log.error("Qt binding PySide6 %s is defective: %s", PySide6.__version__, defect)
        self.notify_error(
            f"This installation uses Qt for Python {PySide6.__version__}, which has a known "
            "defect that makes the app crash after minutes of use; reinstall Streamer "
            "Companion (or pip install 'pyside6-essentials>=6.8,<6.11') before you go live."
        )

    async def run(self) -> int:
        """Run until asked to quit, then shut down cleanly. Returns the exit code.

        A failure while starting also shuts down (and restores the excepthook) before it
        propagates, so :func:`main` can say what happened.
        """
        import asyncio

        self._quit = asyncio.Event()
        if self._quit_requested:
            self._quit.set()
        self._install_signal_handlers()
        self._install_excepthook()
        try:
            await self._start()
            await self._quit.wait()
        finally:
            await self.shutdown()
        return self.exit_code

    def show_window(self) -> MainWindow:
        """Show the main window as it first paints; no event loop is needed yet.

        The window paints first (issue 18): menus, bars, status bar and tab titles, the tabs
        holding placeholders. Only then are the panels, services, ledger, tray and Twitch
        client imported and built (:meth:`_load`), so the first paint costs little more
        than a bare Qt window's. :func:`main` calls this before it starts the event loop;
        :meth:`run` calls it if nobody did.
        """
        if problems := self.settings.check():
            self.start_problem(settings_problem_sentence(self.settings.path, problems))
        theme = ThemeChoice(self.args.theme) if self.args.theme else self.settings.theme
        apply_theme(self.qt_app, theme)
        if not self.args.smoke_test:
            # A smoke test is not the app a later start should find: it claims no socket.
            self.guard = SingleInstanceGuard()
            self.guard.listen()
            self.guard.activation_requested.connect(self._bring_to_front)
        window = self._shown = self._build_window()
        window.sign_in_requested.connect(lambda: self.spawn(self.sign_in(), name="sign-in"))
        if self._early_notices:
            # Shown from the first paint; _load shows them again with any found later.
            window.show_notice(" ".join(self._early_notices), timeout_ms=0)
        window.first_painted.connect(self._first_painted)
        window.show()
        return window

    def _first_painted(self) -> None:
        self._painted = True
        _log.info("main window first painted (%.3f s of CPU)", time.process_time())

    async def _start(self) -> None:
        """Show the window (unless :func:`main` did), wait for its first paint, build the
        rest; the Twitch side starts in the background."""
        import asyncio

        window = self._shown if self._shown is not None else self.show_window()
        # A window that is never exposed (minimised at start by the desktop) never paints:
        # the app is still built, just without waiting for it.
        deadline = time.monotonic() + FIRST_PAINT_WAIT
        while not self._painted and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if not self._painted:
            _log.info("main window not painted within %.0f s; built all the same", FIRST_PAINT_WAIT)
        await self._load(window)

    async def _load(self, window: MainWindow) -> None:
        """Import and build everything the first paint did not need, and put it in place."""
        panel_set: type[PanelSet] = _deferred("PanelSet")
        opening: Callable[..., Awaitable[Any]] = _deferred("open_ledger")
        live_events: type[LiveEvents] = _deferred("LiveEvents")
        tray_icon: type[TrayIcon] = _deferred("TrayIcon")

        live = self._live = live_events()
        self.panels = panel_set(self.settings, await opening(self.start_problem), self.notify_error)
        built = self.panels.build()
        window.set_pages([built[key] for key, _title in PANEL_TITLES])
        window.offline_panels.add(built["history"])  # the local ledger needs no sign-in
        self.window = window
        live.state_changed.connect(window.set_eventsub_state)
        live.revoked.connect(self.notify_error)
        live.error.connect(self.notify_error)
        if self._early_notices:
            # One notice that stays (a second would replace the first); its tooltip has
            # the whole text when it is too long to show.
            window.show_notice(" ".join(self._early_notices), timeout_ms=0)
            self._early_notices.clear()
        self.tray = tray_icon()
        self.tray.notifications_enabled = self.settings.notify_redemptions
        self.tray.show_window_requested.connect(self._bring_to_front)
        self.tray.quit_requested.connect(lambda: self.request_quit(0))
        # The overlay server starts later (below); a smoke test claims no socket (see the
        # guard above), so it starts none at all.
        self.panels.wire(live, window, self.tray, serve_overlays=False)
        self.tray.show()
        queue_panel = self.panels.queue_panel
        if queue_panel is not None:
            watch_first_rows(queue_panel.model, queue_panel.table.viewport())
        _log.info("main window shown (demo=%s)", self.args.demo)
        if self.start_problems and can_show_dialogs():
            self.start_dialog = start_problems_dialog(window, self.start_problems)
        if self.args.smoke_test:
            # Quit once the whole window is built: a packaging check that loads every panel
            # (and checks the binding).
            self._check_binding()
            self.request_quit(0)
        else:
            starter = self._start_demo() if self.args.demo else self._start_real()
            start_up = self.spawn(starter, name="start-up")
            # The overlay server waits until the queue has read what waits (issue 18).
            self.spawn(
                self.panels.serve_overlays_after(start_up, OVERLAY_START_WAIT),
                name="overlay server start",
            )
            # The self-check costs two full garbage collections (13-60 ms once everything is
            # imported): not on the way to the first paint nor to a usable queue.
            import asyncio

            asyncio.get_running_loop().call_later(BINDING_CHECK_DELAY, self._check_binding)
        if self.driver is not None:
            self.spawn(self.driver(self), name="driver")

    async def shutdown(self) -> None:
        """Stop everything within :data:`SHUTDOWN_BUDGET` seconds, whatever is pending.

        Nothing here waits for a person: the re-login prompt is closed first, so what
        waited for it (a request, its refresh, a queue action) ends at once with "no
        token". Each step then gets what is left of the budget; one that overruns is
        cancelled and named in the log, and the steps after it still run. Settings, the
        window and the single-instance socket are always dealt with.
        """
        import asyncio

        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SHUTDOWN_BUDGET
        # The slow steps leave a little time for closing the connections after them.
        slow_until = deadline - SHUTDOWN_RESERVE
        if self.handler is not None:
            self.handler.close()
        if self.signin is not None:
            self.signin.close()
        self._close_offers()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await _bounded(
                "background tasks", asyncio.gather(*tasks, return_exceptions=True), slow_until
            )
        if self._live is not None:
            await _bounded("live events", self._live.shutdown(), slow_until)
        if self.panels is not None:
            await _bounded("panels", self.panels.shutdown_services(), slow_until)
            await _bounded("ledger", self.panels.close_ledger(), deadline)
        if self.session is not None:
            await _bounded("session", self.session.shutdown(), deadline)
        if self.client is not None:
            await _bounded("HTTP client", self.client.close(), deadline)
        if self.store is not None:
            from companion.auth.token_store import KeyringTokenStore

            if isinstance(self.store, KeyringTokenStore):
                self.store.close()
        if self.sim is not None:
            await _bounded("demo simulator", self.sim.stop(), deadline)
        window = self.window or self._shown
        if window is not None:
            self.settings.set_window_geometry("main", window.saveGeometry())
            self.settings.sync()
            window.hide()
            window.deleteLater()
        if self.tray is not None:
            self.tray.hide()
        if self.guard is not None:
            self.guard.close()
        sys.excepthook = self._previous_excepthook
        _log.info("shutdown complete")


async def _bounded(what: str, step: Awaitable[Any], until: float) -> None:
    """Await one shutdown step until the loop time ``until``; past it, cancel and go on.

    A step that fails is logged: the rest of the shutdown still runs.
    """
    import asyncio

    task = asyncio.ensure_future(step)
    loop = asyncio.get_running_loop()
    budget = max(MIN_STEP_SECONDS, until - loop.time())
    done, _ = await asyncio.wait({task}, timeout=budget)
    if not done:
        task.cancel()
        _log.error("shutdown: %s did not finish within %.1f s; abandoned", what, budget)
        # One moment to unwind; a step that ignores its cancellation is left behind.
        await asyncio.wait({task}, timeout=MIN_STEP_SECONDS)
        return
    if not task.cancelled() and (error := task.exception()) is not None:
        _log.error("shutdown: %s failed", what, exc_info=error)


def wait_for_first_paint(window: MainWindow) -> None:
    """Run Qt's events until ``window`` has painted once (at most :data:`FIRST_PAINT_WAIT`
    seconds: a window the desktop never exposes never paints)."""
    from PySide6.QtCore import QEventLoop, QTimer

    if window.painted:
        return
    events = QEventLoop()
    window.first_painted.connect(events.quit)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(events.quit)
    timer.start(int(FIRST_PAINT_WAIT * 1000))
    events.exec()
    timer.stop()
    window.first_painted.disconnect(events.quit)


def settings_problem_sentence(path: str, problems: dict[str, str]) -> str:
    """The start notice for settings whose stored values could not be used."""
    listed = "; ".join(f"{key} {problem}" for key, problem in sorted(problems.items()))
    return (
        f"Some settings in {path} could not be used, so their defaults apply for now: "
        f"{listed}. Changing a setting in the app replaces its stored value."
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
    try:
        check_data_folder()
    except DataFolderUnwritable as problem:
        return refuse_to_start(problem)
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
    try:
        # The window paints before the event loop (and asyncio) is even imported.
        wait_for_first_paint(companion.show_window())
        from companion import qtloop

        code: int = qtloop.run(companion.run)
    except Exception as error:
        # Not one of the problems start-up knows how to live with: say so, never silently.
        _log.exception("the app stopped while starting")
        code = refuse_to_start(StartFailed(error, log_path))
    _log.info("exit code %d", code)
    if crash_watch is not None:
        crash_watch.stop()
    return code
