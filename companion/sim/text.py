"""Text the simulator can always put on the wire (issue 20, item 15).

A Python string can hold a lone UTF-16 surrogate (``"\\ud800"``, from JSON or from the
Python control surface); UTF-8 cannot, so encoding such a stored value made every answer
that carried it fail with a 500, for ever. Twitch's storage is UTF-8 and cannot hold one
at all; the reference is silent on what Twitch sends instead, so the simulator sends
U+FFFD, the Unicode replacement character, in its place (what a UTF-8 decoder makes of
such bytes).
"""

from __future__ import annotations

import logging
import re

__all__ = ["has_lone_surrogate", "utf8", "valid_unicode"]

_log = logging.getLogger(__name__)

# A Python str never pairs surrogates itself, so any surrogate code point in one is lone.
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """True if ``text`` holds a code point UTF-8 cannot encode."""
    return _SURROGATE.search(text) is not None


def valid_unicode(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def utf8(text: str) -> bytes:
    """``text`` as UTF-8; lone surrogates become U+FFFD instead of an error."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        _log.warning("stored text holds a lone surrogate; sent as U+FFFD")
        return valid_unicode(text).encode()
