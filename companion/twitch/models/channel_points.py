"""Channel points: custom rewards and their redemptions.

Helix spells statuses in upper case (``UNFULFILLED``, ``FULFILLED``, ``CANCELED``); EventSub
in lower case. Models always hold the Helix spelling. The seed spells ``CANCELLED``; methods
accept it and send Twitch's ``CANCELED``.

Only the app (client id) that created a reward may change it or its redemptions (403
otherwise); deleting a reward marks its UNFULFILLED redemptions FULFILLED.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, Self

from .. import limits
from ..http import Route
from ..iterators import HTTPAwaitableAsyncIterator
from ..scopes import SCOPES
from . import users
from ._payload import Fields, data_list, one_item, utc_z_time

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import datetime

    from ..http import HTTPHandler
    from .payloads import CreateRewardBody, UpdateRedemptionBody, UpdateRewardBody

__all__ = [
    "CustomReward",
    "CustomRewardRedemption",
    "PartialCustomReward",
    "RewardImage",
    "normalize_redemption_status",
]

_log = logging.getLogger(__name__)

RedemptionStatusArg = Literal["UNFULFILLED", "FULFILLED", "CANCELED", "CANCELLED"]

_REWARDS = "channel_points/custom_rewards"
_REDEMPTIONS = "channel_points/custom_rewards/redemptions"


_SETTABLE_STATUSES: dict[str, Literal["FULFILLED", "CANCELED"]] = {
    "FULFILLED": "FULFILLED",
    "CANCELED": "CANCELED",
}


#: The types an optional text may have in a decoded payload (null, or a string).
_TEXT_OR_NULL: Final = frozenset({str, type(None)})

#: Statuses already in the Helix spelling (normalizing them changes nothing).
_HELIX_STATUSES: Final = frozenset({"UNFULFILLED", "FULFILLED", "CANCELED"})


def normalize_redemption_status(status: str) -> str:
    """Helix spelling of a redemption status: upper case, ``CANCELLED`` -> ``CANCELED``."""
    upper = status.upper()
    return "CANCELED" if upper == "CANCELLED" else upper


@dataclass(frozen=True, slots=True)
class RewardImage:
    """The three sizes of a reward image."""

    url_1x: str
    url_2x: str
    url_4x: str

    @classmethod
    def from_fields(cls, fields: Fields) -> RewardImage:
        """Read ``url_1x``, ``url_2x`` and ``url_4x``."""
        return cls(fields.text("url_1x"), fields.text("url_2x"), fields.text("url_4x"))


def _image(fields: Fields, key: str) -> RewardImage | None:
    nested = fields.opt_obj(key)
    return None if nested is None else RewardImage.from_fields(nested)


class CustomReward:
    """A custom reward (Get/Create/Update Custom Reward, or an EventSub reward event).

    Attributes:
        id: The reward id.
        broadcaster: The channel.
        title: The title.
        prompt: The prompt, or None.
        cost: Cost in channel points.
        background_color: Hex colour like ``#9147FF``, or None.
        enabled: Whether viewers see it.
        input_required: Whether the viewer must type text.
        max_per_stream: (enabled, maximum).
        max_per_user_stream: (enabled, maximum).
        global_cooldown: (enabled, seconds).
        paused: When True, viewers cannot redeem it.
        in_stock: False while the limits or cooldown stop redemptions.
        redemptions_skip_queue: Redemptions are FULFILLED at once instead of UNFULFILLED.
        redemptions_current_stream: Redemptions this stream, or None (offline / no limit).
        cooldown_until: When the cooldown ends, or None.
        image: The custom image, else the default image (as the seed describes).
        custom_image: The uploaded image, or None.
        default_image: Twitch's default image, or None.
    """

    __slots__ = (
        "_http",
        "background_color",
        "broadcaster",
        "cooldown_until",
        "cost",
        "custom_image",
        "default_image",
        "enabled",
        "global_cooldown",
        "id",
        "in_stock",
        "input_required",
        "max_per_stream",
        "max_per_user_stream",
        "paused",
        "prompt",
        "redemptions_current_stream",
        "redemptions_skip_queue",
        "title",
    )

    def __init__(self, http: HTTPHandler, obj: Any, user: users.PartialUser | None = None) -> None:
        self._http = http
        self._read(Fields(obj, "reward"), user, eventsub=False)

    @classmethod
    def from_eventsub(cls, http: HTTPHandler, event: Any) -> Self:
        """Build from a ``channel.channel_points_custom_reward.*`` event."""
        reward = cls.__new__(cls)
        reward._http = http
        reward._read(Fields(event, "event"), None, eventsub=True)
        return reward

    def _read(self, f: Fields, user: users.PartialUser | None, *, eventsub: bool) -> None:
        self.broadcaster = (
            user
            if user is not None
            else users.PartialUser.from_fields(self._http, f, "broadcaster", eventsub=eventsub)
        )
        self.id = f.id("id")
        self.title = f.text("title")
        self.prompt = f.opt_text("prompt")
        self.cost = f.integer("cost")
        self.background_color = f.opt_text("background_color")
        self.enabled = f.flag("is_enabled")
        self.input_required = f.flag("is_user_input_required")
        self.paused = f.flag("is_paused")
        self.in_stock = f.flag("is_in_stock")
        self.redemptions_skip_queue = f.flag("should_redemptions_skip_request_queue")
        self.redemptions_current_stream = f.opt_integer("redemptions_redeemed_current_stream")
        self.cooldown_until = f.opt_time("cooldown_expires_at")
        self.custom_image = _image(f, "image")
        self.default_image = _image(f, "default_image")
        if eventsub:
            # EventSub: {"is_enabled", "value"} / {"is_enabled", "seconds"} objects.
            per_stream = f.obj("max_per_stream")
            per_user = f.obj("max_per_user_per_stream")
            cooldown = f.obj("global_cooldown")
            self.max_per_stream = (per_stream.flag("is_enabled"), per_stream.integer("value"))
            self.max_per_user_stream = (per_user.flag("is_enabled"), per_user.integer("value"))
            self.global_cooldown = (cooldown.flag("is_enabled"), cooldown.integer("seconds"))
        else:
            per_stream = f.obj("max_per_stream_setting")
            per_user = f.obj("max_per_user_per_stream_setting")
            cooldown = f.obj("global_cooldown_setting")
            self.max_per_stream = (
                per_stream.flag("is_enabled"),
                per_stream.integer("max_per_stream"),
            )
            self.max_per_user_stream = (
                per_user.flag("is_enabled"),
                per_user.integer("max_per_user_per_stream"),
            )
            self.global_cooldown = (
                cooldown.flag("is_enabled"),
                cooldown.integer("global_cooldown_seconds"),
            )

    @property
    def image(self) -> RewardImage | None:
        """The custom image if one was uploaded, else the default one."""
        return self.custom_image or self.default_image

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CustomReward):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<CustomReward id={self.id!r} title={self.title!r} cost={self.cost}>"

    async def edit(
        self,
        title: str | None = None,
        prompt: str | None = None,
        cost: int | None = None,
        background_color: str | None = None,
        enabled: bool | None = None,
        input_required: bool | None = None,
        max_per_stream_enabled: bool | None = None,
        max_per_stream: int | None = None,
        max_per_user_per_stream_enabled: bool | None = None,
        max_per_user_per_stream: int | None = None,
        global_cooldown_enabled: bool | None = None,
        global_cooldown: int | None = None,
        paused: bool | None = None,
        redemptions_skip_queue: bool | None = None,
    ) -> Self:
        """Change the given fields (only they are sent) and return this reward, updated.

        Raises:
            LimitError: A value breaks a documented limit (nothing sent).
            Forbidden: Another app created this reward.
            NotFound: The reward no longer exists.
        """
        # Every value is checked before anything is sent; only given fields are sent.
        body: UpdateRewardBody = {}
        if title is not None:
            body["title"] = limits.REWARD_TITLE.check(title)
        if prompt is not None:
            body["prompt"] = limits.REWARD_PROMPT.check(prompt)
        if cost is not None:
            body["cost"] = limits.REWARD_COST.check(cost)
        if background_color is not None:
            body["background_color"] = background_color
        if enabled is not None:
            body["is_enabled"] = enabled
        if input_required is not None:
            body["is_user_input_required"] = input_required
        if max_per_stream_enabled is not None:
            body["is_max_per_stream_enabled"] = max_per_stream_enabled
        if max_per_stream is not None:
            body["max_per_stream"] = limits.REWARD_MAX_PER_STREAM.check(max_per_stream)
        if max_per_user_per_stream_enabled is not None:
            body["is_max_per_user_per_stream_enabled"] = max_per_user_per_stream_enabled
        if max_per_user_per_stream is not None:
            body["max_per_user_per_stream"] = limits.REWARD_MAX_PER_USER_PER_STREAM.check(
                max_per_user_per_stream
            )
        if global_cooldown_enabled is not None:
            body["is_global_cooldown_enabled"] = global_cooldown_enabled
        if global_cooldown is not None:
            body["global_cooldown_seconds"] = limits.REWARD_GLOBAL_COOLDOWN.check(global_cooldown)
        if paused is not None:
            body["is_paused"] = paused
        if redemptions_skip_queue is not None:
            body["should_redemptions_skip_request_queue"] = redemptions_skip_queue
        route = Route(
            "PATCH",
            _REWARDS,
            params={"broadcaster_id": self.broadcaster.id, "id": self.id},
            json=body,
        )
        name = "CustomReward.edit"
        data = await self._http.request(
            route, user=self.broadcaster, scopes=SCOPES[name], name=name
        )
        self._read(one_item(data, "custom reward"), self.broadcaster, eventsub=False)
        return self

    async def delete(self) -> None:
        """Delete the reward (its UNFULFILLED redemptions become FULFILLED, no refunds)."""
        route = Route(
            "DELETE", _REWARDS, params={"broadcaster_id": self.broadcaster.id, "id": self.id}
        )
        name = "CustomReward.delete"
        await self._http.request(route, user=self.broadcaster, scopes=SCOPES[name], name=name)

    def get_redemptions(
        self,
        status: RedemptionStatusArg | None = "UNFULFILLED",
        sort: Literal["OLDEST", "NEWEST"] = "OLDEST",
        *,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
        after: str | None = None,
    ) -> HTTPAwaitableAsyncIterator[CustomRewardRedemption]:
        """This reward's redemptions: ``await`` for a list, ``async for`` to page lazily.

        The seed documents this as a coroutine returning the iterator; here it returns the
        iterator directly so ``await`` means the same as ``async for`` (one list of results).
        """
        return get_redemptions(
            self._http,
            self.broadcaster,
            self.id,
            status,
            sort,
            ids=ids,
            limit=limit,
            page_size=page_size,
            after=after,
            parent=self,
            name="CustomReward.get_redemptions",
        )


class PartialCustomReward:
    """The reward as a redemption describes it.

    Read-only: the redemptions of one listing share one (see :class:`_Shared`), so
    assigning to an attribute raises AttributeError instead of changing them all.

    Attributes:
        id: The reward id.
        title: Its title.
        prompt: Its prompt, or None.
        cost: Its cost.
    """

    __slots__ = ("_cost", "_id", "_prompt", "_title")

    def __init__(self, fields: Fields) -> None:
        self._id = fields.id("id")
        self._title = fields.text("title")
        self._prompt = fields.opt_text("prompt")
        self._cost = fields.integer("cost")

    @classmethod
    def from_values(cls, id: str, title: str, prompt: str | None, cost: int) -> Self:
        """Build from values already read and checked (a redemption's fast path)."""
        reward = cls.__new__(cls)
        reward._id, reward._title, reward._prompt, reward._cost = id, title, prompt, cost
        return reward

    @property
    def id(self) -> str:
        """The reward id."""
        return self._id

    @property
    def title(self) -> str:
        """Its title."""
        return self._title

    @property
    def prompt(self) -> str | None:
        """Its prompt, or None."""
        return self._prompt

    @property
    def cost(self) -> int:
        """Its cost."""
        return self._cost

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PartialCustomReward | CustomReward):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<PartialCustomReward id={self.id!r} title={self.title!r}>"


