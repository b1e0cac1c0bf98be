"""Ledger: WAL + versioned schema, exactly-once inserts, actions, history queries, CSV, kill -9."""

from __future__ import annotations

import asyncio
import csv
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from companion.core.ledger import CSV_COLUMNS, HistoryQuery, Ledger
from companion.core.ledger_schema import SCHEMA_VERSION, LedgerSchemaError
from companion.core.queue import RedemptionQueue
from companion.core.records import ActionKind, ActionRecord, ActionState, BatchOutcome
from tests.helpers.core_fakes import BASE_TIME, RecordingSender, redemption
from tests.helpers.fake_clock import FakeScheduler

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(__file__).resolve().parents[3]
CHILD = Path(__file__).with_name("ledger_kill_child.py")
SEEN_AT = datetime(2026, 11, 27, 21, 0, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger(tmp_path / "ledger.sqlite3", wall_clock=lambda: SEEN_AT)
    yield opened
    opened.close()


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


# ---------------------------------------------------------------------- schema


def test_wal_mode_schema_version_and_no_secret_columns(ledger: Ledger) -> None:
    conn = raw(ledger.path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        # viewers_fts and its shadow tables: the viewer search's trigram index (issue 18).
        assert sorted(tables) == [
            "action_items",
            "actions",
            "redemptions",
            "sqlite_sequence",
            "viewers",
            "viewers_fts",
            "viewers_fts_config",
            "viewers_fts_data",
            "viewers_fts_docsize",
            "viewers_fts_idx",
            "viewers_indexed",
        ]
        columns = {
            column[1] for table in tables for column in conn.execute(f"PRAGMA table_info({table})")
        }
    finally:
        conn.close()
    assert not any("token" in c or "secret" in c or "password" in c for c in columns)
    assert ledger._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_reopen_keeps_rows_and_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    first = Ledger(path)
    first.record_redemptions([redemption(1)])
    first.close()
    first.close()  # idempotent
    again = Ledger(path)
    assert again.query().total == 1
    again.close()
    conn = raw(path)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerSchemaError, match="version 99"):
        Ledger(path)


# ---------------------------------------------------------------------- writes


def test_duplicate_inserts_are_stored_once(ledger: Ledger) -> None:
    records = [redemption(n) for n in range(10)]
    assert ledger.record_redemptions(records + records[:3]) == 10
    assert ledger.record_redemptions(records) == 0
    assert ledger.query(limit=50).total == 10
    conn = raw(ledger.path)
    try:
        assert conn.execute("SELECT count(*) FROM redemptions").fetchone()[0] == 10
    finally:
        conn.close()


async def test_concurrent_async_duplicate_inserts_are_stored_once(tmp_path: Path) -> None:
    threads: list[str] = []

    def clock() -> datetime:
        threads.append(threading.current_thread().name)
        return SEEN_AT

    ledger = await Ledger.aopen(tmp_path / "ledger.sqlite3", wall_clock=clock)
    records = [redemption(n) for n in range(100)]
    results = await asyncio.gather(*(ledger.arecord_redemptions(records) for _ in range(8)))
    assert sorted(results) == [0] * 7 + [100]
    page = await ledger.aquery(limit=1)
    assert page.total == 100
    # The work ran on the ledger's own worker, never on the event loop's thread.
    assert threads and all(name.startswith("ledger") for name in threads)
    await ledger.aclose()
    await ledger.aclose()


def test_status_moves_once_out_of_unfulfilled(ledger: Ledger) -> None:
    ledger.record_redemptions([redemption(1), redemption(2), redemption(3)])
    at = SEEN_AT + timedelta(minutes=1)
    assert ledger.record_status([("r00001", "fulfilled"), ("r00009", "CANCELED")], at=at) == 1
    assert ledger.record_status([("r00001", "CANCELED")], at=at) == 0
    # A re-read that reports the final status moves a row too, once.
    assert ledger.record_redemptions([redemption(2, status="CANCELED")]) == 0
    rows = {row.record.redemption_id: row for row in ledger.query().rows}
    assert rows["r00001"].record.status == "FULFILLED"
    assert rows["r00001"].status_changed_at == at
    assert rows["r00002"].record.status == "CANCELED"
    assert rows["r00003"].record.status == "UNFULFILLED"
    assert rows["r00003"].status_changed_at is None
    assert rows["r00003"].first_seen_at == SEEN_AT


def test_action_snapshots_and_their_results(ledger: Ledger) -> None:
    ledger.record_redemptions([redemption(n) for n in range(4)])
    created = SEEN_AT
    pending = ActionRecord(
        action_id="act-1",
        kind=ActionKind.FULFILL,
        redemption_ids=("r00000", "r00001", "r00002", "r00003"),
        reward_ids=("reward-a",),
        created_at=created,
    )
    ledger.record_action(pending)
    stored = ledger.action("act-1")
    assert stored is not None
    assert stored.state is ActionState.PENDING
    assert stored.redemption_ids == pending.redemption_ids
    final = ActionRecord(
        action_id="act-1",
        kind=ActionKind.FULFILL,
        redemption_ids=("r00000", "r00001", "r00002", "r00003"),
        reward_ids=("reward-a",),
        created_at=created,
        state=ActionState.PARTIAL,
        sent_at=created + timedelta(seconds=5),
        finished_at=created + timedelta(seconds=6),
        done=("r00000", "r00001"),
        already_handled=("r00002",),
        failed=(("r00003", "HTTPException: 503"),),
        calls=1,
    )
    ledger.record_action(final)
    assert ledger.action("act-1") == final
    rows = {row.record.redemption_id: row for row in ledger.query().rows}
    assert [rows[f"r0000{n}"].record.status for n in range(4)] == [
        "FULFILLED",
        "FULFILLED",
        "UNFULFILLED",
        "UNFULFILLED",
    ]
    assert rows["r00000"].handled_by == "act-1"
    assert rows["r00000"].status_changed_at == created + timedelta(seconds=6)
    assert rows["r00002"].note == "handled elsewhere"
    assert rows["r00003"].note is None
    assert ledger.action("nope") is None


def test_undone_action_is_kept_with_its_ids(ledger: Ledger) -> None:
    ledger.record_redemptions([redemption(1)])
    undone = ActionRecord(
        action_id="act-u",
        kind=ActionKind.REFUND,
        redemption_ids=("r00001",),
        reward_ids=("reward-a",),
        created_at=SEEN_AT,
        state=ActionState.UNDONE,
        finished_at=SEEN_AT + timedelta(seconds=2),
    )
    ledger.record_action(undone)
    assert ledger.action("act-u") == undone
    conn = raw(ledger.path)
    try:
        items = conn.execute("SELECT redemption_id, outcome FROM action_items").fetchall()
        action_row = conn.execute("SELECT state, result, calls FROM actions").fetchone()
    finally:
        conn.close()
    assert items == [("r00001", "UNDONE")]
    assert action_row == ("UNDONE", '{"done": 0, "already_handled": 0, "failed": 0}', 0)
    assert ledger.get("r00001") is not None
    assert ledger.query().rows[0].record.status == "UNFULFILLED"
    later = ActionRecord(
        action_id="act-v",
        kind=ActionKind.FULFILL,
        redemption_ids=("r00001",),
        reward_ids=("reward-a",),
        created_at=SEEN_AT + timedelta(minutes=1),
    )
    ledger.record_action(later)
    assert ledger.recent_actions() == [later, undone]
    assert ledger.recent_actions(limit=1, offset=1) == [undone]


async def test_queue_actions_land_in_the_ledger(ledger: Ledger) -> None:
    clock = FakeScheduler()
    sender = RecordingSender(
        responder=lambda reward, ids, status: BatchOutcome(
            done=frozenset(ids[1:]), already_handled=frozenset(ids[:1])
        )
    )
    queue = RedemptionQueue(sender, scheduler=clock, id_factory=lambda: "act-q")
    records = [redemption(n) for n in range(60)]
    queue.add_many(records)
    await ledger.arecord_redemptions(records)
    writes: list[asyncio.Task[None]] = []
    queue.subscribe_actions(
        lambda action: writes.append(asyncio.create_task(ledger.arecord_action(action)))
    )
    queue.refund_all()
    clock.advance(5.0)
    await queue.wait_idle()
    await asyncio.gather(*writes)
    stored = ledger.action("act-q")
    assert stored is not None
    assert stored.state is ActionState.DONE
    assert stored.calls == 2
    assert len(stored.done) == 58
    assert stored.already_handled == ("r00000", "r00050")
    canceled = await ledger.aquery(HistoryQuery(status="CANCELED"), limit=100)
    assert canceled.total == 58


# ---------------------------------------------------------------------- queries


def test_history_queries_filter_and_page(ledger: Ledger) -> None:
    ledger.record_redemptions(
        [
            redemption(1, user_login="alice", user_name="Alice"),
            redemption(2, user_login="bob", user_name="Bob", reward_id="reward-b"),
            redemption(3, user_login="malice_", user_name="MALICE_"),
            redemption(4, user_login="zoe", user_name="Ünïcödé"),
            *[redemption(n, user_login="crowd") for n in range(10, 40)],
        ]
    )
    by_viewer = ledger.query(HistoryQuery(viewer="ALIC"))
    assert [row.record.user_login for row in by_viewer.rows] == ["malice_", "alice"]
    assert ledger.query(HistoryQuery(viewer="ünÏ")).rows[0].record.user_login == "zoe"
    # The login/name separator keeps a match from spanning both.
    assert ledger.query(HistoryQuery(viewer="zoeü")).total == 0
    assert [
        r.record.redemption_id for r in ledger.query(HistoryQuery(reward_id="reward-b")).rows
    ] == ["r00002"]
    window = HistoryQuery(
        since=BASE_TIME + timedelta(seconds=2), until=BASE_TIME + timedelta(seconds=4)
    )
    assert [r.record.redemption_id for r in ledger.query(window, newest_first=False).rows] == [
        "r00002",
        "r00003",
    ]
    crowd = HistoryQuery(viewer="crowd")
    first = ledger.query(crowd, limit=12)
    second = ledger.query(crowd, limit=12, offset=12)
    third = ledger.query(crowd, limit=12, offset=24)
    assert (first.total, len(first.rows), len(second.rows), len(third.rows)) == (30, 12, 12, 6)
    paged = [r.record.redemption_id for page in (first, second, third) for r in page.rows]
    assert paged == [f"r{n:05d}" for n in range(39, 9, -1)]
    assert first.rows[0].record.as_tuple() == redemption(39, user_login="crowd").as_tuple()
    with pytest.raises(ValueError, match="limit"):
        ledger.query(limit=0)


# ---------------------------------------------------------------------- export


def test_export_csv_content(ledger: Ledger, tmp_path: Path) -> None:
    ledger.record_redemptions(
        [
            redemption(2, user_login="bob", user_name="Bob", user_input='he said "hi", then\nleft'),
            redemption(1, user_login="eve", user_name="Eve", user_input='=HYPERLINK("x")'),
            redemption(3, user_login="carol", user_name="Carol", reward_id="reward-b"),
        ]
    )
    ledger.record_status([("r00001", "CANCELED")], at=SEEN_AT + timedelta(seconds=30))
    target = tmp_path / "export.csv"
    assert ledger.export_csv(target, HistoryQuery(reward_id="reward-a")) == 2
    with target.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows == [
        list(CSV_COLUMNS),
        [
            "2026-11-27T20:00:01.000000+00:00",
            "r00001",
            "CANCELED",
            "reward-a",
            "Title of reward-a",
            "100",
            "9001",
            "eve",
            "Eve",
            '\'=HYPERLINK("x")',
            "2026-11-27T21:00:00.000000+00:00",
            "2026-11-27T21:00:30.000000+00:00",
            "",
            "",
        ],
        [
            "2026-11-27T20:00:02.000000+00:00",
            "r00002",
            "UNFULFILLED",
            "reward-a",
            "Title of reward-a",
            "100",
            "9002",
            "bob",
            "Bob",
            'he said "hi", then\nleft',
            "2026-11-27T21:00:00.000000+00:00",
            "",
            "",
            "",
        ],
    ]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")] == []


async def test_export_csv_async_with_no_rows(ledger: Ledger, tmp_path: Path) -> None:
    target = tmp_path / "empty.csv"
    assert await ledger.aexport_csv(target, HistoryQuery(viewer="nobody")) == 0
    # The csv module ends rows with \r\n (RFC 4180), on every platform.
    assert target.read_bytes() == (",".join(CSV_COLUMNS) + "\r\n").encode()


# ---------------------------------------------------------------------- kill -9


def run_and_kill(path: Path, batches_before_kill: int, batch_size: int, rng: random.Random) -> int:
    """Start the writer, SIGKILL it mid-stream; returns the last number it confirmed."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(CHILD), str(path), str(batch_size)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=env,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    confirmed: list[int] = []
    try:
        while len(confirmed) < batches_before_kill:
            line = proc.stdout.readline()
            if not line:
                break
            confirmed.append(int(line.strip().removeprefix("r")))
        # Land the kill at a random point of the next transaction.
        time.sleep(rng.uniform(0.0, 0.01))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        confirmed.extend(int(rid.removeprefix("r")) for rid in proc.stdout.read().split())
        error = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, error
    assert len(confirmed) >= batches_before_kill, error
    return confirmed[-1]


@pytest.mark.parametrize("batches_before_kill", [3, 12, 40])
def test_kill_9_mid_write_keeps_every_committed_row(
    tmp_path: Path, batches_before_kill: int
) -> None:
    path = tmp_path / "ledger.sqlite3"
    batch_size = 200
    last = run_and_kill(path, batches_before_kill, batch_size, random.Random(batches_before_kill))
    assert Path(f"{path}-wal").exists()  # killed with un-checkpointed WAL content
    ledger = Ledger(path)
    try:
        assert ledger.integrity_check() == "ok"
        total = ledger.query(limit=1).total
        # Every confirmed batch is there; at most one more committed before its print.
        assert total in (last + 1, last + 1 + batch_size)
        assert total % batch_size == 0  # a batch is all or nothing
        assert ledger.get(f"r{last:05d}") is not None
        assert ledger.get("r00000") is not None
        fulfilled = ledger.query(HistoryQuery(status="FULFILLED"), limit=1).total
        assert fulfilled in (total // batch_size, total // batch_size - 1)
    finally:
        ledger.close()
