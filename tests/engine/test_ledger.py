"""The run ledger on real SQLite files: runs, curves, figures, thinning, refusals, the home."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from pathlib import Path
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.ledger import ENV, Ledger, LedgerError, data_home, fingerprint
from engine.ledger.owner import this_owner
from engine.ledger.schema import SCHEMA_VERSION
from engine.ledger.thinning import MAX_POINTS, thin


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_run_from_start_to_finish(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as led:
        assert (tmp_path / "runs.sqlite").is_file()
        rid = led.start_run("xor", {"training.lr": 0.1}, seed=3, fingerprint="ab", source="x")
        assert led.run(rid).status == "running"
        assert led.append(
            rid,
            {
                "batch_loss": ([1, 2, 3], [0.9, 0.8, 0.85]),
                "train_loss": ([3], [0.7]),
                "test_accuracy": ([3], [0.5]),
            },
            steps=3,
            epochs=1,
        )
        led.append(rid, {"train_loss": ([6], [0.75]), "test_accuracy": ([6], [0.6])}, steps=6)
        info = led.run(rid)
        assert (info.steps, info.epochs, info.train_loss, info.best_train_loss) == (6, 1, 0.75, 0.7)
        assert (info.test_accuracy, info.best_test_accuracy) == (0.6, 0.6)
        figures = {
            "train_loss": 0.6,
            "train_accuracy": 1.0,
            "test_loss": None,
            "test_accuracy": 0.4,
        }
        assert led.finish(rid, "finished", steps=6, figures=figures, seconds=1.5)
        info = led.run(rid)
        assert info.status == "finished" and info.ended is not None
        assert (info.train_loss, info.best_train_loss, info.test_accuracy) == (0.6, 0.6, 0.4)
        assert info.best_test_accuracy == 0.6
        assert info.config == {"training.lr": 0.1}
        assert (info.seed, info.fingerprint, info.source) == (3, "ab", "x")
        curve = led.curve(rid)
        assert curve["batch_loss"][0].tolist() == [1, 2, 3]
        assert curve["batch_loss"][1].tolist() == [0.9, 0.8, 0.85]
        assert led.curve(rid, ["batch_loss"], after=2)["batch_loss"][0].tolist() == [3]
        assert json.dumps(info.to_json())
    with Ledger.open(tmp_path) as again:  # a finished run stays finished
        assert again.run(rid).status == "finished"


def test_runs_newest_first_filters_and_ids_never_reused(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as led:
        a = led.start_run("xor", {}, sweep="s1")
        b = led.start_run("digits", {}, sweep="s1")
        c = led.start_run("xor", {}, forked_from=a)
        assert [r.id for r in led.runs()] == [c, b, a]
        assert [r.id for r in led.runs(scenario="xor")] == [c, a]
        assert [r.id for r in led.runs(sweep="s1")] == [b, a]
        assert [r.id for r in led.runs(limit=1)] == [c]
        assert led.run(c).forked_from == a
        led.checkpoint_path(c).write_bytes(b"x")
        assert led.delete([c]) == [c]
        assert not led.checkpoint_path(c).exists()
        assert led.start_run("xor", {}) == c + 1
        with pytest.raises(LedgerError, match=r"unknown run id 99$"):
            led.delete([a, 99])
        assert led.has(a)  # all or nothing
        with pytest.raises(LedgerError, match="unknown run id 99"):
            led.run(99)
        assert not led.append(c, {"batch_loss": ([1], [1.0])})  # deleted: the writer carries on
        assert not led.finish(c)
        assert not led.set_checkpoint(c, "x.npz")
        assert led.set_checkpoint(a, "a.npz") and led.run(a).checkpoint == "a.npz"


def test_non_finite_values_are_null_and_not_best(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as led:
        rid = led.start_run("xor", {})
        led.append(rid, {"train_loss": ([1, 2], [0.5, math.nan]), "batch_loss": ([1], [math.inf])})
        info = led.run(rid)
        assert info.train_loss is None and info.best_train_loss == 0.5
        x, y = led.curve(rid)["train_loss"]
        assert x.tolist() == [1, 2] and y[0] == 0.5 and math.isnan(y[1])
        assert math.isnan(led.curve(rid)["batch_loss"][1][0])


def test_a_long_run_stays_small(tmp_path: Path) -> None:
    """Ten million steps appended a chunk at a time: each series stays bounded, extremes kept."""
    with Ledger.open(tmp_path) as led:
        rid = led.start_run("xor", {})
        rng = np.random.default_rng(0)
        for k in range(100):
            xs = np.arange(k * 100_000 + 1, (k + 1) * 100_000 + 1, 1_000)
            ys = rng.random(xs.shape[0])
            if k == 37:
                ys[5] = 50.0  # one spike
            led.append(rid, {"batch_loss": (xs, ys)}, steps=int(xs[-1]))
        x, y = led.curve(rid)["batch_loss"]
        assert x.shape[0] <= MAX_POINTS
        assert x[0] == 1 and x[-1] == 9_999_001
        assert y.max() == 50.0
        assert np.all(np.diff(x) > 0)
        assert led.run(rid).steps == 9_999_001


def test_thin_keeps_ends_and_extremes() -> None:
    x = np.arange(10_000)
    y = np.sin(x / 50.0)
    y[1234] = -5.0
    kx, ky = thin(x, y, 100)
    assert kx.shape[0] <= 202
    assert kx[0] == 0 and kx[-1] == 9_999
    assert ky.min() == -5.0
    small = np.arange(10)
    assert thin(small, small * 1.0, 100)[0] is small


def test_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    path.write_text("my notes\n" * 100)
    before = digest(path)
    with pytest.raises(LedgerError) as info:
        Ledger.open(tmp_path)
    assert "not an SQLite database" in str(info.value) and "\n" not in str(info.value)
    assert digest(path) == before


def test_foreign_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE runs (x)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(LedgerError, match="another program"):
        Ledger.open(tmp_path)
    assert digest(path) == before
    assert not (tmp_path / "runs.sqlite-wal").exists()


def test_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    Ledger.open(tmp_path).close()
    path = tmp_path / "runs.sqlite"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = digest(path)
    with pytest.raises(LedgerError, match="newer backprop-tui"):
        Ledger.open(tmp_path)
    assert digest(path) == before


def test_home_that_is_a_file_or_a_ledger_that_is_a_directory(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(LedgerError, match="not a directory"):
        Ledger.open(f)
    (tmp_path / "h" / "runs.sqlite").mkdir(parents=True)
    with pytest.raises(LedgerError, match="not a regular file"):
        Ledger.open(tmp_path / "h")


def test_an_empty_file_becomes_a_ledger(tmp_path: Path) -> None:
    (tmp_path / "runs.sqlite").write_bytes(b"")
    with Ledger.open(tmp_path) as led:
        assert led.integrity() == "ok"
        assert led.runs() == []


def test_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, str(tmp_path / "env"))
    assert data_home() == tmp_path / "env"
    assert data_home(tmp_path / "flag") == tmp_path / "flag"
    monkeypatch.delenv(ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_home() == tmp_path / "xdg" / "backprop-tui"
    monkeypatch.setenv("XDG_DATA_HOME", "relative")  # invalid per the spec: ignored
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_home() == tmp_path / ".local" / "share" / "backprop-tui"


def test_fingerprint_is_of_the_values() -> None:
    a = np.arange(10, dtype=np.float64)
    assert fingerprint(a) == fingerprint(a.copy())
    assert fingerprint(a) != fingerprint(a + 1e-12)
    assert len(fingerprint(a)) == 16


def test_a_dead_owner_leaves_the_run_interrupted(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as led:
        rid = led.start_run("xor", {})
        live = led.start_run("xor", {}, status="paused")
        gone = led.start_run("xor", {})
        conn = sqlite3.connect(tmp_path / "runs.sqlite")
        # a pid that no process has (pid_max is at most 2^22)
        conn.execute(
            "UPDATE runs SET owner=? WHERE id=?", (this_owner().split(":")[0] + ":99999999:1", gone)
        )
        conn.commit()
        conn.close()
    with Ledger.open(tmp_path) as led:
        assert led.run(rid).status == "running"  # this process still runs
        assert led.run(live).status == "paused"
        assert led.run(gone).status == "interrupted"


def test_a_failing_write_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    with Ledger.open(tmp_path) as led:
        rid = led.start_run("xor", {})
        led.append(rid, {"batch_loss": ([1], [1.0])}, steps=1)
        conn = sqlite3.connect(tmp_path / "runs.sqlite")
        # stands in for a full disk or an I/O error in the middle of a transaction
        conn.execute(
            "CREATE TRIGGER fail BEFORE INSERT ON points BEGIN SELECT RAISE(ABORT, 'disk'); END"
        )
        conn.commit()
        with pytest.raises(LedgerError, match=r"cannot write: disk$"):
            led.append(rid, {"batch_loss": ([2], [0.5])}, steps=2)
        assert led.run(rid).steps == 1  # the whole transaction was rolled back
        assert led.curve(rid)["batch_loss"][0].tolist() == [1]
        conn.execute("DROP TRIGGER fail")
        conn.commit()
        conn.close()
        assert led.append(rid, {"batch_loss": ([2], [0.5])}, steps=2)  # and it goes on
        assert led.run(rid).steps == 2


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 10**12), min_size=1, max_size=400, unique=True),
    st.integers(2, 40),
    st.randoms(use_true_random=False),
)
def test_thin_properties(steps: list[int], buckets: int, rnd: Random) -> None:
    x = np.array(sorted(steps), dtype=np.int64)
    y = np.array([rnd.uniform(-5, 5) for _ in steps])
    kx, ky = thin(x, y, buckets)
    assert kx.shape[0] <= 2 * buckets + 2 or kx is x  # bounded (a short series: as it is)
    assert kx[0] == x[0] and kx[-1] == x[-1]  # the ends
    assert ky.min() == y.min() and ky.max() == y.max()  # the extremes
    assert np.all(np.diff(kx) > 0)  # in order, no duplicates
    index = np.searchsorted(x, kx)
    assert np.array_equal(x[index], kx) and np.array_equal(y[index], ky)  # real points only
