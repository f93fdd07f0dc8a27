"""The lessons' data: eight lessons, each a bundled scenario with valid preset runs."""

from __future__ import annotations

import pytest

from scenarios import ScenarioError, bundled_names
from scenarios.lessons import LESSONS, TRAIN_FLAGS, Run, check_lessons, find_lesson


def test_eight_lessons_numbered_in_order_with_unique_ids() -> None:
    assert [x.number for x in LESSONS] == list(range(1, 9))
    assert len({x.id for x in LESSONS}) == 8
    for x in LESSONS:
        assert x.title and x.source and x.claim and x.look_for
        assert x.scenario in bundled_names()
        assert x.runs or x.sweep or x.lr_find is not None  # every lesson has a preset
        assert x.commands()


def test_every_run_validates_against_its_scenario() -> None:
    check_lessons()  # raises ScenarioError naming the lesson and key


def test_lesson_5_grows_the_batch_where_the_other_run_decays_the_lr() -> None:
    """circles: 300 training samples, 30 steps an epoch at batch 10: epoch 7 is step 210."""
    x = find_lesson("5")
    decay, grow = (dict(r.changes) for r in x.runs[:2])
    assert decay["training.schedule"] == "step:every=210,factor=0.5"
    assert grow["training.batch_schedule"] == "step:epochs=7,factor=2"
    assert "--batch-schedule" in x.commands()[1] and "363 updates" in x.measured


def test_edge_of_stability_lesson_uses_the_bundled_scenario() -> None:
    x = find_lesson("4")
    assert x is find_lesson("edge-of-stability") and x.scenario == "edge-of-stability"
    assert "--sharpness-every" in x.train_args and x.measured


def test_unknown_lesson_lists_the_valid_ones() -> None:
    with pytest.raises(ScenarioError) as exc:
        find_lesson("nine")
    assert "1 lr-range-test" in str(exc.value) and "\n" not in str(exc.value)


def test_run_flags() -> None:
    run = Run("x", {"training.batch_size": None, "network.hidden": [16, 8], "training.lr": 0.05})
    assert run.train_args() == ["--batch-size", "full", "--hidden", "16,8", "--lr", "0.05"]
    assert set(TRAIN_FLAGS.values()) <= {
        "--lr", "--momentum", "--batch-size", "--steps", "--epochs", "--optimizer", "--l1",
        "--l2", "--schedule", "--batch-schedule", "--hidden", "--activation", "--init", "--seed",
    }  # fmt: skip
