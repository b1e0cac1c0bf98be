"""Load side of the simulator benchmark (``bench_sim.py``).

Two roles in one file:

* Imported by ``bench_sim.py``: `SimProcess` runs ``python -m companion.sim`` in its own
  process (pinned to one core) and reads its CPU time from ``/proc``; `run_wrk` and
  `run_python_load` drive Helix from a separate process pinned to the other core.
* Run as a script (``python tests/bench/_sim_load.py helix|ws-reader ...``): the child
  processes themselves, a Python Helix load generator (used only when ``wrk`` is missing) and
  a raw aiohttp WebSocket reader that counts EventSub notifications.

Everything talks to 127.0.0.1 only. The token reaches the load generators through their
environment (wrk's Lua script reads it there), never a command line, a file or the output.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

_log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
THIS_FILE = Path(__file__).resolve()
#: A bucket no benchmark can empty: 429s must not take part in a throughput figure.
HUGE_BUCKET = 1_000_000_000
AUTH_ENV = "SIM_BENCH_AUTHORIZATION"
CLIENT_ENV = "SIM_BENCH_CLIENT_ID"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- /proc readings


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds a process has run, summed over its threads (scheduler nanoseconds).

    ``/proc/PID/task/TID/schedstat`` counts the exact time on a CPU. ``utime``/``stime`` in
    ``/proc/PID/stat`` may be sampled at timer ticks on some kernels; the bench prints both
    (`process_tick_cpu_seconds`), and they agreed on the development machine.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def process_tick_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds from ``/proc/PID/stat`` (tick-sampled; a cross-check)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may contain spaces; the numeric fields follow its ")".
    fields = raw.rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLK_TCK


def run_queue_wait_seconds(pid: int) -> float:
    """Seconds the process's threads were runnable but waiting for a CPU (schedstat).

    The simulator is one thread, so this is how long other programs on the same core held it
    back: the gap between a wall-clock figure and the per-core figure.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[1])
    return total / 1e9


def loadavg() -> str:
    """The 1/5/15-minute load averages."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo``."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def pick_cores() -> tuple[set[int] | None, set[int] | None]:
    """One core for the simulator and another for the load; (None, None) with one CPU."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return {cpus[0]}, {cpus[1]}


@contextlib.contextmanager
def affinity(cores: set[int] | None) -> Iterator[None]:
    """Run the block on ``cores``; processes started inside inherit the affinity."""
    if cores is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def calibrate(core: set[int] | None, seconds: float = 0.3) -> float:
    """Speed of ``core`` right now: JSON pages (50 redemption-shaped records) per CPU second.

    The machine is shared and virtual: the same work can take much longer from one minute to
    the next. Printed beside each window so a slow figure can be told from a slow core.
    """
    record = {
        "broadcaster_id": "100000001",
        "broadcaster_login": "benchcaster",
        "broadcaster_name": "BenchCaster",
        "id": "7311d8a3-c2ce-4f44-bed4-d57b1e2feb89",
        "user_id": "100000002",
        "user_login": "benchviewer",
        "user_name": "BenchViewer",
        "user_input": "",
        "status": "UNFULFILLED",
        "redeemed_at": "2026-11-27T23:28:38Z",
        "reward": {"id": "cd613e30", "title": "Bench", "prompt": "", "cost": 1},
    }
    page = {"data": [dict(record) for _ in range(50)], "pagination": {"cursor": "x" * 40}}
    with affinity(core):
        done = 0
        start = time.thread_time()
        while (spent := time.thread_time() - start) < seconds:
            json.dumps(page, ensure_ascii=False, separators=(",", ":")).encode()
            done += 1
    return done / spent


# --------------------------------------------------------------------------- the simulator


