"""Live events: the EventSub WebSocket client turned into Qt signals for the panels.

One :class:`~companion.twitch.eventsub.EventSubClient` per signed-in broadcaster. Events
arrive in order from one listener task and are re-emitted as typed signals; services
connect to the ones they care about. After every reconnect that was not a clean
``session_reconnect`` handoff Twitch replays nothing, so :attr:`resynced` tells every
service to read its state back through Helix.

Signals:
    state_changed(str, str): ``live``, ``reconnecting`` or ``down``, and a sentence.
    redemption_added(object): a ``CustomRewardRedemption`` (EventSub ``...redemption.add``).
    redemption_updated(object): a ``CustomRewardRedemption`` handled elsewhere.
    reward_added(object), reward_updated(object), reward_removed(object): ``CustomReward``.
    prediction_event(str, object): ``begin|progress|lock|end`` and a ``Prediction``.
    poll_event(str, object): ``begin|progress|end`` and a ``Poll``.
    goal_event(str, object): ``begin|progress|end`` and a ``Goal``.
    stream_changed(bool): the stream went online (True) or offline (False).
    resynced(): the connection came back after a loss; re-read state through Helix.
    revoked(str): Twitch revoked a subscription (the reason, for people).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal

from companion.services.base import Service
from companion.twitch.eventsub import (
    ConnectionState,
    ConnectionStatus,
    EventSubClient,
    EventSubEvent,
    ResyncInfo,
    Revocation,
)

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from companion.twitch.http import HTTPHandler
    from companion.twitch.models.users import BaseUser

_log = logging.getLogger(__name__)

_REWARD_PREFIX = "channel.channel_points_custom_reward."
_REDEMPTION_PREFIX = "channel.channel_points_custom_reward_redemption."


def status_text(status: ConnectionStatus) -> tuple[str, str]:
    """The status bar's (state, sentence) for a connection status."""
    state = status.state
    if state is ConnectionState.LIVE:
        if status.problems:
            return "reconnecting", "Live events: connected, with problems: " + "; ".join(
                status.problems
            )
        return "live", "Live events: connected"
    if state in (ConnectionState.CONNECTING, ConnectionState.RECONNECTING):
        retry = f" (retry in {status.retry_in:.0f} s)" if status.retry_in else ""
        reason = f": {status.reason}" if status.reason else ""
        return "reconnecting", f"Live events: reconnecting{reason}{retry}"
    if state is ConnectionState.FAILED:
        return "down", f"Live events: down: {status.reason or 'unknown reason'}"
    return "down", "Live events: off"


class LiveEvents(Service):
    """Owns the EventSub client of the active broadcaster."""

    state_changed = Signal(str, str)
    redemption_added = Signal(object)
    redemption_updated = Signal(object)
    reward_added = Signal(object)
    reward_updated = Signal(object)
    reward_removed = Signal(object)
    prediction_event = Signal(str, object)
    poll_event = Signal(str, object)
    goal_event = Signal(str, object)
    stream_changed = Signal(bool)
    resynced = Signal()
    revoked = Signal(str)

    def __init__(self, parent: QObject | None = None, **client_options: object) -> None:
        super().__init__(parent)
        self._client_options = client_options
        self.client: EventSubClient | None = None
        self.events_delivered = 0

    async def start(self, http: HTTPHandler, broadcaster: BaseUser) -> None:
        """Connect for ``broadcaster`` (stopping any previous connection first)."""
        await self.stop()
        client = EventSubClient(
            http,
            broadcaster,
            on_resync=self._on_resync,
            **self._client_options,  # type: ignore[arg-type]  # tests tune timings
        )
        client.add_state_listener(self._on_status)
        client.add_listener(self._on_event)
        self.client = client
        await client.start()

    async def stop(self) -> None:
        """Close the connection (awaited)."""
        client, self.client = self.client, None
        if client is not None:
            await client.close()
            self.state_changed.emit("down", "Live events: off")

    async def shutdown(self) -> None:
        await self.stop()
        await super().shutdown()

    def _on_status(self, status: ConnectionStatus) -> None:
        state, text = status_text(status)
        self.state_changed.emit(state, text)

    async def _on_resync(self, info: ResyncInfo) -> None:
        if not info.first:
            _log.info("EventSub came back (%s); asking services to resync", info.reason)
            self.resynced.emit()

    def _on_event(self, event: EventSubEvent | Revocation) -> None:
        if isinstance(event, Revocation):
            self.revoked.emit(
                f"Twitch stopped sending {event.subscription_type} events ({event.status})"
            )
            return
        model = event.model
        kind = event.subscription_type
        if model is None and not kind.startswith("stream."):
            _log.warning("event %s without a model: %s", kind, event.parse_error)
            return
        self.events_delivered += 1
        if kind.startswith(_REDEMPTION_PREFIX):
            action = kind.removeprefix(_REDEMPTION_PREFIX)
            (self.redemption_added if action == "add" else self.redemption_updated).emit(model)
        elif kind.startswith(_REWARD_PREFIX):
            action = kind.removeprefix(_REWARD_PREFIX)
            signal = {
                "add": self.reward_added,
                "update": self.reward_updated,
                "remove": self.reward_removed,
            }.get(action)
            if signal is not None:
                signal.emit(model)
        elif kind.startswith("channel.prediction."):
            self.prediction_event.emit(kind.removeprefix("channel.prediction."), model)
        elif kind.startswith("channel.poll."):
            self.poll_event.emit(kind.removeprefix("channel.poll."), model)
        elif kind.startswith("channel.goal."):
            self.goal_event.emit(kind.removeprefix("channel.goal."), model)
        elif kind == "stream.online":
            self.stream_changed.emit(True)
        elif kind == "stream.offline":
            self.stream_changed.emit(False)
