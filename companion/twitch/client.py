"""Client: the entry point the app's services hold.

It owns one :class:`HTTPHandler` (one session, the rate-limit buckets, the token cache) and
hands out :class:`PartialUser` objects whose methods are the panels' API calls.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Self

from . import limits, oauth
from .http import DEFAULT_EVENTSUB_URL, DEFAULT_HELIX_URL, HTTPHandler, Route
from .iterators import HTTPAwaitableAsyncIterator
from .models._extras import ClientExtrasMixin
from .models._payload import data_list
from .models.streams import ChannelInfo, Stream
from .models.users import PartialUser, User
from .scopes import SCOPES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from types import TracebackType

    import aiohttp

    from .models.users import BaseUser
    from .ratelimit import RateLimitStatus
    from .tokens import BaseTokenHandler

__all__ = ["Client"]

_log = logging.getLogger(__name__)


class Client(ClientExtrasMixin):
    """The async Twitch client.

    Args:
        token_handler: Where tokens come from.
        session: An aiohttp session to share; if None, one is created and closed by
            :meth:`close`.
        helix_url: Helix base URL (default Twitch's; the simulator's in demo mode/tests).
        oauth_url: OAuth base URL (``.../oauth2``).
        eventsub_url: EventSub WebSocket URL (for the EventSub client built on this one).
        on_ratelimit: Called with each new rate-limit budget (for the status bar).
        **http_options: Passed to :class:`HTTPHandler` (``max_tries``, ``retry_base_delay``,
            ``max_concurrency``, ``timeout``).
    """

    def __init__(
        self,
        token_handler: BaseTokenHandler,
        *,
        session: aiohttp.ClientSession | None = None,
        helix_url: str = DEFAULT_HELIX_URL,
        oauth_url: str = oauth.DEFAULT_OAUTH_URL,
        eventsub_url: str = DEFAULT_EVENTSUB_URL,
        on_ratelimit: Callable[[RateLimitStatus], None] | None = None,
        max_tries: int = 5,
        retry_base_delay: float = 0.5,
        max_concurrency: int = 16,
        timeout: float = 30.0,
    ) -> None:
        self.http = HTTPHandler(
            token_handler,
            session=session,
            helix_url=helix_url,
            oauth_url=oauth_url,
            eventsub_url=eventsub_url,
            on_ratelimit=on_ratelimit,
            max_tries=max_tries,
            retry_base_delay=retry_base_delay,
            max_concurrency=max_concurrency,
            timeout=timeout,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if the client created it; safe to call more than once."""
        await self.http.close()

    @property
    def ratelimit(self) -> RateLimitStatus | None:
        """The latest rate-limit budget Twitch reported (None before the first response)."""
        return self.http.ratelimit

    def create_user(
        self, user_id: str | int, login: str | None = None, name: str | None = None
    ) -> PartialUser:
        """A :class:`PartialUser` for ``user_id`` without a request (its methods use that
        user's token)."""
        return PartialUser(self.http, user_id, login=login, name=name)

    async def device_flow(self, client_id: str, scopes: Iterable[str]) -> oauth.DeviceFlow:
        """A device code sign-in on this client's session and OAuth URL (not started yet)."""
        session = await self.http.get_session()
        return oauth.DeviceFlow(session, client_id, scopes, oauth_url=self.http.oauth_url)

    async def fetch_users(
        self,
        *,
        ids: Sequence[str | int] = (),
        logins: Sequence[str] = (),
        target: BaseUser | None = None,
    ) -> list[User]:
        """Get Users (at most 100 ids and logins together).

        With neither ids nor logins and a ``target``, returns the target's own user.

        Args:
            ids: User ids.
            logins: Login names.
            target: Whose token to use; None for the app token.

        Raises:
            LimitError: More than 100 ids and logins.
        """
        limits.USER_IDS_PER_CALL.check([*ids, *logins])
        route = Route("GET", "users", params={"id": [str(i) for i in ids], "login": list(logins)})
        name = "Client.fetch_users"
        data = await self.http.request(route, user=target, scopes=SCOPES[name], name=name)
        return [User(self.http, item) for item in data_list(data, "response")]

    def fetch_streams(
        self,
        *,
        user_ids: Sequence[str | int] = (),
        user_logins: Sequence[str] = (),
        type: str = "all",  # Twitch's parameter name
        limit: int | None = None,
        target: BaseUser | None = None,
    ) -> HTTPAwaitableAsyncIterator[Stream]:
        """Get Streams (``await`` for a list, ``async for`` to page)."""
        limits.STREAM_FILTERS_PER_CALL.check(list(user_ids))
        limits.STREAM_FILTERS_PER_CALL.check(list(user_logins))
        route = Route(
            "GET",
            "streams",
            params={
                "user_id": [str(i) for i in user_ids],
                "user_login": list(user_logins),
                "type": type,
            },
        )
        name = "Client.fetch_streams"
        return HTTPAwaitableAsyncIterator(
            self.http,
            route,
            lambda item: Stream(self.http, item),
            page_size=limits.STREAMS_PAGE_SIZE.maximum or 100,
            limit=limit,
            user=target,
            scopes=SCOPES[name],
            name=name,
        )

    async def fetch_channels(
        self, broadcaster_ids: Sequence[str | int], *, target: BaseUser | None = None
    ) -> list[ChannelInfo]:
        """Get Channel Information for 1-100 broadcasters."""
        limits.CHANNEL_IDS_PER_CALL.check(list(broadcaster_ids))
        route = Route(
            "GET", "channels", params={"broadcaster_id": [str(i) for i in broadcaster_ids]}
        )
        name = "Client.fetch_channels"
        data = await self.http.request(route, user=target, scopes=SCOPES[name], name=name)
        return [ChannelInfo(self.http, item) for item in data_list(data, "response")]
