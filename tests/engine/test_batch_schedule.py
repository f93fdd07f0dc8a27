"""Batch-size schedules: values, the text form, both stepping paths, undo, reset and resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import SGD, Adam, Optimizer, Stepper, load_checkpoint, save_checkpoint
from engine.schedules import (
    CONSTANT_BATCH,
    BatchSchedule,
    ScheduleError,
    parse_batch_schedule,
)
from tests.engine.engine_helpers import make_data, net_for

# ---- values ----------------------------------------------------------------------------------


def test_constant_keeps_the_base_and_full_stays_full() -> None:
    s = parse_batch_schedule("constant")
    assert s == CONSTANT_BATCH and s.is_constant
    assert s.batch_at(10, 10**6, 10**6, 300) == 10
    step = parse_batch_schedule("step:every=2,factor=2")
    assert step.batch_at(None, 100, 5, 300) is None


def test_step_multiplies_every_n_steps_capped_at_the_set() -> None:
    s = parse_batch_schedule("step:every=3,factor=2")
    assert [s.batch_at(10, k, 0, 50) for k in range(13)] == [10] * 3 + [20] * 3 + [40] * 3 + [
        50
    ] * 4
    assert s.batch_at(10, 10**12, 0, 50) == 50  # a huge step costs a few rounds, not 10^12
    assert all(isinstance(s.batch_at(7, k, 0, 1000), int) for k in range(40))


def test_epochs_multiplies_every_e_epochs_whatever_the_step() -> None:
    s = parse_batch_schedule("step:epochs=7, factor=2")
    assert [s.batch_at(10, 999, e, 300) for e in (0, 6, 7, 13, 14, 20, 40)] == [
        10, 10, 20, 20, 40, 40, 300,
    ]  # fmt: skip
    assert parse_batch_schedule("step:every=5").factor == 2  # the default factor


@pytest.mark.parametrize(
    ("text", "canonical", "words"),
    [
        ("constant", "constant", "constant"),
        (" STEP:every=1e2, factor=4 ", "step:every=100,factor=4", "batch x4 every 100 steps"),
        ("step:epochs=7", "step:epochs=7,factor=2", "batch x2 every 7 epochs"),
    ],
)
def test_text_round_trips(text: str, canonical: str, words: str) -> None:
    s = parse_batch_schedule(text)
    assert str(s) == canonical and parse_batch_schedule(canonical) == s
    assert s.describe() == words


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("cnstant", "did you mean 'constant'"),
        ("step", "allowed: constant, step:every=N"),
        ("step:factor=2", "without every= or epochs="),
        ("step:every=3,epochs=2", "exactly one of every=N or epochs=E"),
        ("step:every=0", "every a whole number >= 1"),
        ("step:every=2,factor=1.5", "factor a whole number >= 2"),
        ("step:every=2,factor=1", "factor a whole number >= 2"),
        ("step:evry=2", "did you mean 'every'"),
        ("step:every=x", "every a whole number"),
        ("cosine:steps=3", "allowed: constant, step:every=N"),
        ("x" * 300, "at most 200"),
    ],
)
def test_bad_text_is_one_line_saying_why(text: str, says: str) -> None:
    with pytest.raises(ScheduleError) as e:
        parse_batch_schedule(text)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_a_batch_schedule_built_in_code_is_checked_too() -> None:
    with pytest.raises(ScheduleError):
        BatchSchedule("step", every=0, epochs=0)
    with pytest.raises(ScheduleError):
        BatchSchedule("step", every=3, factor=2.5)  # type: ignore[arg-type]
    with pytest.raises(ScheduleError):
        BatchSchedule("grow")


# ---- the Stepper -----------------------------------------------------------------------------

SCHEDULES = ["step:every=4,factor=2", "step:epochs=2,factor=3"]
OPTS = {
    "sgd_momentum": lambda: SGD(lr=0.2, momentum=0.9, l2=1e-3),
    "adam": lambda: Adam(lr=0.02),
}


def _stepper(opt: Optimizer, text: str = "constant", undo_depth: int = 100) -> Stepper:
    net = net_for([3, 5, 4, 3], "tanh", seed=2)
    X, y = make_data(net, 30, seed=3)
    return Stepper(
        net, opt, X, y, batch_size=2, seed=5, eval_every=3, undo_depth=undo_depth,
        batch_schedule=parse_batch_schedule(text),
    )  # fmt: skip


def _batches_by_units(st: Stepper, n: int) -> list[int | None]:
    """The batch size in force in each iteration (the rows drawn can be fewer at an epoch end)."""
    sizes = []
    while st.step < n:
        st.step_unit()  # the sample unit: the batch is drawn
        sizes.append(st.batch_in_force)
        st.step_iteration()
    return sizes


def test_each_iteration_draws_the_scheduled_batch() -> None:
    st = _stepper(SGD(lr=0.1), SCHEDULES[0])
    sizes = _batches_by_units(st, 14)
    assert sizes == [2] * 4 + [4] * 4 + [8] * 4 + [16] * 2
    assert st.history.lr.size == 14 and st.it.batch_size == 16
    assert st.batch_size == 2 and st.batch_in_force == 16  # the base stays what was set
    by_epoch = _stepper(SGD(lr=0.1), SCHEDULES[1])
    sizes = _batches_by_units(by_epoch, 40)
    # 30 rows: two epochs of 15 batches of 2, then batches of 6 (5 a epoch) ... up to the set
    assert sizes[:30] == [2] * 30 and sizes[30:40] == [6] * 10
    by_epoch.run(20)
    assert by_epoch.batch_in_force == 30 and by_epoch.steps_per_epoch == 1


@pytest.mark.parametrize("opt", OPTS)
@pytest.mark.parametrize("text", SCHEDULES)
def test_unit_path_and_fast_path_are_bit_identical(opt: str, text: str) -> None:
    unit, fast, mixed = (_stepper(OPTS[opt](), text) for _ in range(3))
    while unit.step < 37:
        assert unit.step_unit() is not None
    assert fast.run(37).steps == 37
    for _ in range(6):  # units and phases, then the fast path, then whole iterations
        mixed.step_unit()
        mixed.finish_phase()
        mixed.run(3)
    while mixed.step < 37:
        mixed.step_iteration()
    for other in (fast, mixed):
        assert other.step == unit.step and other.epoch == unit.epoch
        assert np.array_equal(other.net.params, unit.net.params)
        assert np.array_equal(other.history.train_loss, unit.history.train_loss)
        assert other.batcher.state().pos == unit.batcher.state().pos
        for k, v in unit.opt.state().items():
            assert np.array_equal(other.opt.state()[k], v)


def test_a_constant_batch_schedule_changes_nothing() -> None:
    a = _stepper(SGD(lr=0.2, momentum=0.9))
    net = net_for([3, 5, 4, 3], "tanh", seed=2)
    X, y = make_data(net, 30, seed=3)
    b = Stepper(net, SGD(lr=0.2, momentum=0.9), X, y, batch_size=2, seed=5, eval_every=3)
    a.run(20)
    b.run(20)
    assert np.array_equal(a.net.params, b.net.params)


def test_undo_and_reset_bring_the_batch_back_with_the_step() -> None:
    st = _stepper(SGD(lr=0.2, momentum=0.9), SCHEDULES[0])
    st.run(6)
    params6 = st.net.params.copy()
    assert st.batch_in_force == 4
    st.run(7)
    assert st.batch_in_force == 16
    for _ in range(7):
        assert st.undo()
    assert st.step == 6 and st.batch_in_force == 4
    assert np.array_equal(st.net.params, params6)
    st.run(7)  # replays the same iterations
    again = st.net.params.copy()
    st.step_unit()
    st.step_unit()  # mid-iteration: undo abandons it, the batch is the step's
    assert st.undo() and st.batch_in_force == 16
    st.reset()
    assert st.batch_in_force == 2
    st.run(13)
    assert np.array_equal(st.net.params, again)


def test_set_batch_size_sets_the_base_and_the_schedule_is_held_to_the_boundary() -> None:
    st = _stepper(SGD(lr=0.1), SCHEDULES[0])
    st.run(4)
    assert st.set_batch_size(3) and (st.batch_size, st.batch_in_force) == (3, 6)
    st.step_unit()
    new = parse_batch_schedule("step:every=1,factor=2")
    assert not st.set_batch_schedule(new)  # mid-iteration: from the next iteration
    assert st.batch_schedule != new and st.pending == {"batch_schedule": new}
    st.step_iteration()
    assert st.it.batch_size == 6 and st.batch_schedule == new
    st.step_iteration()
    # 3 x 2^5, capped at the 30 rows; the epoch's last 16 rows are all this batch gets
    assert (st.it.batch_size, st.batch_in_force) == (16, 30)
    st.set_batch_schedule(CONSTANT_BATCH)
    assert st.batch_in_force == 3
    with pytest.raises(TypeError):
        st.set_batch_schedule("step:every=3")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", SCHEDULES)
def test_a_restored_checkpoint_goes_on_bit_for_bit(tmp_path: Path, text: str) -> None:
    """300 + 300 == 600, with the batch growing before and after the save."""
    whole = _stepper(SGD(lr=0.05, momentum=0.9), "step:every=100,factor=2" if "every" in text
                     else "step:epochs=15,factor=2", undo_depth=0)  # fmt: skip
    whole.run(600)
    first = _stepper(SGD(lr=0.05, momentum=0.9), str(whole.batch_schedule), undo_depth=0)
    first.run(300)
    save_checkpoint(tmp_path / "c.npz", first)
    ck = load_checkpoint(tmp_path / "c.npz")
    assert ck.settings["batch_schedule"] == str(whole.batch_schedule)
    second = _stepper(SGD(lr=0.05, momentum=0.9), undo_depth=0)  # built without the schedule
    ck.restore_into(second)
    assert second.batch_schedule == whole.batch_schedule
    assert second.batch_in_force == first.batch_in_force
    second.run(300)
    assert np.array_equal(second.net.params, whole.net.params)
    assert np.array_equal(second.history.train_loss, whole.history.train_loss[300:])
    assert second.batcher.state().pos == whole.batcher.state().pos
    assert second.epoch == whole.epoch
