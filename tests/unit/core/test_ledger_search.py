"""The viewer search at scale (issue 18, item 5): the viewers table, its trigram index, the
migration of version-1 files, the bulk write, and results identical to a LIKE scan."""

from __future__ import annotations

import logging
import random
import sqlite3
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from companion.core import ledger_schema, ledger_search
from companion.core.ledger import HistoryQuery, Ledger
from companion.core.ledger_rows import viewer_key
from companion.core.ledger_schema import (
    MIGRATIONS,
    SCHEMA_VERSION,
    ViewerIndex,
    sync_viewer_search,
    to_db_time,
)
from tests.helpers.core_fakes import BASE_TIME, redemption

if TYPE_CHECKING:
    from pathlib import Path

    from companion.core.records import RedemptionRecord

NOW = BASE_TIME + timedelta(days=1)
DASHA = "\u0434\u0430\u0448\u0430"  # Cyrillic, case-folded

# Logins and names with case, accents, other scripts, LIKE's own % and _, quotes, spaces.
NAMES = (
    ("ana_plays", "AnaPlays"),
    ("zoe", "Zoë"),
    ("zoe2", "ZOË"),
    ("strasse", "Straße"),
    ("ssrider", "SSRider"),
    ("percent", "100%Fan"),
    ("under_score", "Under_Score"),
    ("quote", 'Say "Hi"'),
    ("spaced", "Two Words"),
    ("haishin", "配信者"),
    ("dasha", "Даша"),
    ("idris", "İdris"),
    ("emoji", "Blob😀Fish"),
    ("plain", "plain"),
)


