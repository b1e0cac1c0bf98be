"""Custom rewards and redemptions over Helix: rules, ownership, pagination, deletion."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.sim.sim_api import (
    CLIENT_ID,
    OTHER_CLIENT_ID,
    Caster,
    other_app_token,
)

if TYPE_CHECKING:
    from companion.sim import Simulator
    from companion.sim.events import DomainEvent

REWARDS = "/channel_points/custom_rewards"
REDEMPTIONS = "/channel_points/custom_rewards/redemptions"


async def _create(caster: Caster, **body: Any) -> dict[str, Any]:
    body.setdefault("title", "Hydrate")
    body.setdefault("cost", 100)
    reply = await caster.helix(
        "POST", REWARDS, params={"broadcaster_id": caster.id}, json_body=body
    )
    assert reply.status == 200, reply.body
    created: dict[str, Any] = reply.body["data"][0]
    return created


def _viewers(sim: Simulator, n: int) -> list[str]:
    return [sim.state.create_user(f"viewer{i}")["id"] for i in range(n)]


async def test_create_defaults(caster: Caster) -> None:
    reward = await _create(caster, title="game analysis 1v1", cost=50000)
    assert reward["title"] == "game analysis 1v1"
    assert reward["broadcaster_id"] == caster.id
    assert reward["broadcaster_login"] == "caster"
    assert reward["is_enabled"] is True
    assert reward["is_paused"] is False
    assert reward["is_in_stock"] is True
    assert reward["image"] is None
    assert reward["max_per_stream_setting"] == {"is_enabled": False, "max_per_stream": 0}
    assert reward["redemptions_redeemed_current_stream"] is None
    assert reward["cooldown_expires_at"] is None


async def test_get_rewards_sorted_by_id_and_only_manageable(sim: Simulator, caster: Caster) -> None:
    mine = [await _create(caster, title=f"R{i}") for i in range(3)]
    theirs = sim.state.create_reward(caster.id, OTHER_CLIENT_ID, {"title": "Theirs", "cost": 5})
    reply = await caster.helix("GET", REWARDS, params={"broadcaster_id": caster.id})
    ids = [r["id"] for r in reply.body["data"]]
    assert ids == sorted([r["id"] for r in mine] + [theirs["id"]])
    managed = await caster.helix(
        "GET", REWARDS, params={"broadcaster_id": caster.id, "only_manageable_rewards": "true"}
    )
    assert sorted(r["id"] for r in managed.body["data"]) == sorted(r["id"] for r in mine)


async def test_get_rewards_by_id_and_not_found(caster: Caster) -> None:
    reward = await _create(caster)
    by_id = await caster.helix(
        "GET", REWARDS, params=[("broadcaster_id", caster.id), ("id", reward["id"]), ("id", "x")]
    )
    assert [r["id"] for r in by_id.body["data"]] == [reward["id"]]
    missing = await caster.helix("GET", REWARDS, params={"broadcaster_id": caster.id, "id": "x"})
    assert missing.status == 404
    assert missing.body["error"] == "Not Found"


async def test_update_reward_partial(caster: Caster) -> None:
    reward = await _create(caster, prompt="say hi")
    reply = await caster.helix(
        "PATCH",
        REWARDS,
        params={"broadcaster_id": caster.id, "id": reward["id"]},
        json_body={"is_enabled": False, "is_paused": True, "cost": 7},
    )
    assert reply.status == 200
    updated = reply.body["data"][0]
    assert (updated["is_enabled"], updated["is_paused"], updated["cost"]) == (False, True, 7)
    assert updated["prompt"] == "say hi"
    assert updated["title"] == reward["title"]


async def test_another_clients_reward_is_forbidden(sim: Simulator, caster: Caster) -> None:
    theirs = sim.state.create_reward(caster.id, OTHER_CLIENT_ID, {"title": "Theirs", "cost": 5})
    params = {"broadcaster_id": caster.id, "id": theirs["id"]}
    patch = await caster.helix("PATCH", REWARDS, params=params, json_body={"cost": 1})
    assert patch.status == 403
    assert patch.body["error"] == "Forbidden"
    delete = await caster.helix("DELETE", REWARDS, params=params)
    assert delete.status == 403
    reds = await caster.helix(
        "GET",
        REDEMPTIONS,
        params={"broadcaster_id": caster.id, "reward_id": theirs["id"], "status": "UNFULFILLED"},
    )
    assert reds.status == 403
    assert sim.state.channels[caster.id].rewards[theirs["id"]].data["cost"] == 5
    # The other app can.
    tok = other_app_token(sim, caster)
    ok = await caster.helix(
        "PATCH", REWARDS, params=params, json_body={"cost": 9}, token=tok, client_id=OTHER_CLIENT_ID
    )
    assert ok.status == 200 and ok.body["data"][0]["cost"] == 9


async def test_delete_marks_unfulfilled_fulfilled(sim: Simulator, caster: Caster) -> None:
    reward = await _create(caster)
    viewers = _viewers(sim, 3)
    reds = [sim.state.redeem(caster.id, reward["id"], v) for v in viewers]
    sim.state.update_redemptions(caster.id, CLIENT_ID, reward["id"], [reds[0]["id"]], "CANCELED")
    events: list[DomainEvent] = []
    sim.state.add_listener(events.append)
    reply = await caster.helix(
        "DELETE", REWARDS, params={"broadcaster_id": caster.id, "id": reward["id"]}
    )
    assert (reply.status, reply.text) == (204, "")
    assert [sim.state.redemptions[r["id"]].status for r in reds] == [
        "CANCELED",
        "FULFILLED",
        "FULFILLED",
    ]
    assert [e.kind for e in events] == ["redemption.update", "redemption.update", "reward.remove"]
    again = await caster.helix(
        "DELETE", REWARDS, params={"broadcaster_id": caster.id, "id": reward["id"]}
    )
    assert again.status == 404


async def test_broadcaster_must_be_token_user(sim: Simulator, caster: Caster) -> None:
    other = sim.state.create_user("other")
    reply = await caster.helix("GET", REWARDS, params={"broadcaster_id": other["id"]})
    assert reply.status == 401
    missing = await caster.helix("GET", REWARDS)
    assert missing.status == 400


async def test_non_affiliate_is_forbidden(sim: Simulator, caster: Caster) -> None:
    sim.state.users[caster.id]["broadcaster_type"] = ""
    reply = await caster.helix(
        "POST", REWARDS, params={"broadcaster_id": caster.id}, json_body={"title": "a", "cost": 1}
    )
    assert reply.status == 403
    assert sim.state.channels[caster.id].rewards == {}


async def test_scopes_are_enforced(sim: Simulator, caster: Caster) -> None:
    read_only = sim.state.issue_user_token(CLIENT_ID, caster.id, ["channel:read:redemptions"])
    tok = read_only["access_token"]
    get = await caster.helix("GET", REWARDS, params={"broadcaster_id": caster.id}, token=tok)
    assert get.status == 200
    post = await caster.helix(
        "POST",
        REWARDS,
        params={"broadcaster_id": caster.id},
        json_body={"title": "x", "cost": 1},
        token=tok,
    )
    assert post.status == 401
    assert "channel:manage:redemptions" in post.body["message"]


async def test_redemption_pagination_stable_under_inserts(sim: Simulator, caster: Caster) -> None:
    reward = await _create(caster)
    viewer = _viewers(sim, 1)[0]
    made = [sim.state.redeem(caster.id, reward["id"], viewer)["id"] for _ in range(5)]
    params = {
        "broadcaster_id": caster.id,
        "reward_id": reward["id"],
        "status": "UNFULFILLED",
        "first": "2",
    }
    page1 = await caster.helix("GET", REDEMPTIONS, params=params)
    assert [r["id"] for r in page1.body["data"]] == made[:2]
    cursor = page1.body["pagination"]["cursor"]
    made.append(sim.state.redeem(caster.id, reward["id"], viewer)["id"])
    page2 = await caster.helix("GET", REDEMPTIONS, params={**params, "after": cursor})
    assert [r["id"] for r in page2.body["data"]] == made[2:4]
    page3 = await caster.helix(
        "GET", REDEMPTIONS, params={**params, "after": page2.body["pagination"]["cursor"]}
    )
    assert [r["id"] for r in page3.body["data"]] == made[4:6]
    assert page3.body["pagination"] == {}
    newest = await caster.helix("GET", REDEMPTIONS, params={**params, "sort": "NEWEST"})
    assert [r["id"] for r in newest.body["data"]] == [made[5], made[4]]
    bad = await caster.helix("GET", REDEMPTIONS, params={**params, "after": "garbage"})
    assert bad.status == 400


async def test_get_redemptions_requires_status_without_ids(caster: Caster) -> None:
    reward = await _create(caster)
    reply = await caster.helix(
        "GET", REDEMPTIONS, params={"broadcaster_id": caster.id, "reward_id": reward["id"]}
    )
    assert reply.status == 400
    wrong = await caster.helix(
        "GET",
        REDEMPTIONS,
        params={"broadcaster_id": caster.id, "reward_id": reward["id"], "status": "fulfilled"},
    )
    assert wrong.status == 400


async def test_update_redemption_status_rules(sim: Simulator, caster: Caster) -> None:
    reward = await _create(caster)
    other_reward = await _create(caster, title="Other")
    viewer = _viewers(sim, 1)[0]
    a = sim.state.redeem(caster.id, reward["id"], viewer)
    b = sim.state.redeem(caster.id, reward["id"], viewer)
    c = sim.state.redeem(caster.id, other_reward["id"], viewer)
    base = {"broadcaster_id": caster.id, "reward_id": reward["id"]}
    reply = await caster.helix(
        "PATCH",
        REDEMPTIONS,
        params=[*base.items(), ("id", a["id"]), ("id", c["id"])],
        json_body={"status": "FULFILLED"},
    )
    assert reply.status == 200
    assert [(r["id"], r["status"]) for r in reply.body["data"]] == [(a["id"], "FULFILLED")]
    assert sim.state.redemptions[c["id"]].status == "UNFULFILLED"
    # Only UNFULFILLED can change: a second update of `a` finds nothing.
    again = await caster.helix(
        "PATCH", REDEMPTIONS, params={**base, "id": a["id"]}, json_body={"status": "CANCELED"}
    )
    assert again.status == 404
    assert sim.state.redemptions[a["id"]].status == "FULFILLED"
    bad_status = await caster.helix(
        "PATCH", REDEMPTIONS, params={**base, "id": b["id"]}, json_body={"status": "UNFULFILLED"}
    )
    assert bad_status.status == 400
    assert sim.state.redemptions[b["id"]].status == "UNFULFILLED"
    no_ids = await caster.helix("PATCH", REDEMPTIONS, params=base, json_body={"status": "CANCELED"})
    assert no_ids.status == 400


@pytest.mark.parametrize(("count", "status"), [(50, 200), (51, 400)])
async def test_update_redemption_id_limit(
    sim: Simulator, caster: Caster, count: int, status: int
) -> None:
    reward = await _create(caster)
    viewer = _viewers(sim, 1)[0]
    ids = [sim.state.redeem(caster.id, reward["id"], viewer)["id"] for _ in range(count)]
    reply = await caster.helix(
        "PATCH",
        REDEMPTIONS,
        params=[("broadcaster_id", caster.id), ("reward_id", reward["id"])]
        + [("id", i) for i in ids],
        json_body={"status": "CANCELED"},
    )
    assert reply.status == status
    unfulfilled = len(sim.state.channels[caster.id].rewards[reward["id"]].by_status["UNFULFILLED"])
    assert unfulfilled == (0 if status == 200 else count)


async def test_redeem_respects_stock_and_cooldown(sim: Simulator, caster: Caster) -> None:
    from companion.sim import SimError

    sim.state.set_stream_live(caster.id, True)
    capped = await _create(caster, title="Capped", is_max_per_stream_enabled=True, max_per_stream=1)
    viewer = _viewers(sim, 1)[0]
    sim.state.redeem(caster.id, capped["id"], viewer)
    with pytest.raises(SimError):
        sim.state.redeem(caster.id, capped["id"], viewer)
    reply = await caster.helix(
        "GET", REWARDS, params={"broadcaster_id": caster.id, "id": capped["id"]}
    )
    got = reply.body["data"][0]
    assert got["is_in_stock"] is False
    assert got["redemptions_redeemed_current_stream"] == 1
    cooled = await _create(
        caster, title="Cooled", is_global_cooldown_enabled=True, global_cooldown_seconds=60
    )
    sim.state.redeem(caster.id, cooled["id"], viewer)
    reply = await caster.helix(
        "GET", REWARDS, params={"broadcaster_id": caster.id, "id": cooled["id"]}
    )
    assert reply.body["data"][0]["cooldown_expires_at"] is not None
    assert reply.body["data"][0]["is_in_stock"] is False


async def test_skip_queue_redemptions_are_fulfilled(sim: Simulator, caster: Caster) -> None:
    reward = await _create(caster, should_redemptions_skip_request_queue=True)
    red = sim.state.redeem(caster.id, reward["id"], _viewers(sim, 1)[0])
    assert red["status"] == "FULFILLED"


async def test_redeem_many_sync_and_paced(sim: Simulator, caster: Caster) -> None:
    await _create(caster)
    _viewers(sim, 3)
    made = sim.state.redeem_many(caster.id, 5)
    assert isinstance(made, list) and len(made) == 5
    task = sim.state.redeem_many(caster.id, 3, rate=200.0)
    assert not isinstance(task, list)
    paced = await task
    assert len(paced) == 3
    assert len(sim.state.redemptions) == 8


async def test_paced_redemptions_follow_the_schedule_not_a_sleep_each(
    sim: Simulator, caster: Caster
) -> None:
    await _create(caster)
    _viewers(sim, 3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = sim.state.redeem_many(caster.id, 1000, rate=10_000.0)
    assert not isinstance(task, list)
    made = await task
    took = loop.time() - started
    assert len(made) == 1000
    assert len({r["id"] for r in made}) == 1000
    assert all(r["id"] in sim.state.redemptions for r in made)
    # The schedule is 0.1 s. A sleep after each one lasts at least a 1 ms loop turn, so
    # the old pacing needed more than 1 s; the margin is for a loaded machine.
    assert took < 0.8


async def test_listener_sees_reward_and_redemption_events(sim: Simulator, caster: Caster) -> None:
    events: list[DomainEvent] = []
    sim.state.add_listener(events.append)
    reward = await _create(caster)
    await caster.helix(
        "PATCH",
        REWARDS,
        params={"broadcaster_id": caster.id, "id": reward["id"]},
        json_body={"cost": 3},
    )
    red = sim.state.redeem(caster.id, reward["id"], _viewers(sim, 1)[0])
    sim.state.update_redemptions(caster.id, CLIENT_ID, reward["id"], [red["id"]], "CANCELED")
    assert [e.kind for e in events] == [
        "reward.add",
        "reward.update",
        "redemption.add",
        "redemption.update",
    ]
    assert events[1].previous is not None and events[1].previous["cost"] == 100
    assert events[1].record["cost"] == 3
    assert events[3].record["status"] == "CANCELED"
    assert events[3].previous is not None and events[3].previous["status"] == "UNFULFILLED"
    assert all(e.broadcaster_id == caster.id for e in events)
