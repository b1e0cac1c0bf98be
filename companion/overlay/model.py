"""What the overlay pages show: plain frozen records the app hands to the hub.

Every text field is untrusted (viewer names, redemption input, reward, goal, prediction
and poll titles): the pages render it with ``textContent`` only, never as HTML. The
records hold only what a page shows on stream: no ids of accounts, no tokens.

``to_wire`` turns a record into the JSON-ready dict the pages read; the field names on
the wire are the attribute names, so the pages and this module share one vocabulary.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True, slots=True)
class OverlayGoal:
    """One active creator goal (Twitch's goal ``type``: follow, subscription, ...)."""

    id: str
    type: str
    description: str
    current: int
    target: int


@dataclass(frozen=True, slots=True)
class OverlayOutcome:
    """One outcome of a prediction: ``color`` is Twitch's ``BLUE`` or ``PINK``."""

    id: str
    title: str
    color: str
    users: int
    points: int


@dataclass(frozen=True, slots=True)
class OverlayPrediction:
    """The channel's current or last prediction.

    ``status`` is Twitch's: ``ACTIVE``, ``LOCKED``, ``RESOLVED`` or ``CANCELED``.
    ``ends_at`` is when voting closes, in unix seconds (``None`` once locked or unknown).
    """

    id: str
    title: str
    status: str
    outcomes: tuple[OverlayOutcome, ...]
    ends_at: float | None
    winning_outcome_id: str | None


@dataclass(frozen=True, slots=True)
class OverlayChoice:
    """One choice of a poll with its votes so far."""

    id: str
    title: str
    votes: int


@dataclass(frozen=True, slots=True)
class OverlayPoll:
    """The channel's current or last poll.

    ``status`` is Twitch's: ``ACTIVE``, ``COMPLETED``, ``TERMINATED``, ``ARCHIVED``,
    ``MODERATED`` or ``INVALID``. ``ends_at`` is in unix seconds.
    """

    id: str
    title: str
    status: str
    choices: tuple[OverlayChoice, ...]
    ends_at: float | None


@dataclass(frozen=True, slots=True)
class OverlayAlert:
    """One redemption alert, shown once on every alerts page for ``duration_ms``.

    The app applies the per-reward on/off and duration settings before pushing it.
    """

    id: str
    viewer: str
    reward_id: str
    reward_title: str
    user_input: str
    duration_ms: int
    test: bool = False


@dataclass(frozen=True, slots=True)
class OverlayQueueItem:
    """One redemption waiting in the queue (for the queue ticker)."""

    id: str
    viewer: str
    reward_title: str
    user_input: str


# Terminal states after which a page shows the result for a while, then nothing.
PREDICTION_ENDED = frozenset({"RESOLVED", "CANCELED"})
# ARCHIVED, MODERATED and INVALID polls are not shown at all: there is no result to show.
POLL_ENDED = frozenset({"COMPLETED", "TERMINATED"})
POLL_HIDDEN = frozenset({"ARCHIVED", "MODERATED", "INVALID"})

WireRecord: TypeAlias = (
    OverlayGoal | OverlayPrediction | OverlayPoll | OverlayAlert | OverlayQueueItem
)


def to_wire(record: WireRecord) -> dict[str, object]:
    """The JSON-ready dict of a record (nested records become dicts, tuples lists).

    Written out rather than ``dataclasses.asdict``, which deep-copies every value and
    took about 4 times as long (this runs on the app's loop on every change).
    """
    wire: dict[str, object] = {}
    for name in _field_names(type(record)):
        value = getattr(record, name)
        if isinstance(value, tuple):
            value = [to_wire(item) for item in value]
        wire[name] = value
    return wire


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(field.name for field in dataclasses.fields(cls))
    return names
