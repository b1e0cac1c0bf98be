"""Every minor-model parser gives a model or a PayloadError on any JSON, never another crash.

Mutations of each documented payload (fields removed, nulled, replaced by any JSON value,
extra fields added) and wholly arbitrary JSON are fed to every parser in ``CASES``.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from companion.twitch.errors import PayloadError
from tests.unit.twitch.seed_extras_cases import CASES

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10)
    | st.sampled_from(["", "2021-02-30T25:61:00Z", "2020-07-15T17:16:03.17106713Z", "{width}"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    children = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in children:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _mutate(payload: Any, path: tuple[Any, ...], how: str, value: Any) -> None:
    target = payload
    try:
        for step in path[:-1]:
            target = target[step]
        key = path[-1]
        if how == "drop":
            del target[key]
        elif how == "null":
            target[key] = None
        elif how == "swap":
            target[key] = value
        elif isinstance(target, dict):
            target[f"{key}_extra"] = value
    except (KeyError, IndexError, TypeError):
        return  # an earlier mutation removed the path


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_documented_payloads(case: str, data: st.DataObject) -> None:
    parse, original = CASES[case]
    payload = copy.deepcopy(original)
    changes = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(_paths(payload)),
                st.sampled_from(["drop", "null", "swap", "extra"]),
                JSON,
            ),
            min_size=1,
            max_size=4,
        )
    )
    for path, how, value in changes:
        _mutate(payload, path, how, value)
    with contextlib.suppress(PayloadError):
        parse(payload)


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=25, deadline=None)
@given(payload=JSON)
def test_arbitrary_json(case: str, payload: Any) -> None:
    parse, _ = CASES[case]
    with contextlib.suppress(PayloadError):
        parse(payload)


@pytest.mark.parametrize(
    ("case", "path", "field"),
    [
        ("user_ban", ("moderator_id",), "ban.moderator_id"),
        (
            "cheermote",
            ("tiers", 0, "images", "dark", "static", "2"),
            "cheermote.tiers[0].images.dark.static.2",
        ),
        ("schedule", ("data", "segments", 0, "start_time"), "data.segments[0].start_time"),
        ("hype_train", ("top_contributions", 1, "total"), "hype_train.top_contributions[1].total"),
        ("clip", ("duration",), "clip.duration"),
    ],
)
def test_the_error_names_the_field(case: str, path: tuple[Any, ...], field: str) -> None:
    parse, original = CASES[case]
    payload = copy.deepcopy(original)
    _mutate(payload, path, "swap", [1])
    with pytest.raises(PayloadError) as caught:
        parse(payload)
    assert caught.value.field == field
