"""Comparison without Textual: fork, lockstep bit for bit, focus, drop, the cap, the overlay."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Stepper
from tests.tui.app_helpers import open_session
from tui.comparison import CompareError, Comparison
from tui.comparison_run import MAX_RUNS, Run
from tui.run_settings import labels, settings_of
from tui.session import Session


class Kept:
    """A recorder that remembers what it was told, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, str]] = []

    def started(self, run: Run) -> None:
        self.events.append(("started", run.id, ""))

    def progress(self, run: Run, force: bool = False) -> None:
        self.events.append(("progress", run.id, ""))

    def finished(self, run: Run, status: str) -> None:
        self.events.append(("finished", run.id, status))


def alone(lr: float, steps: int, name: str = "five-classes") -> Stepper:
    """The same scenario trained by itself, lr set at step 0."""
    st = open_session(name).stepper
    st.set_lr(lr)
    st.run(steps)
    return st


def test_fork_starts_from_the_same_initial_weights_and_batch_order() -> None:
    c = Comparison(open_session())
    first = c.focused.stepper
    first.run(7)
    run = c.fork()
    st = run.stepper
    assert c.focused is run and run.forked_from == 1 and run.id == 2 and len(c) == 2
    assert st.step == 0 and st is not first
    assert np.array_equal(st.net.params, first.initial_params)
    # the same batches, in the same order: the first 7 iterations draw the same rows
    st.run(7)
    assert np.array_equal(st.net.params, first.net.params)
    assert np.array_equal(st.history.train_loss, first.history.train_loss)


def test_fork_copies_the_focused_runs_hyperparameters_held_ones_too() -> None:
    c = Comparison(open_session())
    c.do("lr", 0.2)
    c.do("batch_up")
    c.do("unit")  # an iteration begun: the next change is held
    c.do("lr", 0.3)
    run = c.fork()
    want = settings_of(c.runs[0].stepper)
    assert settings_of(run.stepper) == want
    assert run.stepper.lr == 0.3 and want["lr"] == 0.3


@pytest.mark.parametrize("chunks", [[1, 1, 1, 5], [40], [3, 17, 2]])
def test_lockstep_runs_equal_the_same_runs_alone_bit_for_bit(chunks: list[int]) -> None:
    c = Comparison(open_session())
    lrs = [0.05, 0.2, 0.01]
    c.fork()
    c.do("lr", lrs[1])
    c.fork()
    c.do("lr", lrs[2])
    c.set_focus(1)
    for n in chunks:
        assert c.stepper.run(n).steps == n
    for run, lr in zip(c.runs, lrs, strict=True):
        ref = alone(lr, sum(chunks))
        assert run.stepper.step == ref.step == sum(chunks)
        assert np.array_equal(run.stepper.net.params, ref.net.params)
        assert np.array_equal(run.stepper.history.train_loss, ref.history.train_loss)


def test_lockstep_commands_step_every_run_unit_by_unit() -> None:
    c = Comparison(open_session())
    c.fork()
    c.do("lr", 0.2)
    n_units = len(c.focused.stepper.units)
    for _ in range(n_units + 2):
        c.do("unit")
    c.do("iteration")
    c.do("forward")
    assert [r.stepper.step for r in c] == [2, 2]
    assert [r.stepper.position for r in c] == [c.runs[0].stepper.position] * 2
    c.do("update")
    for run, lr in zip(c.runs, (0.05, 0.2), strict=True):
        ref = alone(lr, 3)
        assert np.array_equal(run.stepper.net.params, ref.net.params)
    c.do("undo")
    assert [r.stepper.step for r in c] == [2, 2]


def test_lockstep_unit_playback_through_the_run_loop_interface() -> None:
    c = Comparison(open_session())
    c.fork()
    lead = c.stepper
    for _ in range(2 * len(c.focused.stepper.units)):
        assert lead.step_unit() is not None
    assert [r.stepper.step for r in c] == [2, 2]
    assert lead.step == 2 and lead.at_boundary  # read from the focused run


def test_hyperparameter_commands_change_only_the_focused_run() -> None:
    c = Comparison(open_session())
    momentum = c.session.stepper.opt.momentum  # type: ignore[attr-defined]
    c.fork()
    note = c.do("lr_up")
    assert note == "lr 0.1"
    assert [r.stepper.lr for r in c] == [0.05, 0.1]
    c.do("set", {"momentum": 0.5, "l2": 0.001})
    assert c.runs[1].stepper.opt.momentum == 0.5  # type: ignore[attr-defined]
    assert c.runs[0].stepper.opt.momentum == momentum != 0.5  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        c.do("set", {"lr": -1.0, "momentum": 0.9})  # nothing applies
    assert c.runs[1].stepper.opt.momentum == 0.5  # type: ignore[attr-defined]


def test_focus_moves_round_the_ends_and_the_snapshot_follows() -> None:
    c = Comparison(open_session())
    c.fork()
    c.fork()
    assert c.focus == 2
    assert c.move_focus(1).id == 1
    assert c.move_focus(-1).id == 3
    c.do("focus", -1)
    assert c.focused.id == 2
    assert c.snapshot().version == c.runs[1].stepper.version
    with pytest.raises(CompareError):
        c.set_focus(3)


