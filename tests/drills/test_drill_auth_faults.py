"""Fault drills on sign-in: the streamer disconnects the app, an access token is revoked
in flight, and the refresh token turns out to be spent.

The demo app has no re-login prompt wired in these drills (``relogin`` is None, as when
the streamer dismisses the dialog), so a token that cannot be replaced signs the user out:
``TwitchSession.account_lost`` then ``signed_out`` say so, the queue keeps its rows but
sends nothing (an action meets "signed out" before any request; the ledger keeps every
redemption seen), and after a new sign-in the Helix re-read brings in every redemption made
while signed out.
"""

from __future__ import annotations

import pytest

from companion.sim import DEMO_CLIENT_ID
from tests.drills.harness import (
    EXPIRED,
    HYDRATE,
    NOT_SENT,
    REVOKED,
    SONG,
    Drill,
    spend_refresh_token,
    until,
)

pytestmark = pytest.mark.qt_loop


async def sign_in_again_and_catch_up(drill: Drill, missed: list[str]) -> None:
    """A new device-code sign-in: the queue is read back and live events resume."""
    await drill.sign_in()
    await until(lambda: set(missed) <= set(drill.queue.queue.ids()), what="the catch-up")


async def test_authorization_revoked_signs_out_and_sign_in_catches_up(drill: Drill) -> None:
    songs = drill.redeem(6, SONG)
    await drill.delivered(songs)

    # The streamer disconnects the app on twitch.tv: every token dies, EventSub revokes
    # every subscription, and the revocation alone signs the account out (no request).
    drill.sim.state.revoke_user_tokens(DEMO_CLIENT_ID, drill.broadcaster_id)
    await until(lambda: drill.told.texts("session.signed_out") != [], what="the sign-out")
    assert drill.told.texts("session.account_lost") == [REVOKED]
    assert drill.told.texts("session.signed_out") == [REVOKED]
    assert drill.told.texts("live.revoked") == []  # the sign-out says it, not a notice
    assert drill.session.user is None
    await until(lambda: drill.told.any("live.state_changed", "down |"), what="live events down")

    # The rows stay; an action meets "signed out" before anything is sent.
    assert len(drill.queue.queue) == 3 + 6
    summary = await drill.act(lambda: drill.queue.fulfill(songs))
    assert summary == f"Fulfilled 0; 6 failed and stay in the queue ({NOT_SENT})"
    assert drill.sim.arrivals("PATCH") == []
    await drill.settle()
    assert drill.check().in_ledger == 3 + 6

    missed = drill.redeem(5)  # nobody is listening now
    await sign_in_again_and_catch_up(drill, missed)
    summary = await drill.act(lambda: drill.queue.fulfill(songs))
    assert summary == "Fulfilled 6"
    assert [h.status for h in drill.sim.arrivals("PATCH")] == [200]

    await drill.settle()
    figures = drill.check()
    assert figures.made == 3 + 6 + 5
    assert figures.patched_once == 6
    assert figures.queued == 3 + 5


async def test_access_token_revoked_in_flight_is_refreshed_once(drill: Drill) -> None:
    songs = drill.redeem(4, SONG)
    await drill.delivered(songs)
    old_refresh = drill.tokens["refresh_token"]

    # The PATCH's token dies just before Twitch reads it: 401, one refresh, one retry.
    drill.sim.faults.revoke_next(1, prefix="/helix/channel_points/custom_rewards/redemptions")
    summary = await drill.act(lambda: drill.queue.fulfill(songs))
    assert summary == "Fulfilled 4"
    assert [h.status for h in drill.sim.arrivals("PATCH")] == [401, 200]
    assert drill.told.texts("session.signed_out") == []
    stored = await drill.store.load(drill.sim.oauth_url, drill.broadcaster_id)
    assert stored is not None
    assert stored.refresh_token != old_refresh  # the rotated token was kept (single use)

    late = drill.redeem(3)
    await drill.delivered(late)
    await drill.settle()
    figures = drill.check()
    assert figures.patched_once == 4
    assert figures.queued == 3 + 3


async def test_expired_access_token_with_a_spent_refresh_token(drill: Drill) -> None:
    hydrate = drill.redeem(8)
    await drill.delivered(hydrate)

    # Another device already used the refresh token (device-flow refresh tokens work once),
    # then the access token runs out.
    assert await spend_refresh_token(drill.sim, drill.tokens["refresh_token"]) == 200
    drill.sim.state.expire_token(drill.tokens["access_token"])

    summary = await drill.act(lambda: drill.queue.refund(hydrate))
    assert summary == f"Refunded 0; 8 failed and stay in the queue ({NOT_SENT})"
    assert drill.told.texts("session.account_lost") == [EXPIRED]
    assert drill.told.texts("session.signed_out") == [EXPIRED]
    assert len(drill.queue.queue) == 3 + 8
    assert [h.status for h in drill.sim.arrivals("PATCH")] == [401]

    missed = drill.redeem(2, SONG)
    await sign_in_again_and_catch_up(drill, missed)
    summary = await drill.act(lambda: drill.queue.refund_reward(drill.rewards[HYDRATE]))
    waiting_hydrate = 8 + 2  # the drill's eight and two of the demo's three
    assert summary == f"Refunded {waiting_hydrate}"
    assert [h.status for h in drill.sim.arrivals("PATCH")] == [401, 200]

    await drill.settle()
    figures = drill.check()
    assert figures.patched_once == waiting_hydrate
    assert figures.handled_at_sim == waiting_hydrate
