"""Polls: Poll and PollChoice.

Helix has flat ``bits_voting_enabled``/``channel_points_per_vote`` fields and a ``duration``;
EventSub nests them (``channel_points_voting: {is_enabled, amount_per_vote}``) and gives
``ends_at``. Statuses are upper case in Helix and lower case in EventSub; models hold the
Helix spelling. Bits voting is documented as "not supported" (false/0) but kept as read.
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
    from .payloads import CreatePollBody, EndPollBody

__all__ = ["Poll", "PollChoice"]

_log = logging.getLogger(__name__)

_PATH = "polls"

_END_STATUSES: dict[str, Literal["TERMINATED", "ARCHIVED"]] = {
    "TERMINATED": "TERMINATED",
    "ARCHIVED": "ARCHIVED",
}


class PollChoice:
    """One choice of a poll.

    Attributes:
        id: The choice id.
        title: Its title.
        votes: Total votes; None when the payload omits them (EventSub begin).
        channel_points_votes: Votes bought with channel points; None when omitted.
        bits_votes: Votes bought with bits (unused by Twitch); None when omitted.
    """

    __slots__ = ("bits_votes", "channel_points_votes", "id", "title", "votes")

    def __init__(self, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "choice")
        self.id = f.id("id")
        self.title = f.text("title")
        self.votes = f.opt_integer("votes")
        self.channel_points_votes = f.opt_integer("channel_points_votes")
        self.bits_votes = f.opt_integer("bits_votes")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PollChoice):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<PollChoice id={self.id!r} title={self.title!r} votes={self.votes}>"


class Poll:
    """A poll.

    Attributes:
        id: The poll id.
        broadcaster: The channel.
        title: The question.
        choices: 2-5 choices.
        status: ``ACTIVE``, ``COMPLETED``, ``TERMINATED``, ``ARCHIVED``, ``MODERATED`` or
            ``INVALID``.
        duration: Seconds the poll runs; None if unknown.
        channel_points_voting_enabled: Whether extra votes can be bought with points.
        channel_points_per_vote: Points per extra vote.
        bits_voting_enabled: Always false per Twitch (kept as read).
        bits_per_vote: Always 0 per Twitch (kept as read).
        started_at: When it started.
        ends_at: When it will end (EventSub begin/progress), else None.
        ended_at: When it ended, or None (Helix examples omit it while ACTIVE).
    """

    __slots__ = (
        "_http",
        "bits_per_vote",
        "bits_voting_enabled",
        "broadcaster",
        "channel_points_per_vote",
        "channel_points_voting_enabled",
        "choices",
        "duration",
        "ended_at",
        "ends_at",
        "id",
        "started_at",
        "status",
        "title",
    )

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        self._http = http
        f = Fields(data, "poll")
        self._read_common(f, eventsub=False)
        self.status = f.text("status").upper()
        self.duration: int | None = f.integer("duration")
        self.bits_voting_enabled = f.flag("bits_voting_enabled")
        self.bits_per_vote = f.integer("bits_per_vote")
        self.channel_points_voting_enabled = f.flag("channel_points_voting_enabled")
        self.channel_points_per_vote = f.integer("channel_points_per_vote")
        self.ends_at: datetime | None = None
        self.ended_at = f.opt_time("ended_at")

    @classmethod
    def from_eventsub(cls, http: HTTPHandler, event: Any, *, status: str | None = None) -> Self:
        """Build from a ``channel.poll.*`` event (status ACTIVE unless the event has one)."""
        poll = cls.__new__(cls)
        poll._http = http
        f = Fields(event, "event")
        poll._read_common(f, eventsub=True)
        given = status if status is not None else f.opt_text("status")
        poll.status = given.upper() if given is not None else "ACTIVE"
        bits = f.opt_obj("bits_voting")
        points = f.opt_obj("channel_points_voting")
        poll.bits_voting_enabled = bool(bits and bits.flag("is_enabled"))
        poll.bits_per_vote = bits.integer("amount_per_vote") if bits else 0
        poll.channel_points_voting_enabled = bool(points and points.flag("is_enabled"))
        poll.channel_points_per_vote = points.integer("amount_per_vote") if points else 0
        poll.ends_at = f.opt_time("ends_at")
        poll.ended_at = f.opt_time("ended_at")
        # Only begin/progress say when the poll is due to end; an end event's ended_at is
        # when it really ended (early if terminated), which is not the configured duration.
        poll.duration = (
            round((poll.ends_at - poll.started_at).total_seconds()) if poll.ends_at else None
        )
        return poll

    def _read_common(self, f: Fields, *, eventsub: bool) -> None:
        self.id = f.id("id")
        self.broadcaster = users.PartialUser.from_fields(
            self._http, f, "broadcaster", eventsub=eventsub
        )
        self.title = f.text("title")
        self.choices = [PollChoice(item) for item in f.items("choices")]
        self.started_at: datetime = f.time("started_at")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Poll):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<Poll id={self.id!r} status={self.status!r} title={self.title!r}>"


def get_polls(
    http: HTTPHandler,
    user: users.PartialUser,
    ids: Sequence[str] | None = None,
    *,
    limit: int | None = None,
    page_size: int | None = None,
    after: str | None = None,
) -> HTTPAwaitableAsyncIterator[Poll]:
    """Get Polls (``ids``: at most 20; pages of at most 20)."""
    if ids is not None:
        limits.POLL_IDS_PER_CALL.check(ids)
    size = limits.POLLS_PAGE_SIZE.check(page_size or limits.POLLS_PAGE_SIZE.maximum or 20)
    route = Route("GET", _PATH, params={"broadcaster_id": user.id, "id": list(ids or ())})
    name = "PartialUser.get_polls"
    return HTTPAwaitableAsyncIterator(
        http,
        route,
        lambda item: Poll(http, item),
        page_size=size,
        limit=limit,
        cursor=after,
        user=user,
        scopes=SCOPES[name],
        name=name,
    )


async def create_poll(
    http: HTTPHandler,
    user: users.PartialUser,
    title: str,
    choices: Sequence[str],
    duration: int,
    channel_points_per_vote: int | None = None,
) -> Poll:
    """Create Poll after checking every argument against :mod:`limits`."""
    limits.POLL_TITLE.check(title)
    limits.check_poll_choices(choices)
    limits.POLL_DURATION.check(duration)
    body: CreatePollBody = {
        "broadcaster_id": user.id,
        "title": title,
        "choices": [{"title": choice} for choice in choices],
        "duration": duration,
    }
    if channel_points_per_vote is not None:
        body["channel_points_voting_enabled"] = True
        body["channel_points_per_vote"] = limits.POLL_CHANNEL_POINTS_PER_VOTE.check(
            channel_points_per_vote
        )
    name = "PartialUser.create_poll"
    data = await http.request(
        Route("POST", _PATH, json=body), user=user, scopes=SCOPES[name], name=name
    )
    return Poll(http, one_item(data, "poll"))


async def end_poll(
    http: HTTPHandler,
    user: users.PartialUser,
    poll_id: str,
    status: Literal["TERMINATED", "ARCHIVED"],
) -> Poll:
    """End Poll: TERMINATED (stays visible) or ARCHIVED (hidden)."""
    wanted = _END_STATUSES.get(status.upper())
    if wanted is None:
        raise ValueError(f"status must be TERMINATED or ARCHIVED, not {status!r}")
    body: EndPollBody = {"broadcaster_id": user.id, "id": poll_id, "status": wanted}
    name = "PartialUser.end_poll"
    data = await http.request(
        Route("PATCH", _PATH, json=body), user=user, scopes=SCOPES[name], name=name
    )
    return Poll(http, one_item(data, "poll"))
