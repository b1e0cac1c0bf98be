"""Right-to-left text (Arabic, Hebrew) inside left-to-right sentences and rows.

A viewer's name, a reward title or an input may be written right to left. Put as is into
an English sentence, the Unicode bidirectional algorithm lets it reorder the words around
it (a sentence starting with an Arabic name is laid out right to left as a whole), and a
mixed title in a table cell is laid out in the cell's direction instead of its own.
:func:`isolate` wraps such text in FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE
(Unicode 6.3, UAX #9): inside, the text takes its own direction from its first strong
letter; outside, it counts as one neutral character, so the sentence keeps its order.
"""

from __future__ import annotations

import unicodedata

__all__ = ["FSI", "PDI", "has_rtl", "isolate"]

FSI = "\u2068"  # FIRST STRONG ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE

_RTL_CLASSES = frozenset({"R", "AL"})


def has_rtl(text: str) -> bool:
    """True if ``text`` holds a right-to-left letter (Hebrew, Arabic, Syriac, Thaana...)."""
    return any(unicodedata.bidirectional(char) in _RTL_CLASSES for char in text)


def isolate(text: str | None) -> str:
    """``text`` as a directional isolate when it holds right-to-left letters, else as is.

    Left-to-right and neutral text (emoji, numbers) is returned unchanged: isolating it
    would change nothing on screen, and plain strings stay plain for search and copy.
    """
    if not text:
        return ""
    if text.startswith(FSI) or not has_rtl(text):
        return text
    return f"{FSI}{text}{PDI}"
