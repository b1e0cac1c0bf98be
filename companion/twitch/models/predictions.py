"""Predictions: Prediction, PredictionOutcome, Predictor.

Helix: statuses ACTIVE, LOCKED, RESOLVED, CANCELED and colours BLUE/PINK. EventSub sends
them in lower case, has no ``status`` in begin/progress/lock events (the event type says
it), calls ``created_at`` ``started_at`` and gives ``locks_at`` instead of the window.
Models always hold the Helix spelling.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal, Self

from .. import limits
from ..http import Route
from ..iterators import HTTPAwaitableAsyncIterator
from ..scopes import SCOPES
from . import users
from ._payload import Fields, one_item

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ..http import HTTPHandler
    from .payloads import CreatePredictionBody, EndPredictionBody

__all__ = ["Prediction", "PredictionOutcome", "Predictor"]

_log = logging.getLogger(__name__)

_PATH = "predictions"

# The seed spells CANCELLED; Twitch wants CANCELED.
_END_STATUSES: dict[str, Literal["RESOLVED", "CANCELED", "LOCKED"]] = {
    "RESOLVED": "RESOLVED",
    "CANCELED": "CANCELED",
    "CANCELLED": "CANCELED",
    "LOCKED": "LOCKED",
}


class Predictor:
    """A top predictor of an outcome.

    Attributes:
        user: The viewer.
        channel_points_used: Points they bet.
        channel_points_won: Points won; None (or 0) while open, on a loss or refund.
    """

    __slots__ = ("channel_points_used", "channel_points_won", "user")

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "predictor")
        self.user = users.PartialUser(
            http, f.id("user_id"), login=f.opt_text("user_login"), name=f.opt_text("user_name")
        )
        self.channel_points_used = f.integer("channel_points_used")
        self.channel_points_won = f.opt_integer("channel_points_won")

    def __repr__(self) -> str:
        return f"<Predictor user={self.user.id!r} used={self.channel_points_used}>"


class PredictionOutcome:
    """One outcome of a prediction.

    Attributes:
        id: The outcome id.
        title: Its title.
        color: ``BLUE`` or ``PINK``.
        users: Viewers who bet on it; None when the payload omits it (EventSub progress
            examples leave it out for some outcomes).
        channel_points: Points bet on it; None when omitted.
        top_predictors: Up to 10 top predictors (``[]`` when Twitch says null).
    """

    __slots__ = ("channel_points", "color", "id", "title", "top_predictors", "users")

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "outcome")
        self.id = f.id("id")
        self.title = f.text("title")
        self.color = f.text("color").upper()
        self.users = f.opt_integer("users")
        self.channel_points = f.opt_integer("channel_points")
        self.top_predictors = [
            Predictor(http, item) for item in f.items("top_predictors", required=False)
        ]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PredictionOutcome):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<PredictionOutcome id={self.id!r} title={self.title!r}>"


class Prediction:
    """A channel points prediction.

    Attributes:
        id: The prediction id.
        broadcaster: The channel (the seed calls it ``user``; both names work).
        title: The question.
        outcomes: 2-10 outcomes.
        status: ``ACTIVE``, ``LOCKED``, ``RESOLVED`` or ``CANCELED``.
        winning_outcome_id: Set when RESOLVED, else None.
        prediction_window: Seconds the prediction takes bets; None if unknown (EventSub
            gives ``locks_at`` instead, from which it is computed when present).
        created_at: When it started.
        locks_at: When betting closes (EventSub begin/progress), else None.
        locked_at: When it was locked, or None.
        ended_at: When it was resolved or canceled, or None.
    """

    __slots__ = (
        "_http",
        "broadcaster",
        "created_at",
        "ended_at",
        "id",
        "locked_at",
        "locks_at",
        "outcomes",
        "prediction_window",
        "status",
        "title",
        "winning_outcome_id",
    )

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        self._http = http
        f = Fields(data, "prediction")
        self._read_common(f, eventsub=False)
        self.status = f.text("status").upper()
        self.prediction_window: int | None = f.integer("prediction_window")
        self.created_at: datetime = f.time("created_at")
        self.locks_at: datetime | None = None
        self.locked_at = f.opt_time("locked_at")
        self.ended_at = f.opt_time("ended_at")

    @classmethod
    def from_eventsub(cls, http: HTTPHandler, event: Any, *, status: str | None = None) -> Self:
        """Build from a ``channel.prediction.*`` event.

        Args:
            http: The HTTP handler.
            event: The notification's ``event`` object.
            status: The status the event type implies (``"ACTIVE"`` for begin/progress,
                ``"LOCKED"`` for lock). Without it: the event's ``status`` if present, else
                LOCKED when it has ``locked_at``, else ACTIVE.
        """
        prediction = cls.__new__(cls)
        prediction._http = http
        f = Fields(event, "event")
        prediction._read_common(f, eventsub=True)
        if status is not None:
            prediction.status = status.upper()
        elif f.opt_text("status") is not None:
            prediction.status = f.text("status").upper()
        else:
            prediction.status = "LOCKED" if f.has("locked_at") else "ACTIVE"
        prediction.created_at = f.time("started_at")
        prediction.locks_at = f.opt_time("locks_at")
        prediction.locked_at = f.opt_time("locked_at")
        prediction.ended_at = f.opt_time("ended_at")
        prediction.prediction_window = (
            round((prediction.locks_at - prediction.created_at).total_seconds())
            if prediction.locks_at is not None
            else None
        )
        return prediction

    def _read_common(self, f: Fields, *, eventsub: bool) -> None:
        self.id = f.id("id")
        self.broadcaster = users.PartialUser.from_fields(
            self._http, f, "broadcaster", eventsub=eventsub
        )
        self.title = f.text("title")
        self.winning_outcome_id = f.opt_id("winning_outcome_id")
        self.outcomes = [PredictionOutcome(self._http, item) for item in f.items("outcomes")]

    @property
    def user(self) -> users.PartialUser:
        """The channel (the seed's name for :attr:`broadcaster`)."""
        return self.broadcaster

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Prediction):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Prediction id={self.id!r} status={self.status!r} title={self.title!r}>"


