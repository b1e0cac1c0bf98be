"""Shared by the packaging tests: ``packaging/build.py`` and ``icons.py`` as modules.

``packaging/`` is not a Python package (the name would shadow PyPA's ``packaging``,
which pytest itself imports), so its scripts are loaded from their files.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

PACKAGING = Path(__file__).resolve().parents[2] / "packaging"


def load_script(stem: str) -> ModuleType:
    """Import ``packaging/<stem>.py`` under a name that cannot clash with anything."""
    name = f"companion_packaging_{stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PACKAGING / f"{stem}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def builder() -> ModuleType:
    """``packaging/build.py``."""
    return load_script("build")


@pytest.fixture(scope="session")
def icons() -> ModuleType:
    """``packaging/icons.py``."""
    return load_script("icons")


@pytest.fixture(scope="session")
def measure() -> ModuleType:
    """``packaging/measure_start.py``."""
    return load_script("measure_start")
