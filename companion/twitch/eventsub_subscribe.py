"""Creating EventSub subscriptions for a WebSocket session, within the welcome window.

[HWE]: a session must get a subscription within 10 seconds of its welcome or Twitch closes it
(4003), and subscribing needs the *user* token. So the token and the rate-limit budget are made
ready before connecting (:meth:`Subscriber.prepare`), the most important subscription is sent
alone first, and the rest follow together through the client core's request loop (which owns
tokens, refresh, rate limits and retries).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

import aiohttp

from ._util import backoff_delay
from .errors import (
    HTTPException,
    InvalidToken,
    MissingScope,
    NetworkError,
    RefreshFailure,
    ServerError,
    TwitchError,
)
from .eventsub_messages import scopes_for
from .eventsub_status import FatalError, SessionLost
from .http import Route

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .eventsub_messages import SubscriptionSpec
    from .http import HTTPHandler
    from .models.users import BaseUser

__all__ = ["WELCOME_WINDOW_SECONDS", "Subscriber"]

_log = logging.getLogger(__name__)

#: [HWE] "By default, you have 10 seconds from the time you receive the Welcome message".
WELCOME_WINDOW_SECONDS: Final = 10.0
#: Tries per subscription when the failure is transient (network, 5xx).
_TRIES: Final = 3


class Subscriber:
    """Creates one user's subscriptions on a session and remembers what Twitch reported.

    Args:
        http: The client core's handler.
        user: Whose token subscribes.
        specs: What to subscribe to, most important first.

    Attributes:
        subscription_ids: Type -> id of the subscription on the latest session.
        total_cost: ``total_cost`` from the latest Create response.
        max_total_cost: ``max_total_cost`` from the latest Create response.
    """

    def __init__(
        self, http: HTTPHandler, user: BaseUser, specs: Sequence[SubscriptionSpec]
    ) -> None:
        self.http = http
        self.user = user
        self.specs = list(specs)
        self.subscription_ids: dict[str, str] = {}
        self.total_cost: int | None = None
        self.max_total_cost: int | None = None

    def __repr__(self) -> str:
        return f"<Subscriber user={self.user.id!r} specs={len(self.specs)}>"

    async def prepare(self) -> None:
        """Make the subscribe requests fast before the 10-second window starts.

        The token is fetched (and validated if due) now, and a rate-limit bucket short of a
        point per subscription waits now until it refills that far (not for its whole
        reset), because either could otherwise eat the window (close code 4003).
        """
        session = await self.http.get_session()
        try:
            token = await self.http.user_token(self.user)
            await token.get(self.http, self.http.token_handler, session)
        except (TwitchError, aiohttp.ClientError, TimeoutError) as exc:
            # The request loop refreshes (or reports) it on first use; nothing more here.
            _log.info("token not ready before connecting: %r", exc)
        bucket = self.http.bucket(self.user.id)
        remaining = bucket.remaining
        if remaining is not None and remaining < len(self.specs):
            waited = await bucket.wait_for_points(len(self.specs))
            _log.info(
                "rate-limit budget was %d points for %d subscriptions; waited %.1fs for them",
                remaining,
                len(self.specs),
                waited,
            )

    async def subscribe_all(
        self, session_id: str, lost: Callable[[], SessionLost | None]
    ) -> tuple[str, ...]:
        """Create every subscription on ``session_id``; return what could not be created.

        Args:
            session_id: The session from the welcome.
            lost: Returns why the socket died meanwhile, if it did.

        Raises:
            FatalError: Sign-in is needed, or not a single subscription could be created.
            SessionLost: A transient failure (network, 5xx) left a subscription missing, or
                the socket died meanwhile.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.subscription_ids = {}
        first, *rest = self.specs
        outcomes: list[str | BaseException | None] = []
        try:
            outcomes.append(await self._subscribe_one(session_id, first))
        except (FatalError, SessionLost) as exc:
            outcomes.append(exc)
        else:
            # return_exceptions: every request runs to its end, so none is left behind.
            outcomes += await asyncio.gather(
                *(self._subscribe_one(session_id, spec) for spec in rest), return_exceptions=True
            )
        elapsed = loop.time() - started
        if elapsed > WELCOME_WINDOW_SECONDS / 2:
            _log.warning(
                "subscribing took %.1fs of the %.0fs window", elapsed, WELCOME_WINDOW_SECONDS
            )
        gone = lost()
        if gone is not None:
            # The socket died meanwhile: refusals for a dead session mean nothing.
            raise gone
        for outcome in outcomes:
            if isinstance(outcome, FatalError):
                raise outcome
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                if isinstance(outcome, SessionLost | asyncio.CancelledError):
                    raise outcome
                raise SessionLost(f"subscribing failed: {outcome!r}") from outcome
        problems = tuple(p for p in outcomes if isinstance(p, str))
        if len(problems) == len(outcomes):
            raise FatalError("no EventSub subscription could be created: " + "; ".join(problems))
        for problem in problems:
            _log.warning("EventSub subscription not created: %s", problem)
        return problems

    async def _subscribe_one(self, session_id: str, spec: SubscriptionSpec) -> str | None:
        """Create one subscription; a problem (as text) if Twitch refuses it for good."""
        route = Route("POST", "eventsub/subscriptions", json=spec.body(session_id))
        error: Exception | None = None
        for attempt in range(_TRIES):
            try:
                body = await self.http.request(
                    route, user=self.user, scopes=scopes_for(spec.type), name="EventSub.subscribe"
                )
            except InvalidToken as exc:
                raise FatalError(f"sign-in needed: {exc}") from exc
            except RefreshFailure as exc:
                if exc.refused:
                    raise FatalError(f"sign-in needed: {exc}") from exc
                error = exc
            except MissingScope as exc:
                return f"{spec.type}: {exc}"
            except (ServerError, NetworkError) as exc:
                error = exc
            except HTTPException as exc:
                if exc.status == 409:
                    # "A subscription already exists for the specified event type and
                    # condition combination": another live connection of ours has it, so
                    # this session will not get these events (reported, not retried).
                    return f"{spec.type}: 409 already subscribed on another connection"
                if exc.status == 401:
                    raise FatalError(f"sign-in needed: {exc}") from exc
                # 400 (bad type/condition), 403 (scope, channel), 429 (a subscription limit).
                return f"{spec.type}: {exc.status} {exc}"
            except TwitchError as exc:  # APIUnavailable and the like: no retry can help
                raise FatalError(f"cannot subscribe: {exc}") from exc
            else:
                self._record(spec, body)
                return None
            _log.info("creating %s failed (%r); try %d", spec.type, error, attempt + 1)
            if attempt + 1 < _TRIES:
                await asyncio.sleep(backoff_delay(attempt, 0.2, 1.0))
        raise SessionLost(f"could not create {spec.type}: {error}")

    def _record(self, spec: SubscriptionSpec, body: Any) -> None:
        if not isinstance(body, dict):
            return
        data = body.get("data")
        if isinstance(data, list) and data and isinstance(data[0], dict):
            self.subscription_ids[spec.type] = str(data[0].get("id", ""))
        if isinstance(body.get("total_cost"), int):
            self.total_cost = body["total_cost"]
        if isinstance(body.get("max_total_cost"), int):
            self.max_total_cost = body["max_total_cost"]
