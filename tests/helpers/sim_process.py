"""The simulator as its own process (``python -m companion.sim``), as a tester runs it.

:func:`sim_process` starts it on a free port, reads the URLs and the control token it
prints, and stops it (SIGTERM, then kill) when the block ends. :func:`sim_control` makes
one control API call with the run's token.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from companion.sim import control_headers

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass(frozen=True)
class SimProcess:
    """What a running simulator process printed about itself."""

    process: subprocess.Popen[str]
    base_url: str
    oauth_url: str
    control_url: str
    token: str
    client_id: str
    broadcaster_id: str


def _read_banner(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    lines: dict[str, str] = {}
    while "demo" not in lines:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"the simulator stopped (exit {process.poll()})")
        key, _, value = line.strip().partition(" ")
        lines[key] = value.strip()
    return lines


@contextlib.contextmanager
def sim_process(*args: str) -> Iterator[SimProcess]:
    """``python -m companion.sim --demo --port 0 *args``, running until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "companion.sim", "--demo", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = _read_banner(process)
        demo = dict(part.split("=", 1) for part in lines["demo"].split())
        yield SimProcess(
            process,
            lines["base"],
            lines["oauth"],
            lines["control"],
            lines["token"],
            demo["client_id"],
            demo["broadcaster_id"],
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def sim_control(sim: SimProcess, path: str, body: dict[str, Any]) -> Any:
    """``POST {control_url}/{path}`` with the run's control token; the answer's ``data``."""
    request = urllib.request.Request(
        f"{sim.control_url}/{path}",
        data=json.dumps(body).encode(),
        headers=control_headers(sim.token),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # loopback only
        assert response.status == 200
        return json.loads(response.read())["data"]
