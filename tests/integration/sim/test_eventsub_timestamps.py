"""Every EventSub time the simulator sends has fractional seconds, for every type and version.

EVENTSUB_RULES.md: "All timestamps are RFC3339 and use nanoseconds instead of milliseconds",
and every documented example (``twitch-reference/eventsub/*.json``) shows a fraction (9 or
8 digits). Helix shows the same instants in whole seconds for redemptions, goals, streams and
reward cooldowns, which once leaked into ``redeemed_at``, a goal's ``started_at`` and
``stream.online``'s ``started_at``.

Each (type, version) the simulator serves is subscribed to, its change is made, and every
string in the whole message (metadata, subscription, event) that is a date-time, or sits
under a ``*_at``/``*_timestamp`` key, must match ``YYYY-MM-DDTHH:MM:SS.f{1,9}Z``. Every path
that holds a time in the type's documented example must hold one here too.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest

from companion.sim.eventsub_payloads import SUBSCRIPTION_VERSIONS
from tests.helpers.eventsub_ws import (
    CLIENT_ID,
    EVENTSUB_REFERENCE,
    EventSubHarness,
    EventSubPeer,
    load_reference,
)
from tests.integration.sim.test_eventsub_notifications import _setup
from tests.integration.sim.test_sim_eventsub_extra_types import SCOPES, Channel, _prepare

EVENTSUB_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,9}Z")
LOOKS_LIKE_A_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T")
TYPES = sorted(SUBSCRIPTION_VERSIONS)


def times_in(value: Any, path: str = "") -> dict[str, str]:
    """Every time-like string in a JSON value, by path (list items as ``[]``)."""
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{key}"
            timed_key = key.endswith(("_at", "_timestamp"))
            if isinstance(item, str) and (timed_key or LOOKS_LIKE_A_DATE.match(item)):
                found[sub] = item
            else:
                found.update(times_in(item, sub))
    elif isinstance(value, list):
        for item in value:
            found.update(times_in(item, f"{path}[]"))
    return found


def documented_time_paths() -> dict[str, set[str]]:
    """Type name -> the paths of the ``payload`` that hold a time in its documented examples."""
    paths: dict[str, set[str]] = {}
    for file in EVENTSUB_REFERENCE.glob("*.payload*.json"):
        type_name = file.name.split(".payload", 1)[0]
        example = load_reference(file.name)
        paths.setdefault(type_name, set()).update(times_in(example))
    return paths


DOCUMENTED = documented_time_paths()


def test_the_documented_examples_all_have_fractions() -> None:
    # The rule this file enforces, read off the reference itself.
    seen = 0
    for file in sorted(EVENTSUB_REFERENCE.glob("*.json")):
        for path, text in times_in(load_reference(file.name)).items():
            seen += 1
            assert EVENTSUB_TIME.fullmatch(text), (file.name, path, text)
    assert seen == 59
    assert len(DOCUMENTED) == 15


@pytest.fixture
async def sim() -> AsyncIterator[EventSubHarness]:
    async with EventSubHarness() as harness:
        harness.hub.welcome_window_seconds = 30
        yield harness


async def _listen(sim: EventSubHarness, type_name: str, version: str) -> tuple[EventSubPeer, Any]:
    """Subscribes a raw peer; returns it and the trigger of the type's change."""
    if type_name in SCOPES:
        channel = Channel(sim)
        trigger = _prepare(channel, type_name)
        condition = {"broadcaster_user_id": sim.broadcaster_id}
        token = sim.user_token(sim.broadcaster_id, frozenset({SCOPES[type_name]}))
        if type_name == "channel.follow":
            condition["moderator_user_id"] = channel.mod
            token = sim.user_token(channel.mod, frozenset({SCOPES[type_name]}))
    elif type_name.startswith("stream."):
        token, condition = None, {"broadcaster_user_id": sim.broadcaster_id}
        if type_name == "stream.offline":
            sim.state.set_stream_live(sim.broadcaster_id, True)
        live = type_name == "stream.online"

        def trigger() -> Any:
            return sim.state.set_stream_live(sim.broadcaster_id, live)

    else:
        _, trigger = await _setup(sim, type_name)
        token, condition = None, {"broadcaster_user_id": sim.broadcaster_id}
    peer, session_id = await sim.connect_welcomed()
    status, body = await sim.subscribe(
        session_id, type_name, condition, token=token, version=version
    )
    assert status == 202, body
    return peer, trigger


@pytest.mark.parametrize(("type_name", "version"), TYPES)
async def test_every_time_has_fractional_seconds(
    sim: EventSubHarness, type_name: str, version: str
) -> None:
    peer, trigger = await _listen(sim, type_name, version)
    result = trigger()
    if isinstance(result, Awaitable):
        await result
    message = await peer.recv_notification()
    assert message["metadata"]["subscription_type"] == type_name
    assert message["metadata"]["subscription_version"] == version

    times = times_in(message)
    assert {".metadata.message_timestamp", ".payload.subscription.created_at"} <= set(times)
    wrong = {path: text for path, text in times.items() if not EVENTSUB_TIME.fullmatch(text)}
    assert wrong == {}
    # Every time the documented example has is sent (null only where the example family
    # shows null: a reward without a running cooldown).
    ours = times_in(message["payload"])
    missing = DOCUMENTED.get(type_name, set()) - set(ours)
    assert missing <= {".event.cooldown_expires_at"}, missing
    for path in missing:
        assert message["payload"]["event"][path.rsplit(".", 1)[1]] is None


async def test_a_running_reward_cooldown_has_fractional_seconds(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    status, _ = await sim.subscribe(session_id, "channel.channel_points_custom_reward.update")
    assert status == 202
    reward = sim.create_reward(
        "Cooldown", is_global_cooldown_enabled=True, global_cooldown_seconds=60
    )
    sim.state.redeem(sim.broadcaster_id, reward["id"], sim.viewer_id)
    sim.state.update_reward(sim.broadcaster_id, CLIENT_ID, reward["id"], {"cost": 5})
    event = (await peer.recv_notification())["payload"]["event"]
    assert EVENTSUB_TIME.fullmatch(event["cooldown_expires_at"]), event["cooldown_expires_at"]
    # Helix shows the same instant in whole seconds.
    [helix] = sim.state.get_rewards(sim.broadcaster_id, CLIENT_ID, [reward["id"]], False)
    assert event["cooldown_expires_at"].startswith(helix["cooldown_expires_at"][:-1] + ".")
