"""``python -m companion.sim``: run the simulator standalone and print its URLs.

It also prints this run's control token (``token ...``): state-changing ``/_sim`` requests
must send it in the ``Sim-Control-Token`` header, with ``Content-Type: application/json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from .config import DEMO_BROADCASTER_LOGIN, DEMO_CLIENT_ID, SimConfig
from .server import Simulator

_log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="companion-sim", description="Run the Twitch simulator.")
    p.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (0 = pick a free one)")
    p.add_argument("--demo", action="store_true", help="seed the demo channel")
    p.add_argument(
        "--traffic-rate", type=float, default=0.0, help="demo redemptions per second (0 = none)"
    )
    p.add_argument(
        "--no-auto-approve",
        action="store_true",
        help="in demo mode, do not approve device codes for the demo broadcaster automatically",
    )
    p.add_argument("--seed", type=int, default=None, help="seed for deterministic ids")
    p.add_argument("--device-poll-interval", type=float, default=5.0)
    p.add_argument(
        "--ratelimit-points", type=int, default=800, help="Helix bucket size (Ratelimit-Limit)"
    )
    p.add_argument(
        "--ratelimit-window", type=float, default=60.0, help="seconds to refill an empty bucket"
    )
    p.add_argument("-v", "--verbose", action="store_true")
    return p


async def _serve(config: SimConfig, host: str, port: int) -> None:
    sim = Simulator(config)
    await sim.start(host=host, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    lines = [
        f"base      {sim.base_url}",
        f"helix     {sim.helix_url}",
        f"oauth     {sim.oauth_url}",
        f"eventsub  {sim.eventsub_url}",
        # Before "control": readers that stop at the control line have the token too.
        f"token     {sim.control_token}",
        f"control   {sim.control_url}",
    ]
    if sim.demo_broadcaster_id is not None:
        lines.append(
            f"demo      client_id={DEMO_CLIENT_ID} broadcaster_id={sim.demo_broadcaster_id}"
        )
    print("\n".join(lines), flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> int:
    """Console entry point (``companion-sim``)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    config = SimConfig(
        demo=args.demo,
        traffic_rate=args.traffic_rate if args.demo else 0.0,
        seed=args.seed,
        device_poll_interval=args.device_poll_interval,
        ratelimit_points=args.ratelimit_points,
        ratelimit_window=args.ratelimit_window,
        auto_approve_login=(
            DEMO_BROADCASTER_LOGIN if args.demo and not args.no_auto_approve else None
        ),
    )
    try:
        asyncio.run(_serve(config, args.host, args.port))
    except ValueError as exc:
        print(f"companion-sim: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
