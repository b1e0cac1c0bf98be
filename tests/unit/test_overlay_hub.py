"""The overlay hub: state, one encoded text per change, snapshots, sources and listeners."""

from __future__ import annotations

import json

import pytest

from companion.overlay.hub import PAGE_NAMES, OverlayHub
from companion.overlay.model import (
    OverlayAlert,
    OverlayChoice,
    OverlayGoal,
    OverlayOutcome,
    OverlayPoll,
    OverlayPrediction,
    OverlayQueueItem,
)


class RecordingSink:
    def __init__(self) -> None:
        self.texts: list[str] = []

    def send_text(self, text: str) -> None:
        self.texts.append(text)

    @property
    def messages(self) -> list[dict[str, object]]:
        return [json.loads(text) for text in self.texts]


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


GOAL = OverlayGoal("g1", "follower", "Road to 100", 42, 100)


def _prediction(status: str, *, pid: str = "p1") -> OverlayPrediction:
    return OverlayPrediction(
        id=pid,
        title="Will we win?",
        status=status,
        outcomes=(
            OverlayOutcome("o1", "Yes", "BLUE", 3, 1500),
            OverlayOutcome("o2", "No", "PINK", 1, 200),
        ),
        ends_at=1_060.0 if status == "ACTIVE" else None,
        winning_outcome_id="o1" if status == "RESOLVED" else None,
    )


def test_snapshots_start_empty_for_every_page() -> None:
    hub = OverlayHub()
    assert hub.state("goals") == {"type": "snapshot", "page": "goals", "goals": []}
    assert hub.state("prediction") == {"type": "snapshot", "page": "prediction", "prediction": None}
    assert hub.state("poll") == {"type": "snapshot", "page": "poll", "poll": None}
    assert hub.state("queue") == {"type": "snapshot", "page": "queue", "queue": []}
    assert hub.state("alerts") == {"type": "snapshot", "page": "alerts"}


def test_unknown_page_is_refused_by_name() -> None:
    hub = OverlayHub()
    with pytest.raises(ValueError, match="unknown overlay page 'chat'"):
        hub.snapshot("chat")
    with pytest.raises(ValueError, match="unknown overlay page"):
        hub.attach("../goals", RecordingSink())
    assert hub.connected_sources() == []


def test_attach_sends_the_snapshot_and_changes_reach_only_that_page() -> None:
    hub = OverlayHub()
    goals_sink, poll_sink = RecordingSink(), RecordingSink()
    hub.attach("goals", goals_sink)
    hub.attach("poll", poll_sink)
    hub.set_goals([GOAL])
    assert [m["goals"] for m in goals_sink.messages] == [
        [],
        [
            {
                "id": "g1",
                "type": "follower",
                "description": "Road to 100",
                "current": 42,
                "target": 100,
            }
        ],
    ]
    assert poll_sink.messages == [{"type": "snapshot", "page": "poll", "seq": 2, "poll": None}]
    # Sequence numbers grow per message the hub makes.
    assert [m["seq"] for m in goals_sink.messages] == [1, 3]


def test_an_unchanged_state_is_not_sent_again() -> None:
    hub = OverlayHub()
    sink = RecordingSink()
    hub.attach("goals", sink)
    hub.set_goals([GOAL])
    hub.set_goals((GOAL,))
    hub.set_goals([OverlayGoal("g1", "follower", "Road to 100", 43, 100)])
    assert [m["goals"][0]["current"] for m in sink.messages[1:]] == [42, 43]  # type: ignore[index]


def test_one_encoded_text_is_shared_by_every_page_of_a_kind() -> None:
    hub = OverlayHub()
    first, second = RecordingSink(), RecordingSink()
    hub.attach("queue", first)
    hub.set_queue([OverlayQueueItem("r1", "viewer_a", "Hydrate", "")])
    hub.attach("queue", second)
    # The late page gets the very text the first one got for the change.
    assert first.texts[1] is second.texts[0]


def test_prediction_ended_at_is_stamped_once_when_it_ends() -> None:
    clock = FakeClock()
    hub = OverlayHub(clock=clock)
    hub.set_prediction(_prediction("ACTIVE"))
    assert hub.state("prediction")["prediction"]["ended_at"] is None  # type: ignore[index]
    clock.now = 1_070.0
    hub.set_prediction(_prediction("RESOLVED"))
    clock.now = 1_080.0
    hub.set_prediction(_prediction("RESOLVED"))  # the same end seen again keeps its time
    prediction = hub.state("prediction")["prediction"]
    assert prediction["ended_at"] == 1_070.0  # type: ignore[index]
    assert prediction["winning_outcome_id"] == "o1"  # type: ignore[index]
    assert prediction["outcomes"][0] == {  # type: ignore[index]
        "id": "o1",
        "title": "Yes",
        "color": "BLUE",
        "users": 3,
        "points": 1500,
    }
    hub.set_prediction(None)
    assert hub.state("prediction")["prediction"] is None


