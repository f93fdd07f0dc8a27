"""The sweep screen's pure parts: field defaults, per-field errors, the argv, cells and bands."""

from __future__ import annotations

import math

from scenarios import load_scenario
from scenarios.overrides import with_changes
from tests.tui.app_helpers import fixture
from tui.cli.heatmap_text import RAMP
from tui.sweep_grid import Band, band, cell_summary, grid, level, plot_rows
from tui.sweep_plan import SweepPlan, defaults, parse

XOR = load_scenario(fixture("xor"))


def test_defaults_parse_to_the_grid_they_describe() -> None:
    plan, errors = parse(defaults(XOR, 300), XOR, 300)
    assert errors == {} and plan is not None
    assert plan.lrs == (0.01, 0.0316, 0.1, 0.316, 1.0)
    assert plan.batches == (2, 10, 40, None)
    assert plan.momenta == (0.9,) and plan.l2s == (0.0,) and plan.seeds == (0, 1, 2)
    assert (plan.steps, plan.epochs) == (3000, None) and plan.n_runs == 60


def test_the_argv_is_the_sweep_command() -> None:
    plan, _ = parse(
        {"lr": "0.1,1", "batch": "full", "momentum": "0", "l2": "0", "seeds": "2", "length": "3e"},
        XOR,
        300,
    )
    assert plan is not None and (plan.steps, plan.epochs) == (None, 3)
    argv = plan.argv()
    i = argv.index("sweep")
    assert argv[i - 2 : i] == ["-m", "tui.cli"]
    assert argv[i + 1 :] == [
        str(fixture("xor")),
        *("--lr", "0.1,1.0", "--batch-size", "full", "--l2", "0.0"),
        *("--seeds", "2", "--seed", "0", "--json-lines"),
        *("--momentum", "0.0", "--epochs", "3"),  # momentum 0 too: xor's own is 0.9
    ]


def test_momentum_zero_is_passed_when_the_scenario_has_some() -> None:
    plan, _ = parse({**defaults(XOR, 300), "momentum": "0,0.9"}, XOR, 300)
    assert plan is not None
    argv = plan.argv()
    assert argv[argv.index("--momentum") + 1] == "0.0,0.9"


def test_adam_refuses_a_momentum_and_sends_none() -> None:
    adam = with_changes(XOR, {"training.optimizer": "adam", "training.lr": 0.01})
    fields = defaults(adam, 300)
    assert fields["momentum"] == "0"
    plan, _ = parse(fields, adam, 300)
    assert plan is not None and "--momentum" not in plan.argv()
    _, errors = parse({**fields, "momentum": "0.9"}, adam, 300)
    assert "adam has no momentum" in errors["momentum"]


def test_too_many_runs_and_bad_seeds_are_field_errors() -> None:
    _, errors = parse({**defaults(XOR, 300), "lr": "0.001:1:300log", "seeds": "8"}, XOR, 300)
    assert errors == {"lr": "9,600 runs; allowed: at most 1,024 here (the CLI has --yes)"}
    _, errors = parse({**defaults(XOR, 300), "seeds": "0"}, XOR, 300)
    assert list(errors) == ["seeds"]


def record(lr: float, bs: int | None, seed: int, loss: float | None, div: bool = False) -> dict:
    curve = {"steps": [1, 2, 3], "batch_loss": [1.0 + seed, 0.5 + seed, 0.25 + seed]}
    return {
        "lr": lr,
        "batch_size": bs,
        "momentum": 0.9,
        "l2": 0.0,
        "seed": seed,
        "train_loss": loss,
        "diverged": div,
        "curve": curve,
    }


def test_grid_cells_levels_and_best() -> None:
    runs = [
        record(0.1, 10, 0, 0.1),
        record(0.1, 10, 1, 0.3),
        record(1.0, 10, 0, None, div=True),
        record(1.0, None, 0, 1.0),
        record(1.0, None, 1, 2.0, div=True),
    ]
    g = grid(runs, [0.1, 1.0], [10, None], 0.9, 0.0)
    assert set(g.cells) == {(0.1, 10), (1.0, 10), (1.0, None)}
    assert g.cells[(0.1, 10)].mean == 0.2 and g.cells[(1.0, 10)].all_diverged
    assert g.cells[(1.0, None)].diverged == 1 and g.cells[(1.0, None)].mean == 1.0
    assert g.best == (0.1, 10) and (g.lo, g.hi) == (0.2, 1.0)
    assert g.levels == {(0.1, 10): 0, (1.0, None): len(RAMP) - 1}
    assert grid(runs, [0.1], [10], 0.0, 0.0).cells == {}  # another slice: nothing yet
    assert level(None, 0.1, 1.0) == 0 and level(math.sqrt(0.1), 0.1, 1.0) == 5


def test_band_is_the_mean_and_range_over_seeds() -> None:
    b = band([record(0.1, 10, 0, 0.1), record(0.1, 10, 2, 0.1)])
    assert b == Band((1, 2, 3), (2.0, 1.5, 1.25), (1.0, 0.5, 0.25), (3.0, 2.5, 2.25), 2)
    plot = plot_rows(b, 4, 4)  # steps 1, 2, 3 in columns 0, 2, 3; log y from 3 down to 0.25
    assert (plot.top, plot.bottom) == (3.0, 0.25)
    assert [line[0] for line in plot.rows] == ["•", "░", " ", " "]
    assert [line[1] for line in plot.rows] == [" "] * 4
    assert [line[3] for line in plot.rows] == ["░", "•", "░", "░"]
    assert band([]) is None


def test_plan_pairs_are_the_slices() -> None:
    plan = SweepPlan(("x",), (0.1,), (None,), (0.0, 0.9), (0.0, 0.01), (0,), 10, None)
    assert plan.pairs == [(0.0, 0.0), (0.0, 0.01), (0.9, 0.0), (0.9, 0.01)]
    assert plan.n_runs == 4


def test_cell_summary() -> None:
    runs = [record(0.1, 10, 0, 0.1), record(0.1, 10, 1, 0.3), record(0.1, 10, 2, None, div=True)]
    for r, acc in zip(runs, (0.9, 0.8, None), strict=True):
        r["test_accuracy"] = acc
    runs[2]["diverged_at"] = 17
    assert cell_summary(runs) == "final loss 0.2 ±71%, test acc 85.0%, 1/3 diverged (from step 17)"
    assert cell_summary([]) == ""
