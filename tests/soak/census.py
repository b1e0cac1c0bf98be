"""Who holds ``None``: a census of the references to ``None`` the garbage collector can see.

``sys.getrefcount(None)`` says how many references there are, not where. This walks every
object the collector tracks, plus the untracked containers they reach (a dict or tuple
holding only atomics is untracked and absent from ``gc.get_objects()``), and counts, per
object, how many of its referents are ``None``. Two censuses (warm-up and end of a soak)
diffed by type and by owner say which objects gained references to ``None``.

Used by ``soak_app.py --census`` (not by CI: a census of a running app takes seconds).
"""

from __future__ import annotations

import gc
import sys
import types
from collections import Counter
from typing import Any

_CONTAINERS = (dict, tuple, list)


def _walk() -> list[Any]:
    """Every tracked object and every untracked container reachable from one."""
    gc.collect()
    tracked = gc.get_objects()
    seen = {id(obj) for obj in tracked}
    result = list(tracked)
    pending = list(tracked)
    while pending:
        obj = pending.pop()
        for ref in gc.get_referents(obj):
            if isinstance(ref, _CONTAINERS) and not gc.is_tracked(ref) and id(ref) not in seen:
                seen.add(id(ref))
                result.append(ref)
                pending.append(ref)
    return result


def _type_name(obj: Any) -> str:
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


def _nones(obj: Any) -> int:
    return sum(1 for ref in gc.get_referents(obj) if ref is None)


def take(objects: list[Any] | None = None) -> dict[str, Any]:
    """One census: None references and object counts by type, plus each object's None
    count and type by ``id`` (to tell grown objects from new ones at the next census).

    Kept as plain ints and interned names, not tuples, so that holding one census does
    not show up as thousands of new tuples in the next.
    """
    if objects is None:
        objects = _walk()
    none_by_type: Counter[str] = Counter()
    count_by_type: Counter[str] = Counter()
    held_by_id: dict[int, int] = {}
    name_by_id: dict[int, str] = {}
    for obj in objects:
        name = sys.intern(_type_name(obj))
        count_by_type[name] += 1
        held = _nones(obj)
        if held:
            none_by_type[name] += held
            held_by_id[id(obj)] = held
            name_by_id[id(obj)] = name
    seen = sum(none_by_type.values())
    refcount = sys.getrefcount(None)
    return {
        "refcount": refcount,
        "seen": seen,
        # References no object the collector can reach accounts for (C-level holders,
        # or references a binding took and never gave back).
        "unseen": refcount - seen,
        "none_by_type": none_by_type,
        "count_by_type": count_by_type,
        "held_by_id": held_by_id,
        "name_by_id": name_by_id,
    }


def _describe_owner(obj: Any, known: set[int], depth: int) -> str:
    """A short path from ``obj`` up through its referrers (among ``known`` objects: the
    census's own lists and frames are not owners), naming the key where it can."""
    parts: list[str] = []
    current = obj
    for _ in range(depth):
        owner = next(
            (
                ref
                for ref in gc.get_referrers(current)
                if id(ref) in known and not isinstance(ref, types.FrameType)
            ),
            None,
        )
        if owner is None:
            break
        label = _type_name(owner)
        if isinstance(owner, dict):
            key = next((k for k, v in owner.items() if v is current), None)
            label += f"[{key!r}]" if key is not None else "(as key)"
        parts.append(label)
        current = owner
    return " <- ".join(parts)


def diff(before: dict[str, Any], top: int = 25, samples: int = 3) -> dict[str, Any]:
    """Take a census now and compare it with ``before``: growth of None references by
    type, object counts by type, and for the biggest growers a few owners."""
    objects = _walk()
    after = take(objects)
    by_id = {id(obj): obj for obj in objects}
    known = set(by_id) - {id(objects), id(before["held_by_id"]), id(before["name_by_id"])}
    none_growth = after["none_by_type"].copy()
    none_growth.subtract(before["none_by_type"])
    count_growth = after["count_by_type"].copy()
    count_growth.subtract(before["count_by_type"])
    # Per type: Nones in objects that are new since `before` vs grown in old ones.
    new_by_type: Counter[str] = Counter()
    grown_by_type: Counter[str] = Counter()
    grown_objects: list[tuple[int, int]] = []
    new_objects: dict[str, list[int]] = {}
    for oid, held in after["held_by_id"].items():
        name = after["name_by_id"][oid]
        old = before["held_by_id"].get(oid) if before["name_by_id"].get(oid) == name else None
        if old is None:
            new_by_type[name] += held
            new_objects.setdefault(name, []).append(oid)
        elif held > old:
            grown_by_type[name] += held - old
            grown_objects.append((held - old, oid))
    grown_objects.sort(reverse=True)
    grown_owners = []
    for delta, oid in grown_objects[:top]:
        obj = by_id[oid]
        grown_owners.append(
            {
                "grew": delta,
                "type": _type_name(obj),
                "len": len(obj) if hasattr(obj, "__len__") else None,
                "owner": _describe_owner(obj, known, 5),
                "repr": repr(obj)[:160],
            }
        )
    new_owners = {}
    for name, held_total in new_by_type.most_common(8):
        oids = new_objects[name]
        owners: Counter[str] = Counter()
        for oid in oids[:: max(1, len(oids) // 40)]:
            owners[_describe_owner(by_id[oid], known, 4)] += 1
        new_owners[name] = {
            "objects": len(oids),
            "nones": held_total,
            "owners": owners.most_common(samples),
            "example": repr(by_id[oids[-1]])[:200],
        }
    return {
        "refcount_growth": after["refcount"] - before["refcount"],
        "seen_growth": after["seen"] - before["seen"],
        "unseen_growth": after["unseen"] - before["unseen"],
        "none_growth_by_type": [kv for kv in none_growth.most_common(top) if kv[1]],
        "none_shrink_by_type": [kv for kv in none_growth.most_common()[::-1][:10] if kv[1] < 0],
        "count_growth_by_type": [kv for kv in count_growth.most_common(top) if kv[1]],
        "none_in_new_objects": new_by_type.most_common(top),
        "none_grown_in_old_objects": grown_by_type.most_common(top),
        "grown_owners": grown_owners,
        "new_owners": new_owners,
    }
