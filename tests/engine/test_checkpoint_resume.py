"""Checkpoint version 2: a run saved and resumed goes on bit for bit; version 1 files still load."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine import SGD, Adam, CheckpointError, Stepper, load_checkpoint, save_checkpoint
from engine.checkpoint import VERSION
from engine.schedules import parse_schedule
from tests.engine.engine_helpers import make_data, net_for


def make(opt_name: str, batch_size: int | None = 5, schedule: str = "constant") -> Stepper:
    net = net_for([3, 5, 4, 3], "tanh", seed=1)
    X, y = make_data(net, 23, seed=2)
    opt = SGD(lr=0.05, momentum=0.9, l2=1e-3) if opt_name == "sgd" else Adam(lr=0.01, l1=1e-4)
    return Stepper(
        net, opt, X, y, batch_size=batch_size, seed=3, eval_every=7,
        schedule=parse_schedule(schedule), undo_depth=0,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("opt_name", "batch_size", "schedule"),
    [
        ("sgd", 5, "constant"),
        ("adam", 4, "warmup:steps=5+cosine:steps=40"),
        ("sgd", None, "step:every=10,factor=0.5"),
    ],
)
def test_resume_is_bit_for_bit(
    tmp_path: Path, opt_name: str, batch_size: int | None, schedule: str
) -> None:
    whole = make(opt_name, batch_size, schedule)
    whole.run(61)
    half = make(opt_name, batch_size, schedule)
    half.run(30)  # mid-epoch: 30 batches of 5 from 23 samples
    path = tmp_path / "half.npz"
    save_checkpoint(path, half, {"run": 1})
    again = make(opt_name, batch_size, schedule)
    load_checkpoint(path).restore_into(again)
    assert again.step == 30 and again.epoch == half.epoch
    assert again.lr_in_force == half.lr_in_force
    again.run(31)
    np.testing.assert_array_equal(again.net.params, whole.net.params)
    for k, v in whole.opt.state().items():
        np.testing.assert_array_equal(again.opt.state()[k], v)
    assert again.evaluate() == whole.evaluate()
    assert (again.step, again.epoch) == (whole.step, whole.epoch)
    # the evaluations after the resume fall on the same steps
    assert again.history.eval_steps.tolist() == [s for s in whole.history.eval_steps if s > 30]


def test_settings_changed_during_the_run_come_back(tmp_path: Path) -> None:
    st = make("sgd")
    st.run(4)
    st.set_lr(0.2)
    st.set_batch_size(3)
    st.set_momentum(0.5)
    st.set_regularization(l1=1e-3)
    st.run(5)
    save_checkpoint(tmp_path / "c.npz", st)
    ck = load_checkpoint(tmp_path / "c.npz")
    assert ck.version == VERSION
    again = make("sgd")
    ck.restore_into(again)
    assert (again.lr, again.batch_size) == (0.2, 3)
    assert (again.opt.momentum, again.opt.l1, again.opt.l2) == (0.5, 1e-3, 1e-3)  # type: ignore[attr-defined]
    st.run(10)
    again.run(10)
    np.testing.assert_array_equal(again.net.params, st.net.params)


def test_history_curves_are_kept(tmp_path: Path) -> None:
    st = make("sgd")
    st.run(20)
    save_checkpoint(tmp_path / "c.npz", st)
    ck = load_checkpoint(tmp_path / "c.npz")
    x, y = st.history.loss_curve()
    np.testing.assert_array_equal(ck.history["loss_step"], x)
    np.testing.assert_array_equal(ck.history["loss"], y)
    assert ck.history["eval_step"].tolist() == [7, 14]
    assert ck.last_eval_step == st.last_eval_step


def test_mid_iteration_is_refused(tmp_path: Path) -> None:
    st = make("sgd")
    st.step_unit()
    with pytest.raises(CheckpointError, match="between iterations"):
        save_checkpoint(tmp_path / "c.npz", st)
    assert not (tmp_path / "c.npz").exists()


def test_batch_order_that_does_not_fit_the_data(tmp_path: Path) -> None:
    st = make("sgd")
    st.run(2)
    save_checkpoint(tmp_path / "c.npz", st)
    net = net_for([3, 5, 4, 3], "tanh", seed=1)
    X, y = make_data(net, 30, seed=2)  # 30 samples, not 23
    other = Stepper(net, SGD(lr=0.05), X, y, batch_size=5, seed=3)
    with pytest.raises(CheckpointError, match="batch order"):
        load_checkpoint(tmp_path / "c.npz").restore_into(other)


def _rewrite_meta(path: Path, change: dict[str, object], drop: tuple[str, ...] = ()) -> None:
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k not in drop}
    meta = json.loads(str(arrays["meta"]))
    meta.update(change)
    for key in drop:
        meta.pop(key, None)
    arrays["meta"] = np.array(json.dumps(meta))
    with open(path, "wb") as f:
        np.savez(f, allow_pickle=False, **arrays)


def test_version_1_still_loads_and_newer_is_refused(tmp_path: Path) -> None:
    st = make("sgd")
    st.run(6)
    path = tmp_path / "c.npz"
    save_checkpoint(path, st)
    v2 = (
        "batcher", "counters", "settings", "last_eval", "last_eval_step", "batcher_perm",
        "history_loss_step", "history_loss", "history_eval_step", "history_eval",
    )  # fmt: skip
    _rewrite_meta(path, {"version": 1}, drop=v2)
    ck = load_checkpoint(path)
    assert ck.version == 1 and ck.batcher is None and ck.history == {}
    again = make("sgd")
    ck.restore_into(again)
    assert (again.step, again.epoch) == (6, st.epoch)
    np.testing.assert_array_equal(again.net.params, st.net.params)
    _rewrite_meta(path, {"version": VERSION + 1})
    with pytest.raises(CheckpointError, match="newer backprop-tui"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "change",
    [
        {"batcher": "x"},
        {"counters": {"eval_due": -1}},
        {"settings": []},
        {"batcher": {"rng": {"bit_generator": "MT19937"}, "pos": 0, "epoch": 0}},
        {"batcher": {"rng": {}, "pos": 0, "epoch": 0}},
        {"settings": {"schedule": "cosin"}},
        {"settings": {"lr": -1}},
        {"settings": {"batch_size": "x"}},
    ],
)
def test_bad_resume_parts_are_one_line_errors(tmp_path: Path, change: dict[str, object]) -> None:
    st = make("sgd")
    st.run(3)
    path = tmp_path / "c.npz"
    save_checkpoint(path, st)
    _rewrite_meta(path, change)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path).restore_into(make("sgd"))
    assert "\n" not in str(info.value)
