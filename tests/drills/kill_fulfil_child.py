"""Child of the kill -9 drill: the app's queue service fulfils every waiting row until killed.

Usage: ``python kill_fulfil_child.py LEDGER_PATH SIM_BASE_URL BROADCASTER_ID`` with the
user token as one JSON line on stdin (never on the command line, which ``ps`` shows).

What the app does after a sign-in, minus the widgets: a ``Client`` on the simulator, a
real ``Ledger`` file and the ``QueueService`` reading the queue through Helix. It prints
``READY <rows>`` once the queue and the ledger hold every waiting row, then starts
"fulfil all" with no undo window and prints ``STATE <state>`` for every action snapshot.
The parent kills it with SIGKILL while the bulk fulfil is being sent.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication

from companion.core.ledger import Ledger
from companion.services.queue_service import QueueService
from companion.sim import DEMO_CLIENT_ID
from companion.twitch.client import Client
from companion.twitch.tokens import SimpleTokenHandler


async def run(path: Path, base_url: str, broadcaster_id: str) -> None:
    token = json.loads(sys.stdin.readline())
    handler = SimpleTokenHandler(token["access_token"], DEMO_CLIENT_ID, token["refresh_token"])
    client = Client(
        handler,
        helix_url=f"{base_url}/helix",
        oauth_url=f"{base_url}/oauth2",
        eventsub_url="ws" + base_url.removeprefix("http") + "/ws",
        retry_base_delay=0.01,
    )
    broadcaster = client.create_user(broadcaster_id, "democaster")
    ledger = await Ledger.aopen(path)
    service = QueueService(broadcaster, ledger, undo_seconds=0.0)
    await service.reconcile()
    await service.wait_idle()
    print(f"READY {len(service.queue)}", flush=True)
    service.action_changed.connect(lambda record: print(f"STATE {record.state.value}", flush=True))
    service.fulfill_all()
    await asyncio.Event().wait()  # until SIGKILL


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(run(Path(sys.argv[1]), sys.argv[2], sys.argv[3]))


if __name__ == "__main__":
    main()
