"""The overlay hub: the live state every overlay page shows, and the pages connected now.

The app (OVERLAY-PANEL's service) calls the ``set_*``/``push_alert`` methods on the
asyncio loop whenever its own state changes; the hub turns each change into one JSON
text per affected page, encoded once and handed to every connected page of that kind
through a non-blocking :class:`OverlaySink` (the server's WebSocket connections). A
page gets a snapshot of its page's state when it connects and after every change.

Wire messages (JSON objects; ``seq`` grows by one per message the hub makes):

* ``{"type": "snapshot", "page": "goals", "seq": n, "goals": [goal, ...]}``
* ``{"type": "snapshot", "page": "prediction", "seq": n, "prediction": p | null}``
  where ``p`` has the :class:`OverlayPrediction` fields plus ``ended_at`` (unix
  seconds at which the hub first saw it ``RESOLVED``/``CANCELED``, else ``null``)
* ``{"type": "snapshot", "page": "poll", "seq": n, "poll": p | null}`` (same ``ended_at``)
* ``{"type": "snapshot", "page": "queue", "seq": n, "queue": [item, ...]}``
* ``{"type": "snapshot", "page": "alerts", "seq": n}`` (alerts are events: a page that
  connects late does not replay old ones), then ``{"type": "alert", "page": "alerts",
  "seq": n, "alert": alert}`` per alert.

Times are unix seconds from the app's clock; the pages compare them with their own
clock, which is the same machine's (the server answers on 127.0.0.1 only).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from companion.overlay.model import (
    POLL_ENDED,
    POLL_HIDDEN,
    PREDICTION_ENDED,
    OverlayAlert,
    OverlayGoal,
    OverlayPoll,
    OverlayPrediction,
    OverlayQueueItem,
    to_wire,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

_log = logging.getLogger(__name__)

# Every page the server serves, in the order the Overlays panel lists them.
PAGE_NAMES: tuple[str, ...] = ("goals", "prediction", "poll", "alerts", "queue")

TEST_ALERT_DURATION_MS = 5000


class OverlaySink(Protocol):
    """Where the hub sends a page's messages: must return at once, never block."""

    def send_text(self, text: str) -> None:
        """Queue one JSON text for the page."""


@dataclass(frozen=True, slots=True)
class ConnectedSource:
    """One page connected now (for the Overlays panel's "connected" list).

    Attributes:
        source_id: The hub's number for this connection (unique per hub).
        page: The page's name, one of :data:`PAGE_NAMES`.
        connected_since: Unix seconds of the connection.
        remote_port: The browser's TCP port (tells two sources of one page apart).
    """

    source_id: int
    page: str
    connected_since: float
    remote_port: int | None


def _check_page(page: str) -> None:
    if page not in PAGE_NAMES:
        raise ValueError(f"unknown overlay page {page!r}; the pages are {', '.join(PAGE_NAMES)}")


def _encode(message: dict[str, object]) -> str:
    # Compact separators: these texts go to every connected page on every change.
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)


