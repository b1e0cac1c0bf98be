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
    first_live(): the first session of a :meth:`LiveEvents.start` is subscribed. What
        changed between the services' reads at sign-in and these subscriptions was sent to
        nobody; the app has its services read again (it reads before connecting, so the
        queue fills without waiting behind the subscriptions, issue 18).
    revoked(str): Twitch revoked a subscription for a reason other than a withdrawn
        authorization (a sentence for people, from the message table).
    authorization_revoked(str, object): Twitch says the user (first argument) withdrew
        this app's authorization; the second is the client id when the message names it
        (``user.authorization.revoke``), else None (a ``revocation`` with
        ``authorization_revoked``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal

from companion.services.base import Service
from companion.services.messages import explain_revocation
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

#: The revocation status that means the user withdrew the app's authorization.
AUTHORIZATION_REVOKED = "authorization_revoked"
#: Twitch sends this type to webhooks and conduits only (its EventSub reference; the
#: twitch-reference is silent), so it never arrives on this app's own WebSocket session.
#: It is honoured whenever it is delivered all the same: it is the plainest word there
#: is that the token is dead.
USER_AUTHORIZATION_REVOKE = "user.authorization.revoke"


def status_text(status: ConnectionStatus) -> tuple[str, str]:
    """The status bar's (state, sentence) for a connection status.

    The client's reason (a close code, a repr of a connection error) goes to the log
    (the client logs every state change), never to the status bar.
    """
    state = status.state
    if state is ConnectionState.LIVE:
        if status.problems:
            count = len(status.problems)
            kinds = "kind of update is" if count == 1 else "kinds of update are"
            return "reconnecting", (
                f"Live events: connected, but {count} {kinds} not arriving (see the log)"
            )
        return "live", "Live events: connected"
    if state is ConnectionState.CONNECTING:
        return "reconnecting", "Live events: connecting…"
    if state is ConnectionState.RECONNECTING:
        retry = f" in {status.retry_in:.0f} s" if status.retry_in else ""
        return "reconnecting", f"Live events: connection lost, reconnecting{retry}…"
    if state is ConnectionState.FAILED:
        return "down", "Live events: stopped; sign in again or restart the app to reconnect"
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
    first_live = Signal()
    revoked = Signal(str)
    authorization_revoked = Signal(str, object)

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
        client.add_listener(self.deliver)
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
        if info.first:
            self.first_live.emit()
        else:
            _log.info("EventSub came back (%s); asking services to resync", info.reason)
            self.resynced.emit()

    def deliver(self, event: EventSubEvent | Revocation) -> None:
        """Turn one event from the EventSub client into the matching signal."""
        if isinstance(event, Revocation):
            self._on_revocation(event)
            return
        kind = event.subscription_type
        if kind == USER_AUTHORIZATION_REVOKE:
            user_id = event.payload.get("user_id")
            client_id = event.payload.get("client_id")
            if isinstance(user_id, str) and user_id:
                _log.warning("Twitch says user %s withdrew the app's authorization", user_id)
                self.authorization_revoked.emit(
                    user_id, client_id if isinstance(client_id, str) else None
                )
            return
        model = event.model
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

    def _on_revocation(self, event: Revocation) -> None:
        client = self.client  # (the EventSub client logged the revocation already)
        if event.status == AUTHORIZATION_REVOKED:
            # Every subscription of the token gets one; the session asks for sign-in once.
            if client is not None:
                self.authorization_revoked.emit(str(client.user.id), None)
            return
        self.revoked.emit(explain_revocation(event.status))
