"""Learning-rate schedules: values at known steps, the text form, and the Stepper using them."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st_

from engine import SGD, Adam, Optimizer, Stepper
from engine.schedules import CONSTANT, Schedule, ScheduleError, parse_schedule
from engine.snapshot import take_snapshot
from tests.engine.engine_helpers import make_data, net_for

# ---- values ----------------------------------------------------------------------------------


def test_constant_is_one_everywhere() -> None:
    s = parse_schedule("constant")
    assert s == CONSTANT and s.is_constant
    assert all(s.lr_at(k) == 1.0 for k in (0, 1, 10**9))


def test_step_decay_halves_every_n_steps() -> None:
    s = parse_schedule("step:every=100,factor=0.5")
    assert [s.lr_at(k) for k in (0, 99, 100, 199, 200, 350)] == [1, 1, 0.5, 0.5, 0.25, 0.125]
    assert parse_schedule("step:every=10").factor == 0.5  # the default factor


def test_cosine_goes_from_one_to_its_floor_and_stays() -> None:
    s = parse_schedule("cosine:steps=100,min=0.1")
    assert s.lr_at(0) == 1.0
    assert s.lr_at(50) == pytest.approx(0.55, abs=1e-15)  # halfway: floor + (1 - floor) / 2
    assert s.lr_at(25) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi / 4)) / 2, abs=1e-15)
    assert s.lr_at(100) == s.lr_at(10**6) == 0.1
    assert parse_schedule("cosine:steps=4").lr_at(4) == 0.0


def test_warmup_is_linear_then_the_main_schedule_starts() -> None:
    w = parse_schedule("warmup:steps=4")
    assert [w.lr_at(k) for k in range(6)] == [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    wc = parse_schedule("warmup:steps=4+cosine:steps=10")
    assert [wc.lr_at(k) for k in range(4)] == [0.25, 0.5, 0.75, 1.0]
    cos = parse_schedule("cosine:steps=10")
    assert all(wc.lr_at(4 + t) == cos.lr_at(t) for t in range(20))  # the cosine starts after
    ws = parse_schedule("warmup:steps=2+step:every=3,factor=0.1")
    assert [ws.lr_at(k) for k in range(9)] == pytest.approx(
        [0.5, 1, 1, 1, 1, 0.1, 0.1, 0.1, 0.01], rel=1e-15
    )


KINDS = [
    "constant",
    "step:every=7,factor=0.3",
    "cosine:steps=50,min=0.05",
    "warmup:steps=9",
    "warmup:steps=3+cosine:steps=20",
    "warmup:steps=5+step:every=2",
]


@given(
    st_.sampled_from(KINDS),
    st_.integers(0, 10**7),
)
def test_every_factor_is_in_0_1_and_never_nan(text: str, step: int) -> None:
    f = parse_schedule(text).lr_at(step)
    assert 0.0 <= f <= 1.0 and not math.isnan(f)


# ---- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical", "words"),
    [
        ("constant", "constant", "constant"),
        ("step:every=1000,factor=0.5", "step:every=1000,factor=0.5", "step x0.5 every 1,000"),
        ("STEP: every = 1e3", "step:every=1000,factor=0.5", "step x0.5 every 1,000"),
        ("cosine:steps=5000,min=0.01", "cosine:steps=5000,min=0.01", "cosine 5,000 to 0.01"),
        ("cosine:steps=5000,min=0", "cosine:steps=5000", "cosine 5,000"),
        ("warmup:steps=200", "warmup:steps=200", "warmup 200"),
        (
            "warmup:steps=200 + cosine:steps=5000",
            "warmup:steps=200+cosine:steps=5000",
            "warmup 200 + cosine 5,000",
        ),
        ("warmup:steps=3+constant", "warmup:steps=3", "warmup 3"),
    ],
)
def test_text_round_trips_through_its_canonical_form(text: str, canonical: str, words: str) -> None:
    s = parse_schedule(text)
    assert str(s) == canonical and parse_schedule(str(s)) == s
    assert s.describe() == words


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("cosin:steps=3", "did you mean 'cosine'"),
        ("cosine", "cosine without steps="),
        ("cosine:steps=0", "steps=0"),
        ("cosine:steps=-3", "steps=-3"),
        ("cosine:steps=10,min=1.5", "min in [0, 1]"),
        ("cosine:steps=10,min=nan", "min=nan"),
        ("cosine:stepz=4", "did you mean 'steps'"),
        ("step:every=10,factor=2", "factor in (0, 1]"),
        ("step:every=10,factor=0", "factor in (0, 1]"),
        ("step:every=1.5", "whole number"),
        ("step:every=x", "every='x'"),
        ("step:every", "every=VALUE"),
        ("step:every=1e13", "<= 1e+12"),
        ("warmup:steps=0", "N >= 1"),
        ("cosine:steps=9+warmup:steps=3", "warmup first"),
        ("warmup:steps=2+warmup:steps=2", "warmup first"),
        ("a+b+c", "3 parts"),
        ("constant:", "constant alone"),
        ("x" * 500, "500 characters"),
    ],
)
def test_bad_text_is_one_line_saying_why(text: str, says: str) -> None:
    with pytest.raises(ScheduleError) as e:
        parse_schedule(text)
    msg = str(e.value)
    assert says in msg and "\n" not in msg and "allowed:" in msg
    assert isinstance(e.value, ValueError)  # callers catch ValueError


def test_a_schedule_built_in_code_is_checked_too() -> None:
    with pytest.raises(ScheduleError, match="kind 'linear'"):
        Schedule(kind="linear")
    with pytest.raises(ScheduleError, match="every"):
        Schedule(kind="step")  # every defaults to 0
    with pytest.raises(ScheduleError, match="warmup"):
        Schedule(warmup=True)  # a bool is not a step count


# ---- the Stepper -----------------------------------------------------------------------------

SCHEDULES = ["warmup:steps=3+cosine:steps=9,min=0.1", "step:every=4,factor=0.5"]
OPTS: dict[str, Callable[[], Optimizer]] = {
    "sgd_momentum": lambda: SGD(lr=0.2, momentum=0.9, l2=1e-3),
    "adam": lambda: Adam(lr=0.02),
}


def _stepper(opt: Optimizer, schedule: str = "constant", undo_depth: int = 100) -> Stepper:
    net = net_for([3, 5, 4, 3], "tanh", seed=2)
    X, y = make_data(net, 18, seed=3)
    return Stepper(
        net, opt, X, y, batch_size=4, seed=5, eval_every=3, undo_depth=undo_depth,
        schedule=parse_schedule(schedule),
    )  # fmt: skip


@pytest.mark.parametrize("opt", OPTS)
@pytest.mark.parametrize("text", SCHEDULES)
def test_history_records_base_times_schedule_at_each_iteration(opt: str, text: str) -> None:
    st = _stepper(OPTS[opt](), text)
    st.run(17)
    s = parse_schedule(text)
    assert st.lr == OPTS[opt]().lr  # the base stays what was set
    assert np.array_equal(st.history.lr, [st.lr * s.lr_at(k) for k in range(17)])


@pytest.mark.parametrize("opt", OPTS)
@pytest.mark.parametrize("text", SCHEDULES)
def test_unit_path_and_fast_path_are_bit_identical(opt: str, text: str) -> None:
    unit, fast, mixed = (_stepper(OPTS[opt](), text) for _ in range(3))
    while unit.step < 17:
        assert unit.step_unit() is not None
    assert fast.run(17).steps == 17
    for _ in range(5):  # units and phases, then the fast path, then whole iterations
        mixed.step_unit()
        mixed.finish_phase()
        mixed.run(2)
    while mixed.step < 17:
        mixed.step_iteration()
    for other in (fast, mixed):
        assert other.step == unit.step
        assert np.array_equal(other.net.params, unit.net.params)
        assert np.array_equal(other.history.lr, unit.history.lr)
        assert np.array_equal(other.history.train_loss, unit.history.train_loss)
        for k, v in unit.opt.state().items():
            assert np.array_equal(other.opt.state()[k], v)


def test_a_constant_schedule_changes_nothing() -> None:
    """Bit for bit the run of a Stepper built without one (what every old test pins)."""
    a = _stepper(OPTS["sgd_momentum"]())
    net = net_for([3, 5, 4, 3], "tanh", seed=2)
    X, y = make_data(net, 18, seed=3)
    b = Stepper(net, OPTS["sgd_momentum"](), X, y, batch_size=4, seed=5, eval_every=3)
    a.run(9)
    b.run(9)
    assert np.array_equal(a.net.params, b.net.params)
    assert np.array_equal(a.history.lr, np.full(9, 0.2))


def test_undo_and_reset_bring_the_lr_back_with_the_step() -> None:
    st = _stepper(OPTS["sgd_momentum"](), SCHEDULES[0])
    st.run(6)
    params6, lr6 = st.net.params.copy(), st.lr_in_force
    st.run(3)
    for _ in range(3):
        assert st.undo()
    assert st.step == 6 and st.lr_in_force == lr6 == st.opt.lr
    assert np.array_equal(st.net.params, params6)
    st.run(3)  # replays the same three iterations
    again = st.net.params.copy()
    st.reset()
    assert st.lr_in_force == st.opt.lr == 0.2 * parse_schedule(SCHEDULES[0]).lr_at(0)
    st.run(9)
    assert np.array_equal(st.net.params, again)


def test_lr_in_force_mid_iteration_and_at_the_boundary() -> None:
    st = _stepper(OPTS["sgd_momentum"](), "step:every=2,factor=0.5")
    st.run(1)
    assert st.lr_in_force == 0.2  # step 1: the next iteration is the second, still x1
    st.run(1)
    assert st.lr_in_force == 0.1  # step 2: x0.5 from here
    st.step_unit()  # mid-iteration: this iteration's lr
    assert st.lr_in_force == st.it.lr == 0.1
    snap = take_snapshot(st).settings
    assert (snap.lr, snap.base_lr, snap.schedule) == (0.1, 0.2, "step x0.5 every 2")


def test_set_lr_sets_the_base_and_set_schedule_is_held_to_the_boundary() -> None:
    st = _stepper(OPTS["sgd_momentum"](), "step:every=2,factor=0.5")
    st.run(2)
    assert st.set_lr(0.4)  # at a boundary: now; the schedule multiplies it
    assert (st.lr, st.lr_in_force) == (0.4, 0.2)
    st.step_unit()
    cos = parse_schedule("cosine:steps=10")
    assert not st.set_schedule(cos)  # mid-iteration: from the next iteration
    assert st.schedule != cos and st.pending == {"schedule": cos}
    st.step_iteration()
    assert st.history.lr[-1] == 0.2 and st.schedule == cos
    st.step_iteration()
    assert st.history.lr[-1] == 0.4 * cos.lr_at(3)  # the new schedule at the step it is at
    assert take_snapshot(st).settings.schedule == "cosine 10"
    st.set_schedule(CONSTANT)
    assert st.lr_in_force == 0.4 and take_snapshot(st).settings.schedule == ""
    with pytest.raises(TypeError):
        st.set_schedule("cosine:steps=3")  # type: ignore[arg-type]


def test_without_undo_the_schedule_still_applies() -> None:
    st = _stepper(OPTS["adam"](), SCHEDULES[1], undo_depth=0)
    st.run(9)
    assert np.array_equal(st.history.lr, [0.02 * 0.5 ** (k // 4) for k in range(9)])


def test_a_restored_checkpoint_continues_the_schedule_bit_for_bit(tmp_path) -> None:
    """The schedule has no state: restoring the step restores the lr (full batch: no RNG)."""
    from engine import load_checkpoint, save_checkpoint

    text = "warmup:steps=4+cosine:steps=10"

    def fresh() -> Stepper:
        net = net_for([3, 5, 4, 3], "tanh", seed=2)
        X, y = make_data(net, 18, seed=3)
        opt = SGD(lr=0.2, momentum=0.9)
        return Stepper(net, opt, X, y, batch_size=None, seed=5, schedule=parse_schedule(text))

    whole = fresh()
    whole.run(12)
    first = fresh()
    first.run(6)
    save_checkpoint(tmp_path / "c.npz", first)
    second = fresh()
    load_checkpoint(tmp_path / "c.npz").restore_into(second)
    assert second.step == 6 and second.lr_in_force == whole.history.lr[6]
    second.run(6)
    assert np.array_equal(second.net.params, whole.net.params)
    assert np.array_equal(second.history.lr, whole.history.lr[6:])
