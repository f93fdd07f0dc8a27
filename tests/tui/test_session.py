"""Session's commands without Textual: steps, ladders, held changes, undo, reset, the map cache."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Phase, Stepper
from engine.snapshot import decision_map
from tests.tui.app_helpers import open_session
from tui.session import Session


@pytest.fixture
def session() -> Session:
    """five-classes (a test fixture): lr 0.05, batch 16, 400 training samples."""
    return open_session()


def label(st: Stepper) -> str | None:
    unit = st.last_unit
    return None if unit is None else unit.label(st.net.n_layers)


def test_unit_steps_one_unit_at_a_time(session: Session) -> None:
    st = session.stepper
    labels = [u.label(st.net.n_layers) for u in st.units]
    for k, expected in enumerate(labels, start=1):
        assert session.do("unit") == ""
        assert st.position == k and label(st) == expected
    assert st.step == 1
    session.do("unit")
    session.do("unit")
    assert label(st) == "forward L1/3"


def test_iteration_finishes_one(session: Session) -> None:
    st = session.stepper
    session.do("iteration")
    assert st.step == 1 and st.at_boundary and label(st) == "update"


def test_forward_backward_update_finish_phases(session: Session) -> None:
    st = session.stepper
    session.do("forward")
    assert label(st) == "loss" and st.step == 0
    session.do("backward")
    assert label(st) == "backward L1/3"
    session.do("update")
    assert label(st) == "update" and st.step == 1
    # backward from the start of an iteration runs the forward pass and the loss first
    session.do("backward")
    assert st.step == 1 and label(st) == "backward L1/3"


def test_forward_past_the_loss_finishes_the_iteration_and_the_next_forward(
    session: Session,
) -> None:
    st = session.stepper
    session.do("backward")
    session.do("forward")
    assert st.step == 1 and st.last_unit is not None and st.last_unit.phase == Phase.LOSS


def test_lr_walks_the_ladder(session: Session) -> None:
    st = session.stepper
    assert session.do("lr_up") == "lr 0.1" and st.lr == 0.1
    session.do("lr_down")
    session.do("lr_down")
    assert st.lr == 0.02
    for _ in range(9):  # 0.02 -> 10 is 8 rungs; one more stays at the top
        session.do("lr_up")
    assert st.lr == 10.0
    for _ in range(30):
        session.do("lr_down")
    assert st.lr == 1e-5  # the bottom rung


def test_lr_change_mid_iteration_is_held(session: Session) -> None:
    st = session.stepper
    session.do("forward")
    assert session.do("lr_up") == "lr 0.1 from next step"
    assert st.lr == 0.05 and st.pending == {"lr": 0.1}
    session.do("lr_up")  # a second change walks on from the held value
    assert st.pending == {"lr": 0.2}
    session.do("lr_down")
    session.do("update")
    session.do("unit")
    assert st.lr == 0.1 and not st.pending


def test_lr_change_after_a_finished_iteration_applies_at_once(session: Session) -> None:
    st = session.stepper
    session.do("iteration")
    assert session.do("lr_up") == "lr 0.1"
    assert st.lr == 0.1 and not st.pending


def test_typed_lr(session: Session) -> None:
    assert session.do("lr", 0.03) == "lr 0.03"
    assert session.stepper.lr == 0.03
    assert session.do("lr_up") == "lr 0.05"  # off the ladder: the next rung up


def test_batch_ladder(session: Session) -> None:
    st = session.stepper
    assert session.do("batch_up") == "batch 32" and st.batch_size == 32
    session.do("batch_down")
    session.do("batch_down")
    assert st.batch_size == 8
    notes = [session.do("batch_up") for _ in range(6)]  # 8 16 32 64 128 256 full: 6 up, 1 past
    assert notes[-1] == "batch full" and st.batch_size is None
    session.do("iteration")
    assert st.step == 1
    for _ in range(10):  # full -> 1 is 9 down
        session.do("batch_down")
    assert st.batch_size == 1


def test_batch_change_mid_iteration_is_held(session: Session) -> None:
    st = session.stepper
    session.do("unit")
    assert session.do("batch_up") == "batch 32 from next step"
    assert st.batch_size == 16 and st.pending == {"batch_size": 32}
    session.do("batch_up")  # walks on from the held size
    assert st.pending == {"batch_size": 64}
    session.do("iteration")
    assert st.batch_size == 64 and not st.pending


def test_undo(session: Session) -> None:
    st = session.stepper
    before = st.net.params.copy()
    session.do("iteration")
    session.do("iteration")
    assert session.do("undo") == "undone" and st.step == 1
    session.do("undo")
    assert st.step == 0 and np.array_equal(st.net.params, before)
    assert session.do("undo") == "nothing to undo"
    session.do("forward")
    session.do("undo")  # abandons the iteration in progress
    assert st.position == 0 and st.step == 0


def test_reset_restores_the_initial_weights(session: Session) -> None:
    st = session.stepper
    before = st.net.params.copy()
    session.do("iteration")
    session.do("iteration")
    session.do("unit")
    assert session.do("reset") == "reset to the initial weights"
    assert st.step == 0 and st.position == 0 and np.array_equal(st.net.params, before)
    session.do("iteration")
    first = st.net.params.copy()
    session.do("reset")
    session.do("iteration")
    assert np.array_equal(st.net.params, first)  # same seed: the same run again


def test_reset_keeps_lr_and_batch(session: Session) -> None:
    st = session.stepper
    session.do("lr_up")
    session.do("batch_up")
    session.do("iteration")
    session.do("reset")
    assert st.lr == 0.1 and st.batch_size == 32


def test_unknown_command(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown command 'jump'"):
        session.do("jump")


def test_the_map_is_not_stale_after_undo_and_an_lr_change(session: Session) -> None:
    """Issue 7: 5 steps, undo, lr 5, a step: step and undo count are as before, the weights not.

    A cache keyed on (step, undo count, size) returned the map of the first 5 steps.
    """
    st = session.stepper
    for _ in range(5):
        session.do("iteration")
    before = session.current_map()
    session.do("undo")
    session.do("lr", 5.0)
    session.do("iteration")
    assert st.step == 5
    now = session.current_map()
    fresh = decision_map(st, *session.decision_size)
    assert now is not None and fresh is not None and before is not None
    assert np.array_equal(now.classes, fresh.classes)
    assert np.array_equal(now.confidence, fresh.confidence)
    assert not np.array_equal(now.confidence, before.confidence)


def test_the_map_is_cached_while_nothing_changes(session: Session) -> None:
    first = session.current_map()
    assert session.current_map() is first
    session.decision_size = (20, 10)
    resized = session.current_map()
    assert resized is not first and resized is not None and resized.classes.shape == (10, 20)
    assert session.current_map(refresh=False) is resized
    session.do("iteration")
    assert session.current_map(refresh=False) is resized  # the last one, when not refreshed
    assert session.current_map() is not resized


def test_the_status_loss_is_the_last_finished_step_s_even_mid_iteration(session: Session) -> None:
    """The issue's `b f f`: the status showed step 2 with the step-0 loss."""
    st = session.stepper
    for command in ("backward", "forward", "forward"):
        session.do(command)
    assert st.step == 2 and not st.at_boundary
    snap = session.snapshot()
    assert snap.curves.eval_step == 2
    whole = st.net.loss(st.X, st.y) + st.opt.reg_loss(st.net)
    assert snap.curves.last_eval["train_loss"] == whole


def test_a_csv_names_the_snapshot_features(tmp_path) -> None:
    from scenarios import build, scenario_from_data

    rows = ["petal,sepal,kind"] + [f"{i % 7},{(i * 3) % 5},{'ab'[i % 2]}" for i in range(40)]
    path = tmp_path / "flowers.csv"
    path.write_text("\n".join(rows) + "\n")
    scn = scenario_from_data(path, "kind")
    snap = Session(scn, build(scn)).snapshot()
    assert snap.model.feature_names == ("petal", "sepal")
