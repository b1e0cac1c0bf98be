"""The Qt binding's per-import source check, kept out of the line cache (issue 18, item 1).

Real imports of real files through the real PySide6 import hook (``builtins.__import__``,
which the binding replaced); the binding's own verdicts are compared, not re-implemented.
"""

from __future__ import annotations

import linecache
import sys
from typing import TYPE_CHECKING, Any

import pytest
from PySide6 import QtCore  # noqa: F401  (installs the binding's import hook)

from companion.qtimports import FEATURE_MODULE, scan_without_line_cache

if TYPE_CHECKING:
    from pathlib import Path

QT_USER = "from PySide6.QtCore import QObject\n\nVALUE = QObject\n"
PLAIN = "import json\n\nVALUE = json.dumps([1])\n"


@pytest.fixture
def feature(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The binding's feature module, its check restored after the test, ``tmp_path``
    importable, and the test's modules forgotten afterwards."""
    module = sys.modules[FEATURE_MODULE]
    # The binding's own check for every test, even where an earlier test in this process
    # (an in-process start of the app) installed the file-reading one; put back after.
    check = module._mod_uses_pyside
    monkeypatch.setattr(module, "_mod_uses_pyside", getattr(check, "__wrapped__", check))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield module
    for name in [name for name in sys.modules if name.startswith("scan_probe_")]:
        del sys.modules[name]
        module.pyside_feature_dict.pop(name, None)


def _import_through_the_hook(tmp_path: Path, name: str, source: str) -> str:
    """Write and import module ``name`` as an ``import`` statement does; its file path."""
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    __import__(name)  # builtins.__import__: the binding's hook, as every import statement
    return str(path)


def test_the_binding_alone_keeps_every_imported_source_in_the_line_cache(
    feature: Any, tmp_path: Path
) -> None:
    """Why the module exists: measured on the pinned PySide6 (6.10). If this fails, the
    binding stopped doing it and :mod:`companion.qtimports` can go."""
    qt_path = _import_through_the_hook(tmp_path, "scan_probe_qt_before", QT_USER)
    plain_path = _import_through_the_hook(tmp_path, "scan_probe_plain_before", PLAIN)
    assert feature.pyside_feature_dict["scan_probe_qt_before"] == 0
    assert feature.pyside_feature_dict["scan_probe_plain_before"] == -1
    assert linecache.cache[qt_path][2] == QT_USER.splitlines(keepends=True)
    assert plain_path in linecache.cache
    linecache.clearcache()


def test_the_file_reading_check_gives_the_same_verdicts_and_keeps_nothing(
    feature: Any, tmp_path: Path
) -> None:
    linecache.clearcache()
    assert scan_without_line_cache() is True
    assert scan_without_line_cache() is True  # a second call changes nothing
    check = feature._mod_uses_pyside
    assert check.__wrapped__.__module__ == feature.__name__

    qt_path = _import_through_the_hook(tmp_path, "scan_probe_qt_after", QT_USER)
    plain_path = _import_through_the_hook(tmp_path, "scan_probe_plain_after", PLAIN)

    # The binding's own verdicts: 0 "uses PySide, no feature", -1 "ignore this module".
    assert feature.pyside_feature_dict["scan_probe_qt_after"] == 0
    assert feature.pyside_feature_dict["scan_probe_plain_after"] == -1
    assert qt_path not in linecache.cache
    assert plain_path not in linecache.cache
    # Not a plain source file (a built-in, an extension): the binding's own way decides.
    assert check(sys) is False
    assert check(sys.modules["_json"]) is False
    assert feature._mod_uses_pyside is check


def test_a_source_gone_since_its_import_is_left_to_the_binding(
    feature: Any, tmp_path: Path
) -> None:
    scan_without_line_cache()
    _import_through_the_hook(tmp_path, "scan_probe_gone", QT_USER)
    module = sys.modules["scan_probe_gone"]
    (tmp_path / "scan_probe_gone.py").unlink()
    linecache.clearcache()
    # inspect finds no source either: the binding says "no PySide" (never an exception).
    assert feature._mod_uses_pyside(module) is False