class SimProcess:
    """``python -m companion.sim`` in its own process, with a bucket too big to empty.

    Args:
        core: The core to pin it to (None: wherever the scheduler likes).
        profile_to: When set, the simulator runs under ``cProfile`` and writes its stats here
            when it stops (for finding hotspots; the figures are then not comparable).
    """

    def __init__(self, core: set[int] | None, profile_to: Path | None = None) -> None:
        cmd = [sys.executable]
        if profile_to is not None:
            cmd += ["-m", "cProfile", "-o", str(profile_to)]
        cmd += [
            "-m",
            "companion.sim",
            "--port",
            "0",
            "--seed",
            "1",
            "--ratelimit-points",
            str(HUGE_BUCKET),
            "--ratelimit-window",
            "1",
        ]
        with affinity(core):
            self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE)
        self.urls = self._read_urls(timeout=30.0)
        self.base_url = self.urls["base"]
        self.eventsub_url = self.urls["eventsub"]
        self.control_token = self.urls["token"]

    def __repr__(self) -> str:
        return f"SimProcess(pid={self.proc.pid}, {self.urls.get('base')})"

    def _read_urls(self, timeout: float) -> dict[str, str]:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        text = ""
        deadline = time.monotonic() + timeout
        # Raw reads of the pipe: a buffered readline could swallow lines the selector
        # would then never report.
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while "\ncontrol " not in "\n" + text or not text.endswith("\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.stop()
                    raise TimeoutError("the simulator did not print its URLs")
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError(f"the simulator exited ({self.proc.wait()})")
                text += chunk.decode()
        urls: dict[str, str] = {}
        for line in text.splitlines():
            name, _, value = line.strip().partition(" ")
            urls[name] = value.strip()
        return urls

    @property
    def pid(self) -> int:
        """The simulator's process id."""
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """CPU seconds the simulator process has used so far."""
        return process_cpu_seconds(self.pid)

    def tick_cpu_seconds(self) -> float:
        """The same, as sampled at timer ticks (``/proc/PID/stat``)."""
        return process_tick_cpu_seconds(self.pid)

    def wait_seconds(self) -> float:
        """Seconds the simulator has waited for its core so far."""
        return run_queue_wait_seconds(self.pid)

    def request(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One request to the simulator; returns the status and the parsed JSON body."""
        data = None if body is None else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if path.startswith("/_sim/") and method != "GET":
            # Imported here: the load children run this file as a script, without companion.
            from companion.sim import control_headers

            all_headers.update(control_headers(self.control_token))
        req = urllib.request.Request(
            self.base_url + path, data=data, headers=all_headers, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read()
                status = resp.status
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            status = exc.code
        return status, json.loads(raw) if raw else None

    def control(self, path: str, body: dict[str, Any]) -> Any:
        """A control API call (``/_sim/...``) that must succeed; returns its ``data``."""
        status, answer = self.request("POST", "/_sim" + path, body)
        if status != 200:
            raise RuntimeError(f"/_sim{path} answered {status}: {answer}")
        return answer["data"]

    def stop(self) -> None:
        """SIGTERM (the simulator closes its sockets and exits), then SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@dataclass(frozen=True, slots=True)
class Channel:
    """The benchmark's broadcaster, its reward and a token of the reward's client."""

    client_id: str
    broadcaster_id: str
    reward_id: str
    access_token: str

    def __repr__(self) -> str:
        # The token stays out of any repr (logs, assertion messages).
        return f"Channel({self.broadcaster_id}, reward={self.reward_id})"

    @property
    def headers(self) -> dict[str, str]:
        """Helix headers of the token."""
        return {"Authorization": f"Bearer {self.access_token}", "Client-Id": self.client_id}


def make_channel(sim: SimProcess, client_id: str) -> Channel:
    """A broadcaster with one viewer and one reward of ``client_id``, all over HTTP."""
    caster = sim.control("/users", {"login": "benchcaster", "broadcaster_type": "affiliate"})
    sim.control("/users", {"login": "benchviewer", "broadcaster_type": ""})
    sim.control("/clients", {"client_id": client_id})
    token = sim.control(
        "/tokens/user",
        {
            "client_id": client_id,
            "user_id": caster["id"],
            "scopes": "channel:read:redemptions channel:manage:redemptions",
        },
    )
    channel = Channel(client_id, str(caster["id"]), "", str(token["access_token"]))
    status, body = sim.request(
        "POST",
        f"/helix/channel_points/custom_rewards?broadcaster_id={channel.broadcaster_id}",
        {"title": "Bench", "cost": 1},
        channel.headers,
    )
    if status != 200:
        raise RuntimeError(f"create reward answered {status}: {body}")
    return Channel(
        client_id, channel.broadcaster_id, str(body["data"][0]["id"]), channel.access_token
    )


# --------------------------------------------------------------------------- Helix load


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What a load generator reports about one run."""

    tool: str
    requests: int
    seconds: float
    not_ok: int  # answers that were not 2xx (wrk) / not 200 (Python client)
    socket_errors: int


_WRK_SCRIPT = """\
wrk.headers["Authorization"] = os.getenv("{auth}")
wrk.headers["Client-Id"] = os.getenv("{client}")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {{"requests":%d,"duration_us":%d,"status":%d,"socket":%d}}\\n',
    summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def wrk_path() -> str | None:
    """The ``wrk`` binary (Debian package ``wrk``), or None."""
    return shutil.which("wrk")


def _load_env(channel: Channel) -> dict[str, str]:
    env = dict(os.environ)
    env[AUTH_ENV] = f"Bearer {channel.access_token}"
    env[CLIENT_ENV] = channel.client_id
    return env


def _result_line(output: str) -> dict[str, Any]:
    for line in output.splitlines():
        if line.startswith("RESULT "):
            parsed: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
            return parsed
    raise RuntimeError(f"the load generator printed no result:\n{output[-2000:]}")


def run_wrk(
    url: str, channel: Channel, seconds: float, connections: int, core: set[int] | None
) -> LoadResult:
    """``wrk -t1`` against ``url`` for ``seconds`` with the channel's Helix headers."""
    wrk = wrk_path()
    assert wrk is not None
    with tempfile.TemporaryDirectory(prefix="simbench-") as tmp:
        script = Path(tmp) / "headers.lua"
        # The script reads the headers from the environment: no token in a file or argv.
        script.write_text(_WRK_SCRIPT.format(auth=AUTH_ENV, client=CLIENT_ENV))
        cmd = [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ]
        with affinity(core):
            done = subprocess.run(
                cmd, capture_output=True, text=True, env=_load_env(channel), timeout=seconds + 60
            )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-2000:]}")
    r = _result_line(done.stdout)
    return LoadResult("wrk", r["requests"], r["duration_us"] / 1e6, r["status"], r["socket"])


