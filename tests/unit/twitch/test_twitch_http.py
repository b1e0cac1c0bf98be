"""The HTTP machinery against the scripted fake, counting exactly what was sent."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web

from companion.twitch import (
    APIUnavailable,
    Client,
    InvalidToken,
    IRCTokenHandler,
    LimitError,
    MissingScope,
    NetworkError,
    NotFound,
    RateLimited,
    RefreshFailure,
    ServerError,
    SimpleTokenHandler,
    Token,
    Unauthorized,
    tokens,
)
from companion.twitch.http import Route
from tests.helpers.twitch_fakeserver import CLIENT_ID, FakeTwitch, Recorded, TokenInfo, error
from tests.helpers.twitch_recording import USER_ID, RecordingHandler

if TYPE_CHECKING:
    from companion.twitch.ratelimit import RateLimitStatus


def reward_payload(n: int = 1) -> dict[str, Any]:
    return {
        "broadcaster_name": "torpedo09",
        "broadcaster_login": "torpedo09",
        "broadcaster_id": USER_ID,
        "id": f"reward-{n}",
        "image": None,
        "background_color": "#00E5CB",
        "is_enabled": True,
        "cost": 50000,
        "title": f"reward {n}",
        "prompt": "",
        "is_user_input_required": False,
        "max_per_stream_setting": {"is_enabled": False, "max_per_stream": 0},
        "max_per_user_per_stream_setting": {"is_enabled": False, "max_per_user_per_stream": 0},
        "global_cooldown_setting": {"is_enabled": False, "global_cooldown_seconds": 0},
        "is_paused": False,
        "is_in_stock": True,
        "default_image": None,
        "should_redemptions_skip_request_queue": False,
        "redemptions_redeemed_current_stream": None,
        "cooldown_expires_at": None,
    }


def redemption_payload(rid: str, status: str = "UNFULFILLED") -> dict[str, Any]:
    return {
        "broadcaster_name": "torpedo09",
        "broadcaster_login": "torpedo09",
        "broadcaster_id": USER_ID,
        "id": rid,
        "user_login": "viewer",
        "user_id": "9001",
        "user_name": "Viewer",
        "user_input": "",
        "status": status,
        "redeemed_at": "2020-07-01T18:37:32Z",
        "reward": {"id": "reward-1", "title": "reward 1", "prompt": "", "cost": 50000},
    }


async def rewards_ok(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
    return web.json_response({"data": [reward_payload()]})


# -- tokens and refresh ------------------------------------------------------------------


async def test_requests_carry_client_id_and_bearer(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    fake.helix_handler = rewards_ok
    rewards = await client.create_user(USER_ID).get_custom_rewards(only_manageable=True)
    assert [r.id for r in rewards] == ["reward-1"]
    (rec,) = fake.helix
    assert rec.client_id == CLIENT_ID
    assert rec.authorization == f"Bearer {handler.token.access_token}"
    assert rec.query == [("broadcaster_id", USER_ID), ("only_manageable_rewards", "true")]
    # Validated once at first use (Twitch requires it at start and hourly).
    assert fake.validate_calls == 1


async def test_validation_repeats_hourly_not_per_request(
    fake: FakeTwitch, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.helix_handler = rewards_ok
    user = client.create_user(USER_ID)
    for _ in range(3):
        await user.get_custom_rewards()
    assert fake.validate_calls == 1
    # Pretend an hour has passed since every validation.
    monkeypatch.setattr(tokens, "VALIDATE_EVERY", 0.0)
    await user.get_custom_rewards()
    assert fake.validate_calls == 2
    assert len(fake.helix) == 4


async def test_100_concurrent_requests_on_an_expired_token_cause_one_refresh(
    fake: FakeTwitch, handler: RecordingHandler
) -> None:
    handler.hook_delay = 0.05
    old = handler.token
    fake.helix_handler = rewards_ok
    async with Client(
        handler, helix_url=fake.helix_url, oauth_url=fake.oauth_url, retry_base_delay=0.01
    ) as client:
        user = client.create_user(USER_ID)
        await user.get_custom_rewards()  # validated and working
        fake.expire(old.access_token)
        fake.helix.clear()
        results = await asyncio.gather(*(user.get_custom_rewards() for _ in range(100)))
    assert len(results) == 100
    assert all(r[0].id == "reward-1" for r in results)
    assert fake.refresh_calls == 1
    assert len(handler.refreshed) == 1
    (old_seen, new) = handler.refreshed[0]
    assert old_seen is old
    assert handler.stored_refresh_tokens == [new.refresh_token]
    # Nobody sent the new token before event_token_refreshed had returned.
    with_new = [r for r in fake.helix if r.authorization == f"Bearer {new.access_token}"]
    assert len(with_new) == 100
    assert min(r.at for r in with_new) >= handler.refreshed_at[0]
    # Every other request was the old token meeting its 401 (at most one per caller).
    assert len(fake.helix) - len(with_new) <= 100


async def test_100_first_uses_of_an_expired_token_validate_once_and_refresh_once(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    fake.helix_handler = rewards_ok
    fake.expire(handler.token.access_token)
    user = client.create_user(USER_ID)
    results = await asyncio.gather(*(user.get_custom_rewards() for _ in range(100)))
    assert len(results) == 100
    assert fake.refresh_calls == 1
    # One validation said the old token is dead; one validated the new token.
    assert fake.validate_calls == 2
    assert len(fake.helix) == 100  # nothing was sent with the dead token
    assert len(handler.user_token_calls) == 1


async def always_401(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
    # Helix refuses the request although the token is valid (a scope or broadcaster problem).
    return error(401, "Missing scope: channel:read:redemptions")


async def test_401_with_a_valid_token_is_raised_without_a_refresh(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    fake.helix_handler = always_401
    with pytest.raises(Unauthorized) as caught:
        await client.create_user(USER_ID).get_custom_rewards()
    exc = caught.value
    assert (exc.status, exc.message) == (401, "Missing scope: channel:read:redemptions")
    assert str(exc.route) == "GET /channel_points/custom_rewards"
    assert exc.token_valid is True
    assert len(fake.helix) == 1
    assert fake.refresh_calls == 0
    # One validation at first use, one to ask Twitch about the token after the 401.
    assert fake.validate_calls == 2
    assert not handler.token.invalid
    assert (handler.refreshed, handler.expired) == ([], [])


async def test_100_concurrent_401s_with_a_valid_token_validate_once(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    user = client.create_user(USER_ID)
    fake.helix_handler = rewards_ok
    await user.get_custom_rewards()  # validated at first use
    fake.helix_handler = always_401
    results = await asyncio.gather(
        *(user.get_custom_rewards() for _ in range(100)), return_exceptions=True
    )
    assert [type(r) for r in results] == [Unauthorized] * 100
    assert len(fake.helix) == 101
    assert fake.validate_calls == 2
    assert fake.refresh_calls == 0


async def test_a_later_401_asks_twitch_again(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    user = client.create_user(USER_ID)
    fake.helix_handler = always_401
    with pytest.raises(Unauthorized):
        await user.get_custom_rewards()
    assert fake.validate_calls == 2
    # The earlier answer is older than this 401: the token may have died since (it has).
    fake.expire(handler.token.access_token)
    fake.helix_handler = rewards_ok
    rewards = await user.get_custom_rewards()
    assert [r.id for r in rewards] == ["reward-1"]
    # 401 -> validate (401) -> refresh -> validate the new token at first use -> retry.
    assert fake.validate_calls == 4
    assert fake.refresh_calls == 1
    assert len(fake.helix) == 3


async def test_a_token_that_dies_again_after_its_refresh_is_not_refreshed_twice(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    async def kills_the_token(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        fake.expire((rec.authorization or "").removeprefix("Bearer "))
        return error(401, "Invalid OAuth token")

    fake.helix_handler = kills_the_token
    with pytest.raises(Unauthorized) as caught:
        await client.create_user(USER_ID).get_custom_rewards()
    assert caught.value.token_valid is False
    assert caught.value.message == "Invalid OAuth token"
    # One request, one refresh, one retry: a 401 never loops.
    assert len(fake.helix) == 2
    assert fake.refresh_calls == 1
    assert len(handler.refreshed) == 1


async def test_refused_refresh_goes_to_event_token_expired(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    fake.helix_handler = rewards_ok
    old = handler.token
    access, refresh = fake.issue(USER_ID, ["channel:read:redemptions"])
    handler.replacement = Token(access, refresh)
    fake.expire(old.access_token)
    fake.refresh_script = ["refuse"]
    rewards = await client.create_user(USER_ID).get_custom_rewards()
    assert len(rewards) == 1
    assert handler.expired == [old]
    assert fake.helix[-1].authorization == f"Bearer {access}"
    assert fake.refresh_calls == 1


async def test_refused_refresh_without_replacement_asks_get_user_token_then_fails(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    fake.expire(handler.token.access_token)
    fake.refresh_script = ["refuse"]
    with pytest.raises(InvalidToken):
        await client.create_user(USER_ID).get_custom_rewards()
    # Asked once at first use and once after event_token_expired returned None; the
    # handler gave the same dead token back, so the client says sign-in is needed.
    assert [call[0] for call in handler.user_token_calls] == [USER_ID, USER_ID]
    assert len(handler.expired) == 1
    assert fake.helix == []


async def test_refresh_5xx_is_retried_with_backoff(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    fake.helix_handler = rewards_ok
    fake.expire(handler.token.access_token)
    fake.refresh_script = ["500", "500", "ok"]
    rewards = await client.create_user(USER_ID).get_custom_rewards()
    assert len(rewards) == 1
    assert fake.refresh_calls == 3
    assert len(handler.refreshed) == 1


async def test_refresh_outage_does_not_lock_the_user_out(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    fake.helix_handler = rewards_ok
    fake.expire(handler.token.access_token)
    fake.refresh_script = ["500"] * 4
    user = client.create_user(USER_ID)
    with pytest.raises(RefreshFailure) as caught:
        await user.get_custom_rewards()
    assert caught.value.refused is False
    assert fake.refresh_calls == 4
    assert handler.expired == []
    # Twitch is back: the same refresh token still works on the next request.
    rewards = await user.get_custom_rewards()
    assert len(rewards) == 1
    assert fake.refresh_calls == 5


async def test_public_client_refreshes_without_a_secret(
    fake: FakeTwitch, client: Client, handler: RecordingHandler
) -> None:
    fake.helix_handler = rewards_ok
    old_refresh = handler.token.refresh_token
    fake.expire(handler.token.access_token)
    await client.create_user(USER_ID).get_custom_rewards()
    (refresh,) = [r for r in fake.oauth if r.form.get("grant_type") == "refresh_token"]
    assert refresh.form == {
        "grant_type": "refresh_token",
        "refresh_token": old_refresh,
        "client_id": CLIENT_ID,
    }


async def test_missing_scope_raises_before_sending(fake: FakeTwitch) -> None:
    access, refresh = fake.issue(USER_ID, ["channel:read:redemptions"])
    handler = RecordingHandler(access, refresh)
    async with Client(handler, helix_url=fake.helix_url, oauth_url=fake.oauth_url) as client:
        with pytest.raises(MissingScope) as caught:
            await client.create_user(USER_ID).create_custom_reward("title", 10)
    assert caught.value.scopes == ("channel:manage:redemptions",)
    assert "channel:manage:redemptions" in str(caught.value)
    assert "PartialUser.create_custom_reward" in str(caught.value)
    assert fake.helix == []


async def test_irc_token_handler_refuses_api_calls(fake: FakeTwitch) -> None:
    async with Client(IRCTokenHandler("x"), helix_url=fake.helix_url) as client:
        with pytest.raises(APIUnavailable, match="IRC connections only"):
            await client.create_user(USER_ID).get_goals()
    assert fake.helix == []
    assert fake.oauth == []


async def test_simple_token_handler_keeps_the_refreshed_token(fake: FakeTwitch) -> None:
    access, refresh = fake.issue(USER_ID, ["channel:read:goals"])
    handler = SimpleTokenHandler(access, CLIENT_ID, refresh_token=refresh)
    async with Client(handler, helix_url=fake.helix_url, oauth_url=fake.oauth_url) as client:
        fake.expire(access)
        assert await client.create_user(USER_ID).get_goals() == []
    assert handler.user_token.access_token != access
    assert handler.user_token.access_token in fake.tokens


# -- rate limits ---------------------------------------------------------------------------


async def test_429_waits_until_ratelimit_reset(fake: FakeTwitch, client: Client) -> None:
    reset = int(time.time()) + 2
    calls = 0

    async def limited_once(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        nonlocal calls
        calls += 1
        headers = {"Ratelimit-Limit": "800", "Ratelimit-Reset": str(reset)}
        if calls == 1:
            return error(429, "Too Many Requests", {**headers, "Ratelimit-Remaining": "0"})
        return web.json_response({"data": []}, headers={**headers, "Ratelimit-Remaining": "799"})

    fake.helix_handler = limited_once
    await client.create_user(USER_ID).get_goals()
    assert len(fake.helix) == 2
    assert time.time() >= reset - 0.01
    assert client.ratelimit is not None
    assert client.ratelimit.remaining == 799


async def test_429_with_points_left_is_not_a_bucket_problem(
    fake: FakeTwitch, client: Client
) -> None:
    async def too_many(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        headers = {"Ratelimit-Limit": "800", "Ratelimit-Remaining": "790"}
        reset = str(int(time.time()) + 30)
        return error(429, "too many subscriptions", {**headers, "Ratelimit-Reset": reset})

    fake.helix_handler = too_many
    with pytest.raises(RateLimited) as caught:
        await client.create_user(USER_ID).get_goals()
    assert caught.value.message == "too many subscriptions"
    assert len(fake.helix) == 1


async def test_empty_bucket_waits_before_sending(
    fake: FakeTwitch, handler: RecordingHandler
) -> None:
    reset = int(time.time()) + 2
    seen: list[RateLimitStatus] = []

    async def last_point(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        # A one-point bucket: spent by each request, full again at the reset (the only
        # refill the headers prove before it).
        headers = {"Ratelimit-Limit": "1", "Ratelimit-Remaining": "0"}
        return web.json_response({"data": []}, headers={**headers, "Ratelimit-Reset": str(reset)})

    fake.helix_handler = last_point
    async with Client(
        handler, helix_url=fake.helix_url, oauth_url=fake.oauth_url, on_ratelimit=seen.append
    ) as client:
        user = client.create_user(USER_ID)
        await user.get_goals()
        assert client.ratelimit is not None
        assert client.ratelimit.remaining == 0
        await user.get_goals()
    first, second = fake.helix
    # The second request was held back until the bucket refilled: no 429 needed.
    assert time.time() >= reset - 0.01
    assert second.at - first.at >= (reset - time.time()) - 0.05
    assert [s.remaining for s in seen] == [0, 0]
    assert seen[0].limit == 1
    assert int(seen[0].reset.timestamp()) == reset


# -- retries -------------------------------------------------------------------------------


def scripted(statuses: list[int]) -> Any:
    async def handler(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        status = statuses.pop(0) if statuses else 200
        if status == 200:
            return web.json_response({"data": [reward_payload()]})
        return error(status, f"status {status}")

    return handler


async def test_get_is_retried_on_5xx(fake: FakeTwitch, client: Client) -> None:
    fake.helix_handler = scripted([500, 502, 200])
    rewards = await client.create_user(USER_ID).get_custom_rewards()
    assert len(rewards) == 1
    assert [r.method for r in fake.helix] == ["GET", "GET", "GET"]


async def test_get_gives_up_after_max_tries(fake: FakeTwitch, client: Client) -> None:
    fake.helix_handler = scripted([500] * 10)
    with pytest.raises(ServerError) as caught:
        await client.create_user(USER_ID).get_custom_rewards()
    assert caught.value.status == 500
    assert len(fake.helix) == 5


async def test_post_is_not_retried_on_500(fake: FakeTwitch, client: Client) -> None:
    fake.helix_handler = scripted([500, 200])
    with pytest.raises(ServerError):
        await client.create_user(USER_ID).create_custom_reward("title", 10)
    assert len(fake.helix) == 1


async def test_post_is_retried_once_on_503(fake: FakeTwitch, client: Client) -> None:
    fake.helix_handler = scripted([503, 200])
    reward = await client.create_user(USER_ID).create_custom_reward("title", 10)
    assert reward.id == "reward-1"
    assert len(fake.helix) == 2
    fake.helix.clear()
    fake.helix_handler = scripted([503, 503, 200])
    with pytest.raises(ServerError):
        await client.create_user(USER_ID).create_custom_reward("title", 10)
    assert len(fake.helix) == 2


async def test_post_retried_when_it_never_left(fake: FakeTwitch, handler: RecordingHandler) -> None:
    # Nothing listens on the address: the connection is refused before a byte is written,
    # so even a POST may be retried (up to max_tries), then NetworkError. (OAuth is the
    # same dead address: a token goes only to the server that issued it; a validation that
    # cannot be done leaves the token in use.)
    sock_server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = sock_server.sockets[0].getsockname()[1]
    sock_server.close()
    await sock_server.wait_closed()
    async with Client(
        handler,
        helix_url=f"http://127.0.0.1:{port}/helix",
        oauth_url=f"http://127.0.0.1:{port}/oauth2",
        retry_base_delay=0.001,
        max_tries=3,
    ) as client:
        with pytest.raises(NetworkError) as caught:
            await client.create_user(USER_ID).create_custom_reward("title", 10)
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)


async def test_errors_carry_status_route_and_message(fake: FakeTwitch, client: Client) -> None:
    fake.helix_handler = scripted([404])
    with pytest.raises(NotFound) as caught:
        await client.create_user(USER_ID).get_custom_rewards(ids=["nope"])
    err = caught.value
    assert (err.status, err.message) == (404, "status 404")
    assert err.route is not None
    assert err.route.method == "GET"
    assert err.body == {"error": "Not Found", "status": 404, "message": "status 404"}


# -- batching, pagination, limits -----------------------------------------------------------


async def test_update_redemptions_sends_120_ids_as_50_50_20(
    fake: FakeTwitch, client: Client
) -> None:
    async def echo(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        return web.json_response(
            {"data": [redemption_payload(i, rec.json["status"]) for i in rec.param("id")]}
        )

    fake.helix_handler = echo
    ids = [f"r{i:03d}" for i in range(120)]
    done = await client.create_user(USER_ID).update_redemptions("reward-1", ids, "CANCELLED")
    assert [len(r.param("id")) for r in fake.helix] == [50, 50, 20]
    assert [r.method for r in fake.helix] == ["PATCH"] * 3
    assert [i for r in fake.helix for i in r.param("id")] == ids
    assert all(r.json == {"status": "CANCELED"} for r in fake.helix)
    assert all(r.param("reward_id") == ["reward-1"] for r in fake.helix)
    assert [r.id for r in done] == ids
    assert {r.status for r in done} == {"CANCELED"}


async def test_update_redemptions_failure_reports_completed_batches(
    fake: FakeTwitch, client: Client
) -> None:
    async def second_fails(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        if len(fake.helix) == 2:
            return error(403, "not your reward")
        return web.json_response({"data": [redemption_payload(i) for i in rec.param("id")]})

    fake.helix_handler = second_fails
    ids = [f"r{i:03d}" for i in range(120)]
    with pytest.raises(Exception) as caught:
        await client.create_user(USER_ID).update_redemptions("reward-1", ids, "FULFILLED")
    assert caught.value.completed and len(caught.value.completed) == 50  # type: ignore[attr-defined]
    assert len(fake.helix) == 2


def paged_redemptions(total: int) -> Any:
    items = [redemption_payload(f"r{i:03d}") for i in range(total)]

    async def handler(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        start = int(rec.param("after")[0]) if rec.param("after") else 0
        size = int(rec.param("first")[0])
        end = start + size
        body: dict[str, Any] = {"data": items[start:end], "pagination": {}}
        if end < total:
            body["pagination"] = {"cursor": str(end)}
        return web.json_response(body)

    return handler


async def test_await_collects_every_page_at_the_maximum_size(
    fake: FakeTwitch, client: Client
) -> None:
    fake.helix_handler = paged_redemptions(120)
    result = await client.create_user(USER_ID).get_redemptions("reward-1")
    assert [r.id for r in result] == [f"r{i:03d}" for i in range(120)]
    assert [r.param("first") for r in fake.helix] == [["50"], ["50"], ["50"]]
    assert [r.param("after") for r in fake.helix] == [[], ["50"], ["100"]]
    assert fake.helix[0].param("status") == ["UNFULFILLED"]


async def test_limit_and_cursor_resume(fake: FakeTwitch, client: Client) -> None:
    fake.helix_handler = paged_redemptions(120)
    user = client.create_user(USER_ID)
    first = user.get_redemptions("reward-1", limit=70)
    got = await first
    assert len(got) == 70
    assert [r.param("first") for r in fake.helix] == [["50"], ["20"]]
    assert first.cursor == "70"
    fake.helix.clear()
    rest = await user.get_redemptions("reward-1", after=first.cursor)
    assert [r.id for r in rest] == [f"r{i:03d}" for i in range(70, 120)]
    assert [r.param("after") for r in fake.helix] == [["70"]]


async def test_async_for_fetches_lazily(fake: FakeTwitch, client: Client) -> None:
    fake.helix_handler = paged_redemptions(120)
    iterator = client.create_user(USER_ID).get_redemptions("reward-1", page_size=10)
    seen = []
    async for redemption in iterator:
        seen.append(redemption.id)
        if len(seen) == 15:
            break
    assert len(fake.helix) == 2
    assert iterator.cursor == "20"


async def test_limits_raise_before_sending(fake: FakeTwitch, client: Client) -> None:
    user = client.create_user(USER_ID)
    with pytest.raises(LimitError) as caught:
        await user.create_prediction("Who wins?", [f"o{i}" for i in range(11)], 120)
    assert (caught.value.limit, caught.value.bound, caught.value.value) == (
        "prediction_outcomes",
        10,
        11,
    )
    with pytest.raises(LimitError, match="reward_title"):
        await user.create_custom_reward("x" * 46, 10)
    with pytest.raises(LimitError, match="poll_duration"):
        await user.create_poll("Heads or Tails?", ["Heads", "Tails"], 14)
    with pytest.raises(ValueError, match="winning_outcome_id"):
        await user.end_prediction("p1", "RESOLVED")
    assert fake.helix == []


# -- session ownership ----------------------------------------------------------------------


async def test_close_is_idempotent_and_spares_a_given_session(
    fake: FakeTwitch, handler: RecordingHandler
) -> None:
    async with aiohttp.ClientSession() as session:
        client = Client(
            handler, session=session, helix_url=fake.helix_url, oauth_url=fake.oauth_url
        )
        await client.create_user(USER_ID).get_goals()
        await client.close()
        await client.close()
        assert not session.closed
    own = Client(handler, helix_url=fake.helix_url, oauth_url=fake.oauth_url)
    session = await own.http.get_session()
    await own.close()
    await own.close()
    assert session.closed


async def test_route_repeats_list_params_and_drops_none() -> None:
    route = Route("get", "/x/", params={"id": ["a", "b"], "flag": False, "none": None, "n": 3})
    assert route.params == [("id", "a"), ("id", "b"), ("flag", "false"), ("n", "3")]
    assert str(route) == "GET /x"
    assert route.replace_params(id="c").params == [("flag", "false"), ("n", "3"), ("id", "c")]
