"""Stepper: undo, pending hyperparameter changes, divergence guard, history, counters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import SGD, Adam, Divergence, Phase, Stepper
from tests.engine.engine_helpers import make_data, net_for


def _stepper(opt=None, bs: int | None = 4, undo_depth: int = 100, dtype: str = "float64"):
    net = net_for([3, 5, 4, 3], "tanh", dtype=dtype, seed=2)
    X, y = make_data(net, 18, seed=3)
    Xt, yt = make_data(net, 7, seed=4)
    opt = opt or SGD(lr=0.1, momentum=0.9, l2=1e-3)
    return Stepper(
        net, opt, X, y, batch_size=bs, seed=5, X_test=Xt, y_test=yt, eval_every=3,
        undo_depth=undo_depth,
    )  # fmt: skip


def _full_state(st: Stepper) -> dict[str, Any]:
    h = st.history
    return {
        "params": st.net.params.copy(),
        "opt": {k: v.copy() for k, v in st.opt.state().items()},
        "rng": st.batcher.rng.bit_generator.state,
        "perm": None if st.batcher.perm is None else st.batcher.perm.copy(),
        "counters": (st.step, st.epoch, st.batcher.pos),
        "hist": [
            a.copy()
            for a in (h.train_loss, h.lr, h.grad_norms, h.eval_steps, h.test_loss, h.test_accuracy)
        ],
    }


def _assert_state_equal(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert np.array_equal(a["params"], b["params"])
    assert a["opt"].keys() == b["opt"].keys()
    for k in a["opt"]:
        assert np.array_equal(a["opt"][k], b["opt"][k]), k
    assert a["rng"] == b["rng"]
    assert (a["perm"] is None) == (b["perm"] is None)
    if a["perm"] is not None:
        assert np.array_equal(a["perm"], b["perm"])
    assert a["counters"] == b["counters"]
    for x, y in zip(a["hist"], b["hist"], strict=True):
        assert np.array_equal(x, y, equal_nan=True)


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_undo_restores_bit_for_bit_and_replays(opt: str, fast: bool) -> None:
    st = _stepper(SGD(lr=0.1, momentum=0.9, l1=1e-4) if opt == "sgd" else Adam(lr=0.01))
    states = [_full_state(st)]
    for _ in range(11):  # crosses epochs (18 samples, batch 4: 5 steps per epoch)
        if fast:
            st.run(1)
        else:
            st.step_iteration()
        states.append(_full_state(st))
    assert st.undo_count == 11
    for k in range(11, 0, -1):
        assert st.undo()
        _assert_state_equal(states[k - 1], _full_state(st))
    assert not st.undo()
    assert st.undo_count == 0
    # replaying from the start gives the same run, bit for bit
    for k in range(1, 12):
        st.run(1) if fast else st.step_iteration()
        _assert_state_equal(states[k], _full_state(st))


def test_undo_after_a_long_fast_run_goes_back_one_iteration_at_a_time() -> None:
    st = _stepper(undo_depth=5)
    st.run(20)
    states = {st.step: _full_state(st)}
    ref = _stepper(undo_depth=5)
    for k in range(1, 21):
        ref.run(1)
        if k >= 15:
            states[k] = _full_state(ref)
    assert st.undo_count == 5
    for k in range(19, 14, -1):
        assert st.undo()
        _assert_state_equal(states[k], _full_state(st))
    assert not st.undo()
    assert st.step == 15


def test_undo_is_bounded_by_undo_depth() -> None:
    st = _stepper(undo_depth=3)
    for _ in range(10):
        st.step_iteration()
    assert st.undo_count == 3
    assert st.undo() and st.undo() and st.undo()
    assert not st.undo()
    assert st.step == 7


def test_undo_abandons_a_partial_iteration() -> None:
    st = _stepper()
    st.step_iteration()
    before = _full_state(st)
    st.run_until(Phase.BACKWARD)
    assert not st.at_boundary
    assert st.undo_count == 2
    assert st.undo()
    assert st.at_boundary and st.position == 0
    _assert_state_equal(before, _full_state(st))
    assert st.undo() and st.step == 0


def test_undo_after_a_stopped_fast_run_never_skips_iterations() -> None:
    """A run stopped early (cancel) must not leave undo jumping back over the whole run."""
    st = _stepper(undo_depth=5)
    for _ in range(3):
        st.step_iteration()
    calls = iter(range(1000))
    res = st.run(100, should_stop=lambda: next(calls) >= 40)
    assert res.steps == 40 and st.step == 43
    if st.undo():
        assert st.step == 42, "undo went back more than one iteration"


def test_reset_replays_the_same_run() -> None:
    st = _stepper(Adam(lr=0.01))
    st.run(9)
    after = _full_state(st)
    st.reset()
    assert st.step == 0 and st.epoch == 0 and len(st.history.train_loss) == 0
    np.testing.assert_array_equal(st.net.params, st.initial_params)
    st.run(9)
    _assert_state_equal(after, _full_state(st))


# ---- hyperparameters ------------------------------------------------------------------------
def test_changing_lr_and_batch_size_keeps_the_weights() -> None:
    st = _stepper()
    st.run(3)
    w = st.net.params.copy()
    v = st.opt.state()["velocity"]
    assert st.set_lr(0.01) is True
    assert st.set_batch_size(2) is True
    assert st.set_momentum(0.5) is True
    assert st.set_regularization(l1=1e-4, l2=0.0) is True
    np.testing.assert_array_equal(st.net.params, w)
    np.testing.assert_array_equal(st.opt.state()["velocity"], v)
    assert st.lr == 0.01 and st.batch_size == 2 and st.opt.momentum == 0.5
    assert (st.opt.l1, st.opt.l2) == (1e-4, 0.0)
    st.step_iteration()
    assert st.it.lr == 0.01 and st.it.batch_size == 2
    assert st.history.lr[-1] == 0.01


def test_change_mid_iteration_is_pending_until_the_next_iteration() -> None:
    st = _stepper(SGD(lr=0.1))
    ref = _stepper(SGD(lr=0.1))
    st.run_until(Phase.LOSS)
    assert st.set_lr(0.5) is False
    assert st.set_batch_size(3) is False
    assert st.pending == {"lr": 0.5, "batch_size": 3}
    assert st.lr == 0.1 and st.batch_size == 4 and st.it.lr == 0.1
    st.step_iteration()
    # the iteration in progress ran with the old values: identical to an untouched stepper
    ref.step_iteration()
    np.testing.assert_array_equal(st.net.params, ref.net.params)
    # back at a boundary, the held changes are in force (and the state shows them)
    assert st.pending == {} and st.lr == 0.5 and st.batch_size == 3
    st.step_unit()  # the next iteration's sample uses them
    assert st.it.lr == 0.5 and st.it.batch_size == 3
    st.step_iteration()
    ref.set_lr(0.5)
    ref.set_batch_size(3)
    ref.step_iteration()
    np.testing.assert_array_equal(st.net.params, ref.net.params)


def test_pending_applies_on_the_fast_path_too() -> None:
    st = _stepper(SGD(lr=0.1))
    st.step_unit()
    st.set_lr(0.2)
    st.run(3)
    assert st.pending == {} and st.lr == 0.2
    np.testing.assert_array_equal(st.history.lr, [0.1, 0.2, 0.2])


@pytest.mark.parametrize(
    ("call", "arg"),
    [("set_lr", 0.0), ("set_lr", float("inf")), ("set_momentum", 1.0), ("set_batch_size", 0)],
)
def test_invalid_hyperparameters_raise(call: str, arg: float) -> None:
    st = _stepper()
    with pytest.raises(ValueError):
        getattr(st, call)(arg)
    with pytest.raises(ValueError):
        st.set_regularization(l2=-1.0)
    with pytest.raises(ValueError, match="momentum"):
        _stepper(Adam()).set_momentum(0.5)


# ---- divergence -----------------------------------------------------------------------------
def _diverging(dtype: str = "float64", opt=None) -> Stepper:
    net = net_for([2, 8, 1], "relu", "linear", "mse", "sum", dtype=dtype, seed=0)
    rng = np.random.default_rng(0)
    X = rng.normal(0, 10, size=(16, 2))
    y = rng.normal(0, 10, size=(16, 1))
    return Stepper(net, opt or SGD(lr=1e3), X, y, batch_size=None, seed=1)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_divergence_caught_on_unit_path_and_fast_path_alike(dtype: str) -> None:
    unit, fast = _diverging(dtype), _diverging(dtype)
    states = [_full_state(unit)]
    while unit.step_iteration():
        states.append(_full_state(unit))
        assert unit.step < 1000
    d = unit.diverged
    assert isinstance(d, Divergence)
    assert d.step == unit.step + 1
    assert d.phase in ("loss", "backward", "update")
    assert d.layer is None or 0 <= d.layer < unit.net.n_layers
    assert "diverged at step" in str(d)
    # the state stays at the last finite iteration
    _assert_state_equal(states[-1], _full_state(unit))
    assert np.all(np.isfinite(unit.net.params))
    assert unit.at_boundary
    res = fast.run(10_000)
    assert res.diverged == d == fast.diverged
    assert res.steps == unit.step
    _assert_state_equal(_full_state(unit), _full_state(fast))
    # another attempt hits the same wall; changing a hyperparameter clears the flag
    assert fast.run(5).steps == 0 and fast.diverged == d
    fast.set_lr(1e-9)
    assert fast.diverged is None


def test_undo_after_divergence_in_a_long_fast_run() -> None:
    """run(N) stopped by divergence long before N: one undo goes back to the last sound state
    (here the start: every step's loss was above the explosion limit), then plain undo again."""
    st = _diverging()
    res = st.run(10_000)
    assert res.diverged is not None and res.steps == st.step >= 2
    assert st.undo_count >= 1
    assert st.undo() and st.step == 0 and st.diverged is None
    assert not st.undo()
    st.set_lr(1e-4)
    assert st.run(3).steps == 3 and st.diverged is None


def test_divergence_with_momentum_and_adam_restores_optimizer_state() -> None:
    for opt in (SGD(lr=3e2, momentum=0.9), Adam(lr=1e12)):
        st = _diverging(opt=opt)
        res = st.run(10_000)
        if res.diverged is None:
            continue
        snap = _full_state(st)
        assert np.all(np.isfinite(st.net.params))
        for v in st.opt.state().values():
            assert np.all(np.isfinite(v))
        ref = _diverging(opt=type(opt)(**{k: v for k, v in opt.hyper().items()}))
        ref.run(res.steps)
        _assert_state_equal(snap, _full_state(ref))


def test_a_rejected_loss_leaves_undo_as_it_was_on_both_paths() -> None:
    """A loss divergence on the fast path once left a no-op entry on the undo ring."""
    fast, unit = _diverging(), _diverging()
    for st in (fast, unit):
        st.set_lr(1e-3)
        assert st.run(3).steps == 3
        st.net.params[...] = 1e200  # the outputs overflow: the loss is not finite
    assert fast.run(2).steps == 0
    assert unit.step_iteration() is False
    assert fast.diverged == unit.diverged and fast.diverged is not None
    assert fast.diverged.phase == "loss"
    assert fast.undo_count == unit.undo_count == 3
    _assert_state_equal(_full_state(fast), _full_state(unit))


def test_divergence_reports_the_backward_layer() -> None:
    """A finite loss with a non-finite gradient is caught in the backward phase."""
    st = _diverging("float32")
    st.net.params[...] = 1e18  # outputs ~1e38: loss overflows in float32
    res = st.run(1)
    assert res.diverged is not None and res.steps == 0
    st2 = _diverging("float32")
    st2.net.params[...] = 1e18
    assert st2.step_iteration() is False
    assert st2.diverged == res.diverged


def test_no_warnings_on_divergence(recwarn: pytest.WarningsRecorder) -> None:
    _diverging().run(10_000)
    u = _diverging()
    while u.step_iteration():
        pass
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# ---- history and evaluation -----------------------------------------------------------------
def test_history_and_periodic_evaluation() -> None:
    st = _stepper()
    st.run(10)
    h = st.history
    assert h.train_loss.shape == (10,) and h.lr.shape == (10,)
    assert h.grad_norms.shape == (10, st.net.n_layers)
    np.testing.assert_array_equal(h.eval_steps, [3, 6, 9])
    assert np.all((h.test_accuracy >= 0) & (h.test_accuracy <= 1))
    assert np.all(np.isfinite(h.test_loss)) and np.all(h.eval_train_loss > 0)
    ev = st.evaluate()
    assert set(ev) == {"train_loss", "train_accuracy", "test_loss", "test_accuracy"}


def test_history_grows_past_its_initial_capacity() -> None:
    net = net_for([2, 3, 2], "tanh")
    X, y = make_data(net, 4)
    st = Stepper(net, SGD(lr=0.01), X, y, eval_every=10_000, undo_depth=2)
    st.run(2500)
    assert st.history.train_loss.shape == (2500,)
    assert np.all(np.isfinite(st.history.grad_norms))


def test_stepper_input_validation() -> None:
    net = net_for([3, 4, 2], "tanh")
    X, y = make_data(net, 5)
    with pytest.raises(ValueError, match="rows"):
        Stepper(net, SGD(), X, y[:4])
    with pytest.raises(ValueError, match="shape"):
        Stepper(net, SGD(), X[:, :2], y)
    with pytest.raises(ValueError, match="task"):
        Stepper(net, SGD(), X, y, task="ranking")
    with pytest.raises(ValueError, match="eval_every"):
        Stepper(net, SGD(), X, y, eval_every=0)


def test_epoch_counts_only_after_the_update_of_its_last_batch() -> None:
    """A full-batch iteration is not a completed epoch until its update has been applied."""
    import numpy as np

    from engine import SGD, Network, Stepper

    X = np.eye(4)
    y = np.array([0, 1, 0, 1])
    st = Stepper(Network.from_sizes([4, 3, 2], seed=0), SGD(lr=0.1), X, y, batch_size=None)
    st.step_unit()  # sample: the whole set is drawn
    assert st.epoch == 0
    assert st.step_iteration()
    assert st.epoch == 1
    mini = Stepper(Network.from_sizes([4, 3, 2], seed=0), SGD(lr=0.1), X, y, batch_size=2)
    mini.step_iteration()
    mini.step_unit()  # the second (last) batch of the epoch is drawn
    assert mini.epoch == 0
    mini.step_iteration()
    assert mini.epoch == 1


def test_snapshot_lr_is_the_one_in_force() -> None:
    """Mid-iteration the snapshot shows the iteration's lr; once it is finished, the next one's."""
    import numpy as np

    from engine import SGD, Network, Stepper
    from engine.snapshot import take_snapshot

    st = Stepper(Network.from_sizes([2, 3, 2], seed=0), SGD(lr=0.1), np.eye(2), np.array([0, 1]))
    st.step_unit()
    st.set_lr(0.2)
    assert take_snapshot(st).settings.lr == 0.1 and st.pending == {"lr": 0.2}
    st.step_iteration()
    assert take_snapshot(st).settings.lr == 0.2
    st.set_lr(0.5)  # between iterations: in force at once
    assert take_snapshot(st).settings.lr == 0.5 and not st.pending


def test_version_changes_with_every_state_change_and_is_unique_per_process() -> None:
    st, other = _stepper(), _stepper()
    assert st.version != other.version  # a reopened scenario never repeats a version
    seen = {st.version, other.version}
    changes = [
        (st, st.step_unit),
        (st, lambda: st.run(3)),
        (st, st.undo),
        (st, lambda: st.set_lr(0.5)),
        (st, st.evaluate),
        (st, st.reset),
        (other, other.step_iteration),
    ]
    for stepper, change in changes:
        change()
        assert stepper.version not in seen
        seen.add(stepper.version)
