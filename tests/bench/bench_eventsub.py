"""Benchmark of the EventSub client: notifications parsed into models and delivered per second.

Run with ``pytest -m bench tests/bench/bench_eventsub.py -s`` (the file is named outside
pytest's ``test_*.py`` pattern, so it only runs when named). Not part of the default run.

Two figures:

* ``eventsub_notifications_per_s``: end to end over loopback. The simulator queues a burst of
  redemptions on the session, then the clock runs until the last one comes out of
  ``client.events()`` as a ``CustomRewardRedemption`` (socket read, JSON, dedup, age check,
  model, fan-out). The simulator's writer shares the one CPU loop, so this is a floor.
* ``eventsub_parse_deliver_per_s``: the same messages handed straight to the client's message
  handler, without a socket: the client's own cost per notification.
"""

from __future__ import annotations

import time

import pytest

from companion.sim import SimConfig, Simulator
from companion.twitch.eventsub import EventSubClient, EventSubEvent
from companion.twitch.http import HTTPHandler
from companion.twitch.models.channel_points import CustomRewardRedemption
from companion.twitch.models.users import PartialUser
from companion.twitch.tokens import SimpleTokenHandler

pytestmark = pytest.mark.bench

CLIENT_ID = "eventsubbench0000000000000001"
BURST = 20_000


async def test_eventsub_throughput() -> None:
    sim = Simulator(SimConfig(seed=3))
    await sim.start(port=0)
    state = sim.state
    state.register_client(CLIENT_ID, None)
    caster = str(state.create_user("benchcaster", "BenchCaster", "affiliate")["id"])
    viewer = str(state.create_user("benchviewer", "BenchViewer", "")["id"])
    reward = str(state.create_reward(caster, CLIENT_ID, {"title": "Bench", "cost": 1})["id"])
    token = state.issue_user_token(CLIENT_ID, caster, ["channel:read:redemptions"])
    http = HTTPHandler(
        SimpleTokenHandler(token["access_token"], CLIENT_ID, token["refresh_token"]),
        helix_url=sim.helix_url,
        oauth_url=sim.oauth_url,
        eventsub_url=sim.eventsub_url,
    )
    redemption_add = "channel.channel_points_custom_reward_redemption.add"
    client = EventSubClient(
        http,
        PartialUser(http, caster),
        [s for s in _specs(caster) if s.type == redemption_add],
    )
    captured: list[str] = []
    try:
        stream = client.events()
        await client.start()
        await client.wait_live(5)

        for _ in range(BURST):
            state.redeem(caster, reward, viewer)
        # The redemptions are only queued so far (nothing is written until the loop runs):
        # the clock covers the wire, the parsing and the delivery.
        start = time.perf_counter()
        received = 0
        async for event in stream:
            assert isinstance(event, EventSubEvent)
            assert isinstance(event.model, CustomRewardRedemption)
            received += 1
            if received == BURST:
                break
        elapsed = time.perf_counter() - start
        assert received == BURST
        assert client.duplicates_dropped == 0
        print(f"\neventsub_notifications_per_s: {BURST / elapsed:.0f} /s")

        # The client alone: replay the same wire texts through its handler (new ids, so the
        # duplicate filter lets them through as it would live traffic).
        assert sim.hub is not None
        captured = [_renumber(text, n) for n, text in enumerate(_history(sim), 1)]
        sock = client._current
        assert sock is not None
        inner = client.events()
        start = time.perf_counter()
        for text in captured:
            client._inbox.handle(sock, text)  # what the socket reader calls per frame
        delivered = len(inner)
        elapsed = time.perf_counter() - start
        assert delivered == len(captured)
        print(f"eventsub_parse_deliver_per_s: {delivered / elapsed:.0f} /s")
    finally:
        await client.close()
        await http.close()
        await sim.stop()


def _specs(caster: str) -> list[object]:
    from companion.twitch.eventsub_messages import app_subscriptions

    return list(app_subscriptions(caster))


def _history(sim: Simulator) -> list[str]:
    assert sim.hub is not None
    return [text for _sub_id, text in sim.hub._history]


def _renumber(text: str, n: int) -> str:
    # message_id is the first quoted value after "message_id":" in the envelope.
    head, _, rest = text.partition('"message_id":"')
    _old, _, tail = rest.partition('"')
    return f'{head}"message_id":"bench-{n}"{tail}'
