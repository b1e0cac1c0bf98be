"""The import layers of HOUSE_STYLE.md, enforced by reading every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "companion"

# (folder under companion/, forbidden import prefixes, why)
RULES = [
    ("twitch", ("PySide6", "qasync"), "the client has no Qt"),
    ("sim", ("PySide6", "qasync"), "the simulator has no Qt"),
    ("core", ("PySide6", "qasync"), "app logic has no Qt"),
    ("sim", ("companion.twitch",), "the simulator is an independent reading of Twitch's docs"),
    ("ui", ("aiohttp",), "views never call the network"),
    (
        "twitch",
        ("companion.ui", "companion.services", "companion.sim", "companion.app"),
        "twitch/ is a leaf",
    ),
    ("core", ("companion.ui", "companion.services", "companion.app"), "core/ sits below services"),
    ("services", ("companion.ui", "companion.app"), "imports point ui -> services"),
    ("overlay", ("PySide6", "qasync"), "the overlay server has no Qt"),
    (
        "overlay",
        (
            "companion.twitch",
            "companion.ui",
            "companion.services",
            "companion.sim",
            "companion.app",
        ),
        "overlay/ takes its state from the app through the hub, never from Twitch",
    ),
]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def violations(root: Path, folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        for name in imported_modules(path):
            if any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden):
                found.append(f"{path.relative_to(root)} imports {name}")
    return found


@pytest.mark.parametrize(("folder", "forbidden", "why"), RULES)
def test_layer_rule(folder: str, forbidden: tuple[str, ...], why: str) -> None:
    assert (PACKAGE / folder).is_dir()
    assert violations(PACKAGE, folder, forbidden) == [], why


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    # The rule must be able to fail: a module that imports Qt is reported.
    (tmp_path / "core").mkdir()
    bad = tmp_path / "core" / "bad.py"
    bad.write_text("from PySide6.QtCore import QObject\nimport aiohttp.web\n", encoding="utf-8")
    assert imported_modules(bad) == {"PySide6.QtCore", "aiohttp.web"}
    assert violations(tmp_path, "core", ("PySide6",)) == ["core/bad.py imports PySide6.QtCore"]
