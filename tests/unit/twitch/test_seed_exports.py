"""The seed names every class at the package top (``twitchio.Clip``); so does ``companion.twitch``.

The seed (``/work/shared/seed/``) is parsed, not copied: each ``- class twitchio.X`` block
gives a class, and the entries under it give its members. Every class must be importable
from ``companion.twitch`` itself and listed in its ``__all__``, and every member the seed
documents must be on that class (an attribute, property, slot or method; the operators
``x == y``, ``str(x)`` and ``hash(x)`` must be the class's own, not ``object``'s).

One quirk of the seed's text (a scrape of the rendered reference): the short summary lines of
a class's methods (``asyncget``, ``asyncdelete``, ``defart_url``: "async"/"def" glued to the
name) sit at the end of the PREVIOUS class's block, just before the next ``- class`` heading.
``BanEvent`` ends with ``asyncget``, which is ``BaseToken.get``; ``FollowEvent`` ends with
``defart_url``, which is ``Game.art_url``. The parser hands them to the class that follows.
"""

from __future__ import annotations

import re

import pytest

import companion.twitch
from tests.helpers.reference import SEED_FILE

#: Entries that head a section of a member's description, not a member.
SECTION_WORDS = frozenset({"Type", "Parameters", "Raises", "Returns", "Return type"})
#: Operator entries -> the dunder the class itself must define (``!=`` is Python's inverse of
#: the class's ``__eq__`` unless the class says otherwise, so it needs ``__eq__``).
OPERATORS = {"x == y": "__eq__", "x != y": "__eq__", "str(x)": "__str__", "hash(x)": "__hash__"}
#: Classes whose documented attributes are set per instance (no ``__slots__``): an instance
#: built as the seed's signature has it is checked instead of the class.
INSTANCES = {
    "SimpleTokenHandler": lambda: companion.twitch.SimpleTokenHandler("token", "clientid0000"),
}

_CLASS = re.compile(r"^- class twitchio\.(\w+)\b", re.MULTILINE)
_ENTRY = re.compile(r"^- (.+)$", re.MULTILINE)
_ATTRIBUTE = re.compile(r"(\w+)#")
_ATTRIBUTE_WITH_TYPE = re.compile(r"(\w+) :class:`[\w.]+`")
_METHOD = re.compile(r"(?:coroutine )?(\w+)\(.*\).*#")
_SUMMARY = re.compile(r"(?:async|def)(\w+)")


def seed_classes() -> dict[str, set[str]]:
    """Class name -> the members the seed documents for it."""
    text = SEED_FILE.read_text(encoding="utf-8")
    heads = list(_CLASS.finditer(text))
    members: dict[str, set[str]] = {m[1]: set() for m in heads}
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
        following = heads[i + 1][1] if i + 1 < len(heads) else None
        for entry in _ENTRY.findall(text, head.end(), end):
            entry = entry.strip()
            if entry in SECTION_WORDS or entry.startswith(".."):
                continue
            if entry in OPERATORS:
                members[head[1]].add(entry)
            elif match := (
                _ATTRIBUTE.fullmatch(entry)
                or _ATTRIBUTE_WITH_TYPE.fullmatch(entry)
                or _METHOD.fullmatch(entry)
            ):
                members[head[1]].add(match[1])
            elif (match := _SUMMARY.fullmatch(entry)) and following is not None:
                members[following].add(match[1])
            else:
                raise AssertionError(f"unreadable seed entry under {head[1]}: {entry!r}")
    return members


SEED = seed_classes()


def test_the_seed_has_44_classes_and_their_members() -> None:
    assert len(SEED) == 44
    # Spot checks of the parser against the seed's text.
    assert SEED["BaseToken"] >= {"get", "x == y", "str(x)", "hash(x)"}
    assert {"art_url"} <= SEED["Game"]
    assert "art_url" not in SEED["FollowEvent"]
    assert {"edit", "get_redemptions", "delete"} <= SEED["CustomReward"]
    assert {"get_irc_token", "event_token_refreshed"} <= SEED["SimpleTokenHandler"]
    assert "last_updated" in SEED["CheerEmote"]
    assert sum(len(m) for m in SEED.values()) >= 120


def test_all_lists_every_seed_class_and_only_names_that_exist() -> None:
    exported = set(companion.twitch.__all__)
    assert set(SEED) <= exported
    assert [name for name in companion.twitch.__all__ if not hasattr(companion.twitch, name)] == []
    assert len(companion.twitch.__all__) == len(exported)  # no duplicates


def test_star_import_brings_every_seed_class() -> None:
    namespace: dict[str, object] = {}
    exec("from companion.twitch import *", namespace)  # what a user would write
    assert sorted(name for name in SEED if name not in namespace) == []


@pytest.mark.parametrize("name", sorted(SEED))
def test_each_class_and_its_members_from_the_package_top(name: str) -> None:
    cls = getattr(companion.twitch, name)
    assert isinstance(cls, type)
    assert cls.__name__ == name
    assert cls.__module__.startswith("companion.twitch.")
    missing = []
    holder = INSTANCES[name]() if name in INSTANCES else cls
    for member in sorted(SEED[name]):
        if member in OPERATORS:
            dunder = OPERATORS[member]
            if getattr(cls, dunder) is getattr(object, dunder):
                missing.append(member)
        elif not hasattr(holder, member):
            missing.append(member)
    assert missing == []
