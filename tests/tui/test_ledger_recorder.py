"""LedgerRecorder and FairLock without Textual: a bad ledger stops recording, never the runs."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from engine.ledger import Ledger
from tests.tui.app_helpers import open_session
from tui.comparison import Comparison
from tui.fair_lock import FairLock
from tui.ledger_recorder import LedgerRecorder


def test_runs_are_recorded_when_they_train_with_their_parent() -> None:
    c = Comparison(open_session(), LedgerRecorder())
    c.fork()
    c.do("lr", 0.2)
    c.do("drop")  # never trained: nothing to keep
    c.fork()
    c.do("lr", 0.1)
    c.do("iteration")
    c.record_progress()
    with Ledger.open() as ledger:
        runs = sorted(ledger.runs(), key=lambda r: r.id)
    assert [(r.config["training.lr"], r.status) for r in runs] == [
        (0.05, "paused"),
        (0.1, "paused"),
    ]
    assert runs[1].forked_from == runs[0].id
    c.close()
    with Ledger.open() as ledger:
        assert [r.status for r in ledger.runs()] == ["finished", "finished"]


def test_a_ledger_that_is_not_a_database_stops_recording_with_one_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BACKPROP_TUI_HOME", str(tmp_path))
    bad = tmp_path / "runs.sqlite"
    bad.write_bytes(b"not a database, and never to be overwritten\n" * 10)
    before = bad.read_bytes()
    c = Comparison(open_session(), LedgerRecorder())
    for _ in range(3):
        c.do("iteration")
        c.record_progress()
    notes = c.take_notes()
    assert len(notes) == 1 and notes[0].startswith("runs are not recorded: ")
    assert c.session.stepper.step == 3 and c.take_notes() == []
    c.close()
    assert bad.read_bytes() == before
    assert os.listdir(tmp_path) == ["runs.sqlite"]


def test_fair_lock_serves_in_the_order_asked() -> None:
    lock = FairLock()
    order: list[int] = []
    lock.acquire()

    def take(k: int) -> None:
        with lock:
            order.append(k)

    threads = []
    for k in range(4):
        t = threading.Thread(target=take, args=(k,))
        t.start()
        threads.append(t)
        # the k-th thread holds its ticket before the next one asks
        while lock._next != k + 2:
            pass
    assert lock.locked()
    lock.release()
    for t in threads:
        t.join(5)
    assert order == [0, 1, 2, 3] and not lock.locked()
