"""The seed's minor models end to end: each mixin method against the real simulator over
loopback, asserting the values that came back and the requests that went out.

The methods are ``PartialUser``'s and ``Client``'s own (through ``UserExtrasMixin`` and
``ClientExtrasMixin``), so the tests call them on the real classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from companion.twitch import Client, MissingScope, NotFound, SimpleTokenHandler
from companion.twitch.errors import BadRequest, LimitError
from companion.twitch.models.moderation import AutomodCheckMessage
from companion.twitch.models.users import PartialUser
from tests.helpers.sim_extras import CLIENT_ID, EVERY_SCOPE, ExtrasSimulator, make_sim

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

DAY = 86_400.0


@dataclass
class Traffic:
    """(method, path, query) of every request the client sent."""

    sent: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)

    def config(self) -> aiohttp.TraceConfig:
        trace = aiohttp.TraceConfig()

        async def on_start(
            session: aiohttp.ClientSession, ctx: Any, params: aiohttp.TraceRequestStartParams
        ) -> None:
            url = urlsplit(str(params.url))
            self.sent.append((params.method, url.path, parse_qs(url.query)))

        trace.on_request_start.append(on_start)
        return trace

    def helix(self, method: str, path: str) -> list[dict[str, list[str]]]:
        """The queries of the Helix requests sent to ``method path``."""
        return [q for m, p, q in self.sent if m == method and p == f"/helix{path}"]


@dataclass
class World:
    sim: ExtrasSimulator
    client: Client
    caster: PartialUser
    viewers: list[str]
    traffic: Traffic

    @property
    def store(self) -> Any:
        return self.sim.extras


async def _world(scopes: tuple[str, ...]) -> AsyncIterator[World]:
    sim = make_sim()
    await sim.start()
    traffic = Traffic()
    session = aiohttp.ClientSession(trace_configs=[traffic.config()])
    try:
        caster = sim.state.create_user("caster", "Caster", "partner")["id"]
        viewers = [sim.state.create_user(f"viewer{i}", f"Viewer{i}", "")["id"] for i in range(3)]
        issued = sim.state.issue_user_token(CLIENT_ID, caster, scopes)
        handler = SimpleTokenHandler(issued["access_token"], CLIENT_ID, issued["refresh_token"])
        client = Client(handler, session=session, helix_url=sim.helix_url, oauth_url=sim.oauth_url)
        user = PartialUser(client.http, caster, "caster", "Caster")
        yield World(sim, client, user, viewers, traffic)
        await client.close()
        assert sim.violations == []
    finally:
        await session.close()
        await sim.stop()


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async for w in _world(EVERY_SCOPE):
        yield w


# -- moderation ------------------------------------------------------------------------------


async def test_ban_fetch_and_unban(world: World) -> None:
    caster, viewers = world.caster, world.viewers
    ban = await caster.ban_user(viewers[0], reason="spam")
    assert (ban.user.id, ban.moderator.id, ban.broadcaster.id, ban.expires_at) == (
        viewers[0],
        caster.id,
        caster.id,
        None,
    )
    timeout = await caster.ban_user(viewers[1], "calm down", 600)
    assert timeout.expires_at is not None
    assert timeout.timestamp is not None
    assert round((timeout.expires_at - timeout.timestamp).total_seconds()) == 600
    assert world.traffic.helix("POST", "/moderation/bans")[0] == {
        "broadcaster_id": [caster.id],
        "moderator_id": [caster.id],
    }
    bans = await caster.fetch_bans()
    assert [(b.id, b.login, b.reason, b.expires_at is None) for b in bans] == [
        (viewers[1], "viewer1", "calm down", False),
        (viewers[0], "viewer0", "spam", True),
    ]
    with pytest.raises(BadRequest, match="user is already banned"):
        await caster.ban_user(viewers[0])
    await bans[1].delete()
    assert world.traffic.helix("DELETE", "/moderation/bans") == [
        {"broadcaster_id": [caster.id], "moderator_id": [caster.id], "user_id": [viewers[0]]}
    ]
    await caster.unban_user(viewers[1])
    assert await caster.fetch_bans() == []
    with pytest.raises(BadRequest, match="user is not banned"):
        await caster.unban(viewers[1])


async def test_fetch_moderators_pages_and_filters(world: World) -> None:
    caster, viewers = world.caster, world.viewers
    assert await caster.fetch_moderators() == []
    for viewer in (viewers[2], viewers[0]):
        world.store.add_moderator(caster.id, viewer)
    mods = await caster.fetch_moderators(page_size=1)
    assert [(m.id, m.login, m.name) for m in mods] == [
        (viewers[2], "viewer2", "Viewer2"),
        (viewers[0], "viewer0", "Viewer0"),
    ]
    queries = world.traffic.helix("GET", "/moderation/moderators")
    # Unasked, pages are as large as Twitch allows (100).
    assert [q["first"] for q in queries] == [["100"], ["1"], ["1"]]
    assert "after" in queries[2] and queries[2]["broadcaster_id"] == [caster.id]
    picked = await caster.fetch_moderators([viewers[0], viewers[1]])
    assert [m.id for m in picked] == [viewers[0]]
    assert world.traffic.helix("GET", "/moderation/moderators")[-1]["user_id"] == [
        viewers[0],
        viewers[1],
    ]
    sent = len(world.traffic.sent)
    with pytest.raises(LimitError):
        await caster.fetch_moderators([str(n) for n in range(101)])
    assert len(world.traffic.sent) == sent  # refused before sending


async def test_bans_page_by_page(world: World) -> None:
    for viewer in world.viewers:
        await world.caster.ban_user(viewer)
    bans = await world.caster.fetch_bans(page_size=2)
    assert [b.id for b in bans] == list(reversed(world.viewers))
    assert [q["first"] for q in world.traffic.helix("GET", "/moderation/banned")] == [["2"], ["2"]]
    picked = await world.caster.fetch_bans([world.viewers[0]])
    assert [b.id for b in picked] == [world.viewers[0]]
    with pytest.raises(LimitError):
        world.caster.fetch_bans([str(i) for i in range(101)])


async def test_check_automod_status(world: World) -> None:
    world.store.channel(world.caster.id).blocked_terms.add("boooo")
    verdicts = await world.caster.check_automod_status(
        [AutomodCheckMessage("123", "Hello World!"), AutomodCheckMessage("393", "Boooooo!")]
    )
    assert [(v.id, v.permitted) for v in verdicts] == [("123", True), ("393", False)]
    with pytest.raises(LimitError):
        await world.caster.check_automod_status([])
    assert len(world.traffic.helix("POST", "/moderation/enforcements/status")) == 1


# -- bits, teams, chat -----------------------------------------------------------------------


async def test_bits_leaderboard_and_cheermotes(world: World) -> None:
    now = world.sim.state.now()
    world.store.cheer(world.caster.id, world.viewers[0], 300, now)
    world.store.cheer(world.caster.id, world.viewers[1], 900, now)
    board = await world.caster.fetch_bits_leaderboard()
    assert [(u.id, u.login, u.rank, u.score) for u in board.leaders] == [
        (world.viewers[1], "viewer1", 1, 900),
        (world.viewers[0], "viewer0", 2, 300),
    ]
    assert (board.total, board.started_at, board.ended_at) == (2, None, None)
    week = await world.caster.fetch_bits_leaderboard(
        5, "week", datetime(2026, 1, 7, 12, tzinfo=UTC)
    )
    assert (week.started_at, week.ended_at) == (
        datetime(2026, 1, 5, 8, tzinfo=UTC),
        datetime(2026, 1, 12, 8, tzinfo=UTC),
    )
    assert world.traffic.helix("GET", "/bits/leaderboard")[1] == {
        "count": ["5"],
        "period": ["week"],
        "started_at": ["2026-01-07T12:00:00Z"],
    }
    motes = await world.client.fetch_cheermotes()
    assert [(m.prefix, m.type, [t.min_bits for t in m.tiers]) for m in motes] == [
        ("Cheer", "global_first_party", [1, 100, 1000, 5000])
    ]
    assert motes[0].tiers[0].images["light"]["static"]["1.5"].endswith("/light/static/1/1.5.png")


async def test_teams(world: World) -> None:
    team = world.store.add_team("livecoders", "Live Coders", [world.caster.id, world.viewers[0]])
    (mine,) = await world.caster.fetch_channel_teams()
    assert (mine.id, mine.name, mine.display_name, mine.broadcaster.id) == (
        team["id"],
        "livecoders",
        "Live Coders",
        world.caster.id,
    )
    found = await world.client.fetch_teams("livecoders")
    assert found is not None
    assert [u.id for u in found.users] == [world.caster.id, world.viewers[0]]
    assert found == await world.client.fetch_teams(team_id=team["id"])
    with pytest.raises(NotFound):
        await world.client.fetch_teams("nobody")
    with pytest.raises(ValueError, match="exactly one"):
        await world.client.fetch_teams("a", "1")


async def test_chat_badges_settings_and_colors(world: World) -> None:
    world.store.add_channel_badge(world.caster.id, "subscriber", "0", "Subscriber")
    (badge,) = await world.caster.fetch_chat_badges()
    assert (badge.set_id, [(v.id, v.title, v.click_url) for v in badge.versions]) == (
        "subscriber",
        [("0", "Subscriber", None)],
    )
    glob = await world.client.fetch_global_chat_badges()
    assert [b.set_id for b in glob] == ["moderator", "vip"]
    settings = await world.caster.fetch_chat_settings()
    assert (settings.broadcaster.id, settings.slow_mode, settings.non_moderator_chat_delay) == (
        world.caster.id,
        False,
        None,
    )
    changed = await world.caster.update_chat_settings(slow_mode_wait_time=10, emote_mode=True)
    assert (changed.slow_mode, changed.slow_mode_wait_time, changed.emote_mode) == (True, 10, True)
    assert changed.moderator is not None
    assert changed.moderator.id == world.caster.id
    with pytest.raises(LimitError):
        await world.caster.update_chat_settings(slow_mode_wait_time=121)
    with pytest.raises(ValueError, match="2, 4, 6"):
        await world.caster.update_chat_settings(non_moderator_chat_delay_duration=5)
    delayed = await world.caster.update_chat_settings(non_moderator_chat_delay_duration=4)
    assert (delayed.non_moderator_chat_delay, delayed.non_moderator_chat_delay_duration) == (
        True,
        4,
    )
    as_mod = await world.caster.fetch_chat_settings(moderator=world.caster)
    assert as_mod.non_moderator_chat_delay_duration == 4
    assert len(world.traffic.helix("PATCH", "/chat/settings")) == 2
    world.store.chat_colors[world.viewers[0]] = "#9146FF"
    colors = await world.client.fetch_chatters_colors([world.viewers[0], world.viewers[1]])
    assert [(c.user.id, c.user.login, c.color) for c in colors] == [
        (world.viewers[0], "viewer0", "#9146FF"),
        (world.viewers[1], "viewer1", None),
    ]


# -- followers, subscriptions, hype train ----------------------------------------------------


async def test_followers_subscriptions_hype_train(world: World) -> None:
    caster, viewers, store = world.caster, world.viewers, world.store
    now = world.sim.state.now()
    for i, viewer in enumerate(viewers):
        store.add_follower(caster.id, viewer, now - i * DAY)
    follows = await caster.fetch_followers(page_size=2)
    assert [(f.from_user.id, f.to_user) for f in follows] == [(v, caster) for v in viewers]
    assert len(world.traffic.helix("GET", "/channels/followers")) == 2
    one = await caster.fetch_followers(viewers[2])
    assert [f.from_user.login for f in one] == ["viewer2"]
    store.add_subscription(caster.id, viewers[0], "1000")
    store.add_subscription(caster.id, viewers[1], "2000", gifter_id=viewers[2])
    subs = await caster.fetch_subscriptions()
    assert [
        (s.user and s.user.id, s.tier, s.is_gift, s.gifter and s.gifter.id, s.plan_name)
        for s in subs
    ] == [
        (viewers[0], "1000", False, None, "Channel Subscription (caster)"),
        (viewers[1], "2000", True, viewers[2], "Channel Subscription (caster)"),
    ]
    assert await caster.fetch_hype_train() is None
    store.start_hype_train(caster.id, [(viewers[0], "bits", 250), (viewers[1], "bits", 400)], 2)
    train = await caster.fetch_hype_train()
    assert train is not None
    assert (train.level, train.total, train.broadcaster.id, train.type) == (
        2,
        650,
        caster.id,
        "regular",
    )
    assert [(c.user.id, c.total) for c in train.top_contributions] == [
        (viewers[1], 400),
        (viewers[0], 250),
    ]
    assert train.expiry is not None
    assert round((train.expiry - train.started_at).total_seconds()) == 300


# -- markers, raids, schedule ----------------------------------------------------------------


async def test_markers_raids_schedule(world: World) -> None:
    caster, store = world.caster, world.store
    with pytest.raises(NotFound):
        await caster.create_marker("not live")
    world.sim.state.set_stream_live(caster.id, True)
    marker = await caster.create_marker("great play")
    assert (marker.description, marker.position >= 0) == ("great play", True)
    with pytest.raises(LimitError):
        await caster.create_marker("x" * 141)
    (listed,) = await caster.fetch_markers()
    assert (listed.id, listed.description, listed.user and listed.user.id) == (
        marker.id,
        "great play",
        caster.id,
    )
    assert listed.video_id is not None
    assert listed.url is not None
    # The markers point into the live stream's archive video, which Get Videos lists.
    (archive,) = await caster.fetch_videos()
    assert (archive.id, archive.type) == (listed.video_id, "archive")
    assert archive.stream_id == world.sim.state.channel(caster.id).stream["id"]  # type: ignore[index]
    raid = await caster.start_raid(world.viewers[0])
    assert raid.is_mature is False
    assert world.traffic.helix("POST", "/raids") == [
        {"from_broadcaster_id": [caster.id], "to_broadcaster_id": [world.viewers[0]]}
    ]
    await caster.cancel_raid()
    with pytest.raises(NotFound):
        await caster.cancel_raid()
    with pytest.raises(NotFound):
        await caster.fetch_schedule()
    now = world.sim.state.now()
    made = [store.add_segment(caster.id, now + (i + 1) * DAY, 90, f"s{i}") for i in range(3)]
    store.set_vacation(caster.id, now + 10 * DAY, now + 12 * DAY)
    schedule = await caster.fetch_schedule(first=2)
    assert [s.id for s in schedule.segments] == [m["id"] for m in made[:2]]
    assert schedule.cursor is not None
    assert schedule.vacation is not None
    assert (schedule.vacation.end_time - schedule.vacation.start_time).days == 2
    rest = await caster.fetch_schedule(after=schedule.cursor)
    assert ([s.title for s in rest.segments], rest.cursor) == (["s2"], None)
    first = schedule.segments[0]
    assert first.category is not None
    assert (first.category.name, first.is_recurring) == ("Science & Technology", False)
    assert first.end_time is not None
    assert (first.end_time - first.start_time).total_seconds() == 90 * 60


# -- clips, videos, games --------------------------------------------------------------------


async def test_clips_and_games(world: World) -> None:
    store, caster = world.store, world.caster
    low = store.add_clip(caster.id, world.viewers[0], "small", views=2, duration=12.9)
    high = store.add_clip(caster.id, world.viewers[1], "big", views=50, featured=True)
    clips = await caster.fetch_clips()
    assert [(c.id, c.view_count, c.creator.id) for c in clips] == [
        (high["id"], 50, world.viewers[1]),
        (low["id"], 2, world.viewers[0]),
    ]
    assert (clips[1].duration, clips[1].video_id, clips[0].is_featured) == (12.9, None, True)
    by_id = await world.client.fetch_clips([low["id"]])
    assert [c.title for c in by_id] == ["small"]
    featured = await caster.fetch_clips(is_featured=True)
    assert [c.id for c in featured] == [high["id"]]
    by_game = await world.client.fetch_clips(game_id="509670", limit=1)
    assert [c.id for c in by_game] == [high["id"]]
    assert world.traffic.helix("GET", "/clips")[-1]["first"] == ["1"]
    games = await world.client.fetch_games(ids=["33214"], names=["Minecraft"])
    assert sorted((g.id, g.name, g.igdb_id) for g in games) == [
        ("27471", "Minecraft", "121"),
        ("33214", "Fortnite", "1905"),
    ]
    fortnite = next(g for g in games if g.id == "33214")
    assert fortnite.art_url(52, 72) == "https://static-cdn.jtvnw.net/ttv-boxart/33214-52x72.jpg"
    with pytest.raises(LimitError):
        await world.client.fetch_games(ids=[str(i) for i in range(101)])


async def test_videos_fetch_and_delete_one(world: World) -> None:
    store, caster = world.store, world.caster
    now = world.sim.state.now()
    old = store.add_video(caster.id, "old", views=10, created_at=now - 3 * DAY)
    new = store.add_video(caster.id, "new", video_type="highlight", views=1)
    videos = await caster.fetch_videos()
    assert [(v.id, v.title, v.type, v.user.id) for v in videos] == [
        (new["id"], "new", "highlight", caster.id),
        (old["id"], "old", "archive", caster.id),
    ]
    assert videos[1].stream_id is not None
    assert videos[0].stream_id is None
    by_ids = await world.client.fetch_videos(ids=[old["id"]])
    assert [v.id for v in by_ids] == [old["id"]]
    # first/after go only with user_id or game_id (Get Videos' parameter text).
    assert world.traffic.helix("GET", "/videos")[-1] == {"id": [old["id"]]}
    assert world.traffic.helix("GET", "/videos")[0] == {"user_id": [caster.id], "first": ["100"]}
    await videos[0].delete()
    assert world.traffic.helix("DELETE", "/videos") == [{"id": [new["id"]]}]
    assert [v.id for v in await caster.fetch_videos()] == [old["id"]]


async def test_delete_videos_sends_batches_of_five(world: World) -> None:
    ids = [world.store.add_video(world.caster.id, f"v{i}")["id"] for i in range(12)]
    deleted = await world.client.delete_videos(ids, world.caster)
    assert deleted == ids
    batches = [q["id"] for q in world.traffic.helix("DELETE", "/videos")]
    assert [len(b) for b in batches] == [5, 5, 2]
    assert [i for b in batches for i in b] == ids
    assert world.store.videos == {}


# -- scopes are checked before sending --------------------------------------------------------


async def test_missing_scope_is_raised_before_any_request() -> None:
    async for world in _world(("user:read:broadcast",)):
        sent_before = len(world.traffic.sent)
        with pytest.raises(MissingScope):
            await world.caster.ban_user(world.viewers[0])
        with pytest.raises(MissingScope):
            await world.client.delete_videos(["1"], world.caster)
        helix = [p for _m, p, _q in world.traffic.sent[sent_before:] if p.startswith("/helix/")]
        assert helix == []
        assert world.sim.served == []


# -- the demo channel --------------------------------------------------------------------------


async def test_the_demo_channel_has_extras_to_show() -> None:
    sim = make_sim(demo=True)
    await sim.start()
    try:
        assert sim.demo_broadcaster_id is not None
        issued = sim.state.issue_user_token(CLIENT_ID, sim.demo_broadcaster_id, EVERY_SCOPE)
        handler = SimpleTokenHandler(issued["access_token"], CLIENT_ID)
        async with Client(handler, helix_url=sim.helix_url, oauth_url=sim.oauth_url) as client:
            caster = PartialUser(client.http, sim.demo_broadcaster_id, "democaster")
            followers = await caster.fetch_followers()
            assert [f.from_user.login for f in followers] == [
                "ana_plays",
                "bytebard",
                "cozy_carl",
                "dee_vee",
                "eli_lurks",
            ]
            assert [(b.login, b.reason) for b in await caster.fetch_bans()] == [
                ("eli_lurks", "Spam links")
            ]
            board = await caster.fetch_bits_leaderboard()
            assert [(u.login, u.score) for u in board.leaders] == [
                ("bytebard", 1200),
                ("ana_plays", 500),
                ("cozy_carl", 100),
            ]
            assert [c.title for c in await caster.fetch_clips()] == [
                "cat walks over keyboard",
                "that build finally worked",
            ]
            assert len(await caster.fetch_videos()) == 3
            assert [t.name for t in await caster.fetch_channel_teams()] == ["cozycoders"]
            assert len((await caster.fetch_schedule()).segments) == 3
            settings = await caster.fetch_chat_settings()
            assert (settings.follower_mode, settings.follower_mode_duration) == (True, 10)
            assert await caster.fetch_hype_train() is None
        assert sim.violations == []
        assert len(sim.served) == 9
    finally:
        await sim.stop()


# -- bodies that are not what Twitch documents ------------------------------------------------


async def test_malformed_answers_are_payload_errors(world: World) -> None:
    from companion.twitch.errors import PayloadError

    caster, faults = world.caster, world.sim.faults
    video = world.store.add_video(caster.id, "v")["id"]
    world.store.add_segment(caster.id, world.sim.state.now() + DAY, 60, "s")
    # A write's cut answer is reported at once; a read's is retried like a 5xx, so it is
    # cut on every one of the client's five tries (short backoffs here).
    world.client.http.retry_base_delay = 0.01
    calls = (
        ("/helix/videos", 1, lambda: world.client.delete_videos([video], caster)),
        ("/helix/chat/settings", 5, caster.fetch_chat_settings),
        ("/helix/schedule", 5, caster.fetch_schedule),
        ("/helix/bits/leaderboard", 5, caster.fetch_bits_leaderboard),
        ("/helix/games", 5, lambda: world.client.fetch_games(["33214"])),
    )
    for prefix, tries, call in calls:
        faults.malform_next(tries, prefix)
        with pytest.raises(PayloadError):
            await call()
    # The cut DELETE answer still deleted the video on the server: the client reports the
    # shape error rather than guessing what happened.
    assert video not in world.store.videos