class _Shared:
    """The parts the items of one redemption listing have in common, built once.

    Get Custom Reward Redemption lists the redemptions of one reward of one channel
    (``broadcaster_id`` and ``reward_id`` are required), so every item names the same
    broadcaster and the same reward. Each item reuses the objects of the item before when
    the values are equal, and builds (and keeps) new ones when not: sharing never changes
    a value, and both classes refuse assignment, so no item can change another's.

    Attributes:
        broadcaster: The last broadcaster built, or None.
        broadcaster_key: Its id, login and name.
        reward: The last reward built, or None.
        reward_key: Its id, title, prompt and cost.
    """

    __slots__ = ("broadcaster", "broadcaster_key", "reward", "reward_key")

    def __init__(self) -> None:
        self.broadcaster: users.PartialUser | None = None
        self.reward: PartialCustomReward | None = None
        # The values each was built from, compared as tuples: cheaper than reading them
        # back through the models' read-only properties on every item.
        self.broadcaster_key: tuple[str, str | None, str | None] | None = None
        self.reward_key: tuple[str, str, str | None, int] | None = None


class CustomRewardRedemption:
    """A redemption of a custom reward.

    Attributes:
        id: The redemption id.
        broadcaster: The channel.
        user: The viewer who redeemed.
        input: What the viewer typed, or None.
        status: ``UNFULFILLED``, ``FULFILLED`` or ``CANCELED`` (EventSub adds ``UNKNOWN``).
        redeemed_at: When it was redeemed.
        reward: The reward: the parent :class:`CustomReward` when fetched through one, else
            a :class:`PartialCustomReward`.
    """

    __slots__ = ("_http", "broadcaster", "id", "input", "redeemed_at", "reward", "status", "user")

    def __init__(self, http: HTTPHandler, obj: Any, parent: CustomReward | None = None) -> None:
        self._http = http
        if type(obj) is not dict or not self._read_plain(obj, parent, None):
            self._read(Fields(obj, "redemption"), parent, eventsub=False)

    @classmethod
    def _listing_reader(
        cls, http: HTTPHandler, parent: CustomReward | None
    ) -> Callable[[Any], CustomRewardRedemption]:
        """What reads the items of one listing, sharing their broadcaster and reward.

        Each item read is equal to ``cls(http, item, parent)`` in every value; its
        broadcaster and reward are the very objects of the item before when their values
        are the same (see :class:`_Shared`).
        """
        shared = _Shared()
        new = cls.__new__

        # A closure, not a lambda over a classmethod: one Python call less per item.
        def read(obj: Any) -> CustomRewardRedemption:
            redemption = new(cls)
            redemption._http = http
            if type(obj) is not dict or not redemption._read_plain(obj, parent, shared):
                redemption._read(Fields(obj, "redemption"), parent, eventsub=False)
            return redemption

        return read

    @classmethod
    def from_eventsub(cls, http: HTTPHandler, event: Any) -> Self:
        """Build from a ``channel.channel_points_custom_reward_redemption.*`` event."""
        redemption = cls.__new__(cls)
        redemption._http = http
        redemption._read(Fields(event, "event"), None, eventsub=True)
        return redemption

    def _read(self, f: Fields, parent: CustomReward | None, *, eventsub: bool) -> None:
        self.id = f.id("id")
        self.broadcaster = users.PartialUser.from_fields(
            self._http, f, "broadcaster", eventsub=eventsub
        )
        self.user = users.PartialUser(
            self._http,
            f.id("user_id"),
            login=f.opt_text("user_login"),
            name=f.opt_text("user_name"),
        )
        self.input = f.opt_text("user_input")
        self.status = normalize_redemption_status(f.text("status"))
        self.redeemed_at: datetime = f.time("redeemed_at")
        partial = PartialCustomReward(f.obj("reward"))
        self.reward: CustomReward | PartialCustomReward = (
            parent if parent is not None and parent.id == partial.id else partial
        )

    def _read_plain(
        self, d: dict[str, Any], parent: CustomReward | None, shared: _Shared | None = None
    ) -> bool:
        """Read a Helix redemption whose every field has the plainest documented form.

        Paging reads thousands of these (a page of 50 in about 0.3 ms through :class:`Fields`,
        which calls a function per field). This reads the same fields with the same rules in
        one function: every documented field present, ids non-empty strings, texts strings
        (``""`` -> None), the time in the UTC ``Z`` form, the cost an int. On anything else
        it returns False, having set nothing, and :meth:`_read` reads the item again through
        :class:`Fields`, which accepts the other documented forms (absent optional fields,
        integer ids, other time zones) and raises :class:`PayloadError` naming the field; so
        this path can only be faster, never more lenient.

        With ``shared`` (a listing's), the broadcaster and the reward are the objects of the
        item before when their values are equal (see :class:`_Shared`).
        """
        # Subscripts, not .get(): the documented item and the simulator's carry every field
        # (null when unset), and a missing one (KeyError) or a reward that is no object
        # (TypeError) is the general reader's to handle or word.
        try:
            rid, bid, uid = d["id"], d["broadcaster_id"], d["user_id"]
            b_login, b_name = d["broadcaster_login"], d["broadcaster_name"]
            u_login, u_name, u_input = d["user_login"], d["user_name"], d["user_input"]
            status, reward, when = d["status"], d["reward"], d["redeemed_at"]
            reward_id, title = reward["id"], reward["title"]
            prompt, cost = reward["prompt"], reward["cost"]
        except (KeyError, TypeError):
            return False
        if not (
            type(rid) is str
            and rid
            and type(bid) is str
            and bid
            and type(uid) is str
            and uid
            and type(b_login) in _TEXT_OR_NULL
            and type(b_name) in _TEXT_OR_NULL
            and type(u_login) in _TEXT_OR_NULL
            and type(u_name) in _TEXT_OR_NULL
            and type(u_input) in _TEXT_OR_NULL
            and type(status) is str
            and type(reward) is dict
            and type(reward_id) is str
            and reward_id
            and type(title) is str
            and type(prompt) in _TEXT_OR_NULL
            and type(cost) is int
        ):
            return False
        redeemed_at = utc_z_time(when)
        if redeemed_at is None:
            return False
        http = self._http
        b_login, b_name, prompt = b_login or None, b_name or None, prompt or None
        self.id = rid
        if shared is None:
            broadcaster = users.PartialUser(http, bid, b_login, b_name)
        elif shared.broadcaster_key == (bid, b_login, b_name) and shared.broadcaster is not None:
            broadcaster = shared.broadcaster
        else:
            broadcaster = shared.broadcaster = users.PartialUser(http, bid, b_login, b_name)
            shared.broadcaster_key = (bid, b_login, b_name)
        self.broadcaster = broadcaster
        self.user = users.PartialUser(http, uid, u_login or None, u_name or None)
        self.input = u_input or None
        self.status = status if status in _HELIX_STATUSES else normalize_redemption_status(status)
        self.redeemed_at = redeemed_at
        if parent is not None and parent.id == reward_id:
            self.reward = parent
            return True
        if shared is None:
            shared_reward = PartialCustomReward.from_values(reward_id, title, prompt, cost)
        elif shared.reward_key == (reward_id, title, prompt, cost) and shared.reward is not None:
            shared_reward = shared.reward
        else:
            shared_reward = PartialCustomReward.from_values(reward_id, title, prompt, cost)
            shared.reward, shared.reward_key = shared_reward, (reward_id, title, prompt, cost)
        self.reward = shared_reward
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CustomRewardRedemption):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<CustomRewardRedemption id={self.id!r} status={self.status!r}>"

    async def _set_status(self, status: Literal["FULFILLED", "CANCELED"], name: str) -> Self:
        body: UpdateRedemptionBody = {"status": status}
        route = Route(
            "PATCH",
            _REDEMPTIONS,
            params={
                "id": self.id,
                "broadcaster_id": self.broadcaster.id,
                "reward_id": self.reward.id,
            },
            json=body,
        )
        data = await self._http.request(
            route, user=self.broadcaster, scopes=SCOPES[name], name=name
        )
        parent = self.reward if isinstance(self.reward, CustomReward) else None
        self._read(one_item(data, "redemption"), parent, eventsub=False)
        return self

    async def fulfill(self) -> Self:
        """Mark FULFILLED (only from UNFULFILLED); returns this redemption, updated."""
        return await self._set_status("FULFILLED", "CustomRewardRedemption.fulfill")

    async def refund(self) -> Self:
        """Mark CANCELED, which refunds the points; returns this redemption, updated."""
        return await self._set_status("CANCELED", "CustomRewardRedemption.refund")


