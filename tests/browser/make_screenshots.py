"""The README's overlay screenshots: each page in chromium over a checkerboard.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.browser.make_screenshots``
(writes ``docs/screenshots/overlay-<page>.png``). The checkerboard stands in for the
video behind a browser source in OBS, showing where the page is transparent.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from companion.overlay.model import (
    OverlayAlert,
    OverlayChoice,
    OverlayGoal,
    OverlayOutcome,
    OverlayPoll,
    OverlayPrediction,
    OverlayQueueItem,
)
from tests.browser.harness import BrowserSession, LoopThread, OverlayEnv

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
CHECKERBOARD = (
    "html { background: repeating-conic-gradient(#b8b8b8 0 25%, #e8e8e8 0 50%) 0 0 / 24px 24px"
    " !important; }"
)
SIZES = {
    "goals": {"width": 640, "height": 268},
    "prediction": {"width": 640, "height": 222},
    "poll": {"width": 640, "height": 284},
    "alerts": {"width": 640, "height": 160},
    "queue": {"width": 900, "height": 70},
}


def fill(env: OverlayEnv) -> None:
    now = time.time()

    def state(hub: object) -> None:
        hub.set_goals(  # type: ignore[attr-defined]
            [
                OverlayGoal("g1", "follower", "Road to 1,000 followers", 842, 1000),
                OverlayGoal("g2", "subscription", "Sub goal: cosplay stream", 37, 50),
                OverlayGoal("g3", "new_bit", "", 4200, 10000),
            ]
        )
        hub.set_prediction(  # type: ignore[attr-defined]
            OverlayPrediction(
                "p1",
                "Do we beat the boss first try?",
                "ACTIVE",
                (
                    OverlayOutcome("o1", "Yes, easy", "BLUE", 48, 12_500),
                    OverlayOutcome("o2", "No way", "PINK", 31, 7_300),
                ),
                now + 94,
                None,
            )
        )
        hub.set_poll(  # type: ignore[attr-defined]
            OverlayPoll(
                "q1",
                "What do we play next?",
                "ACTIVE",
                (
                    OverlayChoice("c1", "Celeste", 58),
                    OverlayChoice("c2", "Hollow Knight", 41),
                    OverlayChoice("c3", "Tetris 99", 12),
                ),
                now + 47,
            )
        )
        hub.set_queue(  # type: ignore[attr-defined]
            [
                OverlayQueueItem("r1", "pixel_pam", "Song request", "Daft Punk - One More Time"),
                OverlayQueueItem("r2", "dave_the_wave", "Hydrate", ""),
                OverlayQueueItem("r3", "kit_kat", "Pick my hat", "the green one"),
                OverlayQueueItem("r4", "lowbob", "Hydrate", ""),
            ]
        )

    env.hub_do(state)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["COMPANION_DATA_DIR"] = scratch
        loop = LoopThread()
        session = BrowserSession.launch(loop)
        env = OverlayEnv(session, Path(scratch) / "overlays.css")
        try:
            fill(env)
            for page, size in SIZES.items():
                opened = env.open(page, viewport=size, bypass_csp=True)
                env.run(opened.page.add_style_tag(content=CHECKERBOARD))
                if page == "alerts":
                    alert = OverlayAlert(
                        "a1",
                        "pixel_pam",
                        "rw1",
                        "Song request",
                        "Daft Punk - One More Time",
                        60_000,
                    )
                    env.hub_do(lambda hub, alert=alert: hub.push_alert(alert))
                    env.run(opened.page.wait_for_selector(".alert"))
                else:
                    env.run(opened.page.wait_for_selector("#overlay > *"))
                env.run(
                    opened.page.wait_for_function("() => document.getAnimations().length === 0")
                )
                path = OUT / f"overlay-{page}.png"
                env.run(opened.page.screenshot(path=path))
                print(path.relative_to(ROOT))
        finally:
            env.close()
            session.close()
            loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
