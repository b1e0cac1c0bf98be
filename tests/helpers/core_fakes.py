"""Typed fakes for companion.core: a redemption factory and a recording sender."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from companion.core.records import BatchOutcome, RedemptionRecord

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    from companion.core.records import RedemptionStatus

BROADCASTER_ID = "1337"
BASE_TIME = datetime(2026, 11, 27, 20, 0, 0, tzinfo=UTC)


def redemption(
    number: int,
    *,
    reward_id: str = "reward-a",
    seconds: float | None = None,
    status: RedemptionStatus = "UNFULFILLED",
    user_login: str | None = None,
    user_name: str | None = None,
    user_input: str | None = None,
    broadcaster_id: str = BROADCASTER_ID,
) -> RedemptionRecord:
    """Redemption ``r{number:05d}``, redeemed ``seconds`` (default: ``number``) after BASE_TIME."""
    login = user_login if user_login is not None else f"viewer{number % 100}"
    return RedemptionRecord(
        redemption_id=f"r{number:05d}",
        broadcaster_id=broadcaster_id,
        reward_id=reward_id,
        reward_title=f"Title of {reward_id}",
        reward_cost=100,
        reward_color="#9147FF",
        user_id=str(9000 + number % 100),
        user_login=login,
        user_name=user_name if user_name is not None else login.capitalize(),
        user_input=user_input,
        redeemed_at=BASE_TIME + timedelta(seconds=number if seconds is None else seconds),
        status=status,
    )


@dataclass
class SentCall:
    """One call the queue made to the sender."""

    reward_id: str
    ids: tuple[str, ...]
    status: str


@dataclass
class RecordingSender:
    """Records every call; answers with ``responder`` (default: every id done).

    ``responder`` may raise to simulate a network error. ``gate`` (if set) is awaited
    before answering, so a test can act while a call is in flight.
    """

    responder: Callable[[str, tuple[str, ...], str], BatchOutcome] | None = None
    gate: asyncio.Event | None = None
    calls: list[SentCall] = field(default_factory=list)

    async def __call__(
        self, reward_id: str, ids: tuple[str, ...], status: RedemptionStatus
    ) -> BatchOutcome:
        self.calls.append(SentCall(reward_id, ids, status))
        if self.gate is not None:
            await self.gate.wait()
        if self.responder is None:
            return BatchOutcome.all_done(ids)
        return self.responder(reward_id, ids, status)

    @property
    def sizes(self) -> list[int]:
        return [len(call.ids) for call in self.calls]
