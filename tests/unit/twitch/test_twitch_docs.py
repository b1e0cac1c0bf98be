"""docs/client.md, the SCOPES/ENDPOINTS tables and the code say the same thing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from companion.twitch import Client, limits
from companion.twitch.models import CustomReward, CustomRewardRedemption, PartialUser
from companion.twitch.scopes import ENDPOINT_SCOPES, ENDPOINTS, SCOPES

DOC = Path(__file__).resolve().parents[3] / "docs" / "client.md"
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
