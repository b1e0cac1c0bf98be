"""Subscriptions: SubscriptionEvent.

Sources: Get Broadcaster Subscriptions (``GET /subscriptions``) and the EventSub
``channel.subscribe``, ``channel.subscription.gift`` and ``channel.subscription.message``
events. The seed's source (the old subscription-events endpoint) no longer exists. The
reference holds no example of these EventSub events; the fields read here are the ones the
Helix item shares with them plus each event's own, all optional except the broadcaster.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from ..http import Route
from ..iterators import HTTPAwaitableAsyncIterator
from ._extra_common import EXTRA_LIMITS, EXTRA_SCOPES, Keyed, opt_partial_user, page_size
from ._payload import Fields

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..http import HTTPHandler
    from .users import PartialUser, User

__all__ = ["SubscriptionEvent", "fetch_subscriptions"]

_log = logging.getLogger(__name__)

_GIFT = "channel.subscription.gift"
_MESSAGE = "channel.subscription.message"


class SubscriptionEvent(Keyed):
    """A subscription to a channel.

    Fed by Get Broadcaster Subscriptions (``GET /subscriptions``) and EventSub
    ``channel.subscribe``, ``channel.subscription.gift`` and ``channel.subscription.message``;
    the seed's source, the old subscription-events endpoint, no longer exists.

    Args:
        http: The HTTP handler.
        data: One Get Broadcaster Subscriptions item.
        broadcaster: The channel, if already known.

    Attributes:
        broadcaster: The channel subscribed to.
        user: The subscriber; None for ``channel.subscription.gift`` (the recipients are
            not named there).
        tier: ``"1000"``, ``"2000"`` or ``"3000"``.
        plan_name: The subscription's name (Helix only), else None.
        is_gift: Whether it was gifted.
        gifter: Who gifted it, or None (not a gift, or anonymous).
        type: The EventSub type that delivered it, or None for Helix.
        total: Subscriptions gifted in this event (gift events), else None.
        cumulative_total: Gifts by this gifter ever, if shared (gift events), else None.
        is_anonymous: Whether the gift was anonymous.
        message: The resub message text (message events), else None.
        cumulative_months: Months subscribed in total (message events), else None.
        streak_months: Current streak, if shared (message events), else None.
        duration_months: Months bought at once (message events), else None.
    """

    __slots__ = (
        "broadcaster",
        "cumulative_months",
        "cumulative_total",
        "duration_months",
        "gifter",
        "is_anonymous",
        "is_gift",
        "message",
        "plan_name",
        "streak_months",
        "tier",
        "total",
        "type",
        "user",
    )

    def __init__(
        self,
        http: HTTPHandler,
        data: Any,
        broadcaster: User | PartialUser | None = None,
    ) -> None:
        f = Fields(data, "subscription")
        self._blank()
        self.broadcaster = broadcaster or _need(opt_partial_user(http, f, "broadcaster"), f)
        self.user = opt_partial_user(http, f, "user")
        self.tier = f.text("tier")
        self.plan_name = f.opt_text("plan_name")
        self.is_gift = f.flag("is_gift")
        self.gifter = opt_partial_user(http, f, "gifter")

    def _blank(self) -> None:
        self.type: str | None = None
        self.total: int | None = None
        self.cumulative_total: int | None = None
        self.is_anonymous = False
        self.message: str | None = None
        self.cumulative_months: int | None = None
        self.streak_months: int | None = None
        self.duration_months: int | None = None
        self.plan_name = None
        self.gifter = None

    @classmethod
    def from_eventsub(cls, http: HTTPHandler, subscription_type: str, event: Any) -> Self:
        """Build from a ``channel.subscribe``, ``.subscription.gift`` or ``.message`` event."""
        f = Fields(event, "event")
        sub = cls.__new__(cls)
        sub._blank()
        sub.type = subscription_type
        sub.broadcaster = _need(opt_partial_user(http, f, "broadcaster", eventsub=True), f)
        actor = opt_partial_user(http, f, "user", eventsub=True)
        sub.tier = f.text("tier")
        sub.is_anonymous = bool(f.opt_flag("is_anonymous", False))
        if subscription_type == _GIFT:
            sub.user = None
            sub.gifter = None if sub.is_anonymous else actor
            sub.is_gift = True
            sub.total = f.opt_integer("total")
            sub.cumulative_total = f.opt_integer("cumulative_total")
        else:
            sub.user = actor
            sub.is_gift = bool(f.opt_flag("is_gift", False))
        if subscription_type == _MESSAGE:
            message = f.opt_obj("message")
            sub.message = message.opt_text("text") if message is not None else None
            sub.cumulative_months = f.opt_integer("cumulative_months")
            sub.streak_months = f.opt_integer("streak_months")
            sub.duration_months = f.opt_integer("duration_months")
        return sub

    def _key(self) -> Any:
        user = self.user.id if self.user is not None else None
        return (self.broadcaster.id, user, self.type, self.tier)

    def __repr__(self) -> str:
        user = self.user.id if self.user is not None else None
        return f"<SubscriptionEvent to={self.broadcaster.id!r} user={user!r} tier={self.tier}>"


def _need(user: PartialUser | None, f: Fields) -> PartialUser:
    if user is None:
        from ..errors import PayloadError

        raise PayloadError("the broadcaster is missing", field=f.path)
    return user


def fetch_subscriptions(
    http: HTTPHandler,
    broadcaster: PartialUser,
    user_ids: Sequence[str] | None = None,
    *,
    limit: int | None = None,
    page_size_: int | None = None,
) -> HTTPAwaitableAsyncIterator[SubscriptionEvent]:
    """Get Broadcaster Subscriptions (``user_ids``: at most 100)."""
    if user_ids is not None:
        EXTRA_LIMITS["subscriber_user_ids"].check(user_ids)
    name = "PartialUser.fetch_subscriptions"
    route = Route(
        "GET",
        "subscriptions",
        params={"broadcaster_id": broadcaster.id, "user_id": list(user_ids or ())},
    )
    return HTTPAwaitableAsyncIterator(
        http,
        route,
        lambda item: SubscriptionEvent(http, item, broadcaster),
        page_size=page_size("subs_page_size", page_size_),
        limit=limit,
        user=broadcaster,
        scopes=EXTRA_SCOPES[name],
        name=name,
    )