class OverlayHub:
    """The overlay pages' state and their connections; plain Python on the asyncio loop.

    Args:
        clock: Unix time in seconds (tests may pass their own).
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._goals: tuple[OverlayGoal, ...] = ()
        self._prediction: OverlayPrediction | None = None
        self._prediction_ended_at: float | None = None
        self._poll: OverlayPoll | None = None
        self._poll_ended_at: float | None = None
        self._queue: tuple[OverlayQueueItem, ...] = ()
        self._seq = itertools.count(1)
        self._source_ids = itertools.count(1)
        self._test_alert_ids = itertools.count(1)
        self._sources: dict[int, tuple[ConnectedSource, OverlaySink]] = {}
        self._listeners: list[Callable[[], None]] = []
        # The last snapshot text of each page, made on the change and reused for every
        # page that connects until the next change.
        self._snapshots: dict[str, str] = {}

    # --- state from the app -------------------------------------------------------

    def set_goals(self, goals: Sequence[OverlayGoal]) -> None:
        """Replace the active creator goals (an empty sequence: no goals)."""
        new = tuple(goals)
        if new == self._goals and "goals" in self._snapshots:
            return
        self._goals = new
        self._changed("goals")

    def set_prediction(self, prediction: OverlayPrediction | None) -> None:
        """Set the current or last prediction (``None``: none to show)."""
        self._prediction_ended_at = self._ended_at(
            prediction, self._prediction, self._prediction_ended_at, PREDICTION_ENDED
        )
        if prediction == self._prediction and "prediction" in self._snapshots:
            return
        self._prediction = prediction
        self._changed("prediction")

    def set_poll(self, poll: OverlayPoll | None) -> None:
        """Set the current or last poll (``None``: none to show)."""
        if poll is not None and poll.status in POLL_HIDDEN:
            poll = None
        self._poll_ended_at = self._ended_at(poll, self._poll, self._poll_ended_at, POLL_ENDED)
        if poll == self._poll and "poll" in self._snapshots:
            return
        self._poll = poll
        self._changed("poll")

    def set_queue(self, items: Sequence[OverlayQueueItem]) -> None:
        """Replace the redemptions waiting in the queue, oldest first."""
        new = tuple(items)
        if new == self._queue and "queue" in self._snapshots:
            return
        self._queue = new
        self._changed("queue")

    def push_alert(self, alert: OverlayAlert) -> None:
        """Show one alert on every connected alerts page (each queues its own)."""
        if alert.duration_ms <= 0:
            raise ValueError(f"alert duration must be positive, got {alert.duration_ms} ms")
        text = _encode(
            {"type": "alert", "page": "alerts", "seq": next(self._seq), "alert": to_wire(alert)}
        )
        self._broadcast("alerts", text)

    def send_test_alert(self, *, duration_ms: int = TEST_ALERT_DURATION_MS) -> OverlayAlert:
        """Push a clearly marked test alert to every alerts page and return it.

        Test alerts pass every page's reward filter, so the streamer sees them on
        whichever alerts source they are setting up.
        """
        number = next(self._test_alert_ids)
        alert = OverlayAlert(
            id=f"test-{number}",
            viewer="Streamer Companion",
            reward_id="test",
            reward_title="Test alert",
            user_input=f"This is test alert {number}: your alerts overlay works.",
            duration_ms=duration_ms,
            test=True,
        )
        self.push_alert(alert)
        return alert

    # --- what pages read ----------------------------------------------------------

    def snapshot(self, page: str) -> dict[str, object]:
        """What a page gets on (re)connect: its page's whole state, as a wire message."""
        _check_page(page)
        decoded: dict[str, object] = json.loads(self._snapshot_text(page))
        return decoded

    def state(self, page: str) -> dict[str, object]:
        """A page's state without ``seq`` (for comparisons in tests and the panel)."""
        message = self.snapshot(page)
        del message["seq"]
        return message

    # --- connections (the server's side) --------------------------------------------

    def attach(self, page: str, sink: OverlaySink, *, remote_port: int | None = None) -> int:
        """Register a connected page, send it its snapshot, and return its source id."""
        _check_page(page)
        source = ConnectedSource(next(self._source_ids), page, self._clock(), remote_port)
        self._sources[source.source_id] = (source, sink)
        sink.send_text(self._snapshot_text(page))
        self._notify()
        return source.source_id

    def detach(self, source_id: int) -> None:
        """Forget a connection (unknown ids are ignored: closing is idempotent)."""
        if self._sources.pop(source_id, None) is not None:
            self._notify()

    def connected_sources(self) -> list[ConnectedSource]:
        """The pages connected now, oldest connection first."""
        return [source for source, _sink in self._sources.values()]

    def add_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` whenever the connected sources change; returns its remover."""
        self._listeners.append(callback)

        def remove() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return remove

    # --- internals ----------------------------------------------------------------

    def _ended_at(
        self,
        new: OverlayPrediction | OverlayPoll | None,
        old: OverlayPrediction | OverlayPoll | None,
        old_ended_at: float | None,
        ended: frozenset[str],
    ) -> float | None:
        """When ``new`` ended: kept from before if it had already ended, else now."""
        if new is None or new.status not in ended:
            return None
        if old is not None and old.id == new.id and old.status in ended and old_ended_at:
            return old_ended_at
        return self._clock()

    def _page_state(self, page: str) -> dict[str, object]:
        if page == "goals":
            return {"goals": [to_wire(goal) for goal in self._goals]}
        if page == "prediction":
            prediction: dict[str, object] | None = None
            if self._prediction is not None:
                prediction = to_wire(self._prediction)
                prediction["ended_at"] = self._prediction_ended_at
            return {"prediction": prediction}
        if page == "poll":
            poll: dict[str, object] | None = None
            if self._poll is not None:
                poll = to_wire(self._poll)
                poll["ended_at"] = self._poll_ended_at
            return {"poll": poll}
        if page == "queue":
            return {"queue": [to_wire(item) for item in self._queue]}
        return {}  # alerts: no state, only events

    def _snapshot_text(self, page: str) -> str:
        text = self._snapshots.get(page)
        if text is None:
            message: dict[str, object] = {"type": "snapshot", "page": page, "seq": next(self._seq)}
            message.update(self._page_state(page))
            text = _encode(message)
            self._snapshots[page] = text
        return text

    def _changed(self, page: str) -> None:
        self._snapshots.pop(page, None)
        self._broadcast(page, self._snapshot_text(page))

    def _broadcast(self, page: str, text: str) -> None:
        for source, sink in list(self._sources.values()):
            if source.page == page:
                sink.send_text(text)

    def _notify(self) -> None:
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:
                # One broken listener (a closed panel) must not stop the others or the page.
                _log.exception("overlay source listener failed")
