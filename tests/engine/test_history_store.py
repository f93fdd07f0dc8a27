"""History's fixed-size store: bounded memory, min/max buckets of the past, undo bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import SGD, History, Stepper
from engine.history_buckets import BUCKETS, MinMaxBuckets
from engine.history_store import CHUNK, KEEP, RecentStore
from engine.snapshot import take_snapshot
from tests.engine.engine_helpers import make_data, net_for


def _blocks(y: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute force: each block of ``width`` samples' min and max."""
    n = -(-len(y) // width)
    return (
        np.array([y[k * width : (k + 1) * width].min() for k in range(n)]),
        np.array([y[k * width : (k + 1) * width].max() for k in range(n)]),
    )


@pytest.mark.parametrize("capacity", [2, 3, 8, 33])
@pytest.mark.parametrize("chunks", [[1] * 300, [7, 1, 64, 5, 200, 3, 1000, 2], [5000]])
def test_buckets_are_exact_block_extremes_in_bounded_memory(
    capacity: int, chunks: list[int]
) -> None:
    rng = np.random.default_rng(capacity)
    y = rng.normal(size=sum(chunks))
    y[rng.integers(len(y), size=5)] = rng.normal(scale=100, size=5)  # spikes
    b = MinMaxBuckets(capacity)
    at = 0
    for m in chunks:
        b.extend(np.arange(at, at + m, dtype=np.int64), y[at : at + m])
        at += m
        assert b.n <= capacity and b._lo.shape == (capacity,)
        lo, hi = _blocks(y[:at], b.width)
        assert b.n == len(lo)
        np.testing.assert_array_equal(b._lo[: b.n], lo)
        np.testing.assert_array_equal(b._hi[: b.n], hi)
        np.testing.assert_array_equal(y[b._lo_x[: b.n]], lo)  # each extreme at its own x
        np.testing.assert_array_equal(y[b._hi_x[: b.n]], hi)
    x, v = b.points()
    assert np.all(np.diff(x) > 0)
    assert v.min() == y.min() and v.max() == y.max()


def test_a_nan_wins_its_bucket_like_downsample() -> None:
    b = MinMaxBuckets(2)
    y = np.arange(10.0)
    y[3] = np.nan
    b.extend(np.arange(10), y)
    assert np.isnan(b._lo[0]) and np.isnan(b._hi[0])


def test_a_million_records_stay_in_fixed_arrays() -> None:
    h = History(2, keep=256, chunk=256, buckets=64)
    rec = h.record
    sq = [0.25, 1.0]
    sizes = [a.nbytes for a in h._rec.cols]
    for i in range(1_000_000):
        rec(1.0 + (i % 977) * 1e-3, 0.1, sq)
        if i == 123_456:
            rec(1e6, 0.1, sq)  # a spike long past
        if i == 654_321:
            rec(-5.0, 0.1, sq)
    assert [a.nbytes for a in h._rec.cols] == sizes
    assert h._rec.past[0].n <= 64
    assert 256 <= len(h.train_loss) < 512 and h.recorded == 1_000_002
    assert h.first_kept + len(h.train_loss) == h.recorded
    x, y = h.loss_curve()
    assert len(x) <= 2 * 64 + len(h.train_loss)
    assert np.all(np.diff(x) > 0) and x[0] == 0 and x[-1] == h.recorded - 1
    assert y.max() == 1e6 and y.min() == -5.0
    assert x[np.argmax(y)] == 123_457 and x[np.argmin(y)] == 654_323


def test_the_default_window_keeps_every_row_of_a_short_run() -> None:
    h = History(3)
    rng = np.random.default_rng(0)
    rows = KEEP + CHUNK - 1  # the longest run held in full
    loss = rng.random(rows)
    for i in range(rows):
        h.record(loss[i], 0.5, rng.random(3))
    np.testing.assert_array_equal(h.train_loss, loss)
    x, y = h.loss_curve()
    np.testing.assert_array_equal(x, np.arange(rows))
    np.testing.assert_array_equal(y, loss)
    h.record(7.0, 0.5, rng.random(3))  # the first fold
    assert len(h.train_loss) == KEEP and h.first_kept == CHUNK
    assert h._rec.past[0].n <= BUCKETS


def _state(h: History) -> list[np.ndarray]:
    cx, cy = h.loss_curve()
    es, ev = h.eval_curves()
    return [
        a.copy()
        for a in (
            h.train_loss,
            h.lr,
            h.grad_norms,
            h.eval_steps,
            h.test_loss,
            h.test_accuracy,
            h.eval_train_loss,
            h.eval_train_accuracy,
            cx,
            cy,
            es,
            ev,
        )
    ] + [np.array(h.lengths())]


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape and np.array_equal(x, y, equal_nan=True)
        for x, y in zip(a, b, strict=True)
    )


def _small_stepper(undo_depth: int, keep: int, chunk: int, buckets: int) -> Stepper:
    net = net_for([3, 5, 3], "tanh", seed=2)
    X, y = make_data(net, 18, seed=3)
    Xt, yt = make_data(net, 7, seed=4)
    st = Stepper(
        net, SGD(lr=0.1, momentum=0.9), X, y, batch_size=4, seed=5, X_test=Xt, y_test=yt,
        eval_every=1, undo_depth=undo_depth,
    )  # fmt: skip
    st.history = History(
        net.n_layers, undo_depth=undo_depth, keep=keep, chunk=chunk, buckets=buckets
    )
    return st


