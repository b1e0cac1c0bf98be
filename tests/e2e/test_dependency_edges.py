"""Both ends of the runtime dependency ranges in pyproject.toml, and the release they exclude.

The default venv holds the newest release each range allows (pip picks it), so the whole
suite covers the upper edge. Here a venv with the lowest allowed release of each runtime
dependency runs the refcount probe and a short soak of the demo app, and a venv with
PySide6 6.12.0, the release the pin keeps out (issue 14), must fail the same probe: the
regression test can fail, and does on the binding that crashed streams.

The venvs live in ``.venv-edges/`` (reused while their pins are unchanged); building them
takes PyPI, as ``scripts/dev`` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.unit.test_qt_refcounts import probe_failures, run_probe

REPO = Path(__file__).resolve().parents[2]
EDGES_DIR = REPO / ".venv-edges"

#: The lowest release each runtime range admits (checked against pyproject.toml below).
LOWEST = {
    "pyside6-essentials": "6.8.0",
    "qasync": "0.27.0",
    "aiohttp": "3.11.0",
    "keyring": "25.0.0",
}
#: The release that drained None's refcount until CPython aborted.
DEFECTIVE = {"pyside6-essentials": "6.12.0", "qasync": "0.28.0"}


def runtime_requirements() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    return {requirement.name.lower(): requirement for requirement in requirements}


def edge_python(name: str, pins: dict[str, str]) -> str:
    """A venv with exactly ``pins`` installed (reused while the pins are the same)."""
    venv = EDGES_DIR / name
    python = venv / "bin" / "python"
    stamp = venv / "pins.txt"
    wanted = "\n".join(f"{package}=={pin}" for package, pin in sorted(pins.items()))
    if not (python.exists() and stamp.exists() and stamp.read_text() == wanted):
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                *wanted.split("\n"),
            ],
            check=True,
            timeout=600,
        )
        stamp.write_text(wanted)
    return str(python)


def test_lowest_pins_are_the_lower_bounds_of_pyproject() -> None:
    requirements = runtime_requirements()
    assert set(requirements) == set(LOWEST)
    for package, pin in LOWEST.items():
        specifier = requirements[package].specifier
        assert Version(pin) in specifier, f"{package} {pin} not in {specifier}"
        lower = [spec for spec in specifier if spec.operator == ">="]
        assert len(lower) == 1 and Version(lower[0].version) == Version(pin)


def test_the_pin_excludes_the_defective_binding_and_the_venv_has_the_upper_edge() -> None:
    specifier = runtime_requirements()["pyside6-essentials"].specifier
    assert Version(DEFECTIVE["pyside6-essentials"]) not in specifier
    assert Version("6.11.0") not in specifier
    installed = Version(version("pyside6-essentials"))
    assert installed in specifier
    assert installed >= Version("6.10.3")  # the newest release the range allows today


@pytest.mark.timeout(900)  # building the venv from PyPI on a bare machine
def test_lowest_edge_passes_the_probe_and_a_short_demo_soak(
    tmp_path: Path, scratch_data_dir: Path
) -> None:
    python = edge_python("lowest", LOWEST)
    report = run_probe(python)
    assert report["pyside6"] == LOWEST["pyside6-essentials"]
    assert probe_failures(report) == []

    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "COMPANION_DATA_DIR": str(scratch_data_dir),
        "PYTHONPATH": str(REPO),
    }
    soak = subprocess.run(
        [
            python,
            str(REPO / "tests" / "soak" / "soak_app.py"),
            "--max-seconds",
            "25",
            "--warmup-seconds",
            "5",
            "--traffic-rate",
            "40",
            "--report",
            str(tmp_path / "r.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert soak.returncode == 0, soak.stderr[-3000:]
    result = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert result.get("driver_error") is None
    checks = result["checks"]
    assert checks["redemptions_made"] > 200
    assert (checks["missing"], checks["unknown"], checks["log_errors"]) == ([], [], [])
    assert result["tally"]["predictions_resolved"] >= 1


@pytest.mark.timeout(900)
@pytest.mark.parametrize("pins", [DEFECTIVE], ids=["pyside6-6.12.0"])
def test_the_probe_fails_on_the_defective_binding(pins: dict[str, str]) -> None:
    report = run_probe(edge_python("defective", pins))
    assert report["pyside6"] == "6.12.0"
    failures = probe_failures(report)
    assert report["stopped_early"] or report["returncode"] != 0
    assert any("None lost" in failure for failure in failures), failures
