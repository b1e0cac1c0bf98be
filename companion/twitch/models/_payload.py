"""Typed reading of Twitch payloads: every model reads its fields through :class:`Fields`.

Anything that does not have the documented shape raises :class:`PayloadError` naming the
field; nothing else escapes. Conventions applied here once for every model:

* ``""`` in an optional text field becomes None (Twitch's way of saying "not set").
* Ids are strings, but some documented EventSub examples carry integer ids
  (``"user_id": 12345``, twitchdev/issues#390); integers are accepted and turned into text.
* Times go through :func:`~companion.twitch.timeutil.parse_timestamp` (nanoseconds cut);
  optional ones through :func:`~companion.twitch.timeutil.parse_optional_timestamp`, so
  ``""`` and null both read as None.
* A response whose ``data`` should hold one object (:func:`one_item`) and holds none raises
  :class:`PayloadError` saying the list is empty.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..errors import PayloadError
from ..timeutil import parse_optional_timestamp, parse_timestamp

__all__ = ["Fields", "utc_z_time"]

_log = logging.getLogger(__name__)

_MISSING: Any = object()

#: The one form Helix sends almost every time: UTC with ``Z``, whole seconds or a fraction
#: of any length. For exactly this form :meth:`datetime.fromisoformat` (Python 3.11+) gives
#: what :func:`parse_timestamp` gives, fraction truncated to microseconds and ``tzinfo`` the
#: ``UTC`` singleton, in a fifth of the time; anything else (offsets, a lower-case ``t`` or
#: ``z``, a space) and any value it refuses take the general parser and its messages.
_UTC_FORM = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\Z", re.ASCII)
_from_iso = datetime.fromisoformat


def utc_z_time(value: object) -> datetime | None:
    """``value`` read as a time if it is in the UTC ``Z`` form Helix sends, else None.

    None means "not decided here", not "no time": the caller reads ``value`` through the
    general parser, which accepts the other RFC 3339 forms and words every refusal.
    """
    if type(value) is str and _UTC_FORM.match(value):
        try:
            return _from_iso(value)
        except ValueError:
            return None  # e.g. February 30th: the general parser words the error
    return None


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


class Fields:
    """A JSON object being read, with the path used in error messages.

    Args:
        data: The decoded JSON value that should be an object.
        path: Where it sits in the payload (``"outcomes[1]"``), for messages.

    Raises:
        PayloadError: ``data`` is not an object.
    """

    __slots__ = ("data", "path")

    data: Mapping[str, Any]
    path: str

    def __init__(self, data: object, path: str = "") -> None:
        # Fast paths below test ``type(x) is ...`` for what json.loads makes (dict, str,
        # int); anything else (a Mapping, a str subclass, a wrong type) takes the general
        # checks after them, which accept or refuse exactly as before.
        if type(data) is dict:
            self.data = data
            self.path = path
            return
        if isinstance(data, Fields):
            inner: Fields = data
            path = path or inner.path
            data = inner.data
        if not isinstance(data, Mapping):
            raise PayloadError(f"expected an object, got {_type_name(data)}", field=path)
        self.data = data
        self.path = path

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, *, required: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                raise PayloadError("required field is missing or null", field=self._where(key))
            return None
        return value

    def _wrong(self, expected: str, key: str, value: object) -> PayloadError:
        return PayloadError(f"expected {expected}, got {_type_name(value)}", field=self._where(key))

    def has(self, key: str) -> bool:
        """True if ``key`` is present (even if null)."""
        return key in self.data

    def text(self, key: str) -> str:
        """A required string (may be empty)."""
        value = self.data.get(key)
        if type(value) is str:
            return value
        value = self._get(key, required=True)
        if not isinstance(value, str):
            raise PayloadError(
                f"expected a string, got {_type_name(value)}", field=self._where(key)
            )
        return value

    def opt_text(self, key: str) -> str | None:
        """An optional string; missing, null and ``""`` all become None."""
        value = self.data.get(key)
        if type(value) is str:
            return value or None
        if value is None:
            return None
        if not isinstance(value, str):
            raise PayloadError(
                f"expected a string, got {_type_name(value)}", field=self._where(key)
            )
        return value or None

    def id(self, key: str) -> str:
        """A required, non-empty id (string, or an integer turned into one)."""
        value = self.data.get(key)
        if type(value) is str and value:
            return value
        value = self.opt_id(key)
        if value is None:
            raise PayloadError("required id is missing, null or empty", field=self._where(key))
        return value

    def opt_id(self, key: str) -> str | None:
        """An optional id; missing, null and ``""`` become None."""
        value = self.data.get(key)
        if type(value) is str:
            return value or None
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self._wrong("an id", key, value)
        return str(value) or None

    def integer(self, key: str) -> int:
        """A required integer (booleans are refused)."""
        value = self.data.get(key)
        if type(value) is int:
            return value
        value = self._get(key, required=True)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PayloadError(
                f"expected an integer, got {_type_name(value)}", field=self._where(key)
            )
        return value

    def opt_integer(self, key: str) -> int | None:
        """An optional integer."""
        if self._get(key, required=False) is None:
            return None
        return self.integer(key)

    def flag(self, key: str) -> bool:
        """A required boolean."""
        value = self._get(key, required=True)
        if not isinstance(value, bool):
            raise PayloadError(
                f"expected a boolean, got {_type_name(value)}", field=self._where(key)
            )
        return value

    def opt_flag(self, key: str, default: bool | None = None) -> bool | None:
        """An optional boolean (``default`` when missing or null)."""
        if self._get(key, required=False) is None:
            return default
        return self.flag(key)

    def time(self, key: str) -> datetime:
        """A required RFC 3339 timestamp."""
        fast = utc_z_time(self.data.get(key))
        if fast is not None:
            return fast
        value = self.text(key)
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            raise PayloadError(str(exc), field=self._where(key)) from exc

    def opt_time(self, key: str) -> datetime | None:
        """An optional timestamp (missing, null and ``""`` become None)."""
        value = self._get(key, required=False)
        if value is not None and not isinstance(value, str):
            raise self._wrong("a string", key, value)
        try:
            return parse_optional_timestamp(value)
        except ValueError as exc:
            raise PayloadError(str(exc), field=self._where(key)) from exc

    def obj(self, key: str) -> Fields:
        """A required nested object."""
        return Fields(self._get(key, required=True), self._where(key))

    def opt_obj(self, key: str) -> Fields | None:
        """An optional nested object (None when missing or null)."""
        value = self._get(key, required=False)
        return None if value is None else Fields(value, self._where(key))

    def items(self, key: str, *, required: bool = True) -> list[Fields]:
        """A list of objects; when not required, missing or null reads as ``[]``."""
        value = self._get(key, required=required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self._wrong("a list", key, value)
        return [Fields(item, f"{self._where(key)}[{i}]") for i, item in enumerate(value)]

    def texts(self, key: str) -> list[str]:
        """A list of strings; missing or null reads as ``[]``."""
        value = self._get(key, required=False)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PayloadError("expected a list of strings", field=self._where(key))
        return list(value)


def data_list(body: object, what: str) -> list[Fields]:
    """The ``data`` list of a Helix response body.

    Raises:
        PayloadError: The body has no ``data`` list.
    """
    return Fields(body, what).items("data")


def one_item(body: object, what: str) -> Fields:
    """``data[0]`` of a response that answers with exactly one object (Create Poll, ...).

    Args:
        body: The decoded response body.
        what: What the object is, for the message (``"poll"``).

    Raises:
        PayloadError: The body has no ``data`` list, the list is empty (saying so), or
            its first item is not an object.
    """
    items = Fields(body, "").items("data")
    if not items:
        raise PayloadError(f"expected one {what} in data, got an empty list", field="data")
    return Fields(items[0], "data[0]")
