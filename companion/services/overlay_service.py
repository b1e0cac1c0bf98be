"""The overlays for OBS browser sources: the hub fed from the app's services, and the server.

:class:`OverlayService` owns one :class:`~companion.overlay.hub.OverlayHub` (what every
page shows) and, while overlays are on, one :class:`~companion.overlay.server.OverlayServer`
(127.0.0.1 only). It turns the services' signals into the hub's plain records:

* ``GoalsService.goals_changed``: the active creator goals;
* ``PredictionsService`` / ``PollsService``: the running prediction and poll with their
  points, votes and end time, then the one that just ended (its result; the page keeps it
  for its ``result_seconds`` option), and nothing once an unrelated read or a sign-out
  leaves no running item;
* ``LiveEvents.redemption_added``: one alert per redemption, straight from EventSub (the
  queue gathers adds for 100 ms; an alert must not wait), subject to the reward's alert
  rule (on/off, seconds) from the settings, each redemption id alerted once (EventSub
  delivers at least once);
* the queue's rows: its waiting redemptions, oldest first, as the ticker (gathered for
  :data:`TICKER_GATHER_MS` so a burst becomes one update).

The server module (aiohttp's web server) is imported only when the server first starts,
which the app does after the main window's first paint (:meth:`OverlayService.start`):
start-up pays nothing for it, and starting never blocks the UI (binding a socket is
awaited on the loop). A port in use is told once as a notice and in the status; the rest
of the app runs on.

Signals:
    status_changed(str, int, str): the server's state (``off``, ``starting``,
        ``running``, ``port_taken`` or ``failed``), its port, and a sentence for the panel.
    sources_changed(list): the browser sources connected now
        (``companion.overlay.hub.ConnectedSource``), after every connect or disconnect.
    pages_ready(): the page list and URLs are available (the server module is loaded).
    notice(str): one sentence for the notice bar (the port is taken).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QTimer, Signal

from companion.core.overlay_rules import AlertRule, check_alert_seconds, check_overlay_port
from companion.core.queue_events import RowState
from companion.core.recent_ids import RecentIds
from companion.overlay.hub import OverlayHub
from companion.overlay.model import (
    OverlayAlert,
    OverlayChoice,
    OverlayGoal,
    OverlayOutcome,
    OverlayPoll,
    OverlayPrediction,
    OverlayQueueItem,
)
from companion.services.base import Service
from companion.services.messages import explain
from companion.services.polls_service import ends_at
from companion.services.predictions_service import locks_at

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from PySide6.QtCore import QObject, SignalInstance

    from companion.core.queue import RedemptionQueue
    from companion.core.queue_events import QueueEvent
    from companion.overlay.hub import ConnectedSource
    from companion.overlay.server import OverlayPage, OverlayServer
    from companion.services.goals_service import GoalsService
    from companion.services.polls_service import PollsService
    from companion.services.predictions_service import PredictionsService
    from companion.twitch.models.channel_points import CustomRewardRedemption
    from companion.twitch.models.goals import Goal
    from companion.twitch.models.polls import Poll
    from companion.twitch.models.predictions import Prediction

__all__ = [
    "MAX_TICKER_ITEMS",
    "TICKER_GATHER_MS",
    "OverlayService",
    "overlay_goal",
    "overlay_poll",
    "overlay_prediction",
]

_log = logging.getLogger(__name__)

#: The queue ticker shows at most this many waiting redemptions (a stream overlay is a
#: strip, not a table; 10,000 waiting rows must not become a 10,000-item message).
MAX_TICKER_ITEMS = 20
#: Queue changes are gathered this long before the ticker is sent again.
TICKER_GATHER_MS = 100
#: How many redemption ids are remembered to alert each redemption once.
REMEMBERED_ALERTS = 2000
#: A viewer with neither a display name nor a login (EventSub always sends one).
ANONYMOUS = "A viewer"

STATE_OFF = "off"
STATE_STARTING = "starting"
STATE_RUNNING = "running"
STATE_PORT_TAKEN = "port_taken"
STATE_FAILED = "failed"


class OverlaySettings(Protocol):
    """The settings this service reads and writes (``companion.ui.settings.AppSettings``)."""

    overlay_enabled: bool
    overlay_port: int

    def alert_rules(self) -> dict[str, AlertRule]: ...

    def set_alert_rule(self, reward_id: str, rule: AlertRule) -> None: ...


def overlay_goal(goal: Goal) -> OverlayGoal:
    """A creator goal as the pages show it."""
    return OverlayGoal(
        id=goal.id,
        type=goal.type,
        description=goal.description or "",
        current=goal.current_amount,
        target=goal.target_amount,
    )


def overlay_prediction(prediction: Prediction) -> OverlayPrediction:
    """A prediction as the pages show it (a count EventSub left out reads as 0)."""
    closes = locks_at(prediction) if prediction.status == "ACTIVE" else None
    return OverlayPrediction(
        id=prediction.id,
        title=prediction.title,
        status=prediction.status,
        outcomes=tuple(
            OverlayOutcome(
                id=outcome.id,
                title=outcome.title,
                color=outcome.color,
                users=outcome.users or 0,
                points=outcome.channel_points or 0,
            )
            for outcome in prediction.outcomes
        ),
        ends_at=closes.timestamp() if closes is not None else None,
        winning_outcome_id=prediction.winning_outcome_id,
    )


def overlay_poll(poll: Poll) -> OverlayPoll:
    """A poll as the pages show it (a count EventSub left out reads as 0)."""
    closes = ends_at(poll) if poll.status == "ACTIVE" else None
    return OverlayPoll(
        id=poll.id,
        title=poll.title,
        status=poll.status,
        choices=tuple(
            OverlayChoice(id=choice.id, title=choice.title, votes=choice.votes or 0)
            for choice in poll.choices
        ),
        ends_at=closes.timestamp() if closes is not None else None,
    )


class _RunningFeed:
    """Follows one running-item service (predictions or polls) for one hub setter.

    The running item is sent as it moves. When it ends, the service first says "nothing
    running" and then puts the ended item at the head of its history (in the same call
    stack): the decision is taken once both have happened (the next loop turn), so a
    page gets the result at once, never an empty frame before it.
    """

    def __init__(
        self,
        service: PredictionsService | PollsService,
        convert: Callable[[Any], Any],
        send: Callable[[Any], None],
    ) -> None:
        self._service = service
        self._convert = convert
        self._send = send
        self._shown: str | None = None  # the id of the item the pages show now
        self._due = False
        service.active_changed.connect(self._changed)
        service.history_changed.connect(self._changed)
        self.sync()

    def _changed(self, *_: object) -> None:
        if not self._due:
            self._due = True
            asyncio.get_event_loop().call_soon(self.sync)

    def sync(self) -> None:
        """Send what the pages should show now."""
        self._due = False
        active = self._service.active
        if active is not None:
            self._shown = active.id
            self._send(self._convert(active))
            return
        history = self._service.history
        if history and history[0].id == self._shown:
            self._send(self._convert(history[0]))  # the result of the one that just ended
            return
        self._shown = None
        self._send(None)


class OverlayService(Service):
    """Feeds the overlay hub and runs the overlay server (see the module docs).

    Args:
        settings: Overlay on/off, port and alert rules.
        css_path: The user's CSS file (``<data folder>/overlays.css``).
        hub: The hub to feed (tests may share one); a new one by default.
        parent: Qt parent.
    """

    status_changed = Signal(str, int, str)
    sources_changed = Signal(list)
    pages_ready = Signal()
    notice = Signal(str)

    def __init__(
        self,
        settings: OverlaySettings,
        css_path: Path | None = None,
        *,
        hub: OverlayHub | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.css_path = css_path
        self.hub = hub if hub is not None else OverlayHub()
        self.server: OverlayServer | None = None
        self.state = STATE_OFF
        self.port = settings.overlay_port
        self.status_text = _status_sentence(STATE_OFF, self.port)
        self.alerts_sent = 0
        self._rules: dict[str, AlertRule] = settings.alert_rules()
        #: The active goals as the pages show them (the Overlays tab offers them as choices).
        self.goals: list[OverlayGoal] = []
        self._alerted = RecentIds(REMEMBERED_ALERTS)
        self._pages: tuple[OverlayPage, ...] = ()
        self._started = False
        # One change of the server at a time, each to the settings of its moment: a start
        # cancelled half-way could leave a socket bound that nothing owns.
        self._applying = asyncio.Lock()
        self._feeds: list[_RunningFeed] = []
        self._queue: RedemptionQueue | None = None
        self._ticker_timer = QTimer(self)
        self._ticker_timer.setSingleShot(True)
        self._ticker_timer.setInterval(TICKER_GATHER_MS)
        self._ticker_timer.timeout.connect(self.send_ticker)
        self._unlisten = self.hub.add_listener(self._sources_moved)

    # -- feeding the hub -------------------------------------------------------------------

    def follow(
        self,
        *,
        goals: GoalsService,
        predictions: PredictionsService,
        polls: PollsService,
        queue: RedemptionQueue,
        redemption_added: SignalInstance,
    ) -> None:
        """Feed the hub from these services from now on (and send what they hold now)."""
        goals.goals_changed.connect(self.set_goals)
        self.set_goals(goals.goals)
        self._feeds = [
            _RunningFeed(predictions, overlay_prediction, self.hub.set_prediction),
            _RunningFeed(polls, overlay_poll, self.hub.set_poll),
        ]
        self._queue = queue
        queue.subscribe(self._queue_moved)
        self.send_ticker()
        redemption_added.connect(self.on_redemption_added)

    def set_goals(self, goals: Sequence[Goal]) -> None:
        """Send the active goals (``GoalsService`` lists only goals that have not ended)."""
        self.goals = [overlay_goal(goal) for goal in goals]
        self.hub.set_goals(self.goals)

    def alerted_count(self) -> int:
        """How many redemption ids are remembered as alerted (at most ``REMEMBERED_ALERTS``;
        the soak test reads it: each entry holds one reference to ``None``)."""
        return len(self._alerted)

    def on_redemption_added(self, redemption: CustomRewardRedemption) -> None:
        """One alert for a new redemption, if its reward's alerts are on (once per id)."""
        if redemption.id in self._alerted:
            return
        self._alerted.add(redemption.id)
        reward = redemption.reward
        rule = self.alert_rule(reward.id)
        if not rule.enabled:
            _log.debug("no alert for %s: alerts of reward %s are off", redemption.id, reward.id)
            return
        user = redemption.user
        self.hub.push_alert(
            OverlayAlert(
                id=redemption.id,
                viewer=user.name or user.login or ANONYMOUS,
                reward_id=reward.id,
                reward_title=reward.title,
                user_input=redemption.input or "",
                duration_ms=round(rule.seconds * 1000),
            )
        )
        self.alerts_sent += 1

    def _queue_moved(self, _event: QueueEvent) -> None:
        if not self._ticker_timer.isActive():
            self._ticker_timer.start()

    def send_ticker(self) -> None:
        """Send the queue's waiting redemptions (the oldest :data:`MAX_TICKER_ITEMS`)."""
        self._ticker_timer.stop()
        if self._queue is None:
            return
        items: list[OverlayQueueItem] = []
        for row in self._queue.rows():
            if row.state is not RowState.WAITING:
                continue  # being fulfilled or refunded: no longer waiting on stream
            record = row.record
            items.append(
                OverlayQueueItem(
                    id=record.redemption_id,
                    viewer=record.user_name or record.user_login or ANONYMOUS,
                    reward_title=record.reward_title,
                    user_input=record.user_input or "",
                )
            )
            if len(items) == MAX_TICKER_ITEMS:
                break
        self.hub.set_queue(items)

    def send_test_alert(self) -> OverlayAlert:
        """A clearly marked test alert on every alerts page."""
        return self.hub.send_test_alert()

    # -- alert rules -----------------------------------------------------------------------

    def alert_rule(self, reward_id: str) -> AlertRule:
        """Whether a reward's redemptions are alerted, and for how long (default: on, 6 s)."""
        return self._rules.get(reward_id, AlertRule())

    def set_alert_rule(self, reward_id: str, *, enabled: bool, seconds: float) -> AlertRule:
        """Change one reward's alert rule and keep it in the settings.

        Raises:
            UserError: ``seconds`` is out of range; the message names the limit.
        """
        rule = AlertRule(enabled, check_alert_seconds(seconds))
        self.settings.set_alert_rule(reward_id, rule)
        self._rules[reward_id] = rule
        return rule

    # -- the server ------------------------------------------------------------------------

    @property
    def pages(self) -> tuple[OverlayPage, ...]:
        """The overlay pages (empty until the server module is loaded; see pages_ready)."""
        return self._pages

    def page_url(self, page: str, options: Mapping[str, str] | None = None) -> str:
        """The URL a browser source loads for ``page`` with ``options`` ("" before load)."""
        if self.server is None:
            return ""
        return self.server.page_url(page, options)

    def connected_sources(self) -> list[ConnectedSource]:
        """The browser sources connected now."""
        return self.hub.connected_sources()

    def start(self) -> None:
        """Load the server module and start serving if overlays are on.

        The app calls this after the main window's first paint; later calls do nothing.
        """
        if self._started:
            return
        self._started = True
        self.spawn(self._apply(), name="overlay server")

    def set_enabled(self, enabled: bool) -> None:
        """Turn the overlay server on or off (kept in the settings)."""
        self.settings.overlay_enabled = enabled
        if self._started:
            self._reapply()

    def set_port(self, port: object) -> int:
        """Use another port (kept in the settings); a running server moves to it.

        Raises:
            UserError: ``port`` is not a whole number from 1024 to 65535; the message
                says which limit it broke. Nothing changes then.
        """
        checked = check_overlay_port(port)
        self.settings.overlay_port = checked
        if checked != self.port or self.state in (STATE_PORT_TAKEN, STATE_FAILED):
            self.port = checked
            if self._started:
                self._reapply()
            else:
                self._set_state(self.state)
        return checked

    def _reapply(self) -> None:
        """Apply the settings in the background; the status says so at once."""
        if self.settings.overlay_enabled:
            self._set_state(STATE_STARTING)
        self.spawn(self._apply(), name="overlay server")

    async def _apply(self) -> None:
        """Make the server match the settings: stopped, or running on the chosen port."""
        async with self._applying:
            await self._apply_now()

    async def _apply_now(self) -> None:
        from companion.overlay.server import (
            PAGES,
            OverlayPortInUse,
            OverlayServer,
            OverlayServerError,
        )

        if not self._pages:
            self._pages = tuple(PAGES)
        await self._stop_server()
        self.server = OverlayServer(self.hub, port=self.port, css_path=self.css_path)
        self.pages_ready.emit()
        if not self.settings.overlay_enabled:
            self._set_state(STATE_OFF)
            return
        self._set_state(STATE_STARTING)
        try:
            await self.server.start()
        except OverlayPortInUse as error:
            _log.warning("overlay port %d is in use: %s", self.port, error)
            self._set_state(STATE_PORT_TAKEN)
            self.notice.emit(explain(error))
            return
        except (OverlayServerError, OSError) as error:
            _log.error("the overlay server could not start on port %d", self.port, exc_info=True)
            self._set_state(STATE_FAILED)
            self.notice.emit(explain(error))
            return
        _log.info("overlay server running on 127.0.0.1:%d", self.port)
        self._set_state(STATE_RUNNING)

    async def _stop_server(self) -> None:
        server = self.server
        if server is not None and server.running:
            await server.stop()

    def _set_state(self, state: str) -> None:
        self.state = state
        self.status_text = _status_sentence(state, self.port)
        self.status_changed.emit(state, self.port, self.status_text)

    def _sources_moved(self) -> None:
        self.sources_changed.emit(self.hub.connected_sources())

    async def shutdown(self) -> None:
        """Stop feeding and close the server (pages then reconnect by themselves)."""
        self._ticker_timer.stop()
        await super().shutdown()
        try:
            await self._stop_server()
        finally:
            self._unlisten()
            if self.state != STATE_OFF:
                self._set_state(STATE_OFF)


def _status_sentence(state: str, port: int) -> str:
    """The panel's line about the server (it reads "Overlay server " before it)."""
    if state == STATE_RUNNING:
        return f"running on http://127.0.0.1:{port}; browser sources can connect."
    if state == STATE_STARTING:
        return f"starting on port {port}…"
    if state == STATE_PORT_TAKEN:
        return (
            f"off: port {port} is taken by another program. Choose another port here, then "
            "paste the new URLs into OBS."
        )
    if state == STATE_FAILED:
        return f"off: it could not start on port {port}; the details are in the log."
    return "off: browser sources show nothing until you turn it on."
