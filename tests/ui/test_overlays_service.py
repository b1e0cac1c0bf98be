"""The overlay service through the real stack: simulator -> EventSub -> the app's services
-> OverlayService -> hub -> OverlayServer on a free loopback port -> a WebSocket client
standing in for the browser source. Every message is checked field by field.
"""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

import pytest

from companion.core.overlay_rules import AlertRule
from companion.services.overlay_service import MAX_TICKER_ITEMS
from tests.helpers.overlay_stack import OverlayStack, free_port, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop


@pytest.fixture
async def stack(qapp) -> AsyncIterator[OverlayStack]:
    running = OverlayStack()
    try:
        yield await running.start()
    finally:
        await running.stop()


def _is_alert(data: dict[str, object]) -> bool:
    return data["type"] == "alert"


async def test_a_redemption_made_in_the_simulator_reaches_the_alerts_page(
    stack: OverlayStack,
) -> None:
    assert stack.service.state == "running"
    assert stack.notices == []
    alerts = await stack.open_page("alerts")
    queue = await stack.open_page("queue")
    redemption = stack.redeem("Song request", "ana_plays", "<b>Never Gonna Give You Up</b>")
    message = await alerts.next_where(_is_alert)
    assert message["page"] == "alerts"
    assert message["alert"] == {
        "id": redemption,
        "viewer": "AnaPlays",
        "reward_id": stack.reward_id("Song request"),
        "reward_title": "Song request",
        "user_input": "<b>Never Gonna Give You Up</b>",
        "duration_ms": 6000,
        "test": False,
    }
    # The queue ticker gets it too (after the queue's 100 ms gathering), oldest first:
    # the demo channel's three seeded redemptions (made in one instant) wait before it.
    ticker = await queue.next_where(
        lambda data: any(item["id"] == redemption for item in data["queue"])
    )
    assert sorted(
        (item["viewer"], item["reward_title"], item["user_input"]) for item in ticker["queue"][:3]
    ) == [
        ("AnaPlays", "Hydrate!", ""),
        ("ByteBard", "Song request", "Daft Punk - Veridis Quo"),
        ("cozy_carl", "Hydrate!", ""),
    ]
    assert len(ticker["queue"]) == 4
    assert ticker["queue"][3] == {
        "id": redemption,
        "viewer": "AnaPlays",
        "reward_title": "Song request",
        "user_input": "<b>Never Gonna Give You Up</b>",
    }
    assert stack.service.alerts_sent == 1


async def test_a_disabled_reward_sends_no_alert_and_durations_follow_the_rules(
    stack: OverlayStack,
) -> None:
    alerts = await stack.open_page("alerts")
    hydrate = stack.reward_id("Hydrate!")
    song = stack.reward_id("Song request")
    stack.service.set_alert_rule(hydrate, enabled=False, seconds=6)
    stack.service.set_alert_rule(song, enabled=True, seconds=12.5)
    assert stack.settings.alert_rules() == {
        hydrate: AlertRule(False, 6.0),
        song: AlertRule(True, 12.5),
    }
    stack.redeem("Hydrate!", "bytebard")
    second = stack.redeem("Song request", "cozy_carl", "lofi beats")
    # EventSub keeps the order: the first alert to arrive is the song's, so Hydrate sent none.
    message = await alerts.next_where(_is_alert)
    assert message["alert"]["id"] == second
    assert message["alert"]["duration_ms"] == 12500
    assert message["alert"]["viewer"] == "cozy_carl"
    # And nothing else is on its way.
    with pytest.raises(TimeoutError):
        await alerts.next_where(_is_alert, timeout=0.5)
    assert stack.service.alerts_sent == 1


async def test_the_same_redemption_is_alerted_once(stack: OverlayStack) -> None:
    alerts = await stack.open_page("alerts")
    delivered: list[object] = []
    stack.live.redemption_added.connect(delivered.append)
    redemption_id = stack.redeem("Hydrate!", "dee_vee")
    first = await alerts.next_where(_is_alert)
    assert first["alert"]["id"] == redemption_id
    # EventSub delivers at least once: the same event again is not a second alert.
    [redemption] = delivered
    stack.live.redemption_added.emit(redemption)
    with pytest.raises(TimeoutError):
        await alerts.next_where(_is_alert, timeout=0.5)
    assert stack.service.alerts_sent == 1


