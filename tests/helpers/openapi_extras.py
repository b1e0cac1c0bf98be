"""Response schemas and examples from ``helix-openapi.json`` for the seed-extras endpoints.

The OpenAPI file is version 3.0: ``nullable: true`` is turned into a JSON-Schema type union
here so :mod:`jsonschema` understands it. A few schemas contradict their own field text or
the documented example; those are corrected in :data:`CORRECTIONS`, each with the reason,
and a test (``test_reference_quirks_the_corrections_stand_for``) proves the published
schema really rejects the example, so a corrected reference would make that test fail and
the correction could be dropped.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the venv

from tests.helpers.reference import REFERENCE

OPENAPI = REFERENCE / "helix-openapi.json"


@functools.cache
def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
    return loaded


def _resolve(node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = _document()
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(target)
        out = {key: _resolve(value) for key, value in node.items()}
        if out.pop("nullable", False) and "type" in out:
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_resolve(item) for item in node]
    return node


def operation(method: str, path: str) -> dict[str, Any]:
    """The resolved OpenAPI operation."""
    op: dict[str, Any] = _resolve(_document()["paths"][path][method.lower()])
    return op


def published_schema(method: str, path: str, status: str = "200") -> dict[str, Any]:
    """The response schema exactly as published (nullable converted)."""
    content = operation(method, path)["responses"][status]["content"]["application/json"]
    schema: dict[str, Any] = content["schema"]
    return schema


def examples(method: str, path: str, status: str = "200") -> dict[str, Any]:
    """The documented example bodies by example name."""
    content = operation(method, path)["responses"][status].get("content", {})
    found = content.get("application/json", {}).get("examples", {})
    return {name: ex["value"] for name, ex in found.items()}


def _nullable(node: dict[str, Any]) -> None:
    kind = node["type"]
    if isinstance(kind, str):
        node["type"] = [kind, "null"]


def _fix_badges(schema: dict[str, Any]) -> None:
    # "Set to `null` if no action is specified" / "... if no URL is specified".
    version = schema["properties"]["data"]["items"]["properties"]["versions"]["items"]
    _nullable(version["properties"]["click_action"])
    _nullable(version["properties"]["click_url"])


def _fix_schedule(schema: dict[str, Any]) -> None:
    # vacation: "Is set to **null** if vacation mode is not enabled"; category: "or **null**
    # if not specified"; the example has "vacation": null.
    data = schema["properties"]["data"]
    _nullable(data["properties"]["vacation"])
    _nullable(data["properties"]["segments"]["items"]["properties"]["category"])


def _fix_hype_train(schema: dict[str, Any]) -> None:
    # The published schema nests the train's own fields (shared_train_participants,
    # started_at, expires_at, is_shared_train and the train ``type``) inside each top
    # contribution, and the record objects beside ``data``; the example and the field
    # descriptions put them in ``current`` and in each ``data`` item. Moved back here.
    props = schema["properties"]
    item = props["data"]["items"]
    current = item["properties"]["current"]
    contribution = current["properties"]["top_contributions"]["items"]
    moved = {
        key: contribution["properties"].pop(key)
        for key in ("shared_train_participants", "started_at", "expires_at", "is_shared_train")
    }
    train_type = contribution["properties"]["type"]
    contribution["properties"]["type"] = {"type": "string"}
    contribution["required"] = ["user_id", "user_login", "user_name", "type", "total"]
    moved["type"] = train_type
    _nullable(moved["shared_train_participants"])
    current["properties"].update(moved)
    current["required"] = [*current.get("required", []), "started_at", "expires_at"]
    _nullable(current)
    for key in ("all_time_high", "shared_all_time_high"):
        record = props.pop(key)
        _nullable(record)
        item["properties"][key] = record
    schema["required"] = ["data"]


CORRECTIONS = {
    ("GET", "/chat/badges"): _fix_badges,
    ("GET", "/chat/badges/global"): _fix_badges,
    ("GET", "/schedule"): _fix_schedule,
    ("GET", "/hypetrain/status"): _fix_hype_train,
}


def response_schema(method: str, path: str, status: str = "200") -> dict[str, Any]:
    """The response schema with the documented corrections applied."""
    schema = copy.deepcopy(published_schema(method, path, status))
    fix = CORRECTIONS.get((method.upper(), path))
    if fix is not None:
        fix(schema)
    return schema


def schema_errors(method: str, path: str, body: Any, status: str = "200") -> list[str]:
    """Every violation of the (corrected) response schema by ``body``, as readable lines."""
    validator = jsonschema.Draft7Validator(response_schema(method, path, status))
    return [
        f"{'/'.join(str(p) for p in err.absolute_path)}: {err.message}"
        for err in validator.iter_errors(body)
    ]