def test_polls_without_a_result_are_not_shown() -> None:
    clock = FakeClock()
    hub = OverlayHub(clock=clock)
    poll = OverlayPoll("q1", "Next game?", "ACTIVE", (OverlayChoice("c1", "Chess", 4),), 1_100.0)
    hub.set_poll(poll)
    assert hub.state("poll")["poll"]["choices"] == [  # type: ignore[index]
        {"id": "c1", "title": "Chess", "votes": 4}
    ]
    hub.set_poll(OverlayPoll("q1", "Next game?", "COMPLETED", poll.choices, None))
    assert hub.state("poll")["poll"]["ended_at"] == 1_000.0  # type: ignore[index]
    hub.set_poll(OverlayPoll("q1", "Next game?", "ARCHIVED", poll.choices, None))
    assert hub.state("poll")["poll"] is None


def test_alerts_go_to_alerts_pages_as_events_not_state() -> None:
    hub = OverlayHub()
    alerts, goals = RecordingSink(), RecordingSink()
    hub.attach("alerts", alerts)
    hub.attach("goals", goals)
    alert = OverlayAlert("r9", "<b>viewer</b>", "rw1", "Hydrate", "<img src=x>", 4000)
    hub.push_alert(alert)
    assert alerts.messages[1] == {
        "type": "alert",
        "page": "alerts",
        "seq": 3,
        "alert": {
            "id": "r9",
            "viewer": "<b>viewer</b>",
            "reward_id": "rw1",
            "reward_title": "Hydrate",
            "user_input": "<img src=x>",
            "duration_ms": 4000,
            "test": False,
        },
    }
    assert len(goals.texts) == 1
    # A page connecting later does not replay old alerts.
    late = RecordingSink()
    hub.attach("alerts", late)
    assert late.messages == [{"type": "snapshot", "page": "alerts", "seq": 1}]


def test_an_alert_without_a_duration_is_refused() -> None:
    hub = OverlayHub()
    sink = RecordingSink()
    hub.attach("alerts", sink)
    with pytest.raises(ValueError, match="duration must be positive, got 0 ms"):
        hub.push_alert(OverlayAlert("r1", "v", "rw", "Reward", "", 0))
    assert len(sink.texts) == 1


def test_test_alerts_are_marked_and_numbered() -> None:
    hub = OverlayHub()
    sink = RecordingSink()
    hub.attach("alerts", sink)
    first = hub.send_test_alert()
    second = hub.send_test_alert(duration_ms=1500)
    assert (first.id, first.test, first.duration_ms) == ("test-1", True, 5000)
    assert (second.id, second.duration_ms) == ("test-2", 1500)
    assert [m["alert"]["id"] for m in sink.messages[1:]] == ["test-1", "test-2"]  # type: ignore[index]


def test_sources_and_listeners() -> None:
    clock = FakeClock(500.0)
    hub = OverlayHub(clock=clock)
    calls: list[int] = []
    remove = hub.add_listener(lambda: calls.append(len(hub.connected_sources())))
    first = hub.attach("goals", RecordingSink(), remote_port=50001)
    clock.now = 501.0
    hub.attach("alerts", RecordingSink(), remote_port=50002)
    assert [(s.page, s.connected_since, s.remote_port) for s in hub.connected_sources()] == [
        ("goals", 500.0, 50001),
        ("alerts", 501.0, 50002),
    ]
    hub.detach(first)
    hub.detach(first)  # idempotent: no second notification
    assert calls == [1, 2, 1]
    remove()
    remove()
    hub.attach("poll", RecordingSink())
    assert calls == [1, 2, 1]


def test_a_failing_listener_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    hub = OverlayHub()
    calls: list[str] = []

    def broken() -> None:
        raise RuntimeError("panel gone")

    hub.add_listener(broken)
    hub.add_listener(lambda: calls.append("ok"))
    hub.attach("queue", RecordingSink())
    assert calls == ["ok"]
    assert "overlay source listener failed" in caplog.text


def test_page_names() -> None:
    assert PAGE_NAMES == ("goals", "prediction", "poll", "alerts", "queue")
