"""CSV export: no cell a spreadsheet would run as a formula (issue 20, item 16)."""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

import pytest

from companion.core.ledger import CSV_COLUMNS, Ledger
from companion.core.ledger_rows import neutralize_cell
from tests.helpers.core_fakes import redemption

if TYPE_CHECKING:
    from pathlib import Path

HOSTILE = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    ' =HYPERLINK("x")',
    "\n=1",
    "  \n\t+cmd",
    "\r\n@x",
    "\u3000=1",  # an ideographic space before the formula
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_starts_are_neutralised_even_after_leading_whitespace(text: str) -> None:
    assert neutralize_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "hello", "a=b", "1-2", " plain", "'quoted", "\n"])
def test_harmless_cells_are_left_alone(text: str) -> None:
    assert neutralize_cell(text) == text


def test_export_neutralises_login_and_padded_free_text(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    try:
        ledger.record_redemptions(
            [
                # A login comes from Twitch; a hostile or broken server can put anything there.
                redemption(1, user_login="=cmd|' /C calc'!A0", user_name="Eve"),
                redemption(2, user_login="bob", user_name=" =1+1", user_input="\n@SUM(A1)"),
                redemption(3, user_login="carol", user_name="Carol", user_input="  -2"),
            ]
        )
        target = tmp_path / "export.csv"
        assert ledger.export_csv(target) == 3
    finally:
        ledger.close()
    with target.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [row["user_login"] for row in rows] == ["'=cmd|' /C calc'!A0", "bob", "carol"]
    assert [row["user_name"] for row in rows] == ["Eve", "' =1+1", "Carol"]
    assert [row["user_input"] for row in rows] == ["", "'\n@SUM(A1)", "'  -2"]
    # No cell of the file starts (after whitespace) with a formula character unquoted.
    for row in rows:
        for value in row.values():
            assert not value.lstrip().startswith(("=", "+", "@")), value
