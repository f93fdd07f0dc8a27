"""The runs screen's data without Textual: sparklines, sorting, following a real ledger."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine.ledger import Ledger
from tui.runs_view import FULL_EVERY, WHOLE_READS, LedgerFollower, RunRow, sort_rows
from tui.widgets.sparkline import BLOCKS, GAP, sparkline


@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), max_size=300),
    st.integers(0, 40),
)
def test_sparkline_fits_its_cells(values: list[float], width: int) -> None:
    line = sparkline(np.array(values, dtype=np.float64), width)
    assert len(line) == min(width, len(values))
    assert set(line) <= set(BLOCKS + GAP)


def test_sparkline_falls_with_the_loss() -> None:
    line = sparkline(np.exp(-np.arange(1000) / 200.0), 8)
    levels = [BLOCKS.index(c) for c in line]
    assert levels == sorted(levels, reverse=True) and levels[0] == 7 and levels[-1] == 0
    assert sparkline(np.array([1.0, np.nan, np.inf, 2.0]), 4) == "▁  █"  # divergence: gaps
    assert sparkline(np.ones(5), 5) == BLOCKS[4] * 5  # flat: the middle


def row(run_id: int, loss: float | None, acc: float | None, steps: int, status: str) -> RunRow:
    empty = np.zeros(0)
    return RunRow(
        run_id, "xor", {}, (), "", steps, loss, loss, acc, status, None, "-", empty, empty
    )


def test_sort_rows_missing_figures_last() -> None:
    rows = (
        row(4, None, None, 0, "running"),
        row(3, 0.5, 0.9, 100, "finished"),
        row(2, float("nan"), 0.2, 50, "diverged"),
        row(1, 0.1, 0.8, 200, "finished"),
    )
    ids = lambda key, rev=False: [r.id for r in sort_rows(rows, key, rev)]  # noqa: E731
    assert ids("newest") == [4, 3, 2, 1]
    assert ids("newest", True) == [1, 2, 3, 4]
    assert ids("loss") == [1, 3, 4, 2]  # low first; no loss, NaN last
    assert ids("loss", True) == [3, 1, 4, 2]  # reversed, still last
    assert ids("test acc") == [3, 1, 2, 4]  # high first
    assert ids("steps") == [1, 3, 2, 4]
    assert ids("status") == [2, 3, 1, 4]


def test_follower_reads_only_what_is_new() -> None:
    """New points come with curve(after=...); a live run's whole curve is read again every
    FULL_EVERY polls (the ledger thins old points); a deleted run leaves the table."""
    with Ledger.open() as ledger:
        a = ledger.start_run("xor", {"training.lr": 0.1})
        b = ledger.start_run("xor", {"training.lr": 0.2})
        ledger.append(a, {"batch_loss": (np.arange(1, 6), np.ones(5))}, steps=5)
        follower = LedgerFollower()
        table = follower.poll()
        assert table.keys == ("training.lr",) and table.headers[:2] == ("id", "lr")
        assert [r.id for r in table.rows] == [b, a] and table.pending == 0
        assert len(table.row(a).x) == 5 and len(table.row(b).x) == 0  # type: ignore[union-attr]
        ledger.append(a, {"batch_loss": (np.arange(6, 9), np.zeros(3))}, steps=8)
        table = follower.poll()
        got = table.row(a)
        assert got is not None and got.x.tolist() == list(range(1, 9)) and got.steps == 8
        # a point rewritten in place (as thinning does) shows at the next whole read
        ledger.append(a, {"batch_loss": (np.array([2]), np.array([7.0]))})
        while follower.polls % FULL_EVERY != FULL_EVERY - 1:
            follower.poll()
        table = follower.poll()
        assert table.row(a).y[1] == 7.0  # type: ignore[union-attr]
        ledger.delete([b])
        assert [r.id for r in follower.poll().rows] == [a]
        follower.close()


def test_follower_reads_a_big_ledger_over_several_polls() -> None:
    with Ledger.open() as ledger:
        for k in range(WHOLE_READS + 3):
            run = ledger.start_run("xor", {"training.lr": 0.1 * (k + 1)})
            ledger.append(run, {"batch_loss": (np.arange(1, 4), np.ones(3))}, steps=3)
    follower = LedgerFollower()
    first = follower.poll()
    assert len(first.rows) == WHOLE_READS + 3 and first.pending == 3
    assert all(r.spark for r in first.rows[:WHOLE_READS])  # the newest first
    assert follower.poll().pending == 0
    follower.close()
