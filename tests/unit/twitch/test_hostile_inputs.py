"""The defensive readers behind the hostile-input drills, one rule at a time.

The drills (tests/drills/test_drill_hostile_*.py) run these over loopback; here each rule's
edges are pinned without a socket: which reconnect URLs are followed, which rate-limit
headers are a budget, which keepalive values are clamped or refused, which envelopes are
malformed, and how hops and bucket waits are paced.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from yarl import URL

from companion.twitch.body import decode_json
from companion.twitch.eventsub_envelope import MalformedMessage, parse_envelope
from companion.twitch.eventsub_reconnect import (
    FREE_HOPS,
    MAX_HOP_DELAY_SECONDS,
    HopLimiter,
    reconnect_url_refusal,
)
from companion.twitch.eventsub_socket import keepalive_seconds
from companion.twitch.ratelimit import (
    RESET_WINDOW_SECONDS,
    RateLimitBucket,
    parse_ratelimit_headers,
)
from tests.helpers.fake_clock import FakeEpoch

TWITCH = URL("wss://eventsub.wss.twitch.tv/ws")
SIM = URL("ws://127.0.0.1:8081/ws")

# -- reconnect_url ---------------------------------------------------------------------------

FOLLOWED = [
    (TWITCH, "wss://eventsub.wss.twitch.tv?challenge=abc"),  # the documented example's form
    (TWITCH, "wss://eventsub.wss.twitch.tv/ws?reconnect=1"),
    (TWITCH, "wss://EventSub.WSS.Twitch.TV/ws"),
    (SIM, "ws://127.0.0.1:8081/ws?reconnect=token"),
    (SIM, "wss://eventsub.wss.twitch.tv/ws"),  # Twitch's own host is always Twitch
    (URL("ws://[::1]:9000/ws"), "ws://[::1]:9000/ws?r=1"),
    (URL("ws://localhost:9000/ws"), "ws://localhost:9000/other"),
]

REFUSED = [
    (TWITCH, "ws://eventsub.wss.twitch.tv/ws", "ws://eventsub.wss.twitch.tv:80 is neither"),
    (TWITCH, "https://eventsub.wss.twitch.tv/ws", "https://eventsub.wss.twitch.tv:443"),
    (TWITCH, "wss://eventsub.wss.twitch.tv.evil.example/ws", "eventsub.wss.twitch.tv.evil"),
    (TWITCH, "wss://10.0.0.7/ws", "wss://10.0.0.7:443 is neither"),
    (TWITCH, "wss://127.0.0.1:8081/ws", "wss://127.0.0.1:8081 is neither"),
    (TWITCH, "wss://user:pw@eventsub.wss.twitch.tv/ws", "it carries credentials"),
    (TWITCH, "/ws?relative", "it is not an absolute URL"),
    (TWITCH, "not a url", "it is not an absolute URL"),
    (SIM, "ws://127.0.0.1:8082/ws", "nor the configured ws://127.0.0.1:8081"),
    (SIM, "ws://localhost:8081/ws", "ws://localhost:8081 is neither"),
    (SIM, "http://127.0.0.1:8081/ws", "http://127.0.0.1:8081 is neither"),
    # A configured host that is not loopback gives no exemption: only Twitch's host is.
    (URL("ws://192.168.1.5:8081/ws"), "ws://192.168.1.5:8081/ws", "ws://192.168.1.5:8081"),
]


@pytest.mark.parametrize(("configured", "url"), FOLLOWED)
def test_reconnect_urls_that_are_followed(configured: URL, url: str) -> None:
    assert reconnect_url_refusal(url, configured) is None


@pytest.mark.parametrize(("configured", "url", "reason"), REFUSED)
def test_reconnect_urls_that_are_refused(configured: URL, url: str, reason: str) -> None:
    refusal = reconnect_url_refusal(url, configured)
    assert refusal is not None and reason in refusal
    assert "pw" not in refusal and "challenge" not in refusal


def test_hops_past_three_in_ten_seconds_wait_a_growing_delay() -> None:
    now = [100.0]
    limiter = HopLimiter(1.0, 60.0, lambda: now[0])
    delays = [limiter.next_delay() for _ in range(FREE_HOPS)]
    assert delays == [0.0] * FREE_HOPS
    fourth, fifth = limiter.next_delay(), limiter.next_delay()
    assert 0.5 <= fourth <= 1.0 and 1.0 <= fifth <= 2.0
    assert limiter.delayed == 2
    assert limiter.max_delay == MAX_HOP_DELAY_SECONDS  # below Twitch's 30 s grace
    now[0] += 10.5  # the window has passed: hops are free again
    assert limiter.next_delay() == 0.0
    assert limiter.delayed == 2


# -- keepalive_timeout_seconds ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kept"),
    [(None, 10.0), (0, 10.0), (9.5, 10.0), (10, 10.0), (45, 45.0), (600, 600.0), (10**400, 600.0)],
)
def test_keepalive_numbers_are_clamped(value: Any, kept: float) -> None:
    assert keepalive_seconds(value) == kept


@pytest.mark.parametrize("value", ["30", True, False, [30], {"s": 30}, float("nan"), -float("inf")])
def test_keepalive_nonsense_is_malformed(value: Any) -> None:
    with pytest.raises(MalformedMessage, match="keepalive_timeout_seconds is"):
        keepalive_seconds(value)


# -- envelopes -------------------------------------------------------------------------------


def test_a_documented_keepalive_envelope_parses() -> None:
    text = '{"metadata": {"message_id": "m", "message_type": "session_keepalive"}, "payload": {}}'
    envelope = parse_envelope(text)
    assert (envelope.kind, envelope.message_id, envelope.payload) == ("session_keepalive", "m", {})


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"{}", "a binary frame (Twitch sends only text)"),
        ('{"metadata": {"message_type": "x"}, "payload": NaN}', "not JSON: NaN is not JSON"),
        ("[" * 5000 + "]" * 5000, "not JSON: nested deeper than the parser allows"),
        ('"text"', "a JSON str, not an object"),
        ('{"metadata": null}', "metadata is null, not an object"),
        ('{"metadata": {"message_type": 3}}', "no message_type"),
        ('{"metadata": {"message_type": "notification"}}', "no message_id"),
        (
            '{"metadata": {"message_type": "notification", "message_id": "m"}, "payload": []}',
            "payload is list, not an object",
        ),
        (
            '{"metadata": {"message_type": "revocation", "message_id": "m"}, '
            '"payload": {"subscription": "s"}}',
            "payload.subscription is str, not an object",
        ),
    ],
)
def test_malformed_envelopes(frame: str | bytes, reason: str) -> None:
    with pytest.raises(MalformedMessage) as caught:
        parse_envelope(frame)
    assert caught.value.reason == reason


def test_strict_json_decoding() -> None:
    assert decode_json(b'{"a": [1, 2.5, "\\u00e9"]}') == {"a": [1, 2.5, "\u00e9"]}
    assert decode_json(b'{"a": [1, 2.5]}', yielding=True) == {"a": [1, 2.5]}
    assert decode_json('{"a": 1}'.encode("utf-16")) == {"a": 1}  # RFC 8259 allows it
    for bad in (b"Infinity", b"\xff\xfe\xfd", b'{"a": 1', b"[" * 100_000):
        with pytest.raises(ValueError):
            decode_json(bad, yielding=True)


# -- rate-limit headers and bucket -----------------------------------------------------------

NOW = 1_800_000_000.0


def headers(limit: Any, remaining: Any, reset: Any) -> dict[str, str]:
    return {
        "Ratelimit-Limit": str(limit),
        "Ratelimit-Remaining": str(remaining),
        "Ratelimit-Reset": str(reset),
    }


def test_documented_headers_are_a_budget() -> None:
    # The header example of SOURCES.md, read at a time 30 s before its reset.
    example = headers(800, 799, 1781653392)
    assert parse_ratelimit_headers(example, 1781653362.0) == (800, 799, 1781653392.0)
    # A reset an hour away is clamped to the one-minute window.
    later = headers(800, 0, int(NOW) + 3600)
    assert parse_ratelimit_headers(later, NOW) == (800, 0, NOW + RESET_WINDOW_SECONDS)
    # A reset in the past (our clock runs ahead) is kept: nothing waits on it.
    assert parse_ratelimit_headers(headers(800, 5, int(NOW) - 90), NOW) == (800, 5, NOW - 90)


@pytest.mark.parametrize(
    "bad",
    [
        headers(800, 799, "1e20"),
        headers(800, 799, 10**20),
        headers(800, 799, int(NOW) + 86_401),
        headers(800, 799, int(NOW) - 86_401),
        headers(800, 799, " "),
        headers(800, 799, "١٧٨١٦٥٣٣٩٢"),  # digits, but not ASCII ones
        headers(800, -1, int(NOW)),
        headers(800, 801, int(NOW)),
        headers(0, 0, int(NOW)),
        headers("8e2", 0, int(NOW)),
        {"Ratelimit-Limit": "800", "Ratelimit-Remaining": "1"},
    ],
)
def test_headers_that_cannot_be_a_budget_are_absent(bad: dict[str, str]) -> None:
    assert parse_ratelimit_headers(bad, NOW) is None
    bucket = RateLimitBucket("u", clock=lambda: NOW)
    assert bucket.update(bad) is None
    assert (bucket.limit, bucket.remaining, bucket.reset) == (None, None, None)


async def test_waiters_on_an_empty_bucket_sleep_apart_each_for_its_point() -> None:
    epoch = FakeEpoch(NOW, hold=True)
    bucket = RateLimitBucket("u", clock=epoch.time, sleep=epoch.sleep)
    # 3 points missing, full in 20 s: at least 2 come back in those 20 s (0.1 a second).
    bucket.update(headers(3, 0, int(NOW) + 20))
    waiters = asyncio.gather(*(bucket.acquire() for _ in range(3)))
    async with asyncio.timeout(5):
        while len(epoch.sleeps) < 3:  # behind a lock, only one would be asleep
            await asyncio.sleep(0)
    epoch.release()
    results = await waiters
    # Three sleepers at once, each for half the wait for the point it is in line for (it
    # looks again halfway): the first's at 10 s (0.1 a second), the other two's at the
    # reset, when the bucket is full.
    assert epoch.sleeps[:3] == [5.0, 10.0, 10.0]
    assert [ticket.seq for ticket, _ in results] == [1, 2, 3]
    assert bucket.remaining == 0


async def test_a_bucket_spent_again_after_its_reset_refills_within_the_window() -> None:
    epoch = FakeEpoch(NOW)
    bucket = RateLimitBucket("u", clock=epoch.time, sleep=epoch.sleep)
    bucket.update(headers(1, 0, int(NOW) + 1))
    _, waited = await bucket.acquire()  # waits 1 s for the reset: full, takes the point
    assert waited == 1.0
    looks = len(epoch.sleeps)
    ticket, waited = await bucket.acquire(max_wait=90.0)
    # No answer of the new round yet: the one point comes back within the documented
    # minute, counted from when the last one went; it looked again halfway each time, a
    # handful of times, not a poll.
    assert (ticket.seq, waited) == (2, RESET_WINDOW_SECONDS)
    assert epoch.sleeps[looks:] == [30.0, 15.0, 7.5, 3.75, 1.875, 0.9375, 0.46875, 0.25, 0.21875]
    # With a smaller allowance the request goes out when it runs out (Twitch has the word).
    _, waited = await bucket.acquire(max_wait=5.0)
    assert waited == 5.0