# -- requests used by PartialUser ------------------------------------------------------


async def get_custom_rewards(
    http: HTTPHandler,
    user: users.PartialUser,
    *,
    only_manageable: bool = False,
    ids: Sequence[str] | None = None,
) -> list[CustomReward]:
    """Get Custom Reward (``ids``: at most 50)."""
    if ids is not None:
        limits.REWARD_IDS_PER_CALL.check(ids)
    route = Route(
        "GET",
        _REWARDS,
        params={
            "broadcaster_id": user.id,
            "id": list(ids or ()),
            "only_manageable_rewards": True if only_manageable else None,
        },
    )
    name = "PartialUser.get_custom_rewards"
    data = await http.request(route, user=user, scopes=SCOPES[name], name=name)
    return [CustomReward(http, item.data, user) for item in data_list(data, "response")]


async def create_custom_reward(
    http: HTTPHandler,
    user: users.PartialUser,
    *,
    title: str,
    cost: int,
    prompt: str | None = None,
    enabled: bool = True,
    background_color: str | None = None,
    input_required: bool = False,
    max_per_stream: int | None = None,
    max_per_user_per_stream: int | None = None,
    global_cooldown: int | None = None,
    redemptions_skip_queue: bool = False,
) -> CustomReward:
    """Create Custom Rewards; every argument is checked against :mod:`limits` first."""
    limits.REWARD_TITLE.check(title)
    limits.REWARD_COST.check(cost)
    # Only what differs from Twitch's defaults is sent, like the documented example body.
    body: CreateRewardBody = {"title": title, "cost": cost}
    if not enabled:
        body["is_enabled"] = False
    if input_required:
        body["is_user_input_required"] = True
    if redemptions_skip_queue:
        body["should_redemptions_skip_request_queue"] = True
    if prompt is not None:
        body["prompt"] = limits.REWARD_PROMPT.check(prompt)
    if background_color is not None:
        body["background_color"] = background_color
    if max_per_stream is not None:
        body["is_max_per_stream_enabled"] = True
        body["max_per_stream"] = limits.REWARD_MAX_PER_STREAM.check(max_per_stream)
    if max_per_user_per_stream is not None:
        body["is_max_per_user_per_stream_enabled"] = True
        body["max_per_user_per_stream"] = limits.REWARD_MAX_PER_USER_PER_STREAM.check(
            max_per_user_per_stream
        )
    if global_cooldown is not None:
        body["is_global_cooldown_enabled"] = True
        body["global_cooldown_seconds"] = limits.REWARD_GLOBAL_COOLDOWN.check(global_cooldown)
    route = Route("POST", _REWARDS, params={"broadcaster_id": user.id}, json=body)
    name = "PartialUser.create_custom_reward"
    data = await http.request(route, user=user, scopes=SCOPES[name], name=name)
    return CustomReward(http, one_item(data, "custom reward"), user)


