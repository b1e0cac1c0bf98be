"""Compare what the simulator serves with Twitch's documented examples and OpenAPI schemas."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the venv

from tests.helpers.eventsub_ws import collect_types
from tests.helpers.reference import REFERENCE


def load(name: str) -> Any:
    """A reference file, e.g. ``helix/get_users.response.json``."""
    return json.loads((REFERENCE / name).read_text(encoding="utf-8"))


def shape(
    value: Any, path: str = "$", out: dict[str, set[str]] | None = None
) -> dict[str, set[str]]:
    """Map every path (lists as ``[]``) to the set of JSON types seen there."""
    out = {} if out is None else out
    collect_types(value, path, out)
    return out


def shape_diff(served: Any, documented: Any) -> list[tuple[str, str, Any]]:
    """Differences between the served and documented shapes, as a sorted list of
    ``("missing", path, None)`` (documented, not served), ``("extra", path, None)`` (served,
    not documented) and ``("type", path, (served types, documented types))``.

    Paths under an empty served or documented list are not compared (no elements to see).
    """
    ours, theirs = shape(served), shape(documented)
    diffs: list[tuple[str, str, Any]] = []
    for path in sorted(set(ours) | set(theirs)):
        if path not in ours:
            if _parent_list_empty(path, ours):
                continue
            diffs.append(("missing", path, None))
        elif path not in theirs:
            if _parent_list_empty(path, theirs):
                continue
            diffs.append(("extra", path, None))
        elif ours[path] != theirs[path]:
            diffs.append(("type", path, (sorted(ours[path]), sorted(theirs[path]))))
    return diffs


def _parent_list_empty(path: str, seen: dict[str, set[str]]) -> bool:
    # "$.data[].tags[]" exists only if some tags list had an element.
    head = path
    while "[]" in head:
        head = head[: head.rindex("[]")]
        if head in seen and f"{head}[]" not in seen:
            return True
    return False


# -- OpenAPI schemas -----------------------------------------------------------------------


def _nullable_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` -> JSON Schema ``null`` allowed."""
    if isinstance(node, list):
        return [_nullable_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_to_jsonschema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def openapi() -> dict[str, Any]:
    doc = json.loads((REFERENCE / "helix-openapi.json").read_text(encoding="utf-8"))
    converted: dict[str, Any] = _nullable_to_jsonschema(doc)
    return converted


#: Fields the reference documents as possibly null whose OpenAPI schema lacks ``nullable``
#: (schema name, property). Each is allowed null when validating, and listed here on purpose.
DOCUMENTED_NULLS: tuple[tuple[str, str], ...] = (
    # Get Custom Reward: "image is null if no custom images" (example shows null).
    ("CustomReward", "image"),
    # "redemptions_redeemed_current_stream and cooldown_expires_at may be null".
    ("CustomReward", "redemptions_redeemed_current_stream"),
    ("CustomReward", "cooldown_expires_at"),
    # Get Users: email is documented as optional; nothing to relax.
)


@cache
def response_validator(path: str, method: str, status: int = 200) -> jsonschema.Draft7Validator:
    """A validator for the documented response schema of ``method path``."""
    doc = _relaxed_openapi()
    response = doc["paths"][path][method.lower()]["responses"][str(status)]
    schema = dict(response["content"]["application/json"]["schema"])
    schema["components"] = doc["components"]
    return jsonschema.Draft7Validator(schema)


@cache
def _relaxed_openapi() -> dict[str, Any]:
    """The OpenAPI document with `DOCUMENTED_NULLS` allowed null."""
    doc: dict[str, Any] = copy.deepcopy(openapi())
    schemas = doc["components"]["schemas"]
    for name, prop in DOCUMENTED_NULLS:
        target = schemas.get(name, {}).get("properties", {}).get(prop)
        if target is not None:
            schemas[name]["properties"][prop] = {"anyOf": [target, {"type": "null"}]}
    return doc


def schema_errors(body: Any, path: str, method: str, status: int = 200) -> list[str]:
    """Every schema violation of ``body`` (empty when it conforms)."""
    validator = response_validator(path, method, status)
    return sorted(
        f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(body)
    )
