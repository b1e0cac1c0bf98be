"""A Helix 401 is judged by Twitch's truth (issue 15), against the real simulator.

Helix answers 401 for a dead token, but also for a missing scope and for a ``broadcaster_id``
that is not the token's user (the error tables in ``helix-openapi.json``). On a 401 the
client asks ``GET /oauth2/validate`` once: a valid token means the 401 is about the request
(``Unauthorized`` with Twitch's text, the token kept, no refresh); an invalid one is
refreshed and the request retried once, as before.

The client checks scopes before sending (``MissingScope``, nothing sent), so it never sends
a request its own scope table says the token cannot make. A server-side missing-scope 401
therefore happens only when the client's belief and Twitch's truth differ; the tests
provoke it the two ways that happen for real:

* a raw ``HTTPHandler.request`` for an endpoint, with no scopes given (a caller whose scope
  list is missing or wrong): the client cannot know in advance;
* a public method while the token's scopes are unknown, because ``/oauth2/validate``
  failed (503) at first use and the client sent the request anyway.

Every count is taken on the wire (an aiohttp trace on the client's session, see
``sim_env.Traffic``), and "no refresh" is also checked on the simulator's side: the refresh
token it issued is still unused.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from companion.sim import DEMO_CLIENT_ID, SimConfig
from companion.twitch import InvalidToken, MissingScope, Route, Unauthorized
from companion.twitch.scopes import SCOPES
from tests.integration.twitch.sim_env import SCOPES as FULL_SCOPES
from tests.integration.twitch.sim_env import Setup, sim_setup

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from companion.twitch.models import PartialUser

REWARDS = "/helix/channel_points/custom_rewards"
VALIDATE = "/oauth2/validate"
TOKEN = "/oauth2/token"
MISSING_MANAGE = "Missing scope: channel:manage:redemptions"
NOT_YOURS = "The ID in broadcaster_id must match the user ID in the access token."
# A token that may read rewards and goals but not manage rewards.
READER_SCOPES = ("channel:read:goals", "channel:read:redemptions")
CONFIG = SimConfig(demo=True, seed=11)


@pytest.fixture
async def env() -> AsyncIterator[Setup]:
    async for setup in sim_setup(CONFIG):
        yield setup


@pytest.fixture
async def reader() -> AsyncIterator[Setup]:
    async for setup in sim_setup(CONFIG, READER_SCOPES):
        yield setup


async def primed(setup: Setup) -> Setup:
    """Validate the token at first use (one allowed call), then forget that traffic."""
    await setup.user.get_goals()
    setup.traffic.log.clear()
    return setup


def create_reward_raw(setup: Setup, title: str) -> Awaitable[Any]:
    """Create Custom Rewards through the public HTTPHandler, with no scopes given."""
    route = Route(
        "POST",
        "channel_points/custom_rewards",
        params={"broadcaster_id": setup.caster_id},
        json={"title": title, "cost": 100},
    )
    return setup.client.http.request(route, user=setup.user)


def stranger(setup: Setup) -> PartialUser:
    """Another user of the simulator; the handler still gives the caster's token for it."""
    other = next(uid for uid in setup.sim.state.users if uid != setup.caster_id)
    return setup.client.create_user(other)


def assert_token_kept(setup: Setup) -> None:
    """No refresh went out, the hooks were not called, and Twitch still accepts the token."""
    assert setup.traffic.count("POST", TOKEN) == 0
    assert (setup.handler.stored, setup.handler.expired) == ([], [])
    token = setup.handler.token
    assert not token.invalid
    assert token.refresh_token is not None
    assert setup.sim.state.refresh_tokens[token.refresh_token].used is False
    record = setup.sim.state.lookup_access_token(token.access_token)
    assert record is not None and record.valid


# -- 401s that are not about the token ---------------------------------------------------------


