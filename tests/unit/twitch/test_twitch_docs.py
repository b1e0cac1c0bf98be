"""docs/client.md (and docs/reliability.md), the SCOPES/ENDPOINTS tables and the code say
the same thing."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from companion.twitch import Client, limits
from companion.twitch.body import MAX_BODY_BYTES, OFF_LOOP_BYTES
from companion.twitch.eventsub_reconnect import FREE_HOPS, HOP_WINDOW_SECONDS, TWITCH_EVENTSUB_HOST
from companion.twitch.eventsub_socket import KEEPALIVE_RANGE, MAX_MESSAGE_BYTES
from companion.twitch.http import SOCK_READ_SECONDS, HTTPHandler
from companion.twitch.models import CustomReward, CustomRewardRedemption, PartialUser
from companion.twitch.ratelimit import MAX_CLOCK_SKEW_SECONDS, RESET_WINDOW_SECONDS
from companion.twitch.scopes import ENDPOINT_SCOPES, ENDPOINTS, SCOPES

DOCS = Path(__file__).resolve().parents[3] / "docs"
DOC = DOCS / "client.md"
MiB = 1024 * 1024
ROW = re.compile(r"^\| `(?P<method>[\w.]+)` \| `(?P<endpoint>[A-Z]+ [\w/]+)` \| (?P<scopes>.+) \|$")
CLASSES = {
    "Client": Client,
    "PartialUser": PartialUser,
    "CustomReward": CustomReward,
    "CustomRewardRedemption": CustomRewardRedemption,
}


def documented() -> dict[str, tuple[str, tuple[str, ...]]]:
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            scopes = tuple(re.findall(r"`([\w:]+)`", match["scopes"]))
            rows[match["method"]] = (match["endpoint"], scopes)
    return rows


def test_doc_table_matches_scopes_and_endpoints() -> None:
    expected = {name: (ENDPOINTS[name], SCOPES[name]) for name in SCOPES}
    assert documented() == expected
    assert set(SCOPES) == set(ENDPOINTS)


def test_methods_sharing_an_endpoint_accept_the_same_scopes() -> None:
    # ENDPOINT_SCOPES names the documented scopes in an Unauthorized for a raw request; it
    # must not depend on which of two methods on one endpoint happened to come last.
    assert set(ENDPOINT_SCOPES) == set(ENDPOINTS.values())
    for name in SCOPES:
        assert ENDPOINT_SCOPES[ENDPOINTS[name]] == SCOPES[name], name


@pytest.mark.parametrize("name", sorted(SCOPES))
def test_every_mapped_method_exists(name: str) -> None:
    owner, attribute = name.split(".")
    assert callable(getattr(CLASSES[owner], attribute))


def test_doc_lists_every_limit() -> None:
    text = DOC.read_text(encoding="utf-8")
    for limit in limits.LIMITS.values():
        bounds = f"| {'' if limit.minimum is None else limit.minimum} |"
        row = f"| `{limit.name}` | {limit.label} | {limit.kind} {bounds}"
        assert row in text


def test_doc_states_the_limits_against_hostile_input() -> None:
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    timeout = inspect.signature(HTTPHandler).parameters["timeout"].default
    low, high = KEEPALIVE_RANGE
    assert MAX_CLOCK_SKEW_SECONDS == 86_400  # "a day" below
    phrases = [
        f"a reset is believed at most {RESET_WINDOW_SECONDS:g} s ahead",
        "a reset more than a day from our clock",
        f"one request waits at most {RESET_WINDOW_SECONDS:g} s on the rate limit in total",
        f"At most {MAX_BODY_BYTES // MiB} MiB of an answer is read",
        f"answers of {OFF_LOOP_BYTES // 1024} KiB or more are decoded in a worker thread",
        f"`timeout` ({timeout:g} s) is the network time of one request",
        f"One read waits at most {SOCK_READ_SECONDS:g} s for bytes",
        f"followed only to `wss://{TWITCH_EVENTSUB_HOST}`",
        f"Past {FREE_HOPS} hops within {HOP_WINDOW_SECONDS:g} s",
        f"`keepalive_timeout_seconds` is clamped to {low:g}-{high:g}",
        f"a message over {MAX_MESSAGE_BYTES // MiB} MiB is refused unread",
    ]
    assert [p for p in phrases if p not in text] == []


def test_reliability_doc_lists_every_hostile_drill() -> None:
    drills = sorted(DOCS.parent.glob("tests/drills/test_drill_hostile_*.py"))
    assert len(drills) == 3
    text = (DOCS / "reliability.md").read_text(encoding="utf-8")
    for path in drills:
        assert f"`{path.name}`" in text
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [
            node.name
            for node in tree.body
            if isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("test_")
        ]
        assert names, path
        assert [n for n in names if f"`{n}`" not in text] == [], path.name