def get_redemptions(
    http: HTTPHandler,
    user: users.PartialUser,
    reward_id: str,
    status: RedemptionStatusArg | None = "UNFULFILLED",
    sort: Literal["OLDEST", "NEWEST"] = "OLDEST",
    *,
    ids: Sequence[str] | None = None,
    limit: int | None = None,
    page_size: int | None = None,
    after: str | None = None,
    parent: CustomReward | None = None,
    name: str = "PartialUser.get_redemptions",
) -> HTTPAwaitableAsyncIterator[CustomRewardRedemption]:
    """Get Custom Reward Redemption as an iterator (``status`` is required unless ``ids``)."""
    if ids is not None:
        limits.REDEMPTION_IDS_PER_CALL.check(ids)
    elif status is None:
        raise ValueError("status is required unless ids are given")
    size = limits.REDEMPTIONS_PAGE_SIZE.check(
        page_size or limits.REDEMPTIONS_PAGE_SIZE.maximum or 50
    )
    route = Route(
        "GET",
        _REDEMPTIONS,
        params={
            "broadcaster_id": user.id,
            "reward_id": reward_id,
            "status": normalize_redemption_status(status) if status is not None else None,
            "id": list(ids or ()),
            "sort": sort,
        },
    )
    return HTTPAwaitableAsyncIterator(
        http,
        route,
        # One reader per listing: its items share the broadcaster and reward objects.
        CustomRewardRedemption._listing_reader(http, parent),
        page_size=size,
        limit=limit,
        cursor=after,
        user=user,
        scopes=SCOPES[name],
        name=name,
    )


