"""Simulator extras, moderation and chat: every answer matches its helix-openapi.json schema
(or Twitch's error body), and each documented limit is tried just inside and just outside."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
import pytest

from tests.helpers.openapi_extras import examples
from tests.helpers.reference import REFERENCE
from tests.helpers.sim_extras import ExtrasSimulator, RawCaller, make_sim, token_for

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


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
        caster = sim.state.create_user("caster", "Caster", "affiliate")["id"]
        viewers = [sim.state.create_user(f"viewer{i}", f"Viewer{i}", "")["id"] for i in range(4)]
        async with aiohttp.ClientSession() as session:
            yield World(sim, RawCaller(session, sim), caster, token_for(sim, caster), viewers)
    finally:
        await sim.stop()


def _reference(name: str) -> object:
    return json.loads((REFERENCE / "helix" / name).read_text(encoding="utf-8"))


# -- bans ------------------------------------------------------------------------------------


async def test_ban_list_and_unban(world: World) -> None:
    api, caster, tok = world.api, world.caster, world.token
    where = {"broadcaster_id": caster, "moderator_id": caster}
    ban = await api.call(
        "POST", "/moderation/bans", tok, params=where, body={"data": {"user_id": world.viewers[0]}}
    )
    assert ban.status == 200
    assert ban.body["data"][0]["end_time"] is None
    timeout = await api.call(
        "POST",
        "/moderation/bans",
        tok,
        params=where,
        body={"data": {"user_id": world.viewers[1], "duration": 300, "reason": "calm down"}},
    )
    assert timeout.body["data"][0]["end_time"] is not None
    listed = await api.call("GET", "/moderation/banned", tok, params={"broadcaster_id": caster})
    assert [(b["user_id"], b["expires_at"] == "") for b in listed.body["data"]] == [
        (world.viewers[1], False),
        (world.viewers[0], True),
    ]
    assert listed.body["data"][0]["reason"] == "calm down"
    assert listed.body["pagination"] == {}
    gone = await api.call(
        "DELETE", "/moderation/bans", tok, params={**where, "user_id": world.viewers[0]}
    )
    assert (gone.status, gone.body) == (204, None)
    again = await api.call(
        "DELETE", "/moderation/bans", tok, params={**where, "user_id": world.viewers[0]}
    )
    assert (again.status, again.body) == (400, _reference("error.unban_user_not_banned.400.json"))


async def test_banning_a_banned_user_is_the_documented_400(world: World) -> None:
    api, caster, tok = world.api, world.caster, world.token
    where = {"broadcaster_id": caster, "moderator_id": caster}
    first = {"data": {"user_id": world.viewers[0]}}
    assert (await api.call("POST", "/moderation/bans", tok, params=where, body=first)).status == 200
    expected = _reference("error.ban_user_already_banned.400.json")
    for body in (first, {"data": {"user_id": world.viewers[0], "duration": 300}}):
        again = await api.call("POST", "/moderation/bans", tok, params=where, body=body)
        assert (again.status, again.body) == (400, expected)
    # A timeout may become a ban.
    timeout = {"data": {"user_id": world.viewers[1], "duration": 60}}
    assert (
        await api.call("POST", "/moderation/bans", tok, params=where, body=timeout)
    ).status == 200
    upgrade = {"data": {"user_id": world.viewers[1]}}
    assert (
        await api.call("POST", "/moderation/bans", tok, params=where, body=upgrade)
    ).status == 200


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"reason": "x" * 500}, 200),
        ({"reason": "x" * 501}, 400),
        ({"duration": 1}, 200),
        ({"duration": 1_209_600}, 200),
        ({"duration": 0}, 400),
        ({"duration": 1_209_601}, 400),
        ({"duration": True}, 400),
    ],
)
async def test_ban_limits(world: World, extra: dict[str, object], status: int) -> None:
    where = {"broadcaster_id": world.caster, "moderator_id": world.caster}
    body = {"data": {"user_id": world.viewers[0], **extra}}
    reply = await world.api.call("POST", "/moderation/bans", world.token, params=where, body=body)
    assert reply.status == status
    bans = world.sim.extras.channel(world.caster).bans
    assert (world.viewers[0] in bans) is (status == 200)


async def test_ban_rules(world: World) -> None:
    api, caster = world.api, world.caster
    mod, outsider = world.viewers[2], world.viewers[3]
    world.sim.extras.add_moderator(caster, mod)
    body = {"data": {"user_id": world.viewers[0]}}
    as_mod = await api.call(
        "POST",
        "/moderation/bans",
        token_for(world.sim, mod),
        params={"broadcaster_id": caster, "moderator_id": mod},
        body=body,
    )
    assert as_mod.status == 200
    not_mod = await api.call(
        "POST",
        "/moderation/bans",
        token_for(world.sim, outsider),
        params={"broadcaster_id": caster, "moderator_id": outsider},
        body={"data": {"user_id": world.viewers[1]}},
    )
    assert not_mod.status == 403
    mismatch = await api.call(
        "POST",
        "/moderation/bans",
        world.token,
        params={"broadcaster_id": caster, "moderator_id": mod},
        body=body,
    )
    assert mismatch.status == 401
    no_scope = await api.call(
        "POST",
        "/moderation/bans",
        token_for(world.sim, caster, ("moderation:read",)),
        params={"broadcaster_id": caster, "moderator_id": caster},
        body={"data": {"user_id": world.viewers[1]}},
    )
    assert no_scope.status == 401
    assert "moderator:manage:banned_users" in no_scope.body["message"]
    missing = await api.call(
        "POST", "/moderation/bans", world.token, params={"broadcaster_id": caster}, body=body
    )
    assert missing.status == 400
    self_ban = await api.call(
        "POST",
        "/moderation/bans",
        world.token,
        params={"broadcaster_id": caster, "moderator_id": caster},
        body={"data": {"user_id": caster}},
    )
    assert self_ban.status == 400
    assert set(world.sim.extras.channel(caster).bans) == {world.viewers[0]}


async def test_banned_pages_and_limits(world: World) -> None:
    api, caster, tok = world.api, world.caster, world.token
    where = {"broadcaster_id": caster, "moderator_id": caster}
    for viewer in world.viewers:
        body = {"data": {"user_id": viewer}}
        assert (
            await api.call("POST", "/moderation/bans", tok, params=where, body=body)
        ).status == 200
    seen: list[str] = []
    cursor = None
    for _ in range(5):
        params = {"broadcaster_id": caster, "first": "3"}
        if cursor:
            params["after"] = cursor
        reply = await api.call("GET", "/moderation/banned", tok, params=params)
        seen.extend(b["user_id"] for b in reply.body["data"])
        cursor = reply.body["pagination"].get("cursor")
        if cursor is None:
            break
    assert seen == list(reversed(world.viewers))
    for first, status in (("100", 200), ("101", 400), ("0", 400)):
        params = {"broadcaster_id": caster, "first": first}
        assert (await api.call("GET", "/moderation/banned", tok, params=params)).status == status
    ids = [("broadcaster_id", caster)] + [("user_id", str(i)) for i in range(101)]
    assert (await api.call("GET", "/moderation/banned", tok, params=ids)).status == 400
    ordered = [
        ("broadcaster_id", caster),
        ("user_id", world.viewers[0]),
        ("user_id", world.viewers[2]),
    ]
    picked = await api.call("GET", "/moderation/banned", tok, params=ordered)
    assert [b["user_id"] for b in picked.body["data"]] == [world.viewers[0], world.viewers[2]]
    bad = await api.call(
        "GET", "/moderation/banned", tok, params={"broadcaster_id": caster, "after": "nonsense"}
    )
    assert bad.status == 400
    other = await api.call(
        "GET", "/moderation/banned", tok, params={"broadcaster_id": world.viewers[0]}
    )
    assert other.status == 401


# -- moderators ------------------------------------------------------------------------------


async def test_get_moderators_lists_pages_and_filters(world: World) -> None:
    api, caster, tok, viewers = world.api, world.caster, world.token, world.viewers
    store = world.sim.extras
    empty = await api.call("GET", "/moderation/moderators", tok, params={"broadcaster_id": caster})
    assert (empty.status, empty.body) == (200, {"data": [], "pagination": {}})
    for viewer in (viewers[2], viewers[0], viewers[3]):
        store.add_moderator(caster, viewer)
    reply = await api.call("GET", "/moderation/moderators", tok, params={"broadcaster_id": caster})
    assert reply.body["data"] == [
        {"user_id": v, "user_login": f"viewer{i}", "user_name": f"Viewer{i}"}
        for i, v in ((2, viewers[2]), (0, viewers[0]), (3, viewers[3]))
    ]
    assert reply.body["pagination"] == {}
    # Pages of 2, following the cursor: every moderator once, in the order they were added.
    seen: list[str] = []
    params = {"broadcaster_id": caster, "first": "2"}
    for _ in range(3):
        page = await api.call("GET", "/moderation/moderators", tok, params=params)
        seen.extend(m["user_id"] for m in page.body["data"])
        cursor = page.body["pagination"].get("cursor")
        if cursor is None:
            break
        params = {"broadcaster_id": caster, "first": "2", "after": cursor}
    assert seen == [viewers[2], viewers[0], viewers[3]]
    # user_id filters (non-moderators are left out), in the order asked.
    ordered = [("broadcaster_id", caster), ("user_id", viewers[3]), ("user_id", viewers[1])]
    picked = await api.call("GET", "/moderation/moderators", tok, params=ordered)
    assert [m["user_id"] for m in picked.body["data"]] == [viewers[3]]
    store.remove_moderator(caster, viewers[0])
    after = await api.call("GET", "/moderation/moderators", tok, params={"broadcaster_id": caster})
    assert [m["user_id"] for m in after.body["data"]] == [viewers[2], viewers[3]]
    assert world.sim.violations == []


async def test_get_moderators_limits_and_authorization(world: World) -> None:
    api, caster, tok = world.api, world.caster, world.token
    for first, status in (("1", 200), ("100", 200), ("101", 400), ("0", 400)):
        params = {"broadcaster_id": caster, "first": first}
        assert (
            await api.call("GET", "/moderation/moderators", tok, params=params)
        ).status == status
    hundred = [("broadcaster_id", caster)] + [("user_id", str(i)) for i in range(100)]
    assert (await api.call("GET", "/moderation/moderators", tok, params=hundred)).status == 200
    too_many = [*hundred, ("user_id", "100")]
    assert (await api.call("GET", "/moderation/moderators", tok, params=too_many)).status == 400
    assert (await api.call("GET", "/moderation/moderators", tok, params={})).status == 400
    other = {"broadcaster_id": world.viewers[0]}
    assert (await api.call("GET", "/moderation/moderators", tok, params=other)).status == 401
    # Either documented scope reads; any other is refused.
    mine = {"broadcaster_id": caster}
    for scopes, status in (
        (("moderation:read",), 200),
        (("channel:manage:moderators",), 200),
        (("moderator:manage:banned_users",), 401),
    ):
        scoped = token_for(world.sim, caster, scopes)
        assert (
            await api.call("GET", "/moderation/moderators", scoped, params=mine)
        ).status == status


# -- emotes ----------------------------------------------------------------------------------


async def test_channel_and_global_emotes(world: World) -> None:
    api, caster, tok = world.api, world.caster, world.token
    template = _reference_emote_template()
    none = await api.call("GET", "/chat/emotes", tok, params={"broadcaster_id": caster})
    assert none.body == {"data": [], "template": template}
    store = world.sim.extras
    sub = store.add_channel_emote(caster, "casterHi")
    sub_animated = store.add_channel_emote(caster, "casterHype", tier="1000", animated=True)
    follower = store.add_channel_emote(caster, "casterWave", "follower", tier="3000")
    reply = await api.call("GET", "/chat/emotes", tok, params={"broadcaster_id": caster})
    assert reply.status == 200
    assert reply.body["template"] == template
    assert [e["name"] for e in reply.body["data"]] == ["casterHi", "casterHype", "casterWave"]
    assert reply.body["data"] == [sub, sub_animated, follower]
    assert (sub["tier"], sub["emote_type"]) == ("1000", "subscriptions")
    assert (follower["tier"], follower["emote_type"]) == ("", "follower")
    assert sub["emote_set_id"] == sub_animated["emote_set_id"] != follower["emote_set_id"]
    assert sub["format"] == ["static"] and sub_animated["format"] == ["static", "animated"]
    assert sub["images"]["url_1x"].endswith(f"/{sub['id']}/static/light/1.0")
    # App tokens may read both; a missing broadcaster_id is the documented 400; a user
    # that does not exist has no emotes.
    world.sim.state.register_client("emoteapp0000000000000000000001", "emoteappsecret")
    app = world.sim.state.issue_app_token("emoteapp0000000000000000000001")["access_token"]
    for path, params in (("/chat/emotes", {"broadcaster_id": caster}), ("/chat/emotes/global", {})):
        by_app = await api.call(
            "GET", path, app, params=params, client_id="emoteapp0000000000000000000001"
        )
        assert by_app.status == 200 and len(by_app.body["data"]) == 3
    missing = await api.call("GET", "/chat/emotes", tok)
    assert missing.status == 400
    nobody = await api.call("GET", "/chat/emotes", tok, params={"broadcaster_id": "999999"})
    assert (nobody.status, nobody.body["data"]) == (200, [])
    globals_ = await api.call("GET", "/chat/emotes/global", tok)
    assert globals_.status == 200
    assert globals_.body["template"] == template
    assert [e["name"] for e in globals_.body["data"]] == ["TwitchUnity", "Kappa", "4Head"]
    assert set(globals_.body["data"][0]) == {
        "id",
        "name",
        "images",
        "format",
        "scale",
        "theme_mode",
    }
    assert world.sim.violations == []


def _reference_emote_template() -> str:
    [example] = examples("GET", "/chat/emotes/global").values()
    return str(example["template"])


# -- automod ---------------------------------------------------------------------------------


async def test_automod_checks_and_limits(world: World) -> None:
    api, caster, tok = world.api, world.caster, world.token
    world.sim.extras.channel(caster).blocked_terms.add("boooo")
    where = {"broadcaster_id": caster}
    messages = [
        {"msg_id": "123", "msg_text": "Hello World!"},
        {"msg_id": "393", "msg_text": "Boooooo!"},
    ]
    reply = await api.call(
        "POST", "/moderation/enforcements/status", tok, params=where, body={"data": messages}
    )
    assert reply.body == {
        "data": [{"msg_id": "123", "is_permitted": True}, {"msg_id": "393", "is_permitted": False}]
    }
    hundred = [{"msg_id": str(i), "msg_text": "hi"} for i in range(100)]
    ok = await api.call(
        "POST", "/moderation/enforcements/status", tok, params=where, body={"data": hundred}
    )
    assert (ok.status, len(ok.body["data"])) == (200, 100)
    too_many = [*hundred, {"msg_id": "x", "msg_text": "hi"}]
    over = await api.call(
        "POST", "/moderation/enforcements/status", tok, params=where, body={"data": too_many}
    )
    assert over.status == 400
    empty = await api.call(
        "POST", "/moderation/enforcements/status", tok, params=where, body={"data": []}
    )
    assert empty.status == 400
    other = await api.call(
        "POST",
        "/moderation/enforcements/status",
        tok,
        params={"broadcaster_id": world.viewers[0]},
        body={"data": messages},
    )
    assert other.status == 403


async def test_automod_per_minute_budget_of_an_affiliate(world: World) -> None:
    body = {"data": [{"msg_id": "1", "msg_text": "hi"}]}
    where = {"broadcaster_id": world.caster}
    statuses = [
        (
            await world.api.call(
                "POST", "/moderation/enforcements/status", world.token, params=where, body=body
            )
        ).status
        for _ in range(11)
    ]
    assert statuses == [200] * 10 + [429]


# -- chat ------------------------------------------------------------------------------------


async def test_badges(world: World) -> None:
    world.sim.extras.add_channel_badge(world.caster, "subscriber", "0", "Subscriber")
    world.sim.extras.add_channel_badge(world.caster, "bits", "1", "cheer 1")
    channel = await world.api.call(
        "GET", "/chat/badges", world.token, params={"broadcaster_id": world.caster}
    )
    assert [b["set_id"] for b in channel.body["data"]] == ["bits", "subscriber"]
    assert channel.body["data"][1]["versions"][0]["click_url"] is None
    glob = await world.api.call("GET", "/chat/badges/global", world.token)
    assert [b["set_id"] for b in glob.body["data"]] == ["moderator", "vip"]
    missing = await world.api.call("GET", "/chat/badges", world.token)
    assert missing.status == 400


async def test_chat_settings_read_and_update(world: World) -> None:
    api, caster, tok = world.api, world.caster, world.token
    plain = await api.call("GET", "/chat/settings", tok, params={"broadcaster_id": caster})
    assert "non_moderator_chat_delay" not in plain.body["data"][0]
    assert "moderator_id" not in plain.body["data"][0]
    as_mod = await api.call(
        "GET", "/chat/settings", tok, params={"broadcaster_id": caster, "moderator_id": caster}
    )
    assert as_mod.body["data"][0]["moderator_id"] == caster
    where = {"broadcaster_id": caster, "moderator_id": caster}
    slow = await api.call("PATCH", "/chat/settings", tok, params=where, body={"slow_mode": True})
    assert (slow.body["data"][0]["slow_mode"], slow.body["data"][0]["slow_mode_wait_time"]) == (
        True,
        30,
    )
    off = await api.call("PATCH", "/chat/settings", tok, params=where, body={"slow_mode": False})
    assert off.body["data"][0]["slow_mode_wait_time"] is None
    lone = await api.call(
        "PATCH", "/chat/settings", tok, params=where, body={"slow_mode_wait_time": 10}
    )
    assert lone.status == 400
    delay = await api.call(
        "PATCH", "/chat/settings", tok, params=where, body={"non_moderator_chat_delay": True}
    )
    assert delay.status == 400
    outsider = world.viewers[0]
    forbidden = await api.call(
        "PATCH",
        "/chat/settings",
        token_for(world.sim, outsider),
        params={"broadcaster_id": caster, "moderator_id": outsider},
        body={"emote_mode": True},
    )
    assert forbidden.status == 403
    assert world.sim.extras.channel(caster).chat_settings["emote_mode"] is False


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"slow_mode": True, "slow_mode_wait_time": 3}, 200),
        ({"slow_mode": True, "slow_mode_wait_time": 120}, 200),
        ({"slow_mode": True, "slow_mode_wait_time": 2}, 400),
        ({"slow_mode": True, "slow_mode_wait_time": 121}, 400),
        ({"follower_mode": True, "follower_mode_duration": 0}, 200),
        ({"follower_mode": True, "follower_mode_duration": 129_600}, 200),
        ({"follower_mode": True, "follower_mode_duration": 129_601}, 400),
        ({"follower_mode": True, "follower_mode_duration": -1}, 400),
        ({"non_moderator_chat_delay": True, "non_moderator_chat_delay_duration": 6}, 200),
        ({"non_moderator_chat_delay": True, "non_moderator_chat_delay_duration": 5}, 400),
        ({"emote_mode": "yes"}, 400),
    ],
)
async def test_chat_settings_limits(world: World, body: dict[str, object], status: int) -> None:
    before = dict(world.sim.extras.channel(world.caster).chat_settings)
    where = {"broadcaster_id": world.caster, "moderator_id": world.caster}
    reply = await world.api.call("PATCH", "/chat/settings", world.token, params=where, body=body)
    assert reply.status == status
    after = world.sim.extras.channel(world.caster).chat_settings
    if status == 200:
        assert {k: after[k] for k in body} == body
    else:
        assert after == before


async def test_chat_colors(world: World) -> None:
    world.sim.extras.chat_colors[world.viewers[0]] = "#9146FF"
    params = [("user_id", world.viewers[0]), ("user_id", world.viewers[1]), ("user_id", "999")]
    reply = await world.api.call("GET", "/chat/color", world.token, params=params)
    assert [(c["user_id"], c["color"]) for c in reply.body["data"]] == [
        (world.viewers[0], "#9146FF"),
        (world.viewers[1], ""),
    ]
    hundred = [("user_id", str(i)) for i in range(100)]
    assert (await world.api.call("GET", "/chat/color", world.token, params=hundred)).status == 200
    over = [*hundred, ("user_id", "x")]
    assert (await world.api.call("GET", "/chat/color", world.token, params=over)).status == 400
    assert (await world.api.call("GET", "/chat/color", world.token)).status == 400
