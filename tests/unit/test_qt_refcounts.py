"""Issue 14: the app's event loop must not drain the reference counts of None/True/False.

PySide6 6.12.0 drops a reference on nearly every call that returns nothing or a bool, and
qasync makes such calls on every tick, so CPython 3.11 freed ``None`` and aborted the app
about 11 minutes into a stream. The probe drives the app's real loop class through tens of
thousands of callbacks and Qt calls in a child process (a defective binding aborts the
interpreter, which must fail this test rather than kill pytest).
``tests/e2e/test_dependency_edges.py`` runs the same probe on the lowest allowed binding
and on 6.12.0, where it must fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from companion import qtloop

PROBE = Path(__file__).resolve().parents[1] / "helpers" / "refcount_probe.py"


def run_probe(python: str = sys.executable, callbacks: int = 20_000) -> dict:
    """Run the probe with ``python``; returns its report (a crash becomes a failure)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [python, str(PROBE), "--callbacks", str(callbacks)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the probe died (exit {done.returncode}): {done.stderr[-2000:]}"
    report: dict = json.loads(lines[-1])
    report["returncode"] = done.returncode
    report["stderr"] = done.stderr
    return report


def probe_failures(report: dict) -> list[str]:
    """What is wrong in a probe report (empty when the binding is sound)."""
    problems = []
    if report["returncode"] != 0:
        problems.append(f"exit {report['returncode']}: {report['stderr'][-300:]}")
    if report["stopped_early"]:
        problems.append(f"stopped early, counts changed by {report['final_change']}")
    for name, lowest in zip(
        ("None", "True", "False"), map(min, zip(*report["changes"], strict=True)), strict=True
    ):
        if lowest < -10:
            problems.append(f"{name} lost {-lowest} references")
    return problems


def test_app_loop_keeps_none_true_false_through_20k_callbacks() -> None:
    report = run_probe()
    assert probe_failures(report) == []
    assert report["rounds"] == 20
    # call_soon and call_later callbacks alike are counted by the loop itself.
    assert report["callbacks_scheduled"] >= 20_000
    # Nothing accumulates either: after 20 rounds the counts are where they started.
    assert all(abs(change) <= 10 for change in report["final_change"])


def test_probe_failures_reads_a_defective_report() -> None:
    # The shape 6.12.0 produced (see the edge test for the real run).
    defective = {
        "returncode": -6,
        "stderr": "Fatal Python error: none_dealloc: deallocating None",
        "stopped_early": True,
        "final_change": [-1060, -79, 1],
        "changes": [[-1060, -79, 1]],
    }
    assert probe_failures(defective) == [
        "exit -6: Fatal Python error: none_dealloc: deallocating None",
        "stopped early, counts changed by [-1060, -79, 1]",
        "None lost 1060 references",
        "True lost 79 references",
    ]


def test_binding_self_check_passes_on_the_installed_binding(qapp) -> None:
    assert qtloop.binding_refcount_defect() is None


@pytest.mark.qt_loop
async def test_the_test_loop_is_the_apps_loop() -> None:
    assert isinstance(asyncio.get_running_loop(), qtloop.CompanionEventLoop)


@pytest.mark.qt_loop
async def test_sleep_never_returns_early() -> None:
    # qasync's coarse timers returned from asyncio.sleep(2.0) after 1.90 s.
    for delay in (0.05, 0.3, 1.2):
        started = time.monotonic()
        await asyncio.sleep(delay)
        assert time.monotonic() - started >= delay


@pytest.mark.qt_loop
async def test_timer_handles_keep_their_deadline_and_leave_when_cancelled() -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, qtloop.CompanionEventLoop)
    before = loop.pending_timers()
    ran: list[str] = []
    handles = [loop.call_later(300, ran.append, "late") for _ in range(50)]
    assert loop.pending_timers() == before + 50
    assert all(abs(handle.when() - (loop.time() + 300)) < 1 for handle in handles)
    for handle in handles:
        handle.cancel()
    # Dropped at once, not kept until their five-minute deadline.
    assert loop.pending_timers() == before
    soon = loop.call_later(0.01, ran.append, "soon")
    await asyncio.sleep(0.05)
    assert ran == ["soon"]
    assert soon.cancelled() is False


@pytest.mark.qt_loop
async def test_callbacks_are_counted() -> None:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, qtloop.CompanionEventLoop)
    before = loop.callbacks_scheduled
    done = asyncio.Event()
    for _ in range(99):
        loop.call_soon(lambda: None)
    loop.call_later(0.001, done.set)
    await done.wait()
    assert loop.callbacks_scheduled - before >= 100


@pytest.mark.qt_loop
async def test_call_later_refuses_what_asyncio_refuses() -> None:
    loop = asyncio.get_running_loop()

    async def coroutine_function() -> None:
        return None

    with pytest.raises(TypeError, match="coroutines cannot be used with call_later"):
        loop.call_later(1, coroutine_function)
    with pytest.raises(TypeError, match="callback must be callable: int"):
        loop.call_later(1, 5)  # type: ignore[arg-type]
