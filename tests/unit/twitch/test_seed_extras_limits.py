"""Every documented limit of the extras is checked before sending: just outside raises
LimitError (or ValueError for enums and exclusive choices) with nothing sent; just inside
reaches the request loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from companion.twitch import SimpleTokenHandler
from companion.twitch.errors import LimitError
from companion.twitch.http import HTTPHandler, Route
from companion.twitch.models._extras import ClientExtrasMixin
from companion.twitch.models.moderation import AutomodCheckMessage
from companion.twitch.models.users import BaseUser, PartialUser


class Sent(Exception):
    """Raised by the recording handler instead of sending."""


class RecordingHTTP(HTTPHandler):
    """An HTTPHandler whose request loop records the route and stops there."""

    def __init__(self) -> None:
        super().__init__(SimpleTokenHandler("unused", "client"))
        self.routes: list[Route] = []

    async def request(
        self,
        route: Route,
        *,
        user: BaseUser | None = None,
        scopes: Any = (),
        name: str | None = None,
    ) -> Any:
        self.routes.append(route)
        raise Sent(str(route))


class User(PartialUser):
    __slots__ = ()


class FakeClient(ClientExtrasMixin):
    def __init__(self, http: HTTPHandler) -> None:
        self.http = http


Call = Callable[[User, FakeClient], Awaitable[object]]


def _msgs(n: int) -> list[AutomodCheckMessage]:
    return [AutomodCheckMessage(str(i), "hi") for i in range(n)]


def _ids(n: int) -> list[str]:
    return [str(i) for i in range(n)]


# (name, just inside, just outside, the error outside)
CASES: list[tuple[str, Call, Call, type[Exception]]] = [
    (
        "ban reason",
        lambda u, c: u.ban_user("1", "x" * 500),
        lambda u, c: u.ban_user("1", "x" * 501),
        LimitError,
    ),
    (
        "timeout max",
        lambda u, c: u.ban_user("1", duration=1_209_600),
        lambda u, c: u.ban_user("1", duration=1_209_601),
        LimitError,
    ),
    (
        "timeout min",
        lambda u, c: u.ban_user("1", duration=1),
        lambda u, c: u.ban_user("1", duration=0),
        LimitError,
    ),
    (
        "banned ids",
        lambda u, c: u.fetch_bans(_ids(100)).flatten(),
        lambda u, c: u.fetch_bans(_ids(101)).flatten(),
        LimitError,
    ),
    (
        "banned page",
        lambda u, c: u.fetch_bans(page_size=100).flatten(),
        lambda u, c: u.fetch_bans(page_size=101).flatten(),
        LimitError,
    ),
    (
        "automod max",
        lambda u, c: u.check_automod_status(_msgs(100)),
        lambda u, c: u.check_automod_status(_msgs(101)),
        LimitError,
    ),
    (
        "automod min",
        lambda u, c: u.check_automod_status(_msgs(1)),
        lambda u, c: u.check_automod_status([]),
        LimitError,
    ),
    (
        "leaders max",
        lambda u, c: u.fetch_bits_leaderboard(100),
        lambda u, c: u.fetch_bits_leaderboard(101),
        LimitError,
    ),
    (
        "leaders min",
        lambda u, c: u.fetch_bits_leaderboard(1),
        lambda u, c: u.fetch_bits_leaderboard(0),
        LimitError,
    ),
    (
        "slow min",
        lambda u, c: u.update_chat_settings(slow_mode_wait_time=3),
        lambda u, c: u.update_chat_settings(slow_mode_wait_time=2),
        LimitError,
    ),
    (
        "slow max",
        lambda u, c: u.update_chat_settings(slow_mode_wait_time=120),
        lambda u, c: u.update_chat_settings(slow_mode_wait_time=121),
        LimitError,
    ),
    (
        "follower max",
        lambda u, c: u.update_chat_settings(follower_mode_duration=129_600),
        lambda u, c: u.update_chat_settings(follower_mode_duration=129_601),
        LimitError,
    ),
    (
        "delay enum",
        lambda u, c: u.update_chat_settings(non_moderator_chat_delay_duration=6),
        lambda u, c: u.update_chat_settings(non_moderator_chat_delay_duration=5),
        ValueError,
    ),
    (
        "slow needs mode",
        lambda u, c: u.update_chat_settings(slow_mode=True, slow_mode_wait_time=9),
        lambda u, c: u.update_chat_settings(slow_mode=False, slow_mode_wait_time=9),
        ValueError,
    ),
    (
        "colors max",
        lambda u, c: c.fetch_chatters_colors(_ids(100)),
        lambda u, c: c.fetch_chatters_colors(_ids(101)),
        LimitError,
    ),
    (
        "colors min",
        lambda u, c: c.fetch_chatters_colors(_ids(1)),
        lambda u, c: c.fetch_chatters_colors([]),
        LimitError,
    ),
    (
        "clip ids",
        lambda u, c: c.fetch_clips(_ids(100)).flatten(),
        lambda u, c: c.fetch_clips(_ids(101)).flatten(),
        LimitError,
    ),
    (
        "clip page",
        lambda u, c: u.fetch_clips(page_size=100).flatten(),
        lambda u, c: u.fetch_clips(page_size=101).flatten(),
        LimitError,
    ),
    (
        "clip selector",
        lambda u, c: c.fetch_clips(game_id="1").flatten(),
        lambda u, c: c.fetch_clips(_ids(1), "1").flatten(),
        ValueError,
    ),
    (
        "follower page",
        lambda u, c: u.fetch_followers(page_size=100).flatten(),
        lambda u, c: u.fetch_followers(page_size=101).flatten(),
        LimitError,
    ),
    (
        "games max",
        lambda u, c: c.fetch_games(_ids(50), _ids(50)),
        lambda u, c: c.fetch_games(_ids(50), _ids(50), ["1"]),
        LimitError,
    ),
    (
        "games min",
        lambda u, c: c.fetch_games(igdb_ids=["1"]),
        lambda u, c: c.fetch_games(),
        LimitError,
    ),
    (
        "marker text",
        lambda u, c: u.create_marker("x" * 140),
        lambda u, c: u.create_marker("x" * 141),
        LimitError,
    ),
    (
        "schedule ids",
        lambda u, c: u.fetch_schedule(_ids(100)),
        lambda u, c: u.fetch_schedule(_ids(101)),
        LimitError,
    ),
    (
        "schedule page",
        lambda u, c: u.fetch_schedule(first=25),
        lambda u, c: u.fetch_schedule(first=26),
        LimitError,
    ),
    (
        "video ids",
        lambda u, c: c.fetch_videos(_ids(100)).flatten(),
        lambda u, c: c.fetch_videos(_ids(101)).flatten(),
        LimitError,
    ),
    (
        "video page",
        lambda u, c: u.fetch_videos(page_size=100).flatten(),
        lambda u, c: u.fetch_videos(page_size=101).flatten(),
        LimitError,
    ),
    (
        "video selector",
        lambda u, c: c.fetch_videos(user_id="1").flatten(),
        lambda u, c: c.fetch_videos(_ids(1), user_id="1").flatten(),
        ValueError,
    ),
    (
        "sub ids",
        lambda u, c: u.fetch_subscriptions(_ids(100)).flatten(),
        lambda u, c: u.fetch_subscriptions(_ids(101)).flatten(),
        LimitError,
    ),
    ("team choice", lambda u, c: c.fetch_teams("a"), lambda u, c: c.fetch_teams(), ValueError),
]


@pytest.mark.parametrize(("name", "inside", "outside", "error"), CASES, ids=[c[0] for c in CASES])
async def test_limits_inside_and_outside(
    name: str, inside: Call, outside: Call, error: type[Exception]
) -> None:
    http = RecordingHTTP()
    user, client = User(http, "141981764"), FakeClient(http)
    with pytest.raises(error):
        await outside(user, client)
    assert http.routes == []
    with pytest.raises(Sent):
        await inside(user, client)
    assert len(http.routes) == 1


async def test_delete_videos_batches_any_number_of_ids() -> None:
    http = RecordingHTTP()
    client = FakeClient(http)
    with pytest.raises(Sent):
        await client.delete_videos(_ids(12), BaseUser("1"))
    assert http.routes[0].param("id") == _ids(5)
    assert (await client.delete_videos([], BaseUser("1"))) == []
    assert len(http.routes) == 1
