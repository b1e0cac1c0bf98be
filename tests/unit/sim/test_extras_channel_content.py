"""Simulator extras, channel and content endpoints: schema-valid answers, documented limits
just inside and just outside, and the rules each endpoint's reference text states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
import pytest

from tests.helpers.openapi_extras import examples, published_schema, schema_errors
from tests.helpers.sim_extras import ExtrasSimulator, RawCaller, make_sim, token_for

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

DAY = 86_400.0


@dataclass
class World:
    sim: ExtrasSimulator
    api: RawCaller
    caster: str
    token: str
    viewers: list[str]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    sim = make_sim()
    await sim.start()
    try:
        caster = sim.state.create_user("caster", "Caster", "partner")["id"]
        viewers = [sim.state.create_user(f"viewer{i}", f"Viewer{i}", "")["id"] for i in range(3)]
        async with aiohttp.ClientSession() as session:
            yield World(sim, RawCaller(session, sim), caster, token_for(sim, caster), viewers)
    finally:
        await sim.stop()


def test_reference_quirks_the_corrections_stand_for() -> None:
    """The published schemas reject their own examples where a correction is applied; if the
    reference is fixed, these fail and the correction can go."""
    import jsonschema  # type: ignore[import-untyped]  # no stubs in the venv

    for method, path in (("GET", "/hypetrain/status"), ("GET", "/schedule")):
        example = examples(method, path)["Example"]
        published = jsonschema.Draft7Validator(published_schema(method, path))
        assert list(published.iter_errors(example)) != []
        assert schema_errors(method, path, example) == []
    badge = examples("GET", "/chat/badges")["Example"]
    assert list(
        jsonschema.Draft7Validator(published_schema("GET", "/chat/badges")).iter_errors(badge)
    )
    assert schema_errors("GET", "/chat/badges", badge) == []


# -- bits ------------------------------------------------------------------------------------


async def test_bits_leaderboard(world: World) -> None:
    store, caster = world.sim.extras, world.caster
    now = world.sim.state.now()
    store.cheer(caster, world.viewers[0], 100, now)
    store.cheer(caster, world.viewers[1], 700, now)
    store.cheer(caster, world.viewers[0], 50, now - 400 * DAY)
    reply = await world.api.call("GET", "/bits/leaderboard", world.token)
    assert [(d["user_id"], d["rank"], d["score"]) for d in reply.body["data"]] == [
        (world.viewers[1], 1, 700),
        (world.viewers[0], 2, 150),
    ]
    assert reply.body["date_range"] == {"started_at": "", "ended_at": ""}
    assert reply.body["total"] == 2
    started = "2026-01-07T12:00:00Z"
    week = await world.api.call(
        "GET", "/bits/leaderboard", world.token, params={"period": "week", "started_at": started}
    )
    # PST week from Monday 2026-01-05 00:00 (08:00 UTC).
    assert week.body["date_range"] == {
        "started_at": "2026-01-05T08:00:00Z",
        "ended_at": "2026-01-12T08:00:00Z",
    }
    one = await world.api.call("GET", "/bits/leaderboard", world.token, params={"count": "1"})
    assert [d["user_id"] for d in one.body["data"]] == [world.viewers[1]]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"count": "100"}, 200),
        ({"count": "101"}, 400),
        ({"count": "0"}, 400),
        ({"period": "decade"}, 400),
        ({"period": "week"}, 400),
        ({"period": "day", "started_at": "yesterday"}, 400),
    ],
)
async def test_bits_leaderboard_limits(world: World, params: dict[str, str], status: int) -> None:
    reply = await world.api.call("GET", "/bits/leaderboard", world.token, params=params)
    assert reply.status == status


async def test_cheermotes(world: World) -> None:
    from companion.sim.extras.store import channel_cheermote

    world.sim.extras.channel(world.caster).cheermotes.append(channel_cheermote("Cozy", 5, 0.0))
    glob = await world.api.call("GET", "/bits/cheermotes", world.token)
    assert [(c["prefix"], c["type"]) for c in glob.body["data"]] == [
        ("Cheer", "global_first_party")
    ]
    both = await world.api.call(
        "GET", "/bits/cheermotes", world.token, params={"broadcaster_id": world.caster}
    )
    assert [(c["prefix"], c["type"]) for c in both.body["data"]] == [
        ("Cheer", "global_first_party"),
        ("Cozy", "channel_custom"),
    ]


# -- teams -----------------------------------------------------------------------------------


async def test_teams(world: World) -> None:
    team = world.sim.extras.add_team("livecoders", "Live Coders", [world.caster, world.viewers[0]])
    mine = await world.api.call(
        "GET", "/teams/channel", world.token, params={"broadcaster_id": world.caster}
    )
    assert [(t["id"], t["team_name"], t["broadcaster_id"]) for t in mine.body["data"]] == [
        (team["id"], "livecoders", world.caster)
    ]
    none = await world.api.call(
        "GET", "/teams/channel", world.token, params={"broadcaster_id": world.viewers[1]}
    )
    assert none.body == {"data": []}
    unknown = await world.api.call(
        "GET", "/teams/channel", world.token, params={"broadcaster_id": "1"}
    )
    assert unknown.status == 404
    by_name = await world.api.call("GET", "/teams", world.token, params={"name": "livecoders"})
    assert [u["user_id"] for u in by_name.body["data"][0]["users"]] == [
        world.caster,
        world.viewers[0],
    ]
    by_id = await world.api.call("GET", "/teams", world.token, params={"id": team["id"]})
    assert by_id.body == by_name.body
    both = await world.api.call(
        "GET", "/teams", world.token, params={"id": team["id"], "name": "x"}
    )
    assert both.status == 400
    assert (await world.api.call("GET", "/teams", world.token)).status == 400
    assert (
        await world.api.call("GET", "/teams", world.token, params={"name": "nope"})
    ).status == 404


# -- followers, subscriptions, hype train -----------------------------------------------------


async def test_followers(world: World) -> None:
    store, caster = world.sim.extras, world.caster
    now = world.sim.state.now()
    for i, viewer in enumerate(world.viewers):
        store.add_follower(caster, viewer, now - i * DAY)
    reply = await world.api.call(
        "GET", "/channels/followers", world.token, params={"broadcaster_id": caster, "first": "2"}
    )
    assert [f["user_id"] for f in reply.body["data"]] == world.viewers[:2]
    assert reply.body["total"] == 3
    rest = await world.api.call(
        "GET",
        "/channels/followers",
        world.token,
        params={"broadcaster_id": caster, "after": reply.body["pagination"]["cursor"]},
    )
    assert ([f["user_id"] for f in rest.body["data"]], rest.body["pagination"]) == (
        [world.viewers[2]],
        {},
    )
    one = await world.api.call(
        "GET",
        "/channels/followers",
        world.token,
        params={"broadcaster_id": caster, "user_id": world.viewers[1]},
    )
    assert [f["user_id"] for f in one.body["data"]] == [world.viewers[1]]
    for first, status in (("100", 200), ("101", 400)):
        params = {"broadcaster_id": caster, "first": first}
        assert (
            await world.api.call("GET", "/channels/followers", world.token, params=params)
        ).status == status
    outsider = await world.api.call(
        "GET",
        "/channels/followers",
        token_for(world.sim, world.viewers[0]),
        params={"broadcaster_id": caster},
    )
    assert outsider.status == 401
    store.add_moderator(caster, world.viewers[0])
    as_mod = await world.api.call(
        "GET",
        "/channels/followers",
        token_for(world.sim, world.viewers[0]),
        params={"broadcaster_id": caster},
    )
    assert as_mod.status == 200


async def test_subscriptions(world: World) -> None:
    store, caster = world.sim.extras, world.caster
    store.add_subscription(caster, world.viewers[0], "1000")
    store.add_subscription(caster, world.viewers[1], "3000", gifter_id=world.viewers[2])
    reply = await world.api.call(
        "GET", "/subscriptions", world.token, params={"broadcaster_id": caster}
    )
    rows = reply.body["data"]
    assert [(s["user_id"], s["tier"], s["is_gift"], s["gifter_id"]) for s in rows] == [
        (world.viewers[0], "1000", False, ""),
        (world.viewers[1], "3000", True, world.viewers[2]),
    ]
    assert (reply.body["total"], reply.body["points"]) == (2, 7)
    other = await world.api.call(
        "GET", "/subscriptions", world.token, params={"broadcaster_id": world.viewers[0]}
    )
    assert other.status == 401


async def test_hype_train(world: World) -> None:
    caster = world.caster
    idle = await world.api.call(
        "GET", "/hypetrain/status", world.token, params={"broadcaster_id": caster}
    )
    assert idle.body == {
        "data": [{"current": None, "all_time_high": None, "shared_all_time_high": None}]
    }
    train = world.sim.extras.start_hype_train(
        caster, [(world.viewers[0], "bits", 500), (world.viewers[1], "subscription", 1000)], level=2
    )
    live = await world.api.call(
        "GET", "/hypetrain/status", world.token, params={"broadcaster_id": caster}
    )
    current = live.body["data"][0]["current"]
    assert (current["id"], current["level"], current["total"]) == (train.id, 2, 1500)
    assert [(c["user_id"], c["type"], c["total"]) for c in current["top_contributions"]] == [
        (world.viewers[1], "subscription", 1000),
        (world.viewers[0], "bits", 500),
    ]
    assert live.body["data"][0]["all_time_high"]["total"] == 1500
    assert (await world.api.call("GET", "/hypetrain/status", world.token)).status == 400


# -- raids -----------------------------------------------------------------------------------


async def test_raid_start_cancel_and_rules(world: World) -> None:
    api, caster, tok = world.api, world.caster, world.token
    target = world.viewers[0]
    route = {"from_broadcaster_id": caster, "to_broadcaster_id": target}
    started = await api.call("POST", "/raids", tok, params=route)
    assert (started.status, started.body["data"][0]["is_mature"]) == (200, False)
    assert (await api.call("POST", "/raids", tok, params=route)).status == 409
    cancel = await api.call("DELETE", "/raids", tok, params={"broadcaster_id": caster})
    assert (cancel.status, cancel.body) == (204, None)
    again = await api.call("DELETE", "/raids", tok, params={"broadcaster_id": caster})
    assert again.status == 404
    same = await api.call(
        "POST", "/raids", tok, params={"from_broadcaster_id": caster, "to_broadcaster_id": caster}
    )
    assert same.status == 400
    nowhere = await api.call(
        "POST", "/raids", tok, params={"from_broadcaster_id": caster, "to_broadcaster_id": "1"}
    )
    assert nowhere.status == 404
    theirs = await api.call(
        "POST", "/raids", tok, params={"from_broadcaster_id": target, "to_broadcaster_id": caster}
    )
    assert theirs.status == 401


async def test_raid_requests_are_limited_to_ten_per_ten_minutes(world: World) -> None:
    statuses = []
    for _ in range(6):
        route = {"from_broadcaster_id": world.caster, "to_broadcaster_id": world.viewers[0]}
        statuses.append((await world.api.call("POST", "/raids", world.token, params=route)).status)
        cancel = {"broadcaster_id": world.caster}
        statuses.append(
            (await world.api.call("DELETE", "/raids", world.token, params=cancel)).status
        )
    assert statuses == [200, 204] * 5 + [429, 429]


# -- clips -----------------------------------------------------------------------------------


async def test_clips(world: World) -> None:
    store, caster = world.sim.extras, world.caster
    low = store.add_clip(caster, world.viewers[0], "small moment", views=3)
    high = store.add_clip(
        caster, world.viewers[1], "big moment", views=90, featured=True, video_id="77"
    )
    by_caster = await world.api.call(
        "GET", "/clips", world.token, params={"broadcaster_id": caster}
    )
    assert [c["id"] for c in by_caster.body["data"]] == [high["id"], low["id"]]
    assert by_caster.body["data"][0]["vod_offset"] == 60
    assert by_caster.body["data"][1]["vod_offset"] is None
    featured = await world.api.call(
        "GET", "/clips", world.token, params={"broadcaster_id": caster, "is_featured": "true"}
    )
    assert [c["id"] for c in featured.body["data"]] == [high["id"]]
    by_id = await world.api.call(
        "GET", "/clips", world.token, params=[("id", low["id"]), ("id", "nope")]
    )
    assert [c["id"] for c in by_id.body["data"]] == [low["id"]]
    assert (await world.api.call("GET", "/clips", world.token)).status == 400
    both = await world.api.call(
        "GET", "/clips", world.token, params={"broadcaster_id": caster, "game_id": "509670"}
    )
    assert both.status == 400
    for first, status in (("1", 200), ("100", 200), ("101", 400)):
        params = {"broadcaster_id": caster, "first": first}
        assert (await world.api.call("GET", "/clips", world.token, params=params)).status == status
    hundred = [("id", f"c{i}") for i in range(100)]
    assert (await world.api.call("GET", "/clips", world.token, params=hundred)).status == 200
    over = [*hundred, ("id", "c100")]
    assert (await world.api.call("GET", "/clips", world.token, params=over)).status == 400
    assert (
        await world.api.call("GET", "/clips", world.token, params={"game_id": "0"})
    ).status == 404


# -- videos ----------------------------------------------------------------------------------


async def test_videos_listing(world: World) -> None:
    store, caster = world.sim.extras, world.caster
    now = world.sim.state.now()
    old = store.add_video(caster, "old stream", views=500, created_at=now - 40 * DAY)
    new = store.add_video(caster, "new highlight", video_type="highlight", views=5)
    by_user = await world.api.call("GET", "/videos", world.token, params={"user_id": caster})
    assert [v["id"] for v in by_user.body["data"]] == [new["id"], old["id"]]
    by_views = await world.api.call(
        "GET", "/videos", world.token, params={"user_id": caster, "sort": "views"}
    )
    assert [v["id"] for v in by_views.body["data"]] == [old["id"], new["id"]]
    highlights = await world.api.call(
        "GET", "/videos", world.token, params={"user_id": caster, "type": "highlight"}
    )
    assert [v["id"] for v in highlights.body["data"]] == [new["id"]]
    month = await world.api.call(
        "GET", "/videos", world.token, params={"user_id": caster, "period": "month"}
    )
    assert [v["id"] for v in month.body["data"]] == [new["id"]]
    by_ids = await world.api.call(
        "GET", "/videos", world.token, params=[("id", old["id"]), ("id", "0")]
    )
    assert [v["id"] for v in by_ids.body["data"]] == [old["id"]]
    assert (await world.api.call("GET", "/videos", world.token, params={"id": "0"})).status == 404
    for params in (
        {},
        {"user_id": caster, "game_id": "509670"},
        {"user_id": caster, "type": "vod"},
    ):
        assert (await world.api.call("GET", "/videos", world.token, params=params)).status == 400
    ids = [("id", old["id"])] + [("id", str(i)) for i in range(99)]
    assert (await world.api.call("GET", "/videos", world.token, params=ids)).status == 200
    assert (
        await world.api.call("GET", "/videos", world.token, params=[*ids, ("id", "x")])
    ).status == 400
    for first, status in (("100", 200), ("101", 400)):
        params = {"user_id": caster, "first": first}
        assert (await world.api.call("GET", "/videos", world.token, params=params)).status == status


async def test_delete_videos_limits_and_all_or_nothing(world: World) -> None:
    store, caster = world.sim.extras, world.caster
    mine = [store.add_video(caster, f"v{i}")["id"] for i in range(6)]
    theirs = store.add_video(world.viewers[0], "not yours")["id"]
    six = [("id", v) for v in mine]
    assert (await world.api.call("DELETE", "/videos", world.token, params=six)).status == 400
    mixed = [("id", mine[0]), ("id", theirs)]
    refused = await world.api.call("DELETE", "/videos", world.token, params=mixed)
    assert refused.status == 401
    assert mine[0] in store.videos
    assert theirs in store.videos
    five = [*six[:5]]
    gone = await world.api.call("DELETE", "/videos", world.token, params=[*five, ("id", "404")])
    assert gone.status == 400  # six ids counted, even an unknown one
    gone = await world.api.call("DELETE", "/videos", world.token, params=five)
    assert gone.body == {"data": mine[:5]}
    assert set(store.videos) == {mine[5], theirs}
    assert (await world.api.call("DELETE", "/videos", world.token)).status == 400
    no_scope = token_for(world.sim, caster, ("user:read:broadcast",))
    assert (
        await world.api.call("DELETE", "/videos", no_scope, params={"id": mine[5]})
    ).status == 401


# -- markers ---------------------------------------------------------------------------------


async def test_markers(world: World) -> None:
    api, caster, tok = world.api, world.caster, world.token
    offline = await api.call("POST", "/streams/markers", tok, body={"user_id": caster})
    assert offline.status == 404
    world.sim.state.set_stream_live(caster, True)
    made = await api.call(
        "POST", "/streams/markers", tok, body={"user_id": caster, "description": "x" * 140}
    )
    assert made.status == 200
    long = await api.call(
        "POST", "/streams/markers", tok, body={"user_id": caster, "description": "x" * 141}
    )
    assert long.status == 400
    assert (await api.call("POST", "/streams/markers", tok, body={})).status == 400
    other = await api.call("POST", "/streams/markers", tok, body={"user_id": world.viewers[0]})
    assert other.status == 403
    listed = await api.call("GET", "/streams/markers", tok, params={"user_id": caster})
    (group,) = listed.body["data"]
    assert group["user_id"] == caster
    assert [m["id"] for m in group["videos"][0]["markers"]] == [made.body["data"][0]["id"]]
    by_video = await api.call(
        "GET", "/streams/markers", tok, params={"video_id": group["videos"][0]["video_id"]}
    )
    assert by_video.body["data"] == listed.body["data"]
    both = await api.call(
        "GET", "/streams/markers", tok, params={"user_id": caster, "video_id": "1"}
    )
    assert both.status == 400
    for first, status in (("100", 200), ("101", 400)):
        params = {"user_id": caster, "first": first}
        assert (await api.call("GET", "/streams/markers", tok, params=params)).status == status


# -- games -----------------------------------------------------------------------------------


async def test_games(world: World) -> None:
    params = [("id", "33214"), ("name", "Minecraft"), ("igdb_id", "1905"), ("id", "0")]
    reply = await world.api.call("GET", "/games", world.token, params=params)
    assert sorted(g["name"] for g in reply.body["data"]) == ["Fortnite", "Minecraft"]
    hundred = [("id", str(i)) for i in range(99)] + [("name", "Minecraft")]
    assert (await world.api.call("GET", "/games", world.token, params=hundred)).status == 200
    over = [*hundred, ("igdb_id", "1")]
    assert (await world.api.call("GET", "/games", world.token, params=over)).status == 400
    assert (await world.api.call("GET", "/games", world.token)).status == 400


# -- schedule --------------------------------------------------------------------------------


async def test_schedule(world: World) -> None:
    store, caster = world.sim.extras, world.caster
    none = await world.api.call("GET", "/schedule", world.token, params={"broadcaster_id": caster})
    assert none.status == 404
    now = world.sim.state.now()
    segments = [
        store.add_segment(caster, now + (i + 1) * DAY, 120, f"stream {i}") for i in range(30)
    ]
    store.add_segment(caster, now - 2 * DAY, 60, "past", category_id=None)
    page1 = await world.api.call("GET", "/schedule", world.token, params={"broadcaster_id": caster})
    data = page1.body["data"]
    assert [s["id"] for s in data["segments"]] == [s["id"] for s in segments[:20]]
    assert data["vacation"] is None
    assert data["segments"][0]["category"] == {"id": "509670", "name": "Science & Technology"}
    page2 = await world.api.call(
        "GET",
        "/schedule",
        world.token,
        params={"broadcaster_id": caster, "after": data["pagination"]["cursor"], "first": "25"},
    )
    assert [s["id"] for s in page2.body["data"]["segments"]] == [s["id"] for s in segments[20:]]
    assert page2.body["data"]["pagination"] == {}
    for first, status in (("25", 200), ("26", 400)):
        params = {"broadcaster_id": caster, "first": first}
        assert (
            await world.api.call("GET", "/schedule", world.token, params=params)
        ).status == status
    store.set_vacation(caster, now + 40 * DAY, now + 50 * DAY)
    later = await world.api.call(
        "GET",
        "/schedule",
        world.token,
        params={"broadcaster_id": caster, "start_time": "2000-01-01T00:00:00Z"},
    )
    assert later.body["data"]["segments"][0]["title"] == "past"
    assert later.body["data"]["segments"][0]["category"] is None
    assert later.body["data"]["vacation"] is not None
    bad = await world.api.call(
        "GET", "/schedule", world.token, params={"broadcaster_id": caster, "start_time": "soon"}
    )
    assert bad.status == 400


async def test_the_extras_leave_the_core_state_ids_alone() -> None:
    """The demo extras use their own ids: users, rewards and redemptions made after start get
    the same ids as in a simulator without the extras."""
    from companion.sim import SimConfig, Simulator

    plain = Simulator(SimConfig(seed=7, demo=True, tick_interval=5.0))
    extras = make_sim(demo=True)
    for sim in (plain, extras):
        await sim.start()
    try:
        assert extras.extras.demo_seeded
        made = [
            (s.state.create_user("late_user")["id"], s.state.ids.uuid(), s.state.ids.token(8))
            for s in (plain, extras)
        ]
        assert made[0] == made[1]
        assert set(plain.state.users) == set(extras.state.users)
    finally:
        for sim in (plain, extras):
            await sim.stop()
