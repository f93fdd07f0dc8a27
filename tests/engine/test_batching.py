"""Batching: epochs cover every sample once, reshuffle, seeding, short last batch, counters."""

from __future__ import annotations

import numpy as np
import pytest

from engine import SGD, Batcher, Stepper
from tests.engine.engine_helpers import computed, make_data, net_for


def _epochs(b: Batcher, n_epochs: int) -> list[list[np.ndarray]]:
    out: list[list[np.ndarray]] = []
    for _ in range(n_epochs):
        start = b.epoch
        batches = []
        while b.epoch == start:
            idx = b.next()
            batches.append(np.arange(b.n) if idx is None else idx.copy())
        out.append(batches)
    return out


@pytest.mark.parametrize(("n", "bs"), [(10, 3), (10, 5), (7, 1), (9, 20), (12, None), (12, 12)])
def test_every_sample_exactly_once_per_epoch(n: int, bs: int | None) -> None:
    b = Batcher(n, bs, np.random.default_rng(0))
    epochs = _epochs(b, 4)
    for batches in epochs:
        np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(n))
        eff = n if bs is None or bs >= n else bs
        sizes = [len(x) for x in batches]
        assert sizes[:-1] == [eff] * (len(sizes) - 1)
        assert sizes[-1] == (n % eff or eff)  # the short last batch
        assert len(batches) == b.steps_per_epoch == -(-n // eff)
    assert b.epoch == 4


def test_reshuffled_every_epoch_and_seeded() -> None:
    a = _epochs(Batcher(50, 7, np.random.default_rng(3)), 3)
    b = _epochs(Batcher(50, 7, np.random.default_rng(3)), 3)
    c = _epochs(Batcher(50, 7, np.random.default_rng(4)), 3)
    orders = [np.concatenate(e) for e in a]
    assert not np.array_equal(orders[0], orders[1]) and not np.array_equal(orders[1], orders[2])
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(np.concatenate(x), np.concatenate(y))
    assert not np.array_equal(orders[0], np.concatenate(c[0]))


def test_full_batch_keeps_stored_order() -> None:
    b = Batcher(5, None, np.random.default_rng(0))
    assert b.full and b.effective_batch_size == 5 and b.steps_per_epoch == 1
    assert b.next() is None and b.epoch == 1
    assert b.next() is None and b.epoch == 2


def test_batch_size_change_keeps_the_epoch() -> None:
    b = Batcher(10, 4, np.random.default_rng(0))
    first = computed(b.next()).copy()
    b.set_batch_size(3)
    rest = []
    while b.epoch == 0:
        rest.append(computed(b.next()).copy())
    assert [len(x) for x in rest] == [3, 3]
    np.testing.assert_array_equal(np.sort(np.concatenate([first, *rest])), np.arange(10))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3"])
def test_invalid_batch_sizes(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        Batcher(10, bad, np.random.default_rng(0))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty"):
        Batcher(0, 1, np.random.default_rng(0))


def test_batcher_state_round_trip() -> None:
    b = Batcher(11, 4, np.random.default_rng(8))
    b.next()
    st = b.state()
    seq = [computed(b.next()).copy() for _ in range(7)]
    b.load_state(st)
    again = [computed(b.next()).copy() for _ in range(7)]
    for x, y in zip(seq, again, strict=True):
        np.testing.assert_array_equal(x, y)


def test_stepper_counters_and_batches() -> None:
    net = net_for([3, 4, 2], "tanh")
    X, y = make_data(net, 10)
    st = Stepper(net, SGD(lr=0.1), X, y, batch_size=4, seed=0)
    assert st.steps_per_epoch == 3 and st.epoch == 0 and st.step == 0
    seen = []
    sizes = []
    for _ in range(6):
        st.step_iteration()
        seen.append(computed(st.it.batch_idx).copy())
        sizes.append(st.it.batch_size)
        np.testing.assert_array_equal(st.it.X, st.X[st.it.batch_idx])
        np.testing.assert_array_equal(st.it.y, st.y[st.it.batch_idx])
    assert sizes == [4, 4, 2, 4, 4, 2]
    assert st.step == 6 and st.epoch == 2
    np.testing.assert_array_equal(np.sort(np.concatenate(seen[:3])), np.arange(10))
    np.testing.assert_array_equal(np.sort(np.concatenate(seen[3:])), np.arange(10))
    assert not np.array_equal(np.concatenate(seen[:3]), np.concatenate(seen[3:]))
    # the same seed gives the same run
    st2 = Stepper(net_for([3, 4, 2], "tanh"), SGD(lr=0.1), X, y, batch_size=4, seed=0)
    st2.run(6)
    np.testing.assert_array_equal(st.net.params, st2.net.params)
    st3 = Stepper(net_for([3, 4, 2], "tanh"), SGD(lr=0.1), X, y, batch_size=4, seed=1)
    st3.run(6)
    assert not np.array_equal(st.net.params, st3.net.params)
