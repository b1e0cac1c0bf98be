"""A ledger written by a newer version (issue 20, item 3): never changed, readable read-only."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest

from companion.core.ledger import Ledger
from companion.core.ledger_schema import LedgerSchemaError
from tests.helpers.core_fakes import redemption

if TYPE_CHECKING:
    from pathlib import Path


def make_newer(path: Path, *, wal: bool) -> None:
    ledger = Ledger(path)
    ledger.record_redemptions([redemption(1), redemption(2)])
    ledger.close()
    with sqlite3.connect(path) as conn:
        if not wal:
            conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("ALTER TABLE redemptions ADD COLUMN sentiment TEXT")
        conn.execute("PRAGMA user_version = 7")


@pytest.mark.parametrize("wal", [True, False], ids=["wal", "rollback-journal"])
def test_opening_for_writing_refuses_and_changes_nothing(tmp_path: Path, wal: bool) -> None:
    path = tmp_path / "ledger.sqlite3"
    make_newer(path, wal=wal)
    before = path.read_bytes()
    with pytest.raises(LedgerSchemaError, match="schema version 7; this app knows up to 2"):
        Ledger(path)
    # Not even the journal mode (a header byte) was switched before the refusal.
    assert path.read_bytes() == before


def test_read_only_reads_and_refuses_every_write(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    make_newer(path, wal=False)
    before = path.read_bytes()
    ledger = Ledger(path, read_only=True)
    try:
        assert ledger.read_only and ledger.schema_version == 7
        page = ledger.query()
        assert page.total == 2
        assert sorted(row.record.redemption_id for row in page.rows) == ["r00001", "r00002"]
        assert ledger.export_csv(tmp_path / "out.csv") == 2
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            ledger.record_redemptions([redemption(3)])
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            ledger.record_note(["r00001"], "note")
    finally:
        ledger.close()
    assert path.read_bytes() == before


def test_read_only_needs_the_columns_this_version_reads(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE redemptions (redemption_id TEXT PRIMARY KEY)")
        conn.execute("PRAGMA user_version = 7")
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        Ledger(path, read_only=True)


def test_read_only_never_creates_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(sqlite3.OperationalError):
        Ledger(folder / "missing.sqlite3", read_only=True)
    assert list(folder.iterdir()) == []