@pytest.mark.parametrize("fast", [False, True])
def test_undo_across_folds_restores_the_history_bit_for_bit(fast: bool) -> None:
    depth = 9
    st = _small_stepper(depth, keep=4, chunk=4, buckets=4)  # raised to 10 each by the depth
    states: list[list[np.ndarray]] = []
    for _ in range(400):  # many folds of both the iterations and the evaluations (eval_every 1)
        states.append(_state(st.history))
        if fast:
            st.run(1)
        else:
            st.step_iteration()
    assert st.history._rec.past[0].width > 1 and st.history._evals.past[0].width > 1
    for back in range(1, depth + 1):
        assert st.undo()
        assert _same(_state(st.history), states[-back]), back
    assert not st.undo()
    # and forward again: the same rows, the same folds
    for _ in range(depth):
        st.run(1)
    assert _same(_state(st.history), _state(_replayed(depth)))


def _replayed(depth: int) -> History:
    st = _small_stepper(depth, keep=4, chunk=4, buckets=4)
    st.run(400)
    return st.history


def test_undo_back_and_forth_over_one_fold() -> None:
    st = _small_stepper(6, keep=4, chunk=4, buckets=4)
    st.run(7 + 7)  # fold_at is keep + chunk = 14 (keep and chunk raised to 7)
    before = _state(st.history)
    st.run(1)  # folds
    assert st.history.first_kept == 7
    assert st.undo()
    assert _same(_state(st.history), before)
    st.run(1)
    st.run(5)
    for _ in range(6):
        assert st.undo()
    assert _same(_state(st.history), before)


def test_a_cut_into_the_folded_past_is_refused() -> None:
    h = History(1, keep=4, chunk=4, buckets=4)
    for i in range(40):
        h.record(float(i), 0.1, [1.0])
    with pytest.raises(ValueError, match="folded"):
        h.truncate((20, 0))
    h.truncate((38, 0))  # within the rows kept in full
    assert h.recorded == 38 and h.train_loss[-1] == 37.0


def test_a_long_real_run_undoes_bit_for_bit_with_the_default_store() -> None:
    net = net_for([2, 4, 2], "tanh", seed=1)
    X, y = make_data(net, 16, seed=1)
    st = Stepper(net, SGD(lr=0.05), X, y, batch_size=4, eval_every=7, undo_depth=30)
    st.run(KEEP + CHUNK - 10)
    before = _state(st.history)
    st.run(20)  # across the first fold
    assert st.history.first_kept == CHUNK
    for _ in range(20):
        assert st.undo()
    assert _same(_state(st.history), before)


def test_grad_norms_tail_reads_the_newest_rows() -> None:
    h = History(2, keep=4, chunk=4, buckets=4)
    for i in range(30):
        h.record(1.0, 0.1, [float(i) ** 2, 4.0 * i * i])
    np.testing.assert_array_equal(h.grad_norms_tail(2), [[28.0, 56.0], [29.0, 58.0]])
    assert h.grad_norms_tail(0).shape == (0, 2)


def test_eval_curves_keep_each_series_extremes_at_their_own_steps() -> None:
    h = History(1, keep=4, chunk=4, buckets=4)
    rng = np.random.default_rng(3)
    evs: list[dict[str, Any]] = []
    for s in range(1, 301):
        ev = {
            "train_loss": float(rng.random()),
            "train_accuracy": float(rng.random()),
            "test_loss": None,  # no test set: NaN throughout
            "test_accuracy": float(rng.random()),
        }
        if s == 17:
            ev["train_loss"] = 50.0
        if s == 222:
            ev["test_accuracy"] = -1.0
        evs.append(ev)
        h.record_eval(10 * s, ev)
    steps, vals = h.eval_curves()
    assert np.all(np.diff(steps) > 0) and steps[0] == 10 and steps[-1] == 3000
    assert len(steps) < 300
    assert vals[steps == 170, 0] == 50.0 and vals[steps == 2220, 3] == -1.0
    for k, key in enumerate(("train_loss", "train_accuracy")):
        col = vals[:, k]
        truth = [e[key] for e in evs]
        assert np.nanmax(col) == max(truth) and np.nanmin(col) == min(truth)
    assert np.all(np.isnan(vals[:, 2]))


def test_the_snapshot_plots_the_whole_run() -> None:
    net = net_for([2, 4, 2], "tanh", seed=1)
    X, y = make_data(net, 16, seed=1)
    st = Stepper(net, SGD(lr=0.05), X, y, batch_size=4, eval_every=5, undo_depth=0)
    st.history = History(net.n_layers, keep=64, chunk=64, buckets=16)
    st.run(3000)
    c = take_snapshot(st).curves
    # each end is its bucket's min or max: within the first and the last of about 200 buckets
    assert c.loss_x[0] <= 30 and c.loss_x[-1] > 2970 and np.all(np.diff(c.loss_x) > 0)
    assert len(c.loss_x) <= 400
    assert c.eval_steps[0] == 5 and c.eval_steps[-1] == 3000


def test_recent_store_validates_its_sizes() -> None:
    with pytest.raises(ValueError):
        RecentStore([(None, np.float64)], [(0, None)], keep=0)
    with pytest.raises(ValueError):
        MinMaxBuckets(1)