async def test_missing_scope_401_is_unauthorized_with_twitchs_text(reader: Setup) -> None:
    env = await primed(reader)
    rewards_before = len(env.sim.state.channels[env.caster_id].rewards)
    with pytest.raises(Unauthorized) as caught:
        await create_reward_raw(env, "Hydrate")
    exc = caught.value
    assert env.traffic.log == [("POST", REWARDS, 401), ("GET", VALIDATE, 200)]
    assert (exc.status, exc.message, str(exc.route)) == (
        401,
        MISSING_MANAGE,
        "POST /channel_points/custom_rewards",
    )
    assert exc.body == {"error": "Unauthorized", "status": 401, "message": MISSING_MANAGE}
    assert exc.token_valid is True
    assert exc.missing_scope is True
    # The endpoint's documented scopes (the client's table) beside the token's (validate).
    assert exc.required_scopes == ("channel:manage:redemptions",)
    assert exc.token_scopes == READER_SCOPES
    assert str(exc) == (
        f"401 on POST /channel_points/custom_rewards: {MISSING_MANAGE} (the endpoint accepts "
        "'channel:manage:redemptions'; the token has 'channel:read:goals', "
        "'channel:read:redemptions')"
    )
    assert_token_kept(env)
    assert len(env.sim.state.channels[env.caster_id].rewards) == rewards_before

    # The next allowed call for the user goes out at once with the same token and works.
    env.traffic.log.clear()
    rewards = await env.user.get_custom_rewards()
    assert len(rewards) == rewards_before
    assert env.traffic.log == [("GET", REWARDS, 200)]
    assert_token_kept(env)


async def test_missing_scope_401_while_scopes_were_unknown_teaches_the_client(
    reader: Setup,
) -> None:
    env = reader
    # id.twitch.tv fails the validation at first use: the client sends without knowing the
    # token's scopes, so its own scope check cannot stop the request.
    env.sim.faults.fail_next(1, 503, prefix=VALIDATE)
    with pytest.raises(Unauthorized) as caught:
        await env.user.create_custom_reward("Hydrate", 100)
    exc = caught.value
    assert env.traffic.log == [
        ("GET", VALIDATE, 503),
        ("POST", REWARDS, 401),
        ("GET", VALIDATE, 200),
    ]
    assert exc.message == MISSING_MANAGE
    assert (exc.token_valid, exc.missing_scope) == (True, True)
    assert exc.required_scopes == SCOPES["PartialUser.create_custom_reward"]
    assert exc.token_scopes == READER_SCOPES
    assert_token_kept(env)

    # The validate answer is now the client's knowledge: the same call is refused before
    # sending, and an allowed one works with the same token.
    env.traffic.log.clear()
    with pytest.raises(MissingScope):
        await env.user.create_custom_reward("Hydrate", 100)
    assert env.traffic.log == []
    (goal,) = await env.user.get_goals()
    assert goal.type == "follower"
    assert env.traffic.log == [("GET", "/helix/goals", 200)]
    assert_token_kept(env)


@pytest.mark.parametrize(
    ("call", "method", "name"),
    [
        (lambda user: user.get_custom_rewards(), "GET", "PartialUser.get_custom_rewards"),
        (
            lambda user: user.create_custom_reward("Not my channel", 10),
            "POST",
            "PartialUser.create_custom_reward",
        ),
    ],
    ids=["get", "create"],
)
async def test_broadcaster_mismatch_401_is_unauthorized_with_twitchs_text(
    env: Setup, call: Callable[[PartialUser], Awaitable[Any]], method: str, name: str
) -> None:
    env = await primed(env)
    with pytest.raises(Unauthorized) as caught:
        await call(stranger(env))
    exc = caught.value
    assert env.traffic.log == [(method, REWARDS, 401), ("GET", VALIDATE, 200)]
    assert (exc.message, str(exc.route)) == (NOT_YOURS, f"{method} /channel_points/custom_rewards")
    assert exc.body == {"error": "Unauthorized", "status": 401, "message": NOT_YOURS}
    assert (exc.token_valid, exc.missing_scope) == (True, False)
    assert exc.required_scopes == SCOPES[name]
    assert exc.token_scopes == tuple(sorted(FULL_SCOPES))
    # Not a scope problem, so the message is Twitch's alone.
    assert str(exc) == f"401 on {method} /channel_points/custom_rewards: {NOT_YOURS}"
    assert_token_kept(env)

    env.traffic.log.clear()
    await env.user.get_custom_rewards()
    (goal,) = await env.user.get_goals()
    assert goal.current_amount == 640
    assert env.traffic.log == [("GET", REWARDS, 200), ("GET", "/helix/goals", 200)]
    assert_token_kept(env)


