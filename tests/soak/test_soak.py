"""Issue 14, item 3 (short version, in CI): the real app under a compressed stream.

``soak_app.py`` runs ``companion --demo`` through ``companion.app.main`` with viewers
redeeming at 100/s, predictions and polls running and queue actions taken, for about
two minutes (the full 8-hour equivalent is the same script with ``--hours 8``; its
figures are in the README). Everything asserted here is a fixed bound, not a timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("soak_app.py")

#: Resident memory may grow this much after warm-up (issue 14).
RSS_GROWTH_LIMIT_KIB = 30 * 1024


@pytest.mark.timeout(200)
def test_short_soak_of_the_real_app(scratch_data_dir: Path, tmp_path: Path) -> None:
    report_path = tmp_path / "soak.json"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "COMPANION_DATA_DIR": str(scratch_data_dir),
    }
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--max-seconds",
            "120",
            "--warmup-seconds",
            "30",
            "--report",
            str(report_path),
        ],
        capture_output=True,
        text=True,
        timeout=175,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_path.read_text(encoding="utf-8"))
    print(json.dumps({k: report[k] for k in ("seconds", "callbacks", "callbacks_per_second")}))
    print(json.dumps(report["checks"])[:400], json.dumps(report["tally"]))
    assert report.get("driver_error") is None
    assert report["exit_code"] == 0
    # Hours of a normal demo stream's callbacks even on a loaded CI machine.
    assert report["callbacks"] >= 30_000

    warm, steady = report["warm"], report["after_warmup"]
    assert steady["max_rss_kib"] - warm["rss_kib"] <= RSS_GROWTH_LIMIT_KIB
    # The defect drained about one reference per call: thousands per second.
    for name, start, lowest in zip(
        ("None", "True", "False"), warm["refcounts"], steady["min_refcounts"], strict=True
    ):
        assert lowest >= start - 100, f"{name}: {start} -> {lowest}"
    # None's count may grow only by the queue's bounded set of handled ids and the overlay
    # service's bounded set of alerted ids (one reference each); anything beyond is a leak.
    # What is left is noise of rows and requests in flight, with no trend: at most +130 in
    # this 2-minute run and +183 over a 2-hour one (2026-12-06, after the loop's socket
    # notifiers stopped leaking ~9 references per TCP connection: +859 in 2 hours before).
    # The leak itself is pinned by tests/unit/test_qtloop_sockets.py with an exact budget.
    assert steady["max_unexplained_none_growth"] <= 250
    # Timers and tasks do not pile up.
    assert steady["max_pending_timers"] <= warm["pending_timers"] + 25
    assert steady["max_tasks"] <= warm["tasks"] + 10

    checks = report["checks"]
    assert checks["redemptions_made"] >= 1_000
    assert checks["missing"] == []
    assert checks["unknown"] == []
    assert checks["queue_duplicates"] == 0
    assert checks["status_mismatch"] == []
    assert checks["waiting_not_in_queue"] == []
    assert checks["log_errors"] == []
    assert report["queue_states"] in ([], ["WAITING"])

    tally = report["tally"]
    assert tally["driver_errors"] == []
    assert tally["predictions_resolved"] >= 3
    assert tally["polls_ended"] >= 3
    assert tally["fulfil_actions"] >= 20
    assert tally["refund_actions"] >= 20
    assert tally["dashboard_fulfils"] > 0
    # OBS's five browser sources, reconnected every 20 s: each page got its snapshot on
    # every connect, the alerts page the demo's redemptions, and no source outlived its
    # socket in the server's list.
    assert tally["overlay_connects"] >= 5 * 4
    assert set(tally["overlay_messages"]) == {"goals", "prediction", "poll", "alerts", "queue"}
    connects_per_page = tally["overlay_connects"] // 5
    assert all(count >= connects_per_page for count in tally["overlay_messages"].values())
    assert tally["overlay_alerts"] >= 1_000
    assert steady["max_overlay_sources"] <= 5
