"""Predictions, polls, goals, extensions, streams, channels and users over Helix."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from tests.integration.sim.sim_api import CLIENT_ID, CONF_CLIENT_ID, Caster

if TYPE_CHECKING:
    from companion.sim import Simulator
    from companion.sim.events import DomainEvent


def _prediction_body(caster: Caster, **kw: Any) -> dict[str, Any]:
    body = {
        "broadcaster_id": caster.id,
        "title": "Any leeks in the stream?",
        "outcomes": [{"title": "Yes, give it time."}, {"title": "Definitely not."}],
        "prediction_window": 120,
    }
    body.update(kw)
    return body


def _poll_body(caster: Caster, **kw: Any) -> dict[str, Any]:
    body = {
        "broadcaster_id": caster.id,
        "title": "Heads or Tails?",
        "choices": [{"title": "Heads"}, {"title": "Tails"}],
        "duration": 1800,
    }
    body.update(kw)
    return body


async def test_prediction_lifecycle(sim: Simulator, caster: Caster) -> None:
    created = await caster.helix("POST", "/predictions", json_body=_prediction_body(caster))
    assert created.status == 200
    pred = created.body["data"][0]
    assert pred["status"] == "ACTIVE"
    assert [o["color"] for o in pred["outcomes"]] == ["BLUE", "PINK"]
    second = await caster.helix("POST", "/predictions", json_body=_prediction_body(caster))
    assert second.status == 400
    viewers = [sim.state.create_user(f"v{i}")["id"] for i in range(3)]
    yes, no = (o["id"] for o in pred["outcomes"])
    sim.state.predict(pred["id"], viewers[0], yes, 100)
    sim.state.predict(pred["id"], viewers[1], yes, 300)
    sim.state.predict(pred["id"], viewers[2], no, 400)
    lock = await caster.helix(
        "PATCH",
        "/predictions",
        json_body={"broadcaster_id": caster.id, "id": pred["id"], "status": "LOCKED"},
    )
    assert lock.status == 200
    assert lock.body["data"][0]["locked_at"] is not None
    relock = await caster.helix(
        "PATCH",
        "/predictions",
        json_body={"broadcaster_id": caster.id, "id": pred["id"], "status": "LOCKED"},
    )
    assert relock.status == 400
    no_winner = await caster.helix(
        "PATCH",
        "/predictions",
        json_body={"broadcaster_id": caster.id, "id": pred["id"], "status": "RESOLVED"},
    )
    assert no_winner.status == 400
    bad_winner = await caster.helix(
        "PATCH",
        "/predictions",
        json_body={
            "broadcaster_id": caster.id,
            "id": pred["id"],
            "status": "RESOLVED",
            "winning_outcome_id": "nope",
        },
    )
    assert bad_winner.status == 404
    resolved = await caster.helix(
        "PATCH",
        "/predictions",
        json_body={
            "broadcaster_id": caster.id,
            "id": pred["id"],
            "status": "RESOLVED",
            "winning_outcome_id": yes,
        },
    )
    assert resolved.status == 200
    done = resolved.body["data"][0]
    assert done["status"] == "RESOLVED" and done["winning_outcome_id"] == yes
    assert done["ended_at"] is not None
    winners = {p["user_id"]: p["channel_points_won"] for p in done["outcomes"][0]["top_predictors"]}
    assert winners == {viewers[0]: 200, viewers[1]: 600}
    assert done["outcomes"][0]["users"] == 2 and done["outcomes"][0]["channel_points"] == 400
    # Now a new one may start.
    again = await caster.helix("POST", "/predictions", json_body=_prediction_body(caster))
    assert again.status == 200
    listing = await caster.helix("GET", "/predictions", params={"broadcaster_id": caster.id})
    assert [p["id"] for p in listing.body["data"]] == [again.body["data"][0]["id"], pred["id"]]


async def test_more_than_two_outcomes_are_all_blue(caster: Caster) -> None:
    outcomes = [{"title": str(i)} for i in range(3)]
    reply = await caster.helix(
        "POST", "/predictions", json_body=_prediction_body(caster, outcomes=outcomes)
    )
    assert [o["color"] for o in reply.body["data"][0]["outcomes"]] == ["BLUE"] * 3


async def test_prediction_window_locks_automatically(sim: Simulator, caster: Caster) -> None:
    reply = await caster.helix("POST", "/predictions", json_body=_prediction_body(caster))
    pred_id = reply.body["data"][0]["id"]
    events: list[DomainEvent] = []
    sim.state.add_listener(events.append)
    sim.state.prediction_index[pred_id].locks_at = sim.state.now()
    await asyncio.sleep(0.2)
    assert sim.state.prediction_index[pred_id].data["status"] == "LOCKED"
    assert [e.kind for e in events] == ["prediction.lock"]


async def test_cancel_prediction_from_active(caster: Caster) -> None:
    reply = await caster.helix("POST", "/predictions", json_body=_prediction_body(caster))
    pred_id = reply.body["data"][0]["id"]
    cancel = await caster.helix(
        "PATCH",
        "/predictions",
        json_body={"broadcaster_id": caster.id, "id": pred_id, "status": "CANCELED"},
    )
    assert cancel.status == 200 and cancel.body["data"][0]["status"] == "CANCELED"
    again = await caster.helix(
        "PATCH",
        "/predictions",
        json_body={"broadcaster_id": caster.id, "id": pred_id, "status": "CANCELED"},
    )
    assert again.status == 400


async def test_prediction_broadcaster_mismatch_is_401(sim: Simulator, caster: Caster) -> None:
    other = sim.state.create_user("someone")
    body = _prediction_body(caster, broadcaster_id=other["id"])
    reply = await caster.helix("POST", "/predictions", json_body=body)
    assert reply.status == 401


async def test_poll_lifecycle(sim: Simulator, caster: Caster) -> None:
    created = await caster.helix(
        "POST",
        "/polls",
        json_body=_poll_body(
            caster, channel_points_voting_enabled=True, channel_points_per_vote=100
        ),
    )
    assert created.status == 200
    poll = created.body["data"][0]
    assert poll["status"] == "ACTIVE" and poll["ended_at"] is None
    assert (poll["bits_voting_enabled"], poll["bits_per_vote"]) == (False, 0)
    assert (await caster.helix("POST", "/polls", json_body=_poll_body(caster))).status == 400
    sim.state.vote(poll["id"], poll["choices"][0]["id"], 3)
    got = await caster.helix(
        "GET", "/polls", params={"broadcaster_id": caster.id, "id": poll["id"]}
    )
    assert got.body["data"][0]["choices"][0]["votes"] == 3
    end = await caster.helix(
        "PATCH",
        "/polls",
        json_body={"broadcaster_id": caster.id, "id": poll["id"], "status": "TERMINATED"},
    )
    assert end.status == 200
    assert end.body["data"][0]["status"] == "TERMINATED"
    assert end.body["data"][0]["ended_at"] is not None
    again = await caster.helix(
        "PATCH",
        "/polls",
        json_body={"broadcaster_id": caster.id, "id": poll["id"], "status": "ARCHIVED"},
    )
    assert again.status == 400
    bad = await caster.helix(
        "PATCH",
        "/polls",
        json_body={"broadcaster_id": caster.id, "id": poll["id"], "status": "COMPLETED"},
    )
    assert bad.status == 400
    missing = await caster.helix("GET", "/polls", params={"broadcaster_id": caster.id, "id": "x"})
    assert missing.status == 404


async def test_poll_completes_after_duration(sim: Simulator, caster: Caster) -> None:
    created = await caster.helix("POST", "/polls", json_body=_poll_body(caster, duration=15))
    poll_id = created.body["data"][0]["id"]
    sim.state.poll_index[poll_id].ends_at = sim.state.now()
    await asyncio.sleep(0.2)
    assert sim.state.poll_index[poll_id].data["status"] == "COMPLETED"


async def test_polls_paginate_newest_first(sim: Simulator, caster: Caster) -> None:
    ids = []
    for _ in range(3):
        reply = await caster.helix("POST", "/polls", json_body=_poll_body(caster))
        ids.append(reply.body["data"][0]["id"])
        sim.state.end_poll(caster.id, {"id": ids[-1], "status": "TERMINATED"})
    page1 = await caster.helix("GET", "/polls", params={"broadcaster_id": caster.id, "first": "2"})
    assert [p["id"] for p in page1.body["data"]] == [ids[2], ids[1]]
    page2 = await caster.helix(
        "GET",
        "/polls",
        params={
            "broadcaster_id": caster.id,
            "first": "2",
            "after": page1.body["pagination"]["cursor"],
        },
    )
    assert [p["id"] for p in page2.body["data"]] == [ids[0]]
    assert page2.body["pagination"] == {}


async def test_goals(sim: Simulator, caster: Caster) -> None:
    goal = sim.state.create_goal(caster.id, "follower", "Follow goal", 30000, 27062)
    reply = await caster.helix("GET", "/goals", params={"broadcaster_id": caster.id})
    assert reply.body["data"] == [goal]
    sim.state.goal_progress(goal["id"], 10)
    reply = await caster.helix("GET", "/goals", params={"broadcaster_id": caster.id})
    assert reply.body["data"][0]["current_amount"] == 27072
    events: list[DomainEvent] = []
    sim.state.add_listener(events.append)
    sim.state.end_goal(goal["id"])
    assert [e.kind for e in events] == ["goal.end"]
    reply = await caster.helix("GET", "/goals", params={"broadcaster_id": caster.id})
    assert reply.body["data"] == []


EXT_PANEL = {"id": "panelext", "version": "1.0.0", "name": "Panel", "type": ["panel"]}
EXT_COMPONENT = {
    "id": "compext",
    "version": "0.1.0",
    "name": "Comp",
    "type": ["component", "panel"],
}
EXT_LOCKED = {
    "id": "lockedext",
    "version": "2.0.0",
    "name": "Locked",
    "type": ["overlay"],
    "can_activate": False,
}


async def test_extensions(sim: Simulator, caster: Caster) -> None:
    for ext in (EXT_PANEL, EXT_COMPONENT, EXT_LOCKED):
        sim.state.install_extension(caster.id, ext)
    listing = await caster.helix("GET", "/users/extensions/list")
    assert [e["id"] for e in listing.body["data"]] == ["panelext", "compext", "lockedext"]
    update = await caster.helix(
        "PUT",
        "/users/extensions",
        json_body={
            "data": {
                "panel": {"1": {"active": True, "id": "compext", "version": "0.1.0"}},
                "component": {
                    "1": {"active": True, "id": "compext", "version": "0.1.0", "x": 5, "y": 6}
                },
            }
        },
    )
    assert update.status == 200
    data = update.body["data"]
    # Last write wins: compext ends up in the component slot only.
    assert data["panel"]["1"] == {"active": False}
    assert data["component"]["1"] == {
        "active": True,
        "id": "compext",
        "version": "0.1.0",
        "name": "Comp",
        "x": 5,
        "y": 6,
    }
    locked = await caster.helix(
        "PUT",
        "/users/extensions",
        json_body={
            "data": {"overlay": {"1": {"active": True, "id": "lockedext", "version": "2.0.0"}}}
        },
    )
    assert locked.status == 404
    wrong_version = await caster.helix(
        "PUT",
        "/users/extensions",
        json_body={
            "data": {"panel": {"2": {"active": True, "id": "panelext", "version": "9.9.9"}}}
        },
    )
    assert wrong_version.status == 404
    malformed = await caster.helix(
        "PUT", "/users/extensions", json_body={"data": {"panel": {"9": {"active": True}}}}
    )
    assert malformed.status == 400
    active = await caster.helix("GET", "/users/extensions")
    assert active.body["data"] == data
    app = sim.state.issue_app_token(CONF_CLIENT_ID)["access_token"]
    no_user = await caster.helix("GET", "/users/extensions", token=app, client_id=CONF_CLIENT_ID)
    assert no_user.status == 400
    with_user = await caster.helix(
        "GET",
        "/users/extensions",
        params={"user_id": caster.id},
        token=app,
        client_id=CONF_CLIENT_ID,
    )
    assert with_user.body["data"] == data


async def test_extension_list_without_edit_scope_shows_active_only(
    sim: Simulator, caster: Caster
) -> None:
    sim.state.install_extension(caster.id, EXT_PANEL)
    sim.state.install_extension(caster.id, EXT_COMPONENT)
    sim.state.update_active_extensions(
        caster.id, {"panel": {"1": {"active": True, "id": "panelext", "version": "1.0.0"}}}
    )
    tok = sim.state.issue_user_token(CLIENT_ID, caster.id, ["user:read:broadcast"])
    reply = await caster.helix("GET", "/users/extensions/list", token=tok["access_token"])
    assert [e["id"] for e in reply.body["data"]] == ["panelext"]


async def test_streams_and_channels(sim: Simulator, caster: Caster) -> None:
    empty = await caster.helix("GET", "/streams")
    assert empty.body == {"data": [], "pagination": {}}
    others = [sim.state.create_user(f"streamer{i}")["id"] for i in range(3)]
    for i, uid in enumerate(others):
        sim.state.set_stream_live(uid, True, viewer_count=10 * (i + 1))
    events: list[DomainEvent] = []
    sim.state.add_listener(events.append)
    sim.state.set_stream_live(caster.id, True, viewer_count=5)
    assert [e.kind for e in events] == ["stream.online"]
    page1 = await caster.helix("GET", "/streams", params={"first": "2"})
    assert [s["user_id"] for s in page1.body["data"]] == [others[2], others[1]]
    page2 = await caster.helix(
        "GET", "/streams", params={"first": "2", "after": page1.body["pagination"]["cursor"]}
    )
    assert [s["user_id"] for s in page2.body["data"]] == [others[0], caster.id]
    by_login = await caster.helix("GET", "/streams", params={"user_login": "caster"})
    assert [s["user_id"] for s in by_login.body["data"]] == [caster.id]
    bad_type = await caster.helix("GET", "/streams", params={"type": "vod"})
    assert bad_type.status == 400
    sim.state.set_stream_live(caster.id, False)
    assert events[-1].kind == "stream.offline"
    channels = await caster.helix(
        "GET",
        "/channels",
        params=[
            ("broadcaster_id", caster.id),
            ("broadcaster_id", caster.id),
            ("broadcaster_id", "0"),
        ],
    )
    assert [c["broadcaster_id"] for c in channels.body["data"]] == [caster.id]
    none = await caster.helix("GET", "/channels")
    assert none.status == 400


async def test_users_lookup_and_email(sim: Simulator, caster: Caster) -> None:
    other = sim.state.create_user("friend", "Friend")
    reply = await caster.helix("GET", "/users", params=[("login", "friend"), ("id", caster.id)])
    by_id = {u["id"]: u for u in reply.body["data"]}
    assert set(by_id) == {caster.id, other["id"]}
    assert "email" in by_id[caster.id] and "email" not in by_id[other["id"]]
    app = sim.state.issue_app_token(CONF_CLIENT_ID)["access_token"]
    bare = await caster.helix("GET", "/users", token=app, client_id=CONF_CLIENT_ID)
    assert bare.status == 400
    no_email_tok = sim.state.issue_user_token(CLIENT_ID, caster.id, [])["access_token"]
    me = await caster.helix("GET", "/users", token=no_email_tok)
    assert "email" not in me.body["data"][0]