def run_python_load(
    url: str, channel: Channel, seconds: float, connections: int, core: set[int] | None
) -> LoadResult:
    """The fallback load generator: this file's ``helix`` mode (aiohttp) in another process."""
    cmd = [
        sys.executable,
        str(THIS_FILE),
        "helix",
        url,
        "--seconds",
        str(seconds),
        "--connections",
        str(connections),
    ]
    with affinity(core):
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=_load_env(channel), timeout=seconds + 60
        )
    if done.returncode != 0:
        raise RuntimeError(f"the Python load failed: {done.stderr[-2000:]}")
    r = _result_line(done.stdout)
    return LoadResult("aiohttp", r["requests"], r["seconds"], r["not_ok"], r["socket"])


async def _helix_load(url: str, seconds: float, connections: int) -> dict[str, Any]:
    import aiohttp

    headers = {"Authorization": os.environ[AUTH_ENV], "Client-Id": os.environ[CLIENT_ENV]}
    counts = {"requests": 0, "not_ok": 0, "socket": 0}
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        start = time.monotonic()
        deadline = start + seconds

        async def worker() -> None:
            while time.monotonic() < deadline:
                try:
                    async with session.get(url) as resp:
                        await resp.read()
                        counts["requests"] += 1
                        if resp.status != 200:
                            counts["not_ok"] += 1
                except aiohttp.ClientError:
                    counts["socket"] += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.monotonic() - start
    return {**counts, "seconds": elapsed}


