"""The extras' scope and endpoint tables agree with helix-openapi.json and cover every method."""

from __future__ import annotations

import inspect

import pytest

from companion.twitch.models._extra_common import EXTRA_ENDPOINTS, EXTRA_LIMITS, EXTRA_SCOPES
from companion.twitch.models._extras import ClientExtrasMixin, UserExtrasMixin
from tests.helpers.openapi_extras import operation
from tests.helpers.reference import SEED_FILE

#: Methods that are aliases of another (same request, same scopes).
ALIASES = {"PartialUser.unban": "PartialUser.unban_user"}


def _public(cls: type, owner: str) -> set[str]:
    return {
        f"{owner}.{name}"
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }


def test_every_mixin_method_has_scopes_and_an_endpoint() -> None:
    methods = _public(UserExtrasMixin, "PartialUser") | _public(ClientExtrasMixin, "Client")
    named = {ALIASES.get(m, m) for m in methods}
    model_methods = {"UserBan.delete", "Video.delete"}
    assert named | model_methods == set(EXTRA_SCOPES)
    assert set(EXTRA_SCOPES) == set(EXTRA_ENDPOINTS)


@pytest.mark.parametrize("method", sorted(EXTRA_ENDPOINTS))
def test_scopes_match_the_reference(method: str) -> None:
    verb, path = EXTRA_ENDPOINTS[method].split(" ", 1)
    security = operation(verb, path)["security"]
    documented = {scope for entry in security for scope in entry.get("twitch_auth", [])}
    assert set(EXTRA_SCOPES[method]) == documented


def test_limits_match_the_reference_text() -> None:
    def says(verb: str, path: str, param: str, text: str) -> bool:
        for prm in operation(verb, path).get("parameters", []):
            if prm["name"] == param:
                return text in prm["description"]
        return False

    assert says("DELETE", "/videos", "id", "maximum of 5 videos per request")
    assert EXTRA_LIMITS["delete_video_ids"].maximum == 5
    assert says("GET", "/schedule", "first", "maximum is 25 items per page")
    assert EXTRA_LIMITS["schedule_page_size"].maximum == 25
    assert says("GET", "/bits/leaderboard", "count", "maximum is 100")
    assert EXTRA_LIMITS["bits_leaderboard_count"].maximum == 100


def test_the_seed_classes_page_lists_every_class_with_a_real_test() -> None:
    import importlib
    import re
    from pathlib import Path

    seed = SEED_FILE.read_text(encoding="utf-8")
    classes = set(re.findall(r"^- class twitchio\.(\w+)", seed, flags=re.MULTILINE))
    assert len(classes) == 44
    page = Path("docs/seed-classes.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| \d+ \| (\w+) \| `([\w/.]+)` \|.*\|(.*)\|$", page, flags=re.MULTILINE)
    assert {name for name, _module, _tests in rows} == classes
    roots = {"U": "tests/unit/twitch", "I": "tests/integration/twitch", "S": "tests/unit/sim"}
    for name, module, tests in rows:
        dotted = "companion.twitch." + module.removesuffix(".py").replace("/", ".")
        assert isinstance(getattr(importlib.import_module(dotted), name), type), name
        cited = re.findall(r"`([UIS])/([\w.]+)::(\w+)`", tests)
        assert cited, name
        for root, file, test in cited:
            source = (Path(roots[root]) / file).read_text(encoding="utf-8")
            assert re.search(rf"def {test}\(", source), f"{name}: {file}::{test}"