async def update_redemptions(
    http: HTTPHandler,
    user: users.PartialUser,
    reward_id: str,
    redemption_ids: Iterable[str],
    status: Literal["FULFILLED", "CANCELED", "CANCELLED"],
) -> list[CustomRewardRedemption]:
    """Update Redemption Status for any number of ids, sent 50 per request, in order.

    Duplicate ids are sent once. Batches go one after another; if one fails, the earlier
    batches stay applied and the error is raised with ``completed`` (the redemptions
    already updated) attached to it.
    """
    wanted = _SETTABLE_STATUSES.get(normalize_redemption_status(status))
    if wanted is None:
        raise ValueError(f"status must be FULFILLED or CANCELED, not {status!r}")
    body: UpdateRedemptionBody = {"status": wanted}
    unique = list(dict.fromkeys(redemption_ids))
    size = limits.REDEMPTION_IDS_PER_CALL.maximum or 50
    name = "PartialUser.update_redemptions"
    done: list[CustomRewardRedemption] = []
    for start in range(0, len(unique), size):
        batch = unique[start : start + size]
        route = Route(
            "PATCH",
            _REDEMPTIONS,
            params={"id": batch, "broadcaster_id": user.id, "reward_id": reward_id},
            json=body,
        )
        try:
            data = await http.request(route, user=user, scopes=SCOPES[name], name=name)
        except Exception as exc:
            exc.completed = list(done)  # type: ignore[attr-defined]  # documented extra
            raise
        done.extend(CustomRewardRedemption(http, item.data) for item in data_list(data, "response"))
    return done
