"""docs/conformance.md's table and `DEFECTS` agree, and every cited source line is real."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import re
from pathlib import Path

import pytest

from tests.conformance.defects import DEFECTS, Defect

HERE = Path(__file__).resolve().parent
DOC = HERE.parents[1] / "docs" / "conformance.md"


def _site_file(defect: Defect) -> Path:
    spec = importlib.util.find_spec(defect.peer)
    if spec is None or not spec.submodule_search_locations:
        pytest.fail(f"{defect.peer} is not installed: run scripts/dev conformance")
    return Path(next(iter(spec.submodule_search_locations))).parent / defect.source


def _doc_rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- defects -->", 2)[1]
    rows = [line for line in table.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: d.test)
def test_the_cited_line_says_what_the_entry_quotes(defect: Defect) -> None:
    lines = _site_file(defect).read_text(encoding="utf-8").splitlines()
    installed = importlib.metadata.version(defect.peer)
    if installed == defect.version:
        assert lines[defect.line - 1].strip() == defect.quote
    else:
        # Another release: the line may have moved, the defect must still be there (or the
        # entry leaves the table and its test is turned into a passing call).
        assert any(line.strip() == defect.quote for line in lines), (defect, installed)


def test_every_defect_test_is_listed_and_every_entry_has_its_test() -> None:
    written = set()
    for module in ("test_twitchapi.py", "test_twitchio.py"):
        tree = ast.parse((HERE / module).read_text(encoding="utf-8"))
        written |= {
            node.name
            for node in tree.body
            if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef)
            and node.name.startswith("test_defect_")
        }
    assert written == {d.test for d in DEFECTS}


def test_the_doc_table_is_the_registry() -> None:
    rows = _doc_rows()
    assert len(rows) == len(DEFECTS)
    for row, defect in zip(rows, DEFECTS, strict=True):
        peer, call, _defect, evidence, test = row
        assert peer == f"{defect.peer} {defect.version}"
        assert call == f"`{defect.call}`"
        assert evidence.startswith(f"`{defect.source}:{defect.line}`")
        assert defect.quote in evidence
        assert re.fullmatch(rf"`{defect.test}`", test)
