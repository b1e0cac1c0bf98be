"""The Twitch client unit tests' recording token handler and shared constants."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from companion.twitch import BaseTokenHandler, Token
from tests.helpers.twitch_fakeserver import CLIENT_ID

if TYPE_CHECKING:
    from companion.twitch.models import BaseUser

USER_ID = "274637212"
ALL_SCOPES = [
    "channel:manage:redemptions",
    "channel:manage:predictions",
    "channel:manage:polls",
    "channel:read:goals",
    "user:edit:broadcast",
]


class RecordingHandler(BaseTokenHandler):
    """A token handler that records every hook call (sync and async hooks mixed on purpose)."""

    def __init__(self, access: str, refresh: str | None, *, hook_delay: float = 0.0) -> None:
        self.token = Token(access, refresh)
        self.hook_delay = hook_delay
        self.refreshed: list[tuple[Token, Token]] = []
        self.refreshed_at: list[float] = []
        self.expired: list[Token] = []
        self.user_token_calls: list[tuple[str, tuple[str, ...]]] = []
        self.replacement: Token | None = None
        self.stored_refresh_tokens: list[str | None] = []

    def get_client_credentials(self) -> tuple[str, str | None]:
        return CLIENT_ID, None

    async def get_user_token(self, user: BaseUser, scopes: tuple[str, ...]) -> Token:
        self.user_token_calls.append((user.id, scopes))
        return self.token

    async def event_token_refreshed(self, old: Token, new: Token) -> None:
        # Slow storage on purpose: nobody may use `new` before this returns.
        await asyncio.sleep(self.hook_delay)
        self.refreshed.append((old, new))
        self.stored_refresh_tokens.append(new.refresh_token)
        self.refreshed_at.append(time.monotonic())
        self.token = new

    def event_token_expired(self, token: Token) -> Token | None:
        self.expired.append(token)
        return self.replacement
