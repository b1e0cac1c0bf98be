"""LiveEvents turns the simulator's EventSub traffic into Qt signals, and asks for a resync
after a lost connection (but not after a clean session_reconnect handoff)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from companion.services.live_events import LiveEvents
from companion.sim import DEMO_CLIENT_ID, Simulator
from companion.twitch.client import Client
from companion.twitch.eventsub import Revocation
from companion.twitch.tokens import SimpleTokenHandler

if TYPE_CHECKING:
    from companion.twitch.models.channel_points import CustomRewardRedemption

SCOPES = [
    "channel:manage:redemptions",
    "channel:manage:predictions",
    "channel:manage:polls",
    "channel:read:goals",
]


async def until(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


@pytest.fixture
async def live(demo_sim: Simulator, qapp):
    broadcaster_id = demo_sim.demo_broadcaster_id
    issued = demo_sim.state.issue_user_token(DEMO_CLIENT_ID, broadcaster_id, SCOPES)
    handler = SimpleTokenHandler(issued["access_token"], DEMO_CLIENT_ID, issued["refresh_token"])
    client = Client(
        handler,
        helix_url=demo_sim.helix_url,
        oauth_url=demo_sim.oauth_url,
        eventsub_url=demo_sim.eventsub_url,
    )
    service = LiveEvents(
        reconnect_base_delay=0.01, reconnect_max_delay=0.05, handoff_quiet_seconds=0.05
    )
    states: list[tuple[str, str]] = []
    service.state_changed.connect(lambda state, text: states.append((state, text)))
    await service.start(client.http, client.create_user(broadcaster_id))
    await service.client.wait_live(timeout=5)
    try:
        yield service, client, states
    finally:
        await service.shutdown()
        await client.close()


@pytest.mark.qt_loop
async def test_redemptions_become_signals(live, demo_sim: Simulator) -> None:
    service, _client, states = live
    added: list[CustomRewardRedemption] = []
    service.redemption_added.connect(added.append)
    made = demo_sim.state.redeem_many(demo_sim.demo_broadcaster_id, 25)
    await until(lambda: len(added) == 25)
    assert [r.id for r in added] == [r["id"] for r in made]
    assert states[-1] == ("live", "Live events: connected")


@pytest.mark.qt_loop
async def test_handoff_does_not_resync_but_a_drop_does(live, demo_sim: Simulator) -> None:
    service, _client, states = live
    resyncs: list[bool] = []
    service.resynced.connect(lambda: resyncs.append(True))
    [old_session] = demo_sim.hub.session_ids
    assert await demo_sim.hub.force_reconnect() == 1
    added: list[object] = []
    service.redemption_added.connect(added.append)
    demo_sim.state.redeem_many(demo_sim.demo_broadcaster_id, 3)
    await until(lambda: len(added) == 3)
    # The old socket closes once the new one is welcomed and the old one has gone quiet.
    await until(
        lambda: len(demo_sim.hub.session_ids) == 1 and demo_sim.hub.session_ids != [old_session]
    )
    assert resyncs == []
    assert await demo_sim.hub.drop_connections(4006) == 1
    await until(lambda: resyncs == [True])
    assert ("live", "Live events: connected") in states
    assert any(state == "reconnecting" for state, _ in states)


@pytest.mark.qt_loop
async def test_withdrawn_authorization_is_its_own_signal(live, demo_sim: Simulator) -> None:
    service, _client, states = live
    reasons: list[str] = []
    withdrawn: list[tuple[str, object]] = []
    service.revoked.connect(reasons.append)
    service.authorization_revoked.connect(lambda user, client: withdrawn.append((user, client)))
    subscriptions = len(service.client.subscription_ids)
    demo_sim.state.revoke_user_tokens(DEMO_CLIENT_ID, demo_sim.demo_broadcaster_id)
    # One revocation per subscription, each naming the broadcaster (no client id in it).
    await until(lambda: len(withdrawn) == subscriptions)
    assert set(withdrawn) == {(demo_sim.demo_broadcaster_id, None)}
    assert reasons == []  # not a notice: the session signs out and asks to sign in again
    await until(lambda: states[-1][0] == "down")
    assert states[-1] == (
        "down",
        "Live events: stopped; sign in again or restart the app to reconnect",
    )


@pytest.mark.qt_loop
async def test_other_revocations_are_sentences(live, demo_sim: Simulator) -> None:
    service, _client, _states = live
    reasons: list[str] = []
    service.revoked.connect(reasons.append)
    # Twitch retiring a version is not something the sim can be told to do; the revocation
    # object is what the client parses from such a message (ws.revocation.json's shape).
    service.deliver(
        Revocation("channel.poll.begin", "1", "m-1", datetime.now(UTC), "version_removed", {})
    )
    assert reasons == [
        "Twitch retired a kind of live event this version of Streamer Companion uses. "
        "Update Streamer Companion to get those events back."
    ]
