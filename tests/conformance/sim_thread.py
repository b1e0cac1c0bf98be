"""The simulator on its own thread and event loop, for peers that block their caller.

twitchAPI's ``EventSubWebsocket.start()`` and ``stop()`` block the calling thread until their
own socket thread has talked to the server; with the simulator on the same loop they would
wait for ever. So the conformance suite runs the simulator on a thread of its own: every
state change is made there (`SimThread.call`), and the peers reach it over loopback as they
would reach Twitch.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING, Any, TypeVar

from companion.sim import SimConfig, Simulator

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")


class SimThread:
    """A running `Simulator` on a private loop in a daemon thread.

    Attributes:
        sim: The simulator (touch its state only through `call`).
    """

    def __init__(self, config: SimConfig) -> None:
        self.sim = Simulator(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="conformance-sim", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.sim.start(port=0), self._loop).result(timeout=10)

    def stop(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.sim.stop(), self._loop).result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Runs ``fn(*args, **kwargs)`` on the simulator's loop and returns its result."""

        async def run() -> T:
            return fn(*args, **kwargs)

        future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return await asyncio.wrap_future(future)

    def call_blocking(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`call` for synchronous code (a peer's thread); waits up to 10 s."""

        async def run() -> T:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)
