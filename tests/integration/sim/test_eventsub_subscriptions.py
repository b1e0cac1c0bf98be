"""Create / Get / Delete EventSub Subscriptions over the simulator's Helix, with every limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.helpers.eventsub_ws import ALL_READ_SCOPES, EventSubHarness, wait_for

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

REDEMPTION_ADD = "channel.channel_points_custom_reward_redemption.add"
POLL_BEGIN = "channel.poll.begin"


@pytest.fixture
async def sim() -> AsyncIterator[EventSubHarness]:
    async with EventSubHarness() as harness:
        harness.hub.welcome_window_seconds = 30
        yield harness


async def test_create_returns_202_with_totals(sim: EventSubHarness) -> None:
    _, session_id = await sim.connect_welcomed()
    status, body = await sim.subscribe(session_id, POLL_BEGIN)

    assert status == 202
    assert set(body) == {"data", "total", "total_cost", "max_total_cost"}
    (sub,) = body["data"]
    assert set(sub) == {
        "id",
        "status",
        "type",
        "version",
        "condition",
        "created_at",
        "transport",
        "cost",
    }
    assert sub["status"] == "enabled"
    assert sub["type"] == POLL_BEGIN
    assert sub["version"] == "1"
    assert sub["condition"] == {"broadcaster_user_id": sim.broadcaster_id}
    assert sub["cost"] == 0
    assert set(sub["transport"]) == {"method", "session_id", "connected_at"}
    assert sub["transport"]["method"] == "websocket"
    assert sub["transport"]["session_id"] == session_id
    assert (body["total"], body["total_cost"], body["max_total_cost"]) == (1, 0, 10)


async def test_duplicate_type_and_condition_is_409(sim: EventSubHarness) -> None:
    _, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, POLL_BEGIN))[0] == 202
    status, body = await sim.subscribe(session_id, POLL_BEGIN)
    assert status == 409
    assert body["status"] == 409
    assert body["error"] == "Conflict"
    # A different condition is not a duplicate.
    other = {"broadcaster_user_id": sim.broadcaster_id, "reward_id": "r-1"}
    assert (await sim.subscribe(session_id, REDEMPTION_ADD, other))[0] == 202
    assert (await sim.subscribe(session_id, REDEMPTION_ADD))[0] == 202


@pytest.mark.parametrize(
    "transport",
    [
        {"method": "websocket"},
        {"method": "websocket", "session_id": ""},
        {"method": "websocket", "session_id": "no-such-session"},
    ],
)
async def test_missing_or_unknown_session_is_400(
    sim: EventSubHarness, transport: dict[str, str]
) -> None:
    body = {
        "type": POLL_BEGIN,
        "version": "1",
        "condition": {"broadcaster_user_id": sim.broadcaster_id},
        "transport": transport,
    }
    status, answer = await sim.helix("POST", "/eventsub/subscriptions", json_body=body)
    assert status == 400
    assert answer["status"] == 400


async def test_closed_session_is_400(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    await peer.close()
    await wait_for(lambda: session_id not in sim.hub.session_ids)
    assert (await sim.subscribe(session_id, POLL_BEGIN))[0] == 400


@pytest.mark.parametrize(
    ("type_", "version"),
    [("channel.poll.begin", "2"), ("channel.follow.nope", "1"), ("user.update", "1")],
)
async def test_unknown_type_or_version_is_400(
    sim: EventSubHarness, type_: str, version: str
) -> None:
    _, session_id = await sim.connect_welcomed()
    status, _ = await sim.subscribe(session_id, type_, version=version)
    assert status == 400


@pytest.mark.parametrize(
    "condition",
    [
        {},
        {"broadcaster_user_id": ""},
        {"broadcaster_user_id": "999999999"},  # no such user
        {"broadcaster_user_id": "BROADCASTER", "reward_id": "x"},  # reward_id not allowed
        {"broadcaster_user_id": "BROADCASTER", "user_id": "1"},
    ],
)
async def test_bad_condition_is_400(sim: EventSubHarness, condition: dict[str, str]) -> None:
    _, session_id = await sim.connect_welcomed()
    cond = {k: (sim.broadcaster_id if v == "BROADCASTER" else v) for k, v in condition.items()}
    body = {
        "type": "channel.channel_points_custom_reward.add",
        "version": "1",
        "condition": cond,
        "transport": {"method": "websocket", "session_id": session_id},
    }
    status, _ = await sim.helix("POST", "/eventsub/subscriptions", json_body=body)
    assert status == 400


async def test_missing_scope_is_403(sim: EventSubHarness) -> None:
    _, session_id = await sim.connect_welcomed()
    polls_only = sim.user_token(sim.broadcaster_id, frozenset({"channel:read:polls"}))
    status, body = await sim.subscribe(session_id, REDEMPTION_ADD, token=polls_only)
    assert status == 403
    assert body["error"] == "Forbidden"
    # Either documented scope works.
    manage = sim.user_token(sim.broadcaster_id, frozenset({"channel:manage:redemptions"}))
    assert (await sim.subscribe(session_id, REDEMPTION_ADD, token=manage))[0] == 202


async def test_another_broadcasters_channel_is_403(sim: EventSubHarness) -> None:
    _, session_id = await sim.connect_welcomed()
    viewer_token = sim.user_token(sim.viewer_id, ALL_READ_SCOPES)
    status, _ = await sim.subscribe(session_id, POLL_BEGIN, token=viewer_token)
    assert status == 403


async def test_app_token_is_refused_for_websocket(sim: EventSubHarness) -> None:
    _, session_id = await sim.connect_welcomed()
    status, _ = await sim.subscribe(session_id, POLL_BEGIN, token=sim.app_token())
    assert status == 401


async def test_stream_online_needs_no_scope_and_costs_for_other_channels(
    sim: EventSubHarness,
) -> None:
    _, session_id = await sim.connect_welcomed()
    bare = sim.user_token(sim.broadcaster_id, frozenset())
    status, body = await sim.subscribe(session_id, "stream.online", token=bare)
    assert status == 202
    assert body["data"][0]["cost"] == 0
    others = [
        str(sim.state.create_user(f"other{i}", f"Other{i}", "affiliate")["id"]) for i in range(11)
    ]
    for n, other in enumerate(others[:10], start=1):
        status, body = await sim.subscribe(
            session_id, "stream.online", {"broadcaster_user_id": other}, token=bare
        )
        assert status == 202
        assert body["data"][0]["cost"] == 1
        assert body["total_cost"] == n
    status, body = await sim.subscribe(
        session_id, "stream.online", {"broadcaster_user_id": others[10]}, token=bare
    )
    assert status == 429
    assert "max_total_cost" in body["message"]


async def test_300_enabled_subscriptions_per_connection(sim: EventSubHarness) -> None:
    _, session_id = await sim.connect_welcomed()
    for i in range(300):
        cond = {"broadcaster_user_id": sim.broadcaster_id, "reward_id": f"reward-{i}"}
        status, body = await sim.subscribe(session_id, REDEMPTION_ADD, cond)
        assert status == 202, (i, body)
    cond = {"broadcaster_user_id": sim.broadcaster_id, "reward_id": "reward-300"}
    status, body = await sim.subscribe(session_id, REDEMPTION_ADD, cond)
    assert status == 429
    assert sim.hub.registry.enabled_count(session_id) == 300
    # A second connection has its own 300.
    _, second = await sim.connect_welcomed()
    assert (await sim.subscribe(second, REDEMPTION_ADD, cond))[0] == 202


async def test_three_connections_per_client_and_user(sim: EventSubHarness) -> None:
    types = ["channel.poll.begin", "channel.poll.progress", "channel.poll.end", "channel.goal.end"]
    sessions = [(await sim.connect_welcomed())[1] for _ in range(4)]
    for session_id, type_ in zip(sessions[:3], types, strict=False):
        assert (await sim.subscribe(session_id, type_))[0] == 202
    status, body = await sim.subscribe(sessions[3], types[3])
    assert status == 429
    assert "3 WebSocket connections" in body["message"]
    # Another user of the same client has their own three.
    other = str(sim.state.create_user("second", "Second", "partner")["id"])
    other_token = sim.user_token(other, ALL_READ_SCOPES)
    status, _ = await sim.subscribe(
        sessions[3], types[3], {"broadcaster_user_id": other}, token=other_token
    )
    assert status == 202


async def test_a_closed_connection_frees_its_slot(sim: EventSubHarness) -> None:
    peers = [await sim.connect_welcomed() for _ in range(4)]
    for (_, session_id), type_ in zip(
        peers[:3], ["channel.poll.begin", "channel.poll.progress", "channel.poll.end"], strict=True
    ):
        assert (await sim.subscribe(session_id, type_))[0] == 202
    await peers[0][0].close()
    await wait_for(lambda: peers[0][1] not in sim.hub.session_ids)
    # The first session's subscription is disabled now, so it counts neither as a connection
    # nor as a duplicate.
    assert (await sim.subscribe(peers[3][1], "channel.poll.begin"))[0] == 202


async def test_list_filters_and_pagination(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    sim.hub.registry.page_size = 2
    created = []
    for type_ in ["channel.poll.begin", "channel.poll.progress", "channel.poll.end"]:
        status, body = await sim.subscribe(session_id, type_)
        assert status == 202
        created.append(body["data"][0]["id"])

    status, page1 = await sim.helix("GET", "/eventsub/subscriptions")
    assert status == 200
    assert [s["id"] for s in page1["data"]] == created[:2]
    assert (page1["total"], page1["total_cost"], page1["max_total_cost"]) == (3, 0, 10)
    cursor = page1["pagination"]["cursor"]
    status, page2 = await sim.helix("GET", "/eventsub/subscriptions", params={"after": cursor})
    assert status == 200
    assert [s["id"] for s in page2["data"]] == created[2:]
    assert page2["pagination"] == {}

    status, by_type = await sim.helix(
        "GET", "/eventsub/subscriptions", params={"type": "channel.poll.end"}
    )
    assert [s["id"] for s in by_type["data"]] == created[2:]
    status, by_user = await sim.helix(
        "GET", "/eventsub/subscriptions", params={"user_id": sim.broadcaster_id}
    )
    assert len(by_user["data"]) == 2  # page size 2 of 3 matches
    status, by_id = await sim.helix(
        "GET", "/eventsub/subscriptions", params={"subscription_id": created[1]}
    )
    assert [s["id"] for s in by_id["data"]] == [created[1]]

    await peer.close()
    await wait_for(lambda: not sim.hub.session_ids)
    status, disabled = await sim.helix(
        "GET", "/eventsub/subscriptions", params={"status": "websocket_disconnected"}
    )
    assert status == 200
    assert [s["id"] for s in disabled["data"]] == created[:2]
    assert all("disconnected_at" in s["transport"] for s in disabled["data"])
    status, enabled = await sim.helix(
        "GET", "/eventsub/subscriptions", params={"status": "enabled"}
    )
    assert enabled["data"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"status": "enabled", "type": "channel.poll.begin"},
        {"status": "sleeping"},
        {"type": "not.a.type"},
        {"after": "!!!"},
    ],
)
async def test_list_rejects_bad_queries(sim: EventSubHarness, params: dict[str, str]) -> None:
    status, body = await sim.helix("GET", "/eventsub/subscriptions", params=params)
    assert status == 400
    assert body["status"] == 400


async def test_list_shows_only_the_callers_subscriptions(sim: EventSubHarness) -> None:
    _, session_id = await sim.connect_welcomed()
    assert (await sim.subscribe(session_id, POLL_BEGIN))[0] == 202
    other_token = sim.user_token(sim.viewer_id, frozenset())
    status, body = await sim.helix("GET", "/eventsub/subscriptions", token=other_token)
    assert status == 200
    assert (body["data"], body["total"]) == ([], 0)


async def test_delete_then_404_and_no_more_events(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    status, body = await sim.subscribe(session_id, "channel.goal.begin")
    sub_id = body["data"][0]["id"]

    other_token = sim.user_token(sim.viewer_id, frozenset())
    status, _ = await sim.helix(
        "DELETE", "/eventsub/subscriptions", token=other_token, params={"id": sub_id}
    )
    assert status == 404
    status, _ = await sim.helix("DELETE", "/eventsub/subscriptions", params={"id": sub_id})
    assert status == 204
    status, _ = await sim.helix("DELETE", "/eventsub/subscriptions", params={"id": sub_id})
    assert status == 404

    sim.state.create_goal(sim.broadcaster_id, "follower", "after delete", 10)
    await peer.expect_silence(0.2)
    status, listed = await sim.helix("GET", "/eventsub/subscriptions")
    assert listed["data"] == []


REWARD_TYPES_WITH_FILTER = [
    "channel.channel_points_custom_reward.update",
    "channel.channel_points_custom_reward.remove",
    "channel.channel_points_custom_reward_redemption.add",
    "channel.channel_points_custom_reward_redemption.update",
]


@pytest.mark.parametrize("type_", REWARD_TYPES_WITH_FILTER)
async def test_empty_reward_id_is_accepted_and_echoed(sim: EventSubHarness, type_: str) -> None:
    # twitchio sends `reward_id: ""` for these four types; Twitch treats it as "all rewards".
    _, session_id = await sim.connect_welcomed()
    cond = {"broadcaster_user_id": sim.broadcaster_id, "reward_id": ""}
    status, body = await sim.subscribe(session_id, type_, cond)
    assert status == 202, body
    assert body["data"][0]["condition"] == cond
    # Empty and absent filter the same way, so the second is the same subscription: 409.
    status, body = await sim.subscribe(session_id, type_)
    assert (status, body["error"]) == (409, "Conflict")


async def test_empty_reward_id_delivers_every_rewards_redemptions(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    cond = {"broadcaster_user_id": sim.broadcaster_id, "reward_id": ""}
    assert (await sim.subscribe(session_id, REDEMPTION_ADD, cond))[0] == 202
    first, second = sim.create_reward("First"), sim.create_reward("Second")
    sim.state.redeem(sim.broadcaster_id, first["id"], sim.viewer_id)
    sim.state.redeem(sim.broadcaster_id, second["id"], sim.viewer_id)
    got = [await peer.recv_notification() for _ in range(2)]
    assert [m["payload"]["event"]["reward"]["id"] for m in got] == [first["id"], second["id"]]
    assert all(m["payload"]["subscription"]["condition"] == cond for m in got)
    await peer.expect_silence(0.1)


async def test_reward_id_filters_when_not_empty(sim: EventSubHarness) -> None:
    peer, session_id = await sim.connect_welcomed()
    first, second = sim.create_reward("First"), sim.create_reward("Second")
    cond = {"broadcaster_user_id": sim.broadcaster_id, "reward_id": second["id"]}
    assert (await sim.subscribe(session_id, REDEMPTION_ADD, cond))[0] == 202
    sim.state.redeem(sim.broadcaster_id, first["id"], sim.viewer_id)
    sim.state.redeem(sim.broadcaster_id, second["id"], sim.viewer_id)
    got = await peer.recv_notification()
    assert got["payload"]["event"]["reward"]["id"] == second["id"]
    await peer.expect_silence(0.1)


async def test_paging_while_deleting_sees_every_subscription_once(sim: EventSubHarness) -> None:
    # What twitchAPI's unsubscribe_all does: read a page, delete it, follow the cursor.
    _, session_id = await sim.connect_welcomed()
    created = []
    for i in range(119):
        cond = {"broadcaster_user_id": sim.broadcaster_id, "reward_id": f"reward-{i}"}
        status, body = await sim.subscribe(session_id, REDEMPTION_ADD, cond)
        assert status == 202
        created.append(body["data"][0]["id"])
    seen: list[str] = []
    params: dict[str, str] = {}
    pages = 0
    while True:
        status, page = await sim.helix("GET", "/eventsub/subscriptions", params=params)
        assert status == 200
        pages += 1
        for sub in page["data"]:
            seen.append(sub["id"])
            params_del = {"id": sub["id"]}
            assert (await sim.helix("DELETE", "/eventsub/subscriptions", params=params_del))[
                0
            ] == 204
        cursor = page["pagination"].get("cursor")
        if not cursor:
            break
        params = {"after": cursor}
    assert seen == created
    assert pages == 2
    status, left = await sim.helix("GET", "/eventsub/subscriptions")
    assert (left["data"], left["total"]) == ([], 0)


async def test_cursor_survives_deletion_of_the_item_it_points_at(sim: EventSubHarness) -> None:
    _, session_id = await sim.connect_welcomed()
    sim.hub.registry.page_size = 2
    ids = []
    for type_ in ["channel.poll.begin", "channel.poll.progress", "channel.poll.end"]:
        ids.append((await sim.subscribe(session_id, type_))[1]["data"][0]["id"])
    ids.append((await sim.subscribe(session_id, "channel.goal.begin"))[1]["data"][0]["id"])
    _, page1 = await sim.helix("GET", "/eventsub/subscriptions")
    assert [s["id"] for s in page1["data"]] == ids[:2]
    # The two served, and the first unserved one, go away; the cursor still continues after
    # the last one served.
    for sub_id in ids[:3]:
        assert (await sim.helix("DELETE", "/eventsub/subscriptions", params={"id": sub_id}))[
            0
        ] == 204
    cursor = page1["pagination"]["cursor"]
    _, page2 = await sim.helix("GET", "/eventsub/subscriptions", params={"after": cursor})
    assert [s["id"] for s in page2["data"]] == ids[3:]
    assert page2["pagination"] == {}
    # A subscription made after the cursor was handed out is after it too.
    new = (await sim.subscribe(session_id, "channel.goal.end"))[1]["data"][0]["id"]
    _, page3 = await sim.helix("GET", "/eventsub/subscriptions", params={"after": cursor})
    assert [s["id"] for s in page3["data"]] == [ids[3], new]
