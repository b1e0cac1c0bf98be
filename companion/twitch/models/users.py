"""Users: BaseUser (an id), PartialUser (an id plus the methods) and User (Get Users).

The panel methods live on :class:`PartialUser` as one-liners over the area modules
(channel points, predictions, polls, goals, extensions), which hold the requests and models.
The area modules and this one import each other as modules and only look names up at call
time, so either may be imported first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from . import channel_points, extensions, goals, polls, predictions, streams
from ._extras import UserExtrasMixin
from ._payload import Fields

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from datetime import datetime

    from ..http import HTTPHandler
    from ..iterators import HTTPAwaitableAsyncIterator

__all__ = ["BaseUser", "PartialUser", "User"]

_log = logging.getLogger(__name__)


class BaseUser:
    """Just a user id, for methods that need to know whose token to use.

    Args:
        id: The user id (an int is turned into text; Twitch ids are opaque strings).

    A user's id is read-only, like :class:`PartialUser`'s login and name: a model says
    what a payload said, and one object may stand for the same user in many places (the
    broadcaster of every item of a listing, see ``channel_points._Shared``), so assigning
    to one must not silently change the others. It raises AttributeError instead.
    """

    __slots__ = ("_id",)

    def __init__(self, id: int | str) -> None:  # the seed's parameter name
        self._id = str(id)

    @property
    def id(self) -> str:
        """The user id (read-only)."""
        return self._id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseUser):
            return NotImplemented
        return self.id == other.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.id!r}>"


class PartialUser(UserExtrasMixin, BaseUser):
    """A user with what a payload said about them, and the API methods on their channel.

    Args:
        http: The HTTP handler used by the methods.
        id: The user id.
        login: The login name, if known.
        name: The display name, if known.
    """

    __slots__ = ("_http", "_login", "_name")

    def __init__(
        self,
        http: HTTPHandler,
        id: int | str,  # the seed's parameter name
        login: str | None = None,
        name: str | None = None,
    ) -> None:
        # BaseUser.__init__'s work, inline: one call less for every user of every page.
        self._id = id if type(id) is str else str(id)
        self._http = http
        self._login = login
        self._name = name

    # Read-only, as BaseUser.id is (see BaseUser for why).
    @property
    def login(self) -> str | None:
        """The login name, if known (read-only)."""
        return self._login

    @property
    def name(self) -> str | None:
        """The display name, if known (read-only)."""
        return self._name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} id={self.id!r} login={self.login!r}>"

    @classmethod
    def from_fields(
        cls, http: HTTPHandler, fields: Fields, prefix: str, *, eventsub: bool = False
    ) -> PartialUser:
        """Read ``<prefix>_id``, ``<prefix>_login`` and ``<prefix>_name`` (Helix), or the
        EventSub spelling ``<prefix>_user_id`` etc. when ``eventsub`` is set."""
        stem = f"{prefix}_user" if eventsub else prefix
        return cls(
            http,
            fields.id(f"{stem}_id"),
            login=fields.opt_text(f"{stem}_login"),
            name=fields.opt_text(f"{stem}_name"),
        )

    # -- channel points ------------------------------------------------------------------

    async def get_custom_rewards(
        self, *, only_manageable: bool = False, ids: Sequence[str] | None = None
    ) -> list[channel_points.CustomReward]:
        """The channel's rewards (``only_manageable``: those this app created)."""
        return await channel_points.get_custom_rewards(
            self._http, self, only_manageable=only_manageable, ids=ids
        )

    async def create_custom_reward(
        self,
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
    ) -> channel_points.CustomReward:
        """Create a reward; a limit given (not None) is also enabled."""
        return await channel_points.create_custom_reward(
            self._http,
            self,
            title=title,
            cost=cost,
            prompt=prompt,
            enabled=enabled,
            background_color=background_color,
            input_required=input_required,
            max_per_stream=max_per_stream,
            max_per_user_per_stream=max_per_user_per_stream,
            global_cooldown=global_cooldown,
            redemptions_skip_queue=redemptions_skip_queue,
        )

    def get_redemptions(
        self,
        reward_id: str,
        status: channel_points.RedemptionStatusArg | None = "UNFULFILLED",
        sort: Literal["OLDEST", "NEWEST"] = "OLDEST",
        *,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
        after: str | None = None,
    ) -> HTTPAwaitableAsyncIterator[channel_points.CustomRewardRedemption]:
        """Redemptions of one reward (``await`` for a list, ``async for`` to page)."""
        return channel_points.get_redemptions(
            self._http,
            self,
            reward_id,
            status,
            sort,
            ids=ids,
            limit=limit,
            page_size=page_size,
            after=after,
        )

    async def update_redemptions(
        self,
        reward_id: str,
        redemption_ids: Iterable[str],
        status: Literal["FULFILLED", "CANCELED", "CANCELLED"],
    ) -> list[channel_points.CustomRewardRedemption]:
        """Set the status of any number of UNFULFILLED redemptions, 50 ids per request."""
        return await channel_points.update_redemptions(
            self._http, self, reward_id, redemption_ids, status
        )

    # -- predictions ---------------------------------------------------------------------

    def get_predictions(
        self,
        ids: Sequence[str] | None = None,
        *,
        limit: int | None = None,
        page_size: int | None = None,
        after: str | None = None,
    ) -> HTTPAwaitableAsyncIterator[predictions.Prediction]:
        """The channel's predictions, most recent first."""
        return predictions.get_predictions(
            self._http, self, ids, limit=limit, page_size=page_size, after=after
        )

    async def create_prediction(
        self, title: str, outcomes: Sequence[str], prediction_window: int
    ) -> predictions.Prediction:
        """Start a prediction (2-10 outcomes, window 30-1800 s)."""
        return await predictions.create_prediction(
            self._http, self, title, outcomes, prediction_window
        )

    async def end_prediction(
        self,
        prediction_id: str,
        status: Literal["RESOLVED", "CANCELED", "CANCELLED", "LOCKED"],
        winning_outcome_id: str | None = None,
    ) -> predictions.Prediction:
        """Lock, resolve (needs ``winning_outcome_id``) or cancel a prediction."""
        return await predictions.end_prediction(
            self._http, self, prediction_id, status, winning_outcome_id
        )

    # -- polls ---------------------------------------------------------------------------

    def get_polls(
        self,
        ids: Sequence[str] | None = None,
        *,
        limit: int | None = None,
        page_size: int | None = None,
        after: str | None = None,
    ) -> HTTPAwaitableAsyncIterator[polls.Poll]:
        """The channel's polls (available for 90 days)."""
        return polls.get_polls(self._http, self, ids, limit=limit, page_size=page_size, after=after)

    async def create_poll(
        self,
        title: str,
        choices: Sequence[str],
        duration: int,
        channel_points_per_vote: int | None = None,
    ) -> polls.Poll:
        """Start a poll (2-5 choices, 15-1800 s; channel-points voting if a cost is given)."""
        return await polls.create_poll(
            self._http, self, title, choices, duration, channel_points_per_vote
        )

    async def end_poll(self, poll_id: str, status: Literal["TERMINATED", "ARCHIVED"]) -> polls.Poll:
        """End a poll early: TERMINATED keeps it visible, ARCHIVED hides it."""
        return await polls.end_poll(self._http, self, poll_id, status)

    # -- goals, extensions, channel --------------------------------------------------------

    async def get_goals(self) -> list[goals.Goal]:
        """The channel's active creator goals."""
        return await goals.get_goals(self._http, self)

    async def fetch_extensions(self) -> list[extensions.MaybeActiveExtension]:
        """Every extension the user has installed (active or not)."""
        return await extensions.fetch_extensions(self._http, self)

    async def fetch_active_extensions(self) -> extensions.ActiveExtensions:
        """The active extensions by type (panel, overlay, component) and slot ("1", ...)."""
        return await extensions.fetch_active_extensions(self._http, self)

    async def update_extensions(
        self, builder: extensions.ExtensionBuilder
    ) -> extensions.ActiveExtensions:
        """Activate ``builder``'s extensions (slots numbered from "1"; empty types unsent)."""
        return await extensions.update_extensions(self._http, self, builder)

    async def fetch_channel_info(self) -> streams.ChannelInfo:
        """The channel's title, category, language and tags."""
        return await streams.fetch_channel_info(self._http, self)


class User(PartialUser):
    """A user as Get Users describes them.

    Attributes:
        display_name: The display name (same as ``name``).
        type: ``admin``, ``global_mod``, ``staff`` or None.
        broadcaster_type: ``affiliate``, ``partner`` or None.
        description: The channel description, or None.
        profile_image: Profile image URL, or None.
        offline_image: Offline image URL, or None.
        email: Only with ``user:read:email``; else None.
        created_at: When the account was created.
    """

    __slots__ = (
        "broadcaster_type",
        "created_at",
        "description",
        "email",
        "offline_image",
        "profile_image",
        "type",
    )

    def __init__(self, http: HTTPHandler, data: Any) -> None:
        fields = Fields(data, "user")
        super().__init__(
            http, fields.id("id"), login=fields.text("login"), name=fields.text("display_name")
        )
        self.type = fields.opt_text("type")
        self.broadcaster_type = fields.opt_text("broadcaster_type")
        self.description = fields.opt_text("description")
        self.profile_image = fields.opt_text("profile_image_url")
        self.offline_image = fields.opt_text("offline_image_url")
        self.email = fields.opt_text("email")
        self.created_at: datetime = fields.time("created_at")

    @property
    def display_name(self) -> str | None:
        """The display name."""
        return self.name