def _record(n: int, rng: random.Random, viewers: int = 40) -> RedemptionRecord:
    login, name = rng.choice(NAMES)
    suffix = str(rng.randint(0, viewers))
    return redemption(
        n,
        reward_id=rng.choice(("hyd", "song", "dance")),
        seconds=rng.randint(0, 10**6),
        user_login=login + suffix,
        user_name=name + suffix,
        status=rng.choice(("UNFULFILLED", "FULFILLED", "CANCELED")),
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def reference(path: Path, needle: str, reward_id: str | None = None) -> list[str]:
    """Ids a LIKE scan of every row finds, newest first (the search's meaning)."""
    conn = sqlite3.connect(path)
    try:
        sql = "SELECT redemption_id FROM redemptions WHERE viewer_key LIKE ? ESCAPE '\\'"
        params: list[object] = [f"%{_escape_like(needle.casefold())}%"]
        if reward_id is not None:
            sql += " AND reward_id = ?"
            params.append(reward_id)
        rows = conn.execute(
            sql + " ORDER BY redeemed_at DESC, redemption_id DESC", params
        ).fetchall()
    finally:
        conn.close()
    return [str(row[0]) for row in rows]


def found(ledger: Ledger, needle: str, reward_id: str | None = None) -> tuple[list[str], int]:
    page = ledger.query(HistoryQuery(viewer=needle, reward_id=reward_id), limit=100_000)
    return [row.record.redemption_id for row in page.rows], page.total


def viewers_in_step(path: Path) -> None:
    """The viewers table counts exactly the rows, and its FTS index matches it.

    New viewers reach the index at a sync (every writable open, every bulk write; see
    ledger_schema): it runs first, then FTS5 checks the index against every viewer, so a
    delete or rename the triggers missed fails the check.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        sync_viewer_search(conn)
        conn.execute("COMMIT")
        have = sorted(conn.execute("SELECT user_id, viewer_key, redemptions FROM viewers"))
        want = sorted(
            conn.execute(
                "SELECT user_id, viewer_key, count(*) FROM redemptions GROUP BY user_id, viewer_key"
            )
        )
        assert have == want
        # FTS5's own check that the index holds exactly the content table's rows.
        conn.execute("INSERT INTO viewers_fts (viewers_fts) VALUES ('integrity-check')")
    finally:
        conn.close()


NEEDLES = (
    "ana",
    "ANA",
    "zoë",
    "ZOË",
    "zoe",
    "ß",
    "ss",
    "STRASSE",
    "100%",
    "%",
    "_",
    "r_s",
    "er_",
    '"hi"',
    "o w",
    "配信",
    "配",
    "даш",
    "İd",
    "😀f",
    "\x1f",
    "a",
    "1",
    "12",
    "nobody here",
)


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Ledger, Path]:
    rng = random.Random(5)
    path = tmp_path / "ledger.sqlite3"
    ledger = Ledger(path, wall_clock=lambda: NOW)
    ledger.record_redemptions([_record(n, rng) for n in range(2000)])
    ledger.close()
    # Reopened, the viewers so far are in the trigram index; the next rows bring new
    # viewers (suffixes past 40) that a search finds past the index's mark.
    ledger = Ledger(path, wall_clock=lambda: NOW)
    ledger.record_redemptions([_record(n, rng, viewers=60) for n in range(2000, 3000)])
    conn = sqlite3.connect(path)
    try:
        indexed, after = conn.execute(
            "SELECT (SELECT count(*) FROM viewers WHERE id <= m.id),"
            " (SELECT count(*) FROM viewers WHERE id > m.id) FROM viewers_indexed AS m"
        ).fetchone()
    finally:
        conn.close()
    assert indexed > 400 and after > 100
    return ledger, path


@pytest.mark.parametrize("read", ["narrow", "broad"])
def test_search_is_identical_to_a_like_scan(
    filled: tuple[Ledger, Path], read: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, path = filled
    if read == "broad":
        # Choose the ordered scan whenever more than no row matches.
        monkeypatch.setattr(ledger_search, "_NARROW_ALWAYS", 0)
        monkeypatch.setattr(ledger_search, "_LOOKUP_COST", 10**9)
    try:
        assert ledger.viewer_index is ViewerIndex.FTS
        rng = random.Random(7)
        keys = [viewer_key(login, name) for login, name in NAMES]
        needles = [*NEEDLES]
        for _ in range(30):
            key = rng.choice(keys)
            start = rng.randrange(len(key))
            piece = key[start : start + rng.randint(1, 6)]
            needles.append(piece.upper() if rng.random() < 0.3 else piece)
        matched = 0
        for needle in needles:
            want = reference(path, needle)
            assert found(ledger, needle) == (want, len(want)), needle
            assert found(ledger, needle, "song") == (
                reference(path, needle, "song"),
                len(reference(path, needle, "song")),
            ), needle
            matched += bool(want)
        assert matched >= len(needles) // 2  # most needles do find rows
        # A page in the middle, both orders, and the export agree with the scan too.
        want = reference(path, "a")
        page = ledger.query(HistoryQuery(viewer="a"), limit=50, offset=100)
        assert [r.record.redemption_id for r in page.rows] == want[100:150]
        assert page.total == len(want)
        page = ledger.query(HistoryQuery(viewer="A"), limit=50, newest_first=False)
        assert [r.record.redemption_id for r in page.rows] == want[::-1][:50]
        assert ledger.export_csv(path.parent / "a.csv", HistoryQuery(viewer="a")) == len(want)
    finally:
        ledger.close()


def test_a_viewer_search_reads_through_the_trigram_index(filled: tuple[Ledger, Path]) -> None:
    ledger, _ = filled
    try:
        plan = ledger.explain(HistoryQuery(viewer="strasse"), limit=5000)
        assert any("viewers_fts VIRTUAL TABLE" in line for line in plan), plan
        assert any("USING INDEX redemptions_by_user" in line for line in plan), plan
        assert not any(line.startswith("SCAN redemptions") for line in plan), plan
        # One or two characters: the distinct viewers are scanned, never every redemption.
        plan = ledger.explain(HistoryQuery(viewer="ß"), limit=5000)
        assert "SCAN viewers" in plan and not any("SCAN redemptions" in x for x in plan), plan
    finally:
        ledger.close()


def test_triggers_keep_the_viewers_and_their_index_in_step(filled: tuple[Ledger, Path]) -> None:
    ledger, path = filled
    ledger.close()
    viewers_in_step(path)
    conn = sqlite3.connect(path)
    try:
        # A rename (as a raw update: the app never rewrites a viewer_key, a later one may).
        conn.execute(
            "UPDATE redemptions SET user_login = 'renamed', viewer_key = ?"
            " WHERE redemption_id IN ('r00001', 'r00002')",
            (viewer_key("renamed", "Renamed"),),
        )
        conn.execute("DELETE FROM redemptions WHERE viewer_key LIKE 'dasha1%'")
        conn.commit()
    finally:
        conn.close()
    viewers_in_step(path)
    again = Ledger(path, wall_clock=lambda: NOW)
    try:
        assert found(again, "renamed") == (reference(path, "renamed"), 2)
        assert found(again, "dasha1") == ([], 0)
        assert found(again, DASHA + "1") == ([], 0)
        assert found(again, DASHA + "2")[1] == len(reference(path, DASHA + "2")) > 0
        again.record_redemptions([redemption(9001, user_login="newcomer", user_name="NewComer")])
        assert found(again, "ewcom") == (["r09001"], 1)
    finally:
        again.close()
    viewers_in_step(path)


def _version_1_file(path: Path, records: list[RedemptionRecord]) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO redemptions (redemption_id, broadcaster_id, reward_id, reward_title,"
            " reward_cost, user_id, user_login, user_name, viewer_key, redeemed_at, status,"
            " first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.redemption_id,
                    r.broadcaster_id,
                    r.reward_id,
                    r.reward_title,
                    r.reward_cost,
                    r.user_id,
                    r.user_login,
                    r.user_name,
                    viewer_key(r.user_login, r.user_name),
                    to_db_time(r.redeemed_at),
                    r.status,
                    to_db_time(NOW),
                )
                for r in records
            ],
        )
        conn.execute("PRAGMA user_version = 1")
        conn.execute("COMMIT")
    finally:
        conn.close()


def test_a_version_1_file_is_migrated_and_indexed(tmp_path: Path) -> None:
    rng = random.Random(11)
    path = tmp_path / "old.sqlite3"
    _version_1_file(path, [_record(n, rng) for n in range(2000)])
    before = {needle: reference(path, needle) for needle in NEEDLES}
    # Read-only (as a newer app's file is opened) it is left alone and scanned.
    reader = Ledger(path, read_only=True)
    try:
        assert reader.schema_version == 1 and reader.viewer_index is ViewerIndex.NONE
        assert found(reader, "zoë") == (before["zoë"], len(before["zoë"]))
    finally:
        reader.close()
    ledger = Ledger(path)
    try:
        assert ledger.schema_version == SCHEMA_VERSION == 2
        assert ledger.viewer_index is ViewerIndex.FTS
        for needle, want in before.items():
            assert found(ledger, needle) == (want, len(want)), needle
        assert any("viewers_fts" in x for x in ledger.explain(HistoryQuery(viewer="zoë")))
    finally:
        ledger.close()
    viewers_in_step(path)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM viewers_fts").fetchone()[0] == len(
            {(r[0], r[1]) for r in conn.execute("SELECT user_id, viewer_key FROM redemptions")}
        )
    finally:
        conn.close()


def test_without_trigrams_the_viewers_are_scanned_and_indexed_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "ledger.sqlite3"
    monkeypatch.setattr(ledger_schema, "trigram_available", lambda _conn: False)
    rng = random.Random(3)
    with caplog.at_level(logging.WARNING, logger="companion.core.ledger_schema"):
        ledger = Ledger(path)
    assert "has no FTS5 trigram tokenizer" in caplog.text
    try:
        assert ledger.viewer_index is ViewerIndex.SCAN
        ledger.record_redemptions([_record(n, rng) for n in range(500)])
        for needle in ("zoë", "100%", "_", "nobody"):
            want = reference(path, needle)
            assert found(ledger, needle) == (want, len(want))
        assert not any("viewers_fts" in x for x in ledger.explain(HistoryQuery(viewer="zoë")))
    finally:
        ledger.close()
    monkeypatch.undo()
    again = Ledger(path)
    try:
        assert again.viewer_index is ViewerIndex.FTS
        want = reference(path, "zoë")
        assert found(again, "zoë") == (want, len(want)) and want
    finally:
        again.close()
    viewers_in_step(path)


def _all_rows(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute("SELECT * FROM redemptions ORDER BY redemption_id"))
    finally:
        conn.close()


def test_the_bulk_write_stores_what_the_row_by_row_write_stores(tmp_path: Path) -> None:
    rng = random.Random(9)
    first = [_record(n, rng) for n in range(400)]
    # Known ids again: some moved on by Twitch, one repeated within the batch, one bad row.
    second = [
        *(r.with_status("FULFILLED") for r in first[:50]),
        *(_record(n, rng) for n in range(400, 600)),
        redemption(600, status="CANCELED"),
        redemption(600, status="UNFULFILLED"),
        redemption(601, user_login="bad\ud800"),
        # New in this batch, then moved on by its second record.
        redemption(602, status="UNFULFILLED"),
        redemption(602, status="CANCELED"),
    ]
    one = Ledger(tmp_path / "one.sqlite3", wall_clock=lambda: NOW)
    bulk = Ledger(tmp_path / "bulk.sqlite3", wall_clock=lambda: NOW)
    try:
        assert one.write_redemptions(first).new == bulk.write_redemptions_bulk(first).new == 400
        a, b = one.write_redemptions(second), bulk.write_redemptions_bulk(second)
        assert a == b
        assert b.new == 202 and b.rejected[0][0] == "r00601"
        moved = bulk.get("r00602")
        assert moved is not None and moved.record.status == "CANCELED"
        assert moved.status_changed_at == NOW
    finally:
        one.close()
        bulk.close()
    assert _all_rows(tmp_path / "one.sqlite3") == _all_rows(tmp_path / "bulk.sqlite3")
    # The bulk write brought the trigram index up to date itself (no open since).
    conn = sqlite3.connect(tmp_path / "bulk.sqlite3")
    try:
        mark, last = conn.execute(
            "SELECT (SELECT id FROM viewers_indexed), (SELECT max(id) FROM viewers)"
        ).fetchone()
        assert mark == last > 0
        conn.execute("INSERT INTO viewers_fts (viewers_fts) VALUES ('integrity-check')")
    finally:
        conn.close()
    viewers_in_step(tmp_path / "bulk.sqlite3")
    assert bulk.path.exists() and len(_all_rows(bulk.path)) == 602