async def test_goal_progress_arrives_on_the_goals_page(stack: OverlayStack) -> None:
    goals = await stack.open_page("goals")
    [seeded] = stack.sim.state.get_goals(stack.broadcaster_id)
    assert goals.received[0]["goals"] == [
        {
            "id": seeded["id"],
            "type": "follower",
            "description": "Road to 1,000 followers",
            "current": 640,
            "target": 1000,
        }
    ]
    stack.sim.state.goal_progress(seeded["id"], 5)
    moved = await goals.next()
    assert moved["type"] == "snapshot"
    assert moved["goals"] == [
        {
            "id": seeded["id"],
            "type": "follower",
            "description": "Road to 1,000 followers",
            "current": 645,
            "target": 1000,
        }
    ]
    stack.sim.state.end_goal(seeded["id"])
    ended = await goals.next()
    assert ended["goals"] == []
    assert stack.service.hub.state("goals") == {"type": "snapshot", "page": "goals", "goals": []}


async def test_a_prediction_runs_live_then_shows_its_result(stack: OverlayStack) -> None:
    page = await stack.open_page("prediction")
    assert page.received[0]["prediction"] is None
    created = stack.sim.state.create_prediction(
        stack.broadcaster_id,
        {
            "title": "Boss first try?",
            "outcomes": [{"title": "Yes"}, {"title": "No"}],
            "prediction_window": 120,
        },
    )
    began = await page.next_where(lambda d: d["prediction"] is not None)
    prediction = began["prediction"]
    assert prediction["id"] == created["id"]
    assert prediction["title"] == "Boss first try?"
    assert prediction["status"] == "ACTIVE"
    assert [o["title"] for o in prediction["outcomes"]] == ["Yes", "No"]
    assert [(o["users"], o["points"]) for o in prediction["outcomes"]] == [(0, 0), (0, 0)]
    assert prediction["ends_at"] == pytest.approx(_unix(created["created_at"]) + 120, abs=1.0)
    assert prediction["ended_at"] is None
    yes, no = (outcome["id"] for outcome in created["outcomes"])
    stack.sim.state.predict(created["id"], stack.viewer_id("ana_plays"), yes, 250)
    moved = await page.next_where(lambda d: d["prediction"]["outcomes"][0]["points"] == 250)
    assert [(o["users"], o["points"]) for o in moved["prediction"]["outcomes"]] == [
        (1, 250),
        (0, 0),
    ]
    stack.sim.state.end_prediction(
        stack.broadcaster_id,
        {"id": created["id"], "status": "RESOLVED", "winning_outcome_id": yes},
    )
    result = await page.next_where(lambda d: d["prediction"]["status"] == "RESOLVED")
    assert result["prediction"]["winning_outcome_id"] == yes
    assert result["prediction"]["ended_at"] is not None
    assert result["prediction"]["ends_at"] is None
    assert no != yes


async def test_a_poll_runs_live_and_an_archived_one_vanishes(stack: OverlayStack) -> None:
    page = await stack.open_page("poll")
    created = stack.sim.state.create_poll(
        stack.broadcaster_id,
        {
            "title": "Next game?",
            "choices": [{"title": "Tetris"}, {"title": "Doom"}],
            "duration": 60,
        },
    )
    began = await page.next_where(lambda d: d["poll"] is not None)
    assert began["poll"]["status"] == "ACTIVE"
    assert began["poll"]["ends_at"] == pytest.approx(_unix(created["started_at"]) + 60, abs=1.0)
    doom = created["choices"][1]["id"]
    stack.sim.state.vote(created["id"], doom, 3)
    voted = await page.next_where(lambda d: d["poll"]["choices"][1]["votes"] == 3)
    assert [(c["title"], c["votes"]) for c in voted["poll"]["choices"]] == [
        ("Tetris", 0),
        ("Doom", 3),
    ]
    stack.sim.state.end_poll(stack.broadcaster_id, {"id": created["id"], "status": "ARCHIVED"})
    gone = await page.next_where(lambda d: d["poll"] is None)
    assert gone["poll"] is None


