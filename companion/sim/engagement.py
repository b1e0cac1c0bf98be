"""Predictions, polls and creator goals."""

from __future__ import annotations

import logging
from typing import Any, Final

from .base import StateBase
from .errors import SimError, bad_request, not_found
from .ids import decode_cursor, encode_cursor, rfc3339
from .records import ChannelRecord, PollRecord, PredictionRecord

_log = logging.getLogger(__name__)

# Documented limits (SOURCES.md: Create Prediction, Get Predictions, Create Poll, Get Polls).
PREDICTION_TITLE_MAX: Final = 45
OUTCOMES_MIN: Final = 2
OUTCOMES_MAX: Final = 10
OUTCOME_TITLE_MAX: Final = 25
PREDICTION_WINDOW_MIN: Final = 30
PREDICTION_WINDOW_MAX: Final = 1800
PREDICTION_IDS_MAX: Final = 25
PREDICTIONS_FIRST_MAX: Final = 25
POLL_TITLE_MAX: Final = 60
CHOICES_MIN: Final = 2
CHOICES_MAX: Final = 5
CHOICE_TITLE_MAX: Final = 25
POLL_DURATION_MIN: Final = 15
POLL_DURATION_MAX: Final = 1800
POINTS_PER_VOTE_MIN: Final = 1
POINTS_PER_VOTE_MAX: Final = 1_000_000
POLL_IDS_MAX: Final = 20
POLLS_FIRST_MAX: Final = 20
FIRST_DEFAULT: Final = 20
# "The broadcaster has 24 h after the window closes to resolve, after which Twitch auto-CANCELs."
RESOLVE_DEADLINE: Final = 24 * 3600
GOAL_DESCRIPTION_MAX: Final = 40
GOAL_TYPES: Final = frozenset(
    {"follower", "subscription", "subscription_count", "new_subscription", "new_subscription_count"}
)
TOP_PREDICTORS_MAX: Final = 10


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require(body: dict[str, Any], *names: str) -> None:
    for name in names:
        if name not in body or body[name] is None:
            raise bad_request(f"The {name} field is required.")


def _title(value: Any, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"The {field} field is required.")
    if len(value) > limit:
        raise bad_request(f"The {field} is too long (maximum {limit} characters).")
    return value


def _paginate(records: list[Any], after: str | None, first: int) -> tuple[list[Any], str | None]:
    """Newest-first pages over records that carry ``seq``; cursors survive inserts."""
    ordered = sorted(records, key=lambda r: r.seq, reverse=True)
    if after:
        cur = decode_cursor(after)
        if cur is None or not isinstance(cur.get("s"), int):
            raise bad_request("The cursor specified in the after query parameter is not valid.")
        ordered = [r for r in ordered if r.seq < cur["s"]]
    page = ordered[:first]
    cursor = encode_cursor({"s": page[-1].seq}) if len(ordered) > first else None
    return page, cursor


