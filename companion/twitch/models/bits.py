"""Bits: the leaderboard (BitsLeaderboard, BitLeaderboardUser) and Cheermotes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from ..http import Route
from ..timeutil import format_timestamp
from ._extra_common import EXTRA_LIMITS, EXTRA_SCOPES, Keyed
from ._payload import Fields, data_list
from .users import PartialUser

if TYPE_CHECKING:
    from datetime import datetime

    from ..http import HTTPHandler
    from .users import BaseUser

__all__ = ["BitLeaderboardUser", "BitsLeaderboard", "CheerEmote", "CheerEmoteTier"]

_log = logging.getLogger(__name__)

LeaderboardPeriod = Literal["day", "week", "month", "year", "all"]

#: Nested image URLs: theme (light/dark) -> kind (animated/static) -> scale ("1", "1.5", ...).
CheerImages = dict[str, dict[str, dict[str, str]]]


class BitLeaderboardUser(PartialUser):
    """One leader: every PartialUser method plus ``rank`` and ``score`` (Bits cheered)."""

    __slots__ = ("rank", "score")

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "leader")
        super().__init__(
            http, f.id("user_id"), login=f.opt_text("user_login"), name=f.opt_text("user_name")
        )
        self.rank = f.integer("rank")
        self.score = f.integer("score")

    def __repr__(self) -> str:
        return f"<BitLeaderboardUser id={self.id!r} rank={self.rank} score={self.score}>"


class BitsLeaderboard(Keyed):
    """A Bits leaderboard (Get Bits Leaderboard).

    Attributes:
        started_at: Start of the reporting window; None when no ``started_at`` was asked for
            (Twitch then sends ``""``).
        ended_at: End of the window, or None likewise.
        leaders: The leaders in rank order.
        total: Number of ranked users in ``leaders``.
    """

    __slots__ = ("ended_at", "leaders", "started_at", "total")

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        f = Fields(data, "leaderboard")
        window = f.obj("date_range")
        self.started_at = window.opt_time("started_at")
        self.ended_at = window.opt_time("ended_at")
        self.leaders = [BitLeaderboardUser(http, item) for item in f.items("data")]
        self.total = f.integer("total")

    def _key(self) -> Any:
        return (self.started_at, self.ended_at, tuple((u.id, u.score) for u in self.leaders))

    def __repr__(self) -> str:
        return f"<BitsLeaderboard started_at={self.started_at} leaders={len(self.leaders)}>"


def _images(f: Fields, key: str) -> CheerImages:
    out: CheerImages = {}
    images = f.obj(key)
    for theme in images.data:
        themed = images.obj(theme)
        out[theme] = {}
        for kind in themed.data:
            sized = themed.obj(kind)
            out[theme][kind] = {scale: sized.text(scale) for scale in sized.data}
    return out


class CheerEmoteTier(Keyed):
    """One tier of a Cheermote.

    Attributes:
        min_bits: Fewest Bits cheered at this tier.
        id: The tier (``"1"``, ``"100"``, ... ``"100000"``).
        color: Hex colour, e.g. ``#979797``.
        images: ``images["light"]["animated"]["1"]``: theme, kind, scale -> URL.
        can_cheer: Whether users can cheer at this tier.
        show_in_bits_card: Whether the tier shows in the Bits card.
    """

    __slots__ = ("can_cheer", "color", "id", "images", "min_bits", "show_in_bits_card")

    def __init__(self, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "tier")
        self.min_bits = f.integer("min_bits")
        self.id = f.id("id")
        self.color = f.text("color")
        self.images = _images(f, "images")
        self.can_cheer = f.flag("can_cheer")
        self.show_in_bits_card = f.flag("show_in_bits_card")

    def _key(self) -> Any:
        return (self.id, self.min_bits)

    def __repr__(self) -> str:
        return f"<CheerEmoteTier id={self.id!r} min_bits={self.min_bits}>"


class CheerEmote(Keyed):
    """A Cheermote (Get Cheermotes).

    Attributes:
        prefix: The name part of the cheer string (``Cheer`` in ``Cheer100``).
        tiers: The tiers.
        type: ``global_first_party``, ``global_third_party``, ``channel_custom``,
            ``display_only`` or ``sponsored``.
        order: Order in the Bits card (unique within a type only).
        last_updated: When it last changed.
        is_charitable: Whether it matches charity donations.
    """

    __slots__ = ("_http", "is_charitable", "last_updated", "order", "prefix", "tiers", "type")

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        self._http = http
        f = Fields(data, "cheermote")
        self.prefix = f.text("prefix")
        self.tiers = [CheerEmoteTier(item) for item in f.items("tiers")]
        self.type = f.text("type")
        self.order = f.integer("order")
        self.last_updated: datetime = f.time("last_updated")
        self.is_charitable = bool(f.opt_flag("is_charitable", False))

    def _key(self) -> Any:
        return (self.prefix, self.type)

    def __repr__(self) -> str:
        return f"<CheerEmote prefix={self.prefix!r} type={self.type!r} tiers={len(self.tiers)}>"


async def fetch_bits_leaderboard(
    http: HTTPHandler,
    broadcaster: PartialUser,
    count: int = 10,
    period: LeaderboardPeriod = "all",
    started_at: datetime | None = None,
    user_id: str | None = None,
) -> BitsLeaderboard:
    """Get Bits Leaderboard (``count`` 1-100; ``started_at`` is ignored for ``all``)."""
    EXTRA_LIMITS["bits_leaderboard_count"].check(count)
    name = "PartialUser.fetch_bits_leaderboard"
    route = Route(
        "GET",
        "bits/leaderboard",
        params={
            "count": count,
            "period": period,
            "started_at": format_timestamp(started_at) if started_at is not None else None,
            "user_id": user_id,
        },
    )
    body = await http.request(route, user=broadcaster, scopes=EXTRA_SCOPES[name], name=name)
    return BitsLeaderboard(http, body)


async def fetch_cheermotes(
    http: HTTPHandler, broadcaster_id: str | None = None, *, target: BaseUser | None = None
) -> list[CheerEmote]:
    """Get Cheermotes (global ones, plus the broadcaster's when ``broadcaster_id`` is given)."""
    name = "Client.fetch_cheermotes"
    route = Route("GET", "bits/cheermotes", params={"broadcaster_id": broadcaster_id})
    body = await http.request(route, user=target, scopes=EXTRA_SCOPES[name], name=name)
    return [CheerEmote(http, item.data) for item in data_list(body, "cheermotes")]