async def test_the_ticker_is_capped(stack: OverlayStack) -> None:
    queue = await stack.open_page("queue")
    for n in range(MAX_TICKER_ITEMS + 5):
        stack.redeem("Song request", ("ana_plays", "bytebard", "dee_vee")[n % 3], f"song {n}")
    full = await queue.next_where(lambda d: len(d["queue"]) == MAX_TICKER_ITEMS, timeout=8)
    # Oldest first: the three seeded redemptions, then songs 0..16.
    assert sorted(item["user_input"] for item in full["queue"][:3]) == [
        "",
        "",
        "Daft Punk - Veridis Quo",
    ]
    assert [item["user_input"] for item in full["queue"][3:]] == [
        f"song {n}" for n in range(MAX_TICKER_ITEMS - 3)
    ]


async def test_the_server_waits_for_the_first_paint(qapp) -> None:
    stack = OverlayStack()
    try:
        await asyncio.sleep(0.3)  # the loop runs, but the window has not been shown
        assert stack.service.server is None
        assert stack.service.pages == ()
        assert stack.service.state == "off"
        await stack.start(sign_in=False)  # shows the window
        assert stack.service.state == "running"
        assert [page.name for page in stack.service.pages] == [
            "goals",
            "prediction",
            "poll",
            "alerts",
            "queue",
        ]
    finally:
        await stack.stop()


async def test_a_taken_port_is_told_and_a_new_port_serves(qapp) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = int(squatter.getsockname()[1])
        stack = OverlayStack(port=taken)
        try:
            await stack.start(sign_in=False)
            assert stack.service.state == "port_taken"
            assert stack.service.status_text == (
                f"off: port {taken} is taken by another program. Choose another port here, "
                "then paste the new URLs into OBS."
            )
            assert stack.notices == [
                f"Port {taken} is already used by another program (or another copy of "
                "Streamer Companion), so the overlays for OBS are not served. Choose another "
                "port in the Overlays tab and paste the new URLs into OBS, or close the other "
                "program."
            ]
            # The app runs on: another port serves, and the URLs follow it.
            fresh = free_port()
            stack.service.set_port(fresh)
            await until(lambda: stack.service.state == "running")
            assert stack.settings.overlay_port == fresh
            assert stack.service.page_url("goals") == (f"http://127.0.0.1:{fresh}/overlay/goals")
            page = await stack.open_page("alerts")
            stack.service.send_test_alert()
            test = await page.next_where(_is_alert)
            assert test["alert"]["test"] is True
            assert len(stack.notices) == 1
        finally:
            await stack.stop()


async def test_a_port_change_moves_the_server_and_quit_closes_it(qapp) -> None:
    stack = OverlayStack()
    try:
        await stack.start(sign_in=False)
        first = stack.service.port
        page = await stack.open_page("goals")
        second = free_port()
        stack.service.set_port(second)
        # The old socket closes (the page reconnects by itself) ...
        closed = await page.ws.receive(timeout=5)
        assert page.ws.closed, closed
        await until(lambda: stack.service.state == "running" and stack.service.port == second)
        # ... nothing listens on the old port any more, and the new one serves.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            assert probe.connect_ex(("127.0.0.1", first)) != 0
        again = await stack.open_page("goals")
        assert again.received[0]["goals"] == []
        loop = asyncio.get_running_loop()
        began = loop.time()
        await stack.panels.shutdown()
        assert loop.time() - began < 1.5
        assert stack.service.state == "off"
        closed = await again.ws.receive(timeout=5)
        assert again.ws.closed, closed
    finally:
        await stack.stop()


def _unix(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


async def test_signing_out_leaves_nothing_stale_on_stream(stack: OverlayStack) -> None:
    goals = await stack.open_page("goals")
    queue = await stack.open_page("queue")
    prediction = await stack.open_page("prediction")
    assert len(goals.received[0]["goals"]) == 1
    await until(lambda: len(stack.service.hub.state("queue")["queue"]) == 3)  # type: ignore[arg-type]
    stack.sim.state.create_prediction(
        stack.broadcaster_id,
        {
            "title": "Clutch?",
            "outcomes": [{"title": "Yes"}, {"title": "No"}],
            "prediction_window": 60,
        },
    )
    await prediction.next_where(lambda d: d["prediction"] is not None)
    stack.panels.set_broadcaster(None)
    assert (await goals.next_where(lambda d: d["goals"] == []))["goals"] == []
    assert (await queue.next_where(lambda d: d["queue"] == []))["queue"] == []
    gone = await prediction.next_where(lambda d: d["prediction"] is None)
    assert gone["prediction"] is None
