"""The panels of the main window and the services behind them (part of the composition root).

:class:`PanelSet` builds every panel service, model and widget, connects them to the live
events, and points them at a channel when someone signs in. ``app.py`` owns one.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from typing import TYPE_CHECKING, Any, Protocol

from companion.core.bidi import isolate
from companion.core.errors import UserError
from companion.core.jsonstore import StoreError
from companion.core.ledger import Ledger
from companion.core.ledger_schema import SCHEMA_VERSION, LedgerSchemaError
from companion.core.paths import data_dir
from companion.core.reward_sets import RewardSets
from companion.core.templates import TemplateStore
from companion.services.extensions_service import ExtensionsService
from companion.services.goals_service import GoalsService
from companion.services.messages import explain, explain_error
from companion.services.overlay_service import OverlayService
from companion.services.polls_service import PollsService
from companion.services.predictions_service import PredictionsService
from companion.services.queue_service import QueueService
from companion.services.rewards_service import RewardsService
from companion.twitch.limits import LIMITS, LimitError
from companion.ui.extensions_panel import ExtensionsPanel
from companion.ui.goals import GoalsModel, GoalsPanel, GoalStrip
from companion.ui.history_view import HistoryView
from companion.ui.main_window import EmptyPanel
from companion.ui.overlays_panel import OverlaysPanel
from companion.ui.pinned_window import PinnedQueueWindow, attach_pinned
from companion.ui.polls_panel import PollsPanel
from companion.ui.predictions_panel import PredictionsPanel
from companion.ui.queue_model import QueueTableModel
from companion.ui.queue_panel import QueuePanel
from companion.ui.rewards_panel import RewardsPanel

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QWidget

    from companion.services.live_events import LiveEvents
    from companion.twitch.models.channel_points import CustomRewardRedemption
    from companion.twitch.models.users import PartialUser
    from companion.ui.main_window import MainWindow
    from companion.ui.settings import AppSettings
    from companion.ui.tray import TrayIcon

_log = logging.getLogger(__name__)

LEDGER_FILE_NAME = "ledger.sqlite3"
#: The streamer's own style sheet for the overlay pages, in the data folder.
OVERLAY_CSS_FILE_NAME = "overlays.css"
#: Seconds quitting waits for the overlay server (its own socket close takes up to 1 s).
OVERLAY_STOP_SECONDS = 1.5

#: Seconds between two desktop notifications: a burst becomes one summary, not a flood.
NOTIFY_EVERY_SECONDS = 10.0


class ChannelService(Protocol):
    """A panel's service: pointed at a channel at sign-in, re-read after a resync."""

    @property
    def error(self) -> SignalInstance: ...

    def set_broadcaster(self, broadcaster: PartialUser | None) -> None: ...

    def refresh(self) -> None: ...

    async def shutdown(self) -> None: ...


def check_limit(name: str, value: object) -> None:
    """Check one value against one named Helix limit (templates use the client's table).

    Raises:
        UserError: The value breaks the limit; the message is the streamer's sentence.
    """
    limit = LIMITS[name]
    try:
        limit.check(value)
    except LimitError as exc:
        raise UserError(explain(exc)) from exc
    except TypeError as exc:
        raise UserError(f"The {limit.label} must be a whole number.") from exc


async def open_ledger(problem: Callable[[str], None]) -> Ledger | None:
    """The redemption ledger; without it the queue still works, and the streamer is told.

    A ledger written by a newer version of the app (issue 20, item 3) is opened read-only:
    its history can be browsed and exported and the queue works, but nothing of this run
    is written to it (a newer schema is not this version's to change). If even reading it
    fails, it is left untouched and the app runs without a history.

    Args:
        problem: Reports a start problem (the app tells it on stderr and on screen).
    """
    path = data_dir() / LEDGER_FILE_NAME
    try:
        return await Ledger.aopen(path)
    except LedgerSchemaError as newer:
        _log.warning("ledger from a newer version: %s", newer)
        try:
            ledger = await Ledger.aopen(path, read_only=True)
        except (OSError, sqlite3.Error) as error:
            _log.error("the newer ledger cannot be read either: %r", error)
            problem(
                f"The redemption history ({path}) was written by a newer version of "
                "Streamer Companion, which this version cannot read. It is left untouched "
                "and the queue works without it; update Streamer Companion to see it."
            )
            return None
        problem(
            f"The redemption history ({path}) was written by a newer version of Streamer "
            f"Companion (schema {ledger.schema_version}; this version knows up to "
            f"{SCHEMA_VERSION}), so it is open read-only: you can browse and export it and "
            "the queue works, but redemptions and actions of this run are not saved to it. "
            "Update Streamer Companion to keep the history."
        )
        return ledger
    except (OSError, sqlite3.Error) as error:
        _log.error("ledger unavailable: %r", error)
        problem(
            "The redemption history could not be opened; the queue works without it. "
            + explain_error(error).then
        )
        return None


