"""Stream schedule (Get Channel Stream Schedule): Schedule, ScheduleSegment, ScheduleVacation."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..http import Route
from ..timeutil import format_timestamp
from ._extra_common import EXTRA_LIMITS, EXTRA_SCOPES, Keyed, page_size, partial_user
from ._payload import Fields

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from ..http import HTTPHandler
    from .users import PartialUser

__all__ = ["Schedule", "ScheduleCategory", "ScheduleSegment", "ScheduleVacation"]

_log = logging.getLogger(__name__)


class ScheduleCategory(Keyed):
    """The category planned for a segment.

    Attributes:
        id: The category id.
        name: Its name.
    """

    __slots__ = ("id", "name")

    def __init__(self, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "category")
        self.id = f.id("id")
        self.name = f.text("name")

    def _key(self) -> Any:
        return self.id

    def __repr__(self) -> str:
        return f"<ScheduleCategory id={self.id!r} name={self.name!r}>"


class ScheduleSegment(Keyed):
    """One scheduled broadcast.

    Attributes:
        id: The segment id.
        start_time: When it starts.
        end_time: When it ends, or None.
        title: Its title.
        canceled_until: For a cancelled recurring segment, the date of the next one; else None.
        category: What will be streamed, or None.
        is_recurring: Whether it repeats weekly.
    """

    __slots__ = (
        "canceled_until",
        "category",
        "end_time",
        "id",
        "is_recurring",
        "start_time",
        "title",
    )

    def __init__(self, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "segment")
        self.id = f.id("id")
        self.start_time: datetime = f.time("start_time")
        self.end_time = f.opt_time("end_time")
        self.title = f.text("title")
        self.canceled_until = f.opt_time("canceled_until")
        category = f.opt_obj("category")
        self.category = ScheduleCategory(category) if category is not None else None
        self.is_recurring = f.flag("is_recurring")

    def _key(self) -> Any:
        return self.id

    def __repr__(self) -> str:
        return f"<ScheduleSegment id={self.id!r} start_time={self.start_time} title={self.title!r}>"


class ScheduleVacation(Keyed):
    """A vacation in the schedule.

    Attributes:
        start_time: When it starts, or None when Twitch sends ``""`` for it.
        end_time: When it ends, or None likewise.
    """

    __slots__ = ("end_time", "start_time")

    def __init__(self, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "vacation")
        # Documented as null when vacation mode is off; an object whose times are "" (as
        # issue 17 reports Twitch sending) reads the same way, through the one parser.
        self.start_time: datetime | None = f.opt_time("start_time")
        self.end_time: datetime | None = f.opt_time("end_time")

    @property
    def is_set(self) -> bool:
        """True when the vacation has at least one of its times."""
        return self.start_time is not None or self.end_time is not None

    def _key(self) -> Any:
        return (self.start_time, self.end_time)

    def __repr__(self) -> str:
        return f"<ScheduleVacation {self.start_time} - {self.end_time}>"


class Schedule(Keyed):
    """A channel's stream schedule (one page of its segments).

    Attributes:
        segments: The segments on this page.
        user: The channel.
        vacation: The vacation, or None when vacation mode is off (``vacation`` null, or
            sent with both times ``""``).
        cursor: Cursor of the next page of segments, or None.
    """

    __slots__ = ("cursor", "segments", "user", "vacation")

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        body = Fields(data, "")
        f = body.obj("data")
        self.user = partial_user(http, f, "broadcaster")
        self.segments = [ScheduleSegment(item) for item in f.items("segments", required=False)]
        vacation = f.opt_obj("vacation")
        read = ScheduleVacation(vacation) if vacation is not None else None
        # A vacation whose times are both "" is no vacation: vacation mode is off.
        self.vacation = read if read is not None and read.is_set else None
        # The documented schema puts pagination inside data; accept it at the top level too.
        pagination = f.opt_obj("pagination") or body.opt_obj("pagination")
        self.cursor = pagination.opt_text("cursor") if pagination is not None else None

    def _key(self) -> Any:
        return (self.user.id, tuple(s.id for s in self.segments))

    def __repr__(self) -> str:
        return f"<Schedule user={self.user.id!r} segments={len(self.segments)}>"


async def fetch_schedule(
    http: HTTPHandler,
    broadcaster: PartialUser,
    segment_ids: Sequence[str] | None = None,
    start_time: datetime | None = None,
    *,
    first: int | None = None,
    after: str | None = None,
) -> Schedule:
    """Get Channel Stream Schedule (one page; ``Schedule.cursor`` continues it).

    Raises:
        NotFound: The broadcaster has not created a schedule.
    """
    if segment_ids is not None:
        EXTRA_LIMITS["schedule_segment_ids"].check(segment_ids)
    name = "PartialUser.fetch_schedule"
    route = Route(
        "GET",
        "schedule",
        params={
            "broadcaster_id": broadcaster.id,
            "id": list(segment_ids or ()),
            "start_time": format_timestamp(start_time) if start_time else None,
            "first": page_size("schedule_page_size", first),
            "after": after,
        },
    )
    body = await http.request(route, user=broadcaster, scopes=EXTRA_SCOPES[name], name=name)
    return Schedule(http, body)