class EngagementState(StateBase):
    """Predictions, polls and goals of every channel."""

    # -- predictions -------------------------------------------------------------------------

    def create_prediction(self, broadcaster_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create Prediction. Validates everything first; only one may run at a time."""
        _require(body, "title", "outcomes", "prediction_window")
        ch = self.channel(broadcaster_id)
        title = _title(body["title"], "title", PREDICTION_TITLE_MAX)
        outcomes = body["outcomes"]
        if not isinstance(outcomes, list) or not OUTCOMES_MIN <= len(outcomes) <= OUTCOMES_MAX:
            raise bad_request(
                f"The prediction must have from {OUTCOMES_MIN} to {OUTCOMES_MAX} outcomes."
            )
        titles = []
        for outcome in outcomes:
            if not isinstance(outcome, dict):
                raise bad_request("Each outcome must be an object with a title.")
            titles.append(_title(outcome.get("title"), "outcome's title", OUTCOME_TITLE_MAX))
        window = body["prediction_window"]
        if not _is_int(window) or not PREDICTION_WINDOW_MIN <= window <= PREDICTION_WINDOW_MAX:
            raise bad_request(
                "The value in prediction_window is outside the allowed range of values"
                f" ({PREDICTION_WINDOW_MIN}-{PREDICTION_WINDOW_MAX})."
            )
        if ch.running_prediction is not None:
            raise bad_request(
                "The broadcaster already has a prediction that's running; you may not create"
                " another prediction until the current prediction is resolved or canceled."
            )
        now = self.now()
        # Documented: with 2 outcomes the first is BLUE and the second PINK; with more, all BLUE.
        colors = ["BLUE", "PINK"] if len(titles) == 2 else ["BLUE"] * len(titles)
        data: dict[str, Any] = {
            "id": self.ids.uuid(),
            **self.broadcaster_fields(broadcaster_id),
            "title": title,
            "winning_outcome_id": None,
            "outcomes": [
                {
                    "id": self.ids.uuid(),
                    "title": t,
                    "users": 0,
                    "channel_points": 0,
                    "top_predictors": None,
                    "color": c,
                }
                for t, c in zip(titles, colors, strict=True)
            ],
            "prediction_window": window,
            "status": "ACTIVE",
            "created_at": rfc3339(now, nanos=True),
            "ended_at": None,
            "locked_at": None,
        }
        rec = PredictionRecord(data["id"], self.next_seq(), data, now + window)
        ch.predictions[rec.id] = rec
        ch.running_prediction = rec.id
        self.prediction_index[rec.id] = rec
        out = _copy_prediction(data)
        self.emit("prediction.begin", broadcaster_id, out)
        return out

    def get_predictions(
        self, broadcaster_id: str, ids: list[str], after: str | None, first: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Get Predictions: most recent first, paginated."""
        ch = self.channel(broadcaster_id)
        if len(set(ids)) > PREDICTION_IDS_MAX:
            raise bad_request(f"You may specify a maximum of {PREDICTION_IDS_MAX} id parameters.")
        if ids:
            recs = [ch.predictions[i] for i in dict.fromkeys(ids) if i in ch.predictions]
        else:
            recs = list(ch.predictions.values())
        page, cursor = _paginate(recs, after, first)
        return [_copy_prediction(r.data) for r in page], cursor

    def end_prediction(self, broadcaster_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """End Prediction: lock, resolve or cancel, following the documented transitions."""
        _require(body, "id", "status")
        ch = self.channel(broadcaster_id)
        status = body["status"]
        if status not in ("RESOLVED", "CANCELED", "LOCKED"):
            raise bad_request("The value in the status field is not valid.")
        rec = ch.predictions.get(body["id"]) if isinstance(body["id"], str) else None
        if rec is None:
            raise not_found("The prediction in the id field was not found.")
        winner = body.get("winning_outcome_id")
        if winner is not None and not isinstance(winner, str):
            # A list or object here reached a set lookup and answered 500 (issue 20, item 15).
            raise bad_request("The winning_outcome_id field must be a string.")
        if status == "RESOLVED":
            if winner is None:
                raise bad_request("The winning_outcome_id field is required if status is RESOLVED.")
            if winner not in {o["id"] for o in rec.data["outcomes"]}:
                raise not_found("The outcome in the winning_outcome_id field was not found.")
        current = rec.data["status"]
        if status == "LOCKED" and current != "ACTIVE":
            raise bad_request(
                "To update the prediction's status to LOCKED, its current status must be ACTIVE."
            )
        if status != "LOCKED" and current not in ("ACTIVE", "LOCKED"):
            raise bad_request(
                "To update the prediction's status to RESOLVED or CANCELED, its current status"
                " must be ACTIVE or LOCKED."
            )
        return self._transition_prediction(ch, rec, status, winner)

    def _transition_prediction(
        self, ch: ChannelRecord, rec: PredictionRecord, status: str, winner: str | None
    ) -> dict[str, Any]:
        previous = _copy_prediction(rec.data)
        now = self.now()
        d = rec.data
        d["status"] = status
        if status == "LOCKED":
            d["locked_at"] = rfc3339(now, nanos=True)
            kind = "prediction.lock"
        else:
            d["ended_at"] = rfc3339(now, nanos=True)
            d["winning_outcome_id"] = winner if status == "RESOLVED" else None
            ch.running_prediction = None
            self._settle(rec, winner if status == "RESOLVED" else None)
            kind = "prediction.end"
        out = _copy_prediction(d)
        self.emit(kind, ch.broadcaster_id, out, previous)
        return out

    def _settle(self, rec: PredictionRecord, winner: str | None) -> None:
        """Fill ``channel_points_won``: winners share the whole pot pro rata, others get 0."""
        outcomes = rec.data["outcomes"]
        pot = sum(o["channel_points"] for o in outcomes)
        winning_pot = next((o["channel_points"] for o in outcomes if o["id"] == winner), 0)
        for o in outcomes:
            for p in o["top_predictors"] or []:
                if o["id"] == winner and winning_pot:
                    p["channel_points_won"] = p["channel_points_used"] * pot // winning_pot
                else:
                    p["channel_points_won"] = 0

    def predict(
        self, prediction_id: str, user_id: str, outcome_id: str, points: int
    ) -> dict[str, Any]:
        """A viewer puts ``points`` on an outcome of an ACTIVE prediction.

        Raises:
            SimError: 404 unknown prediction/outcome/user; 400 if not ACTIVE, points < 1, or
                the viewer already backed another outcome.
        """
        rec = self.prediction_index.get(prediction_id)
        if rec is None:
            raise not_found("prediction not found")
        user = self.users.get(user_id)
        if user is None:
            raise not_found(f"user {user_id} not found")
        outcome = next((o for o in rec.data["outcomes"] if o["id"] == outcome_id), None)
        if outcome is None:
            raise not_found("outcome not found")
        if rec.data["status"] != "ACTIVE":
            raise bad_request("The prediction is not accepting predictions.")
        if not _is_int(points) or points < 1:
            raise bad_request("points must be at least 1")
        prior = rec.bets.get(user_id)
        if prior is not None and prior[0] != outcome_id:
            raise bad_request("The viewer already predicted another outcome.")
        previous = _copy_prediction(rec.data)
        used = (prior[1] if prior else 0) + points
        rec.bets[user_id] = (outcome_id, used)
        if prior is None:
            outcome["users"] += 1
        outcome["channel_points"] += points
        top = [
            {
                "user_id": uid,
                "user_login": self.users[uid]["login"],
                "user_name": self.users[uid]["display_name"],
                "channel_points_used": pts,
                # Helix's table: 0 if the outcome lost or was refunded; null until settled is
                # EventSub's wording. We use 0 until the prediction ends.
                "channel_points_won": 0,
            }
            for uid, (oid, pts) in rec.bets.items()
            if oid == outcome_id
        ]
        top.sort(key=lambda p: p["channel_points_used"], reverse=True)
        outcome["top_predictors"] = top[:TOP_PREDICTORS_MAX]
        out = _copy_prediction(rec.data)
        self.emit("prediction.progress", rec.data["broadcaster_id"], out, previous)
        return out

    # -- polls -------------------------------------------------------------------------------

    def create_poll(self, broadcaster_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create Poll. Validates everything first; only one may be active at a time."""
        _require(body, "title", "choices", "duration")
        ch = self.channel(broadcaster_id)
        title = _title(body["title"], "title", POLL_TITLE_MAX)
        choices = body["choices"]
        if not isinstance(choices, list) or not CHOICES_MIN <= len(choices) <= CHOICES_MAX:
            raise bad_request(
                f"The number of choices in the poll may not be less than {CHOICES_MIN} or"
                f" greater than {CHOICES_MAX}."
            )
        titles = []
        for choice in choices:
            if not isinstance(choice, dict):
                raise bad_request("Each choice must be an object with a title.")
            titles.append(_title(choice.get("title"), "choice's title", CHOICE_TITLE_MAX))
        duration = body["duration"]
        if not _is_int(duration) or not POLL_DURATION_MIN <= duration <= POLL_DURATION_MAX:
            raise bad_request(
                "The value in duration is outside the allowed range of values"
                f" ({POLL_DURATION_MIN}-{POLL_DURATION_MAX})."
            )
        cp_enabled = body.get("channel_points_voting_enabled", False)
        if not isinstance(cp_enabled, bool):
            raise bad_request("The channel_points_voting_enabled field must be a boolean.")
        per_vote = body.get("channel_points_per_vote", 0)
        if cp_enabled and (
            not _is_int(per_vote) or not POINTS_PER_VOTE_MIN <= per_vote <= POINTS_PER_VOTE_MAX
        ):
            raise bad_request(
                "The value in channel_points_per_vote is outside the allowed range of values"
                f" ({POINTS_PER_VOTE_MIN}-{POINTS_PER_VOTE_MAX})."
            )
        if ch.active_poll is not None:
            raise bad_request(
                "The broadcaster already has a poll that's running; you may not create another"
                " poll until the current poll completes."
            )
        now = self.now()
        data: dict[str, Any] = {
            "id": self.ids.uuid(),
            **self.broadcaster_fields(broadcaster_id),
            "title": title,
            "choices": [
                {
                    "id": self.ids.uuid(),
                    "title": t,
                    "votes": 0,
                    "channel_points_votes": 0,
                    "bits_votes": 0,
                }
                for t in titles
            ],
            # Documented "Not used": bits voting is always off.
            "bits_voting_enabled": False,
            "bits_per_vote": 0,
            "channel_points_voting_enabled": cp_enabled,
            "channel_points_per_vote": per_vote if cp_enabled else 0,
            "status": "ACTIVE",
            "duration": duration,
            "started_at": rfc3339(now, nanos=True),
            # The field table says null while ACTIVE (the examples omit it); we send null.
            "ended_at": None,
        }
        rec = PollRecord(data["id"], self.next_seq(), data, now + duration)
        ch.polls[rec.id] = rec
        ch.active_poll = rec.id
        self.poll_index[rec.id] = rec
        out = _copy_poll(data)
        self.emit("poll.begin", broadcaster_id, out)
        return out

    def get_polls(
        self, broadcaster_id: str, ids: list[str], after: str | None, first: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Get Polls: most recent first; 404 if ids were given and none was found."""
        ch = self.channel(broadcaster_id)
        if len(set(ids)) > POLL_IDS_MAX:
            raise bad_request(f"You may specify a maximum of {POLL_IDS_MAX} id parameters.")
        if ids:
            recs = [ch.polls[i] for i in dict.fromkeys(ids) if i in ch.polls]
            if not recs:
                raise not_found("None of the IDs in the id query parameters were found.")
        else:
            recs = list(ch.polls.values())
        page, cursor = _paginate(recs, after, first)
        return [_copy_poll(r.data) for r in page], cursor

    def end_poll(self, broadcaster_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """End Poll: TERMINATED or ARCHIVED; the poll must be active."""
        _require(body, "id", "status")
        ch = self.channel(broadcaster_id)
        status = body["status"]
        if status not in ("TERMINATED", "ARCHIVED"):
            raise bad_request("The value in the status field is not valid.")
        rec = ch.polls.get(body["id"]) if isinstance(body["id"], str) else None
        if rec is None:
            raise not_found("The poll in the id field was not found.")
        if rec.data["status"] != "ACTIVE":
            raise bad_request("The poll must be active to terminate or archive it.")
        return self._finish_poll(ch, rec, status)

    def _finish_poll(self, ch: ChannelRecord, rec: PollRecord, status: str) -> dict[str, Any]:
        previous = _copy_poll(rec.data)
        rec.data["status"] = status
        rec.data["ended_at"] = rfc3339(self.now(), nanos=True)
        ch.active_poll = None
        out = _copy_poll(rec.data)
        self.emit("poll.end", ch.broadcaster_id, out, previous)
        return out

    def vote(self, poll_id: str, choice_id: str, votes: int = 1) -> dict[str, Any]:
        """Viewers cast ``votes`` for a choice of an ACTIVE poll.

        Raises:
            SimError: 404 unknown poll/choice; 400 if not ACTIVE or votes < 1.
        """
        rec = self.poll_index.get(poll_id)
        if rec is None:
            raise not_found("poll not found")
        choice = next((c for c in rec.data["choices"] if c["id"] == choice_id), None)
        if choice is None:
            raise not_found("choice not found")
        if rec.data["status"] != "ACTIVE":
            raise bad_request("The poll is not active.")
        if not _is_int(votes) or votes < 1:
            raise bad_request("votes must be at least 1")
        previous = _copy_poll(rec.data)
        choice["votes"] += votes
        if rec.data["channel_points_voting_enabled"]:
            choice["channel_points_votes"] += votes
        out = _copy_poll(rec.data)
        self.emit("poll.progress", rec.data["broadcaster_id"], out, previous)
        return out

    # -- goals -------------------------------------------------------------------------------

    def create_goal(
        self,
        broadcaster_id: str,
        type: str = "follower",
        description: str = "",
        target_amount: int = 100,
        current_amount: int = 0,
    ) -> dict[str, Any]:
        """Start a creator goal (Helix Get Creator Goals shape); emits ``goal.begin``."""
        ch = self.channel(broadcaster_id)
        if type not in GOAL_TYPES:
            raise bad_request(f"goal type must be one of {sorted(GOAL_TYPES)}")
        if len(description) > GOAL_DESCRIPTION_MAX:
            raise bad_request(f"goal description is limited to {GOAL_DESCRIPTION_MAX} characters")
        if not _is_int(target_amount) or target_amount < 1 or not _is_int(current_amount):
            raise bad_request("target_amount must be at least 1")
        goal_id = self.ids.goal_id()
        now = self.now()
        goal: dict[str, Any] = {
            "id": goal_id,
            **self.broadcaster_fields(broadcaster_id),
            "type": type,
            "description": description,
            "current_amount": current_amount,
            "target_amount": target_amount,
            "created_at": rfc3339(now),
        }
        ch.goals[goal_id] = goal
        ch.goal_started[goal_id] = now
        self.goal_index[goal_id] = broadcaster_id
        self.emit("goal.begin", broadcaster_id, dict(goal), exact_times=_goal_start(ch, goal_id))
        return dict(goal)

    def _goal(self, goal_id: str) -> tuple[ChannelRecord, dict[str, Any]]:
        broadcaster_id = self.goal_index.get(goal_id)
        if broadcaster_id is None:
            raise not_found("goal not found")
        ch = self.channels[broadcaster_id]
        return ch, ch.goals[goal_id]

    def goal_progress(self, goal_id: str, amount: int) -> dict[str, Any]:
        """Add ``amount`` (may be negative, e.g. unfollows) to a goal's current amount."""
        ch, goal = self._goal(goal_id)
        if not _is_int(amount):
            raise bad_request("amount must be an integer")
        previous = dict(goal)
        goal["current_amount"] = max(0, goal["current_amount"] + amount)
        self.emit(
            "goal.progress",
            ch.broadcaster_id,
            dict(goal),
            previous,
            exact_times=_goal_start(ch, goal_id),
        )
        return dict(goal)

    def end_goal(self, goal_id: str) -> dict[str, Any]:
        """End a goal: it leaves Get Creator Goals; emits ``goal.end`` with its last shape."""
        ch, goal = self._goal(goal_id)
        exact = _goal_start(ch, goal_id)
        del ch.goals[goal_id]
        del ch.goal_started[goal_id]
        del self.goal_index[goal_id]
        self.emit("goal.end", ch.broadcaster_id, dict(goal), dict(goal), exact_times=exact)
        return dict(goal)

    def get_goals(self, broadcaster_id: str) -> list[dict[str, Any]]:
        """Get Creator Goals: the channel's active goals."""
        return [dict(g) for g in self.channel(broadcaster_id).goals.values()]

    # -- timers ------------------------------------------------------------------------------

    def tick(self) -> None:
        """Apply timers: lock predictions whose window closed, cancel ones unresolved for 24 h
        after locking, complete polls whose duration ran out."""
        now = self.now()
        for ch in self.channels.values():
            if ch.running_prediction is not None:
                rec = ch.predictions[ch.running_prediction]
                if rec.data["status"] == "ACTIVE" and now >= rec.locks_at:
                    self._transition_prediction(ch, rec, "LOCKED", None)
                elif rec.data["status"] == "LOCKED" and now >= rec.locks_at + RESOLVE_DEADLINE:
                    self._transition_prediction(ch, rec, "CANCELED", None)
            if ch.active_poll is not None:
                poll = ch.polls[ch.active_poll]
                if now >= poll.ends_at:
                    self._finish_poll(ch, poll, "COMPLETED")


def _copy_prediction(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    out["outcomes"] = [
        {
            **o,
            "top_predictors": (
                [dict(p) for p in o["top_predictors"]] if o["top_predictors"] else None
            ),
        }
        for o in data["outcomes"]
    ]
    return out


def _copy_poll(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    out["choices"] = [dict(c) for c in data["choices"]]
    return out


__all__ = ["EngagementState", "SimError"]


def _goal_start(ch: ChannelRecord, goal_id: str) -> dict[str, str]:
    """The goal's start to the nanosecond, as EventSub sends it (Helix: whole seconds)."""
    return {"created_at": rfc3339(ch.goal_started[goal_id], nanos=True)}
