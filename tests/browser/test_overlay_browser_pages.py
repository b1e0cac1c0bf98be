"""Each overlay page in a real chromium: what it shows (DOM text and screenshot pixels),
live updates, the URL options, the user CSS, and viewer text that tries to be HTML."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from companion.overlay.model import (
    OverlayAlert,
    OverlayChoice,
    OverlayGoal,
    OverlayOutcome,
    OverlayPoll,
    OverlayPrediction,
    OverlayQueueItem,
)
from tests.browser.harness import Pixels

if TYPE_CHECKING:
    from pathlib import Path

    from tests.browser.harness import OverlayEnv, OverlayPage

GREEN = "#00ff00"
YELLOW = "#ffff00"
BLUE = "#387aff"  # the default prediction outcome colours of overlay.css
PINK = "#f5009b"
SETTLED = "document.getAnimations().length === 0"


def _text(env: OverlayEnv, opened: OverlayPage, selector: str = "#overlay") -> str:
    # textContent, not innerText: what the page put there, before CSS transforms it.
    text = env.run(opened.page.text_content(selector))
    assert text is not None
    return text


def _texts(env: OverlayEnv, opened: OverlayPage, selector: str) -> list[str]:
    return env.run(opened.page.locator(selector).all_inner_texts())


def _wait(env: OverlayEnv, opened: OverlayPage, expression: str, timeout_ms: int = 5000) -> None:
    # As a function, not a bare expression: Playwright evaluates a bare one with eval(),
    # which the pages' Content-Security-Policy (rightly) forbids.
    env.run(opened.page.wait_for_function(f"() => ({expression})", timeout=timeout_ms))


def _wait_seq(env: OverlayEnv, opened: OverlayPage, seq: int) -> None:
    _wait(env, opened, f"window.__overlay.seq >= {seq}")


def _shot(env: OverlayEnv, opened: OverlayPage, path: Path, selector: str | None = None) -> Pixels:
    if selector is None:
        data = env.run(opened.page.screenshot(path=path))
    else:
        data = env.run(opened.page.locator(selector).screenshot(path=path))
    assert path.stat().st_size > 0
    return Pixels.from_png(data)


def _seq(env: OverlayEnv, page: str) -> int:
    return int(env.hub_do(lambda hub: hub.snapshot(page))["seq"])  # type: ignore[call-overload]


def test_goals_page_shows_a_bar_per_goal(overlay: OverlayEnv, tmp_path: Path) -> None:
    overlay.hub_do(
        lambda hub: hub.set_goals(
            [
                OverlayGoal("g1", "follower", "Road to 100 followers", 42, 100),
                OverlayGoal("g2", "subscription", "", 5, 10),
            ]
        )
    )
    opened = overlay.open("goals", {"accent": "00ff00", "color": "ffff00", "font_size": "30"})
    _wait(overlay, opened, SETTLED)
    assert _texts(overlay, opened, ".row-title") == ["Road to 100 followers", "Sub goal"]
    assert _texts(overlay, opened, ".row-value") == ["42 / 100", "5 / 10"]
    # The fill of each bar is the accent colour over current/target of the bar's width.
    first = _shot(overlay, opened, tmp_path / "goal1-bar.png", "[data-key=g1] .bar")
    second = _shot(overlay, opened, tmp_path / "goal2-bar.png", "[data-key=g2] .bar")
    assert abs(first.row_fraction(GREEN) - 0.42) < 0.02
    assert abs(second.row_fraction(GREEN) - 0.50) < 0.02
    # The text is drawn in the colour from the URL, at the size from the URL.
    title = _shot(overlay, opened, tmp_path / "goal1-title.png", "[data-key=g1] .row-title")
    assert title.count(YELLOW) > 100
    assert title.height >= 30
    # Exactly the page, its two style sheets and its script; the fixture checks that
    # every request of every page went to the overlay server.
    assert sorted(url.rsplit("/", 2)[-1] for url in opened.requests) == [
        "goals?accent=00ff00&color=ffff00&font_size=30",
        "overlay.css",
        "overlay.js",
        "user.css",
    ]
    whole = _shot(overlay, opened, tmp_path / "goals.png")
    assert whole.count(GREEN) > 2000
    # Below the cards the page is transparent, so chromium shows its white default.
    assert whole.argb[-1] & 0xFFFFFF == 0xFFFFFF


def test_goals_filter_and_animated_change(overlay: OverlayEnv) -> None:
    goals = [
        OverlayGoal("g1", "follower", "Followers", 10, 100),
        OverlayGoal("g2", "new_bit", "Bits", 50, 1000),
    ]
    overlay.hub_do(lambda hub: hub.set_goals(goals))
    opened = overlay.open("goals", {"goals": "FOLLOWER"})
    _wait(overlay, opened, SETTLED)
    assert _texts(overlay, opened, ".row-title") == ["Followers"]
    width = "document.querySelector('.bar-fill').getBoundingClientRect().width"
    bar = "document.querySelector('.bar').getBoundingClientRect().width"
    before = overlay.run(opened.page.evaluate(f"{width} / {bar}"))
    assert abs(before - 0.10) < 0.01
    overlay.run(
        opened.page.evaluate(
            "() => { window.__moved = [];"
            " document.addEventListener('transitionrun', (e) => window.__moved.push("
            "e.target.className + ':' + e.propertyName)); }"
        )
    )
    changed = dataclasses.replace(goals[0], current=80)
    overlay.hub_do(lambda hub: hub.set_goals([changed, goals[1]]))
    _wait_seq(overlay, opened, _seq(overlay, "goals"))
    assert _texts(overlay, opened, ".row-value") == ["80 / 100"]
    # The bar moves to its new width over a transition rather than jumping there.
    _wait(overlay, opened, "window.__moved.length === 1")
    assert overlay.run(opened.page.evaluate("window.__moved")) == ["bar-fill:width"]
    _wait(overlay, opened, SETTLED)
    after = overlay.run(opened.page.evaluate(f"{width} / {bar}"))
    assert abs(after - 0.80) < 0.01
    # The goal ends: nothing left to show.
    overlay.hub_do(lambda hub: hub.set_goals([goals[1]]))
    _wait(overlay, opened, "document.getElementById('overlay').childElementCount === 0")


def _prediction(status: str, **changes: object) -> OverlayPrediction:
    prediction = OverlayPrediction(
        id="p1",
        title="Boss down first try?",
        status=status,
        outcomes=(
            OverlayOutcome("o1", "Yes", "BLUE", 12, 3000),
            OverlayOutcome("o2", "No", "PINK", 4, 1000),
        ),
        ends_at=time.time() + 95 if status == "ACTIVE" else None,
        winning_outcome_id="o1" if status == "RESOLVED" else None,
    )
    return dataclasses.replace(prediction, **changes)  # type: ignore[arg-type]


def test_prediction_live_then_result_then_nothing(overlay: OverlayEnv, tmp_path: Path) -> None:
    opened = overlay.open("prediction", {"result_seconds": "1"})
    assert _text(overlay, opened) == ""
    overlay.hub_do(lambda hub: hub.set_prediction(_prediction("ACTIVE")))
    _wait_seq(overlay, opened, _seq(overlay, "prediction"))
    _wait(overlay, opened, SETTLED)
    assert _text(overlay, opened, ".card-title") == "Boss down first try?"
    minutes, seconds = _text(overlay, opened, ".card-status").removesuffix(" left").split(":")
    assert 80 <= int(minutes) * 60 + int(seconds) <= 95
    assert _texts(overlay, opened, ".row-title") == ["Yes", "No"]
    assert _texts(overlay, opened, ".row-value") == ["3,000 pts · 12 · 75%", "1,000 pts · 4 · 25%"]
    yes = _shot(overlay, opened, tmp_path / "yes.png", "[data-key=o1] .bar")
    no = _shot(overlay, opened, tmp_path / "no.png", "[data-key=o2] .bar")
    assert abs(yes.row_fraction(BLUE) - 0.75) < 0.02
    assert abs(no.row_fraction(PINK) - 0.25) < 0.02
    _shot(overlay, opened, tmp_path / "prediction.png")
    # The time left counts down by itself.
    shown = _text(overlay, opened, ".card-status")
    _wait(overlay, opened, f"document.querySelector('.card-status').textContent !== '{shown}'")
    overlay.hub_do(lambda hub: hub.set_prediction(_prediction("LOCKED")))
    _wait(overlay, opened, "document.querySelector('.card-status').textContent === 'Locked'")
    overlay.hub_do(lambda hub: hub.set_prediction(_prediction("RESOLVED")))
    _wait(overlay, opened, "document.querySelector('.card-status').textContent === 'Result'")
    assert overlay.run(opened.page.locator(".winner .row-title").inner_text()) == "Yes"
    assert overlay.run(opened.page.locator(".loser .row-title").inner_text()) == "No"
    # result_seconds=1: the result goes away by itself a second after the end.
    started = time.monotonic()
    _wait(overlay, opened, "document.getElementById('overlay').childElementCount === 0")
    assert time.monotonic() - started < 3  # well before the default of 15 s
    # A page that connects after the result time has passed shows nothing at all.
    late = overlay.open("prediction", {"result_seconds": "1"})
    assert _text(overlay, late) == ""


def test_poll_live_then_result(overlay: OverlayEnv, tmp_path: Path) -> None:
    choices = (OverlayChoice("c1", "Chess", 30), OverlayChoice("c2", "Go", 10))
    poll = OverlayPoll("q1", "Next game?", "ACTIVE", choices, time.time() + 30)
    overlay.hub_do(lambda hub: hub.set_poll(poll))
    opened = overlay.open("poll", {"accent": "#00ff00"})
    _wait(overlay, opened, SETTLED)
    assert _text(overlay, opened, ".card-title") == "Next game?"
    assert _texts(overlay, opened, ".row-value") == ["30 · 75%", "10 · 25%"]
    chess = _shot(overlay, opened, tmp_path / "chess.png", "[data-key=c1] .bar")
    assert abs(chess.row_fraction(GREEN) - 0.75) < 0.02
    ended = dataclasses.replace(poll, status="COMPLETED", ends_at=None)
    overlay.hub_do(lambda hub: hub.set_poll(ended))
    _wait(overlay, opened, "document.querySelector('.card-status').textContent === 'Result'")
    assert overlay.run(opened.page.locator(".winner .row-title").inner_text()) == "Chess"
    # result_seconds defaults to 15: still there; a poll that is gone clears the page.
    assert _text(overlay, opened, ".card-title") == "Next game?"
    overlay.hub_do(lambda hub: hub.set_poll(None))
    _wait(overlay, opened, "document.getElementById('overlay').childElementCount === 0")


RECORD_ALERTS = """() => {
  window.__alertLog = [];
  window.__maxAlerts = 0;
  new MutationObserver(() => {
    const shown = document.querySelectorAll('.alert');
    window.__maxAlerts = Math.max(window.__maxAlerts, shown.length);
    for (const node of shown) {
      const last = window.__alertLog[window.__alertLog.length - 1];
      if (!last || last.id !== node.dataset.id) {
        window.__alertLog.push({id: node.dataset.id, at: performance.now()});
      }
    }
  }).observe(document.getElementById('overlay'), {childList: true});
}"""


def test_alerts_queue_one_after_another(overlay: OverlayEnv) -> None:
    opened = overlay.open("alerts", {"rewards": "rw1,Hydrate"})
    overlay.run(opened.page.evaluate(RECORD_ALERTS))

    def burst(hub: object) -> None:
        assert hasattr(hub, "push_alert")
        hub.push_alert(OverlayAlert("a1", "alice", "rw1", "Song request", "Never Gonna", 600))
        hub.push_alert(OverlayAlert("a2", "bob", "rw9", "Hydrate", "", 400))
        hub.push_alert(OverlayAlert("skip", "carol", "rw2", "Emote only", "", 400))
        hub.send_test_alert(duration_ms=400)

    overlay.hub_do(burst)
    _wait(overlay, opened, "document.querySelectorAll('.alert').length === 1")
    assert _text(overlay, opened, ".alert-title") == "alice redeemed Song request"
    assert _text(overlay, opened, ".alert-input") == "Never Gonna"
    _wait(overlay, opened, "window.__overlay.alertsShown === 3 && window.__alertLog.length === 3")
    assert _text(overlay, opened, ".alert-test-label") == "Test alert"
    _wait(overlay, opened, "document.getElementById('overlay').childElementCount === 0")
    log = overlay.run(opened.page.evaluate("window.__alertLog"))
    assert [entry["id"] for entry in log] == ["a1", "a2", "test-1"]
    assert overlay.run(opened.page.evaluate("window.__maxAlerts")) == 1
    # Each alert stays its own duration before the next one starts.
    assert log[1]["at"] - log[0]["at"] >= 600
    assert log[2]["at"] - log[1]["at"] >= 400


def test_viewer_text_is_shown_as_text_and_runs_nothing(overlay: OverlayEnv) -> None:
    opened = overlay.open("alerts")
    overlay.run(opened.page.evaluate("() => { window.__xss = 0; }"))
    hostile_input = "<img src=x onerror=alert(1)>"
    hostile_viewer = "<img src=y onerror=window.__xss=1><script>window.__xss=2</script>"
    overlay.hub_do(
        lambda hub: hub.push_alert(
            OverlayAlert("x1", hostile_viewer, "rw1", "<b>Bold</b>", hostile_input, 1500)
        )
    )
    _wait(overlay, opened, "document.querySelectorAll('.alert').length === 1")
    assert _text(overlay, opened, ".alert-input") == hostile_input
    assert _text(overlay, opened, ".alert-viewer") == hostile_viewer
    assert _text(overlay, opened, ".alert-reward") == "<b>Bold</b>"
    # Give a broken image's error event (had one been made) time to fire.
    overlay.run(opened.page.wait_for_timeout(300))
    counts = overlay.run(
        opened.page.evaluate(
            "[document.querySelectorAll('img, script:not([src]), b').length, window.__xss]"
        )
    )
    assert counts == [0, 0]
    assert opened.dialogs == []

    opened_queue = overlay.open("queue")
    overlay.hub_do(
        lambda hub: hub.set_queue(
            [OverlayQueueItem("r1", hostile_viewer, "Hydrate", hostile_input)]
        )
    )
    _wait(overlay, opened_queue, "document.querySelectorAll('.ticker-item').length === 1")
    assert _text(overlay, opened_queue, ".ticker-input") == hostile_input
    found = overlay.run(opened_queue.page.evaluate("document.querySelectorAll('img').length"))
    assert found == 0
    assert opened_queue.dialogs == []


def test_queue_ticker(overlay: OverlayEnv, tmp_path: Path) -> None:
    items = [
        OverlayQueueItem(f"r{n}", f"viewer{n}", "Hydrate" if n % 2 else "Song", f"in{n}")
        for n in range(7)
    ]
    opened = overlay.open("queue", {"max": "3", "color": "#ffff00"})
    assert _text(overlay, opened) == ""
    overlay.hub_do(lambda hub: hub.set_queue(items))
    _wait(overlay, opened, "document.querySelectorAll('.ticker-item').length === 3")
    assert _text(overlay, opened, ".ticker-count") == "7 waiting"
    assert _texts(overlay, opened, ".ticker-viewer") == ["viewer0", "viewer1", "viewer2"]
    assert _text(overlay, opened, ".ticker-more") == "+4"
    shot = _shot(overlay, opened, tmp_path / "queue.png", ".ticker")
    assert shot.count(YELLOW) > 100
    filtered = overlay.open("queue", {"rewards": "song"})
    assert _text(overlay, filtered, ".ticker-count") == "4 waiting"
    overlay.hub_do(lambda hub: hub.set_queue([]))
    _wait(overlay, opened, "document.getElementById('overlay').childElementCount === 0")


def test_user_css_overrides_the_defaults(overlay: OverlayEnv, scratch_data_dir: Path) -> None:
    (scratch_data_dir / "overlays.css").write_text(
        ".row-title { color: rgb(1, 2, 3); }\n", encoding="utf-8"
    )
    overlay.hub_do(lambda hub: hub.set_goals([OverlayGoal("g1", "follower", "F", 1, 2)]))
    opened = overlay.open("goals", {"color": "#ffff00"})
    _wait(overlay, opened, "document.querySelectorAll('.row-title').length === 1")
    colour = overlay.run(
        opened.page.evaluate("getComputedStyle(document.querySelector('.row-title')).color")
    )
    assert colour == "rgb(1, 2, 3)"
    value_colour = overlay.run(
        opened.page.evaluate("getComputedStyle(document.querySelector('.row-value')).color")
    )
    assert value_colour == "rgb(255, 255, 0)"


def test_update_arrives_after_each_hub_event(overlay: OverlayEnv) -> None:
    """The default-run guard of the latency benchmark: every update arrives, promptly."""
    opened = overlay.open("goals")
    latencies = []
    for current in range(1, 21):
        goal = OverlayGoal("g1", "follower", "Followers", current, 100)
        sent_ms = overlay.hub_do(
            lambda hub, goal=goal: (hub.set_goals([goal]), time.time() * 1000)[1]
        )
        seq = _seq(overlay, "goals")
        _wait_seq(overlay, opened, seq)
        rendered_ms = overlay.run(opened.page.evaluate(f"window.__overlay.renderedAt[{seq}]"))
        latencies.append(rendered_ms - sent_ms)
    assert _text(overlay, opened, ".row-value") == "20 / 100"
    # Generous: this guards against a lost or stuck update, not speed (see the benchmark).
    assert max(latencies) < 2000, latencies


def test_page_survives_a_server_restart(overlay: OverlayEnv) -> None:
    overlay.hub_do(lambda hub: hub.set_goals([OverlayGoal("g1", "follower", "Followers", 3, 9)]))
    opened = overlay.open("goals")
    assert _text(overlay, opened, ".row-value") == "3 / 9"
    overlay.run(overlay.server.stop())
    # Nothing stale on stream while the app is away.
    _wait(overlay, opened, "!window.__overlay.connected")
    assert (
        overlay.run(opened.page.evaluate("document.getElementById('overlay').childElementCount"))
        == 0
    )
    overlay.run(opened.page.wait_for_timeout(400))  # a reconnect attempt or two fails
    assert _text(overlay, opened) == ""
    overlay.hub_do(lambda hub: hub.set_goals([OverlayGoal("g1", "follower", "Followers", 4, 9)]))
    overlay.restart_server()
    _wait(overlay, opened, "window.__overlay.connected && window.__overlay.connects === 2")
    _wait(overlay, opened, "document.querySelectorAll('.row-value').length === 1")
    assert _text(overlay, opened, ".row-value") == "4 / 9"


def test_alert_on_screen_and_waiting_ones_go_when_the_server_goes(overlay: OverlayEnv) -> None:
    opened = overlay.open("alerts")

    def burst(hub: object) -> None:
        for number in range(3):
            alert = OverlayAlert(f"a{number}", f"viewer{number}", "rw1", "Hydrate", "", 30_000)
            hub.push_alert(alert)  # type: ignore[attr-defined]

    overlay.hub_do(burst)
    _wait(overlay, opened, "document.querySelectorAll('.alert').length === 1")
    overlay.run(overlay.server.stop())
    _wait(overlay, opened, "!window.__overlay.connected")
    assert overlay.run(opened.page.evaluate("document.getElementById('overlay').innerHTML")) == ""
    overlay.restart_server()
    _wait(overlay, opened, "window.__overlay.connected && window.__overlay.connects === 2")
    # Old alerts are not replayed (not by the page's queue, not by the server)...
    overlay.run(opened.page.wait_for_timeout(300))
    assert overlay.run(opened.page.evaluate("window.__overlay.alertsShown")) == 1
    assert _text(overlay, opened) == ""
    # ...and new ones show at once, not after the 30 s ones that were waiting.
    overlay.hub_do(lambda hub: hub.send_test_alert())
    _wait(overlay, opened, "document.querySelectorAll('.alert.test').length === 1")