@pytest.mark.parametrize("cause", ["missing_scope", "broadcaster_mismatch"])
async def test_20_concurrent_401s_cause_one_validate(reader: Setup, cause: str) -> None:
    env = await primed(reader)
    if cause == "missing_scope":
        calls = [create_reward_raw(env, f"Reward {n}") for n in range(20)]
        method, text = "POST", MISSING_MANAGE
    else:
        other = stranger(env)
        calls = [other.get_custom_rewards() for _ in range(20)]
        method, text = "GET", NOT_YOURS
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [type(r) for r in results] == [Unauthorized] * 20
    assert {r.message for r in results if isinstance(r, Unauthorized)} == {text}
    assert env.traffic.helix() == [(method, REWARDS, 401)] * 20
    assert env.traffic.count("GET", VALIDATE) == 1
    assert_token_kept(env)
    await env.user.get_custom_rewards()
    assert env.traffic.log[-1] == ("GET", REWARDS, 200)


async def test_401_while_validate_is_down_keeps_the_token_and_does_not_refresh(
    env: Setup,
) -> None:
    env = await primed(env)
    env.sim.faults.fail_next(1, 503, prefix=VALIDATE)
    with pytest.raises(Unauthorized) as caught:
        await stranger(env).get_custom_rewards()
    # Twitch's truth is unknown: the client neither refreshes nor drops the token.
    assert caught.value.token_valid is None
    assert caught.value.message == NOT_YOURS
    assert env.traffic.log == [("GET", REWARDS, 401), ("GET", VALIDATE, 503)]
    assert_token_kept(env)
    env.traffic.log.clear()
    await env.user.get_custom_rewards()
    assert env.traffic.log == [("GET", REWARDS, 200)]


# -- 401s that are about the token: the refresh path, as before --------------------------------


async def test_revoked_token_is_validated_refreshed_and_retried(env: Setup) -> None:
    env = await primed(env)
    first = env.handler.token
    env.sim.faults.revoke_next(1, prefix="/helix/goals")
    (goal,) = await env.user.get_goals()
    assert goal.type == "follower"
    assert env.traffic.log == [
        ("GET", "/helix/goals", 401),
        ("GET", VALIDATE, 401),  # Twitch says the token is dead...
        ("POST", TOKEN, 200),  # ...so it is refreshed once...
        ("GET", VALIDATE, 200),  # ...the new token validated at first use...
        ("GET", "/helix/goals", 200),  # ...and the request retried once.
    ]
    assert first.invalid
    assert env.handler.stored == [env.handler.token.refresh_token]
    assert env.handler.expired == []


async def test_20_concurrent_401s_on_an_expired_token_validate_once_and_refresh_once(
    env: Setup,
) -> None:
    env = await primed(env)
    env.sim.state.expire_token(env.handler.token.access_token)
    results = await asyncio.gather(*(env.user.get_goals() for _ in range(20)))
    assert all(len(goals) == 1 for goals in results)
    assert env.traffic.count("POST", TOKEN) == 1
    # One validate said the old token is dead, one validated the new token at first use.
    assert [s for m, p, s in env.traffic.log if p == VALIDATE] == [401, 200]
    assert len(env.handler.stored) == 1


async def test_refused_refresh_still_reaches_event_token_expired(env: Setup) -> None:
    env = await primed(env)
    dead = env.handler.token
    env.sim.state.revoke_user_tokens(DEMO_CLIENT_ID, env.caster_id)
    with pytest.raises(InvalidToken):
        await env.user.get_goals()
    assert env.traffic.log == [
        ("GET", "/helix/goals", 401),
        ("GET", VALIDATE, 401),
        ("POST", TOKEN, 400),  # the grant is gone: Twitch refuses the refresh token
    ]
    assert env.handler.expired == [dead]
    assert env.handler.stored == []
