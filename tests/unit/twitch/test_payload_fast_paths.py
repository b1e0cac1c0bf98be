"""Fields' fast paths (``type(x) is str``, the UTC timestamp form) read exactly what the
general checks read: the same values, the same refusals.

Each reader is compared with its documented meaning (written out here as a plain oracle)
over arbitrary JSON values, and ``Fields.time`` with :func:`parse_timestamp` over generated
timestamps in every form Twitch sends and many it does not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.twitch.errors import PayloadError
from companion.twitch.models._payload import Fields
from companion.twitch.timeutil import parse_timestamp

_REFUSED = object()


class _Text(str):
    """A str subclass: not what json.loads makes, but a string all the same."""

    __slots__ = ()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _oracle(method: str, value: Any) -> Any:
    """What each reader means, written out plainly (``_REFUSED``: a PayloadError)."""
    if method == "text":
        return value if isinstance(value, str) else _REFUSED
    if method == "opt_text":
        if value is None:
            return None
        return (value or None) if isinstance(value, str) else _REFUSED
    if method in ("id", "opt_id"):
        if value is None:
            return None if method == "opt_id" else _REFUSED
        if not (isinstance(value, str) or _is_int(value)):
            return _REFUSED
        text = str(value)
        return text if text else (None if method == "opt_id" else _REFUSED)
    if method == "integer":
        return value if _is_int(value) else _REFUSED
    raise AssertionError(method)


def _read(method: str, value: Any) -> Any:
    try:
        return getattr(Fields({"k": value}, "item"), method)("k")
    except PayloadError as exc:
        assert exc.field == "item.k"
        return _REFUSED


values = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.text(max_size=8).map(_Text)
    | st.lists(st.integers(), max_size=2)
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
)


@pytest.mark.parametrize("method", ["text", "opt_text", "id", "opt_id", "integer"])
@settings(max_examples=300, deadline=None)
@given(value=values)
def test_readers_mean_what_they_document(method: str, value: Any) -> None:
    got = _read(method, value)
    expected = _oracle(method, value)
    assert got == expected
    assert type(got) is type(expected)  # a str subclass comes out as the value it was


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", _REFUSED), (0, "0"), (12345, "12345"), (True, _REFUSED), ("7", "7")],
)
def test_required_ids(value: Any, expected: Any) -> None:
    assert _read("id", value) == expected


def test_missing_and_null_fields() -> None:
    for method in ("text", "id", "integer", "time"):
        with pytest.raises(PayloadError, match="missing"):
            getattr(Fields({}, "x"), method)("k")
        with pytest.raises(PayloadError, match="missing"):
            getattr(Fields({"k": None}, "x"), method)("k")
    assert Fields({}).opt_text("k") is None
    assert Fields({"k": None}).opt_id("k") is None


def _time(value: Any) -> Any:
    try:
        return Fields({"at": value}, "item").time("at")
    except PayloadError as exc:
        assert exc.field == "item.at"
        return _REFUSED


def _general(value: Any) -> Any:
    try:
        return parse_timestamp(value)
    except ValueError:
        return _REFUSED


@settings(max_examples=400, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    digits=st.integers(min_value=0, max_value=12),
    separator=st.sampled_from(["T", "t", " "]),
    zone=st.sampled_from(["Z", "z", "+00:00", "-05:30", "+23:59"]),
)
def test_time_reads_what_the_general_parser_reads(
    moment: datetime, digits: int, separator: str, zone: str
) -> None:
    fraction = f"{moment.microsecond:06d}{moment.second * 1001 % 10**6:06d}"[:digits]
    text = moment.strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    text = text.rjust(19, "0") + (f".{fraction}" if digits else "") + zone
    got, expected = _time(text), _general(text)
    assert got == expected
    if expected is not _REFUSED:
        assert got.tzinfo is UTC
        assert got.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020-07-15T17:16:03Z", datetime(2020, 7, 15, 17, 16, 3, tzinfo=UTC)),
        # Nanoseconds are cut, never rounded up.
        ("2020-07-15T17:16:03.999999999Z", datetime(2020, 7, 15, 17, 16, 3, 999999, tzinfo=UTC)),
        ("2020-07-15T17:16:03.1Z", datetime(2020, 7, 15, 17, 16, 3, 100000, tzinfo=UTC)),
        ("2020-07-15T17:16:03.17106713Z", datetime(2020, 7, 15, 17, 16, 3, 171067, tzinfo=UTC)),
        ("2020-07-15T19:16:03+02:00", datetime(2020, 7, 15, 17, 16, 3, tzinfo=UTC)),
    ],
)
def test_time_values(text: str, expected: datetime) -> None:
    got = _time(text)
    assert got == expected
    assert got.tzinfo is UTC


@pytest.mark.parametrize(
    "text",
    [
        "2021-02-30T00:00:00Z",  # the fast form, but no such day
        "0000-01-01T00:00:00Z",
        "2021-04-28T24:00:00Z",
        "2021-04-28T16:03:60Z",
        "2021-04-28T16:03:06.Z",
        "2021-04-28T16:03:06",  # no zone
        "2026-W49-7T05:09:54Z",  # ISO week date: fromisoformat takes it, RFC 3339 does not
        "2021-04-28T16:03Z",
        "20210428T160306Z",
        "2021-04-28T16:03:06Z ",
        "\u0662021-04-28T16:03:06Z",  # a non-ASCII digit
        "",
        17,
        None,
    ],
)
def test_time_refusals(text: Any) -> None:
    assert _time(text) is _REFUSED
