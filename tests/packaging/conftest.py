"""Shared by the packaging tests: ``packaging/build.py`` loaded as a module.

``packaging/`` is not a Python package (the name would shadow PyPA's ``packaging``,
which pytest itself imports), so the builder is loaded from its file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "packaging" / "build.py"


def load_builder() -> ModuleType:
    """Import ``packaging/build.py`` under a name that cannot clash with anything."""
    name = "companion_packaging_build"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def builder() -> ModuleType:
    """The packaging builder module."""
    return load_builder()