class PanelSet:
    """Every panel's service, model and widget, built once per run.

    Args:
        settings: The app's settings (undo window, window geometry, opacity).
        ledger: The opened ledger, or None if it could not be opened.
        notify: Shows a non-modal notice.
    """

    def __init__(
        self, settings: AppSettings, ledger: Ledger | None, notify: Callable[[str], None]
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.notify = notify
        self.goals = GoalsService()
        self.goals_model = GoalsModel()
        self.goals.goals_changed.connect(self.goals_model.set_goals)
        self.extensions = ExtensionsService()
        self.predictions = PredictionsService()
        self.polls = PollsService()
        # A read-only (newer) ledger is the history's to show, never the queue's to write.
        writable = ledger if ledger is not None and not ledger.read_only else None
        self.queue = QueueService(None, writable, undo_seconds=settings.undo_seconds)
        self.rewards = RewardsService(None, self.queue, RewardSets(data_dir()))
        self.queue_model = QueueTableModel(self.queue.queue, self.queue.reward_color)
        # Not a channel service: it serves whatever the others hold, signed in or not.
        self.overlays = OverlayService(settings, data_dir() / OVERLAY_CSS_FILE_NAME)
        self.services: list[ChannelService] = [
            self.queue,
            self.rewards,
            self.goals,
            self.extensions,
            self.predictions,
            self.polls,
        ]
        self.pages: dict[str, QWidget] = {}
        self.queue_panel: QueuePanel | None = None
        self.pinned: PinnedQueueWindow | None = None
        self.goal_strip: GoalStrip | None = None
        self._tray: TrayIcon | None = None
        self._channel_id: str | None = None
        self._last_notified = float("-inf")
        self._unnotified = 0

    def _load_templates(self) -> TemplateStore:
        """The saved prediction and poll templates; a broken file is set aside, not fatal."""
        try:
            return TemplateStore(data_dir(), check_limit)
        except StoreError as error:
            broken = data_dir() / TemplateStore.FILE_NAME
            aside = broken.with_suffix(".unreadable.json")
            broken.replace(aside)
            _log.warning("templates file unreadable (%s); moved to %s", error, aside)
            self.notify(f"Saved templates could not be read and were set aside: {aside}")
            return TemplateStore(data_dir(), check_limit)

    def build(self) -> dict[str, QWidget]:
        """The panel widgets by settings key (``rewards``, ``queue``, ``history``, ...)."""
        templates = self._load_templates()
        self.queue_panel = QueuePanel(self.queue, self.queue_model)
        self.pinned = PinnedQueueWindow(self.queue, self.queue_model, self.settings)
        history: QWidget
        if self.ledger is not None:
            history_view = HistoryView(self.ledger)
            history_view.follow_rewards(self.rewards)
            history = history_view
        else:
            history = EmptyPanel("History", "The redemption history could not be opened.")
        goals_panel = GoalsPanel(self.goals_model)
        self.goal_strip = GoalStrip(self.goals_model, self.settings)
        goals_panel.strip_button.clicked.connect(self.goal_strip.toggle)
        self.pages = {
            "rewards": RewardsPanel(self.rewards),
            "queue": self.queue_panel,
            "history": history,
            "predictions": PredictionsPanel(self.predictions, templates),
            "polls": PollsPanel(self.polls, templates),
            "goals": goals_panel,
            "extensions": ExtensionsPanel(self.extensions),
            "overlays": OverlaysPanel(
                self.overlays,
                self.rewards,
                self.settings,
                css_path=data_dir() / OVERLAY_CSS_FILE_NAME,
            ),
        }
        return self.pages

    def wire(
        self, live: LiveEvents, window: MainWindow, tray: TrayIcon, *, serve_overlays: bool = True
    ) -> None:
        """Live events to services, resyncs to re-reads, errors to notices, queue to tray.

        Args:
            live: The live events.
            window: The main window (its first paint starts the overlay server).
            tray: The tray icon.
            serve_overlays: False for a run that must claim no socket (a smoke test).
        """
        live.goal_event.connect(self.goals.on_goal_event)
        live.prediction_event.connect(self.predictions.on_prediction_event)
        live.poll_event.connect(self.polls.on_poll_event)
        self.queue.connect_events(live, resync=False)
        self.rewards.connect_events(live, resync=False)
        for service in self.services:
            live.resynced.connect(service.refresh)
            # The app connects live events after the panels' reads at sign-in (see
            # AccountsMixin._go_live): what changed in between is read once it is live.
            live.first_live.connect(service.refresh)
            service.error.connect(self.notify)
        # The redemption history: cannot be saved / saved again / leftovers of a stop settled.
        self.queue.notice.connect(self.notify)
        self.overlays.follow(
            goals=self.goals,
            predictions=self.predictions,
            polls=self.polls,
            queue=self.queue.queue,
            redemption_added=live.redemption_added,
        )
        self.overlays.notice.connect(self.notify)
        self.overlays.error.connect(self.notify)
        # The server (and its aiohttp web import) waits for the first paint: start-up
        # shows the window first. The overlays work signed out (a test alert, the URLs).
        if serve_overlays:
            if window.painted:
                # The usual case: start-up builds and wires the panels after the first paint.
                self.overlays.start()
            else:
                window.first_painted.connect(self.overlays.start)
        if "overlays" in self.pages:
            window.offline_panels.add(self.pages["overlays"])
        self._tray = tray
        window.remember_tab(self.settings, self.pages)
        queue = self.queue
        queue.counts_changed.connect(lambda: tray.set_queue_count(len(queue.queue)))
        live.redemption_added.connect(self._notify_redemption)
        if self.pinned is not None and self.queue_panel is not None:
            attach_pinned(window, self.queue_panel, self.pinned)
            tray.toggle_pinned_requested.connect(self.pinned.toggle)
            # Its signed-out line's button is the main window's "Sign in…".
            self.pinned.sign_in_requested.connect(window.sign_in_requested.emit)

    async def serve_overlays_after(self, start_up: asyncio.Task[Any] | None, wait: float) -> None:
        """Start the overlay server once start-up has signed in and the queue has read.

        For a run that serves overlays, instead of ``wire(serve_overlays=True)``: the
        server's start (aiohttp's web server imported, the pages built) would otherwise run
        between the sign-in and the queue's first rows (issue 18, first usable). It waits
        for ``start_up`` (the demo simulator and its sign-in, or the remembered account's),
        then for the queue's read, ``wait`` seconds in all at most: a sign-in that waits
        for a person (a dead token's prompt) does not hold the overlays back.
        """
        loop = asyncio.get_running_loop()
        until = loop.time() + wait
        if start_up is not None:
            await asyncio.wait({start_up}, timeout=wait)
        await self.queue.wait_read(max(0.0, until - loop.time()))
        self.overlays.start()

    def _notify_redemption(self, redemption: CustomRewardRedemption) -> None:
        """A desktop notification per redemption, or one summary per burst."""
        tray = self._tray
        if tray is None or not tray.notifications_enabled:
            return
        if redemption.status in ("FULFILLED", "CANCELED"):
            return  # a skip-queue reward's: fulfilled on arrival, nothing to act on
        now = time.monotonic()
        self._unnotified += 1
        if now - self._last_notified < NOTIFY_EVERY_SECONDS:
            return
        # Each viewer-made part in its own direction: an Arabic name must not turn the
        # sentence around it right to left.
        viewer = isolate(redemption.user.name or redemption.user.login or "A viewer")
        title = isolate(redemption.reward.title)
        if self._unnotified == 1:
            text = f"{viewer} redeemed {title}"
            if redemption.input:
                text += f": {isolate(redemption.input)}"
        else:
            text = f"{self._unnotified} new redemptions, the latest {title} by {viewer}"
        if tray.notify("New redemption", text):
            self._last_notified = now
            self._unnotified = 0

    def set_broadcaster(self, broadcaster: PartialUser | None) -> None:
        """Point every panel at ``broadcaster`` (None: nobody is signed in any more).

        Signing in again to the channel the panels already show (after a lost sign-in)
        re-reads it instead: the queue, its held actions and half-filled forms stay.
        """
        same = broadcaster is not None and broadcaster.id == self._channel_id
        self._channel_id = broadcaster.id if broadcaster is not None else None
        for service in self.services:
            if same:
                service.refresh()
            else:
                service.set_broadcaster(broadcaster)

    def set_signed_out(self, status: str | None, reason: str | None) -> None:
        """Say in the windows outside the main one (the pinned queue) that nobody is
        signed in, and disable their actions (``status`` None: signed in, enable them).

        Args:
            status: The status bar's text.
            reason: The sentence with what to do next.
        """
        if self.pinned is not None:
            self.pinned.set_signed_out(status, reason)

    def hold(self) -> None:
        """The sign-in was lost: keep everything, send nothing until it is back."""
        self.queue.hold()

    def release(self, *, send: bool) -> None:
        """The sign-in is back (``send``) or will not be: held queue actions go or fail.

        Actions that fail this way are also told as a notice (the queue panel is disabled
        while signed out, so its status line alone could go unseen).
        """
        waited = self.queue.release(send=send)
        if waited and not send:
            self.notify(
                f"{waited} queue action(s) were not sent because you are signed out; their "
                "redemptions are back in the queue. Sign in and try again."
            )

    async def shutdown(self) -> None:
        """Stop every service (the queue sends what is in its undo windows), then close
        the ledger; see :meth:`shutdown_services` and :meth:`close_ledger`."""
        await self.shutdown_services()
        await self.close_ledger()

    async def shutdown_services(self) -> None:
        """Stop every service; the queue sends its last actions and writes the ledger."""
        for window in (self.goal_strip, self.pinned):
            if window is not None:
                window.hide()
        # First, and bounded: the pages then show nothing rather than a channel the app
        # stopped following, and a stuck browser never costs the queue its last actions.
        try:
            await asyncio.wait_for(self.overlays.shutdown(), OVERLAY_STOP_SECONDS)
        except TimeoutError:
            _log.error("the overlay server did not stop within %.1f s", OVERLAY_STOP_SECONDS)
        for service in self.services:
            await service.shutdown()

    async def close_ledger(self) -> None:
        """Close the ledger once its queued writes are done (also after a cut-short
        :meth:`shutdown_services`: the app's shutdown runs both under a deadline)."""
        if self.ledger is not None:
            await self.ledger.aclose()