def test_at_most_eight_runs() -> None:
    c = Comparison(open_session())
    for _ in range(MAX_RUNS - 1):
        c.do("fork")
    assert len(c) == MAX_RUNS
    with pytest.raises(CompareError, match="8 runs at most"):
        c.do("fork")
    assert len(c) == MAX_RUNS
    assert sorted(r.slot for r in c) == list(range(MAX_RUNS))


def test_drop_keeps_the_run_in_the_recorder_and_frees_its_look() -> None:
    kept = Kept()
    c = Comparison(open_session(), kept)
    c.fork()
    c.fork()
    c.set_focus(1)
    dropped = c.drop()
    assert dropped.id == 2 and [r.id for r in c] == [1, 3] and c.focused.id == 3
    assert kept.events[-1] == ("finished", 2, "paused")
    assert c.fork().slot == 1  # the dropped run's colour and glyph are free again
    c.drop()
    c.drop()
    with pytest.raises(CompareError, match="only run"):
        c.drop()


def test_reset_restarts_every_run_and_keeps_the_old_ones() -> None:
    kept = Kept()
    c = Comparison(open_session(), kept)
    c.fork()
    c.do("lr", 0.2)
    c.do("iteration")
    kept.events.clear()
    c.do("reset")
    assert [r.stepper.step for r in c] == [0, 0] and len(c) == 2
    assert [r.stepper.lr for r in c] == [0.05, 0.2]  # hyperparameters stay
    assert kept.events == [
        ("finished", 1, "paused"),
        ("started", 1, ""),
        ("finished", 2, "paused"),
        ("started", 2, ""),
    ]
    c.close()
    assert kept.events[-2:] == [("finished", 1, "paused"), ("finished", 2, "paused")]


def test_a_diverging_run_stops_and_the_others_go_on() -> None:
    c = Comparison(open_session())
    c.fork()
    c.do("lr", 500.0)
    c.set_focus(0)
    for _ in range(20):
        c.stepper.run(10)
    first, wild = c.runs
    assert wild.stepper.diverged is not None
    assert first.stepper.diverged is None and first.stepper.step == 200
    notes = c.take_notes()
    assert len(notes) == 1 and notes[0].startswith("run 2 diverged at step")
    assert c.take_notes() == []


def test_labels_name_what_differs() -> None:
    a = {"optimizer": "sgd", "lr": 0.1, "batch": 16, "momentum": 0.0}
    b = {**a, "lr": 0.2}
    c = {**a, "batch": None, "momentum": 0.9}
    assert labels([a, b], 400) == ["lr 0.1", "lr 0.2"]
    assert labels([a, b, c], 400) == [
        "lr 0.1, batch 16, momentum 0",
        "lr 0.2, batch 16, momentum 0",
        "lr 0.1, batch full, momentum 0.9",
    ]
    assert labels([a, dict(a)], 400) == ["", ""]


def test_overlay_none_for_one_run_then_every_run_focused_last() -> None:
    c = Comparison(open_session())
    assert c.overlay() is None
    c.stepper.run(5)
    c.fork()
    c.do("lr", 0.2)
    c.fork()
    c.stepper.run(5)
    c.set_focus(1)
    ov = c.overlay()
    assert ov is not None
    assert [k.run_id for k in ov.curves] == [1, 3, 2]
    assert [k.focused for k in ov.curves] == [False, False, True]
    assert [k.label for k in ov.curves] == ["lr 0.05", "lr 0.2", "lr 0.2"]
    first, third, second = ov.curves
    assert list(first.x) == list(range(1, 11)) and list(third.x) == list(range(1, 6))
    # run 3 is run 2 forked: the same weights, batches and lr, so the same losses
    assert np.array_equal(third.y, second.y)
    assert np.array_equal(first.diff, np.zeros(10))
    assert np.all(np.isfinite(second.diff))
    assert ov.base_id == 1
    before = ov.key
    c.do("iteration")
    ov2 = c.overlay()
    assert ov2 is not None and ov2.key != before


def test_snapshot_hands_its_overlay_and_number_over_once() -> None:
    c = Comparison(open_session())
    c.fork()
    snap = c.snapshot()
    ov, number = c.taken(snap)
    assert ov is not None and ov.curves[-1].run_id == 2 and number == 1
    assert c.taken(snap) == (None, 0)  # taken
    assert c.taken(c.session.snapshot()) == (None, 0)  # not one it took
    assert c.taken(c.snapshot())[1] == 2  # numbered in the order taken


def test_added_scenario_run_has_its_own_weights() -> None:
    c = Comparison(open_session())
    scenario = c.session.scenario
    run = c.add_scenario(scenario)
    assert run.forked_from == 1 and isinstance(run.session, Session)
    assert np.array_equal(run.stepper.net.params, c.runs[0].stepper.initial_params)