def get_predictions(
    http: HTTPHandler,
    user: users.PartialUser,
    ids: Sequence[str] | None = None,
    *,
    limit: int | None = None,
    page_size: int | None = None,
    after: str | None = None,
) -> HTTPAwaitableAsyncIterator[Prediction]:
    """Get Predictions (``ids``: at most 25; pages of at most 25)."""
    if ids is not None:
        limits.PREDICTION_IDS_PER_CALL.check(ids)
    size = limits.PREDICTIONS_PAGE_SIZE.check(
        page_size or limits.PREDICTIONS_PAGE_SIZE.maximum or 25
    )
    route = Route("GET", _PATH, params={"broadcaster_id": user.id, "id": list(ids or ())})
    name = "PartialUser.get_predictions"
    return HTTPAwaitableAsyncIterator(
        http,
        route,
        lambda item: Prediction(http, item),
        page_size=size,
        limit=limit,
        cursor=after,
        user=user,
        scopes=SCOPES[name],
        name=name,
    )


async def create_prediction(
    http: HTTPHandler,
    user: users.PartialUser,
    title: str,
    outcomes: Sequence[str],
    prediction_window: int,
) -> Prediction:
    """Create Prediction after checking title, outcomes and window against :mod:`limits`."""
    limits.PREDICTION_TITLE.check(title)
    limits.check_prediction_outcomes(outcomes)
    limits.PREDICTION_WINDOW.check(prediction_window)
    body: CreatePredictionBody = {
        "broadcaster_id": user.id,
        "title": title,
        "outcomes": [{"title": outcome} for outcome in outcomes],
        "prediction_window": prediction_window,
    }
    name = "PartialUser.create_prediction"
    data = await http.request(
        Route("POST", _PATH, json=body), user=user, scopes=SCOPES[name], name=name
    )
    return Prediction(http, one_item(data, "prediction"))


async def end_prediction(
    http: HTTPHandler,
    user: users.PartialUser,
    prediction_id: str,
    status: Literal["RESOLVED", "CANCELED", "CANCELLED", "LOCKED"],
    winning_outcome_id: str | None = None,
) -> Prediction:
    """End Prediction: LOCKED, RESOLVED (needs ``winning_outcome_id``) or CANCELED."""
    wanted = _END_STATUSES.get(status.upper())
    if wanted is None:
        raise ValueError(f"status must be RESOLVED, CANCELED or LOCKED, not {status!r}")
    if wanted == "RESOLVED" and not winning_outcome_id:
        raise ValueError("winning_outcome_id is required to resolve a prediction")
    body: EndPredictionBody = {"broadcaster_id": user.id, "id": prediction_id, "status": wanted}
    if winning_outcome_id is not None and wanted == "RESOLVED":
        body["winning_outcome_id"] = winning_outcome_id
    name = "PartialUser.end_prediction"
    data = await http.request(
        Route("PATCH", _PATH, json=body), user=user, scopes=SCOPES[name], name=name
    )
    return Prediction(http, one_item(data, "prediction"))
