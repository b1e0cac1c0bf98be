"""After a Helix 401: is the token itself still valid? One ``/oauth2/validate`` per burst.

Helix answers 401 for a dead token, but also for a missing scope and for a
``broadcaster_id`` that is not the token's user (the error tables of the API reference).
Refreshing helps only in the first case; in the others it spends a single-use refresh
token for nothing and loses Twitch's message. So :class:`~companion.twitch.http.HTTPHandler`
asks Twitch through :class:`TokenChecks` and decides from the answer:

* valid: the 401 is about the request; it is raised as ``Unauthorized``, the token kept;
* invalid: the token is marked invalid and refreshed (single-flight, one retry);
* unknown (id.twitch.tv failed): the token is kept and the 401 raised; the next 401 asks
  again. The reference is silent on this case; a refresh would go to the same
  id.twitch.tv that just failed.

However many requests meet a 401 with one token at once, one validation runs and all of
them share its answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp

from .errors import InvalidToken, OAuthError

if TYPE_CHECKING:
    from .http import HTTPHandler
    from .tokens import Token

__all__ = ["TokenChecks"]

_log = logging.getLogger(__name__)


@dataclass(slots=True, eq=False)
class _Check:
    """One validation asked after a 401, shared by every request that met one.

    Attributes:
        token: The token being checked.
        task: The validation; its result is True (valid), False (invalid) or None (unknown).
        done_at: ``time.monotonic()`` when the answer came, None while it is awaited.
    """

    token: Token
    task: asyncio.Task[bool | None]
    done_at: float | None = field(default=None)

    def finished(self, task: asyncio.Task[bool | None]) -> None:
        self.done_at = time.monotonic()

    def answers(self, token: Token, issued_at: float) -> bool:
        """Whether this check settles a 401 met by ``token`` on a request issued at ``issued_at``.

        A running check always does (single-flight). A finished one does if its answer came
        after the request was issued: the answer is then no older than the 401. A request
        issued after the answer may have met a token that died since, so it asks again.
        """
        if token is not self.token or self.task.cancelled():
            return False
        return self.done_at is None or self.done_at >= issued_at


class TokenChecks:
    """The single-flight validations of one HTTP handler, one slot per user.

    Args:
        http: The handler whose session, OAuth URL and token handler the validation uses.
    """

    def __init__(self, http: HTTPHandler) -> None:
        self._http = http
        self._checks: dict[str, _Check] = {}

    def __repr__(self) -> str:
        return f"<TokenChecks users={sorted(self._checks)!r}>"

    def running(self) -> list[asyncio.Task[bool | None]]:
        """The validations still in flight (to cancel them when the handler closes)."""
        return [check.task for check in self._checks.values() if not check.task.done()]

    async def verdict(self, key: str, token: Token, issued_at: float) -> bool | None:
        """Twitch's truth about ``token`` after Helix answered 401 to a request using it.

        Args:
            key: The user's id (one slot per user; a new token takes the slot over).
            token: The token the refused request carried.
            issued_at: ``time.monotonic()`` when that request was issued.

        Returns:
            True if the token is valid (the 401 is about the request), False if Twitch says
            it is not (it is then marked invalid), None if validation could not be done.
        """
        if token.invalid:
            return False  # already known dead (another request's check said so)
        check = self._checks.get(key)
        if check is None or not check.answers(token, issued_at):
            task = asyncio.get_running_loop().create_task(
                self._validate(token), name=f"twitch-validate-{key}"
            )
            check = self._checks[key] = _Check(token, task)
            task.add_done_callback(check.finished)
        # shield: one caller being cancelled must not cancel the check the others await.
        return await asyncio.shield(check.task)

    async def _validate(self, token: Token) -> bool | None:
        http = self._http
        session = await http.get_session()
        try:
            await token.validate(http, http.token_handler, session)
        except InvalidToken:
            return False
        except (OAuthError, aiohttp.ClientError, TimeoutError) as exc:
            _log.warning("could not validate a token after a 401 (%s); keeping it", exc)
            return None
        return True
