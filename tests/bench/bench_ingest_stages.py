"""Benchmark: the app's CPU per redemption, stage by stage, without a socket or a profiler.

Run with ``pytest -m bench tests/bench/bench_ingest_stages.py -s``.

10,000 notification frames shaped like Twitch's reference payload of
``channel.channel_points_custom_reward_redemption.add`` (fresh ids and times) go through
the same code the live path runs, one stage at a time over the whole batch, each stage
timed with ``time.process_time``:

* ``ingest_stage_envelope``: ``parse_envelope`` (JSON and the envelope's shape);
* ``ingest_stage_filter``: ``MessageFilter.accept`` (message time, age, duplicate window);
* ``ingest_stage_model``: ``parse_notification`` (the client's redemption model);
* ``ingest_stage_signal``: ``Fanout.put`` to a stream, ``LiveEvents.deliver`` (the Qt
  signal) and ``QueueService.on_redemption_added`` (the core record, gathered);
* ``ingest_stage_queue``: ``QueueService.drain_incoming``: the core queue and the Qt
  model's insert (one range), with the panel's proxy and view attached, offscreen.

What this leaves out and ``bench_queue_ingest.py`` includes: reading the socket (aiohttp's
frame decoding), the event loop's own turns, paints and the ledger's worker thread.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from companion.services.live_events import LiveEvents
from companion.services.queue_service import QueueService
from companion.twitch.eventsub_envelope import Envelope, parse_envelope
from companion.twitch.eventsub_filter import MessageFilter, ServerClock
from companion.twitch.eventsub_messages import EventSubEvent, parse_notification
from companion.twitch.eventsub_stream import Fanout
from companion.ui.queue_model import QueueTableModel
from companion.ui.queue_panel import QueuePanel
from tests.helpers.fake_clock import FakeScheduler
from tests.helpers.reference import REFERENCE

pytestmark = pytest.mark.bench

TOTAL = 10_000
_TYPE = "channel.channel_points_custom_reward_redemption.add"


def frames(count: int) -> list[str]:
    """``count`` WebSocket notification frames built on the reference payload."""
    payload = json.loads((REFERENCE / "eventsub" / f"{_TYPE}.payload.json").read_text())
    subscription = payload["subscription"]
    subscription["transport"] = {"method": "websocket", "session_id": "bench-session"}
    start = datetime.now(UTC) - timedelta(seconds=count / 1000)
    out = []
    for n in range(count):
        at = (start + timedelta(milliseconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"
        event = {
            **payload["event"],
            "id": str(uuid.uuid4()),
            "user_id": str(9000 + n % 50),
            "user_login": f"viewer{n % 50}",
            "user_name": f"Viewer{n % 50}",
            "redeemed_at": at,
        }
        message = {
            "metadata": {
                "message_id": str(uuid.uuid4()),
                "message_type": "notification",
                "message_timestamp": at,
                "subscription_type": _TYPE,
                "subscription_version": "1",
            },
            "payload": {"subscription": subscription, "event": event},
        }
        out.append(json.dumps(message, separators=(",", ":")))
    return out


def test_ingest_stages(qapp, qtbot) -> None:
    texts = frames(TOTAL)
    live = LiveEvents()
    service = QueueService(None, None, scheduler=FakeScheduler())
    service.connect_events(live)
    model = QueueTableModel(service.queue)
    panel = QueuePanel(service, model)
    qtbot.addWidget(panel)
    panel.resize(1000, 700)
    panel.show()
    qapp.processEvents()
    fanout = Fanout()
    stream = fanout.stream()
    message_filter = MessageFilter(ServerClock())
    figures: dict[str, float] = {}

    started = time.process_time()
    envelopes: list[Envelope] = [parse_envelope(text) for text in texts]
    figures["envelope"] = time.process_time() - started

    started = time.process_time()
    sent = [message_filter.accept(envelope.metadata) for envelope in envelopes]
    figures["filter"] = time.process_time() - started
    assert all(s is not None for s in sent)

    started = time.process_time()
    events: list[EventSubEvent] = [
        parse_notification(None, e.metadata, e.payload, s)  # type: ignore[arg-type]
        for e, s in zip(envelopes, sent, strict=True)
        if s is not None
    ]
    figures["model"] = time.process_time() - started

    started = time.process_time()
    buffered = stream._buffer
    for event in events:
        fanout.put(event)
        live.deliver(buffered.popleft())
    figures["signal"] = time.process_time() - started

    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    started = time.process_time()
    service.drain_incoming()
    qapp.processEvents()
    figures["queue"] = time.process_time() - started

    assert len(service.queue) == TOTAL
    assert inserted == [(0, TOTAL - 1)]
    print()
    for name, seconds in figures.items():
        print(f"ingest_stage_{name}: {seconds / TOTAL * 1e6:.1f} us")
    print(f"ingest_stages_total: {sum(figures.values()) / TOTAL * 1e6:.1f} us")