# --------------------------------------------------------------------------- EventSub reader


@dataclass(frozen=True, slots=True)
class ReaderResult:
    """What the WebSocket reader saw."""

    notifications: int  # counted up to the expected number
    late: int  # notifications after the expected number (while lingering)
    message_ids: int  # distinct message ids among the notifications
    event_ids: list[str]  # the redemption id of each notification, in arrival order
    other_types: dict[str, int]  # welcome, keepalive, ...
    first_at: float  # time.monotonic() of the first notification (system-wide clock)
    last_at: float
    cpu_seconds: float  # the reader's own CPU time


class WsReader:
    """This file's ``ws-reader`` mode in another process; it prints the session id first."""

    def __init__(self, url: str, expect: int, timeout: float, core: set[int] | None) -> None:
        cmd = [
            sys.executable,
            str(THIS_FILE),
            "ws-reader",
            url,
            "--expect",
            str(expect),
            "--timeout",
            str(timeout),
        ]
        with affinity(core):
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        if not first:
            raise RuntimeError(f"the reader exited ({self.proc.wait()})")
        self.session_id: str = json.loads(first)["session_id"]

    def __repr__(self) -> str:
        return f"WsReader(pid={self.proc.pid})"

    def result(self, timeout: float) -> ReaderResult:
        """Waits for the reader to finish and returns what it counted."""
        out, _ = self.proc.communicate(timeout=timeout)
        r = _result_line(out)
        return ReaderResult(
            r["notifications"],
            r["late"],
            r["message_ids"],
            r["event_ids"],
            r["other_types"],
            r["first_at"],
            r["last_at"],
            r["cpu_seconds"],
        )

    def kill(self) -> None:
        """Ends the reader if it is still running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


async def _ws_read(url: str, expect: int, timeout: float, linger: float) -> dict[str, Any]:
    import aiohttp

    message_ids: set[str] = set()
    event_ids: list[str] = []
    other: dict[str, int] = {}
    first_at = last_at = 0.0
    late = 0
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                msg = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if msg.type is not aiohttp.WSMsgType.TEXT:
                other[f"ws:{msg.type.name}"] = other.get(f"ws:{msg.type.name}", 0) + 1
                break
            envelope = json.loads(msg.data)
            meta = envelope["metadata"]
            kind = meta["message_type"]
            if kind == "notification":
                if len(event_ids) >= expect:
                    late += 1
                    continue
                last_at = time.monotonic()
                if not event_ids:
                    first_at = last_at
                message_ids.add(meta["message_id"])
                event_ids.append(envelope["payload"]["event"]["id"])
                if len(event_ids) == expect:
                    # Listen a little longer: "exactly once" needs a notification beyond the
                    # expected count (a duplicate, a stray) to be seen too.
                    deadline = min(deadline, last_at + linger)
                continue
            other[kind] = other.get(kind, 0) + 1
            if kind == "session_welcome":
                session_id = envelope["payload"]["session"]["id"]
                print(json.dumps({"session_id": session_id}), flush=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "notifications": len(event_ids),
        "late": late,
        "message_ids": len(message_ids),
        "event_ids": event_ids,
        "other_types": other,
        "first_at": first_at,
        "last_at": last_at,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    helix = sub.add_parser("helix", help="GET one URL over N connections for S seconds")
    helix.add_argument("url")
    helix.add_argument("--seconds", type=float, default=5.0)
    helix.add_argument("--connections", type=int, default=32)
    reader = sub.add_parser("ws-reader", help="count EventSub notifications on one socket")
    reader.add_argument("url")
    reader.add_argument("--expect", type=int, required=True)
    reader.add_argument("--timeout", type=float, default=60.0)
    reader.add_argument("--linger", type=float, default=0.5, help="listen on after --expect")
    args = parser.parse_args(argv)
    if args.mode == "helix":
        result = asyncio.run(_helix_load(args.url, args.seconds, args.connections))
    else:
        result = asyncio.run(_ws_read(args.url, args.expect, args.timeout, args.linger))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
