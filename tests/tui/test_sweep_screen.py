"""Pilot tests of the sweep screen (S) and the range test (F): real subprocesses, real engine."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
from textual.widgets import Static

from engine import Stepper
from tests.tui.app_helpers import new_app, press, session_of, settle, status_text, stepper_of
from tests.tui.sweep_helpers import TINY, fill, open_sweep, run_sweep, xor_app
from tui.screens.lr_find import LrFindScreen
from tui.screens.main import MainScreen
from tui.sweep_grid import cell_runs
from tui.widgets.sweep_heatmap import SweepHeatmap


def note(screen: object, name: str) -> str:
    return str(screen.query_one(f"#sweep-note-{name}", Static).render())  # type: ignore[attr-defined]


async def test_s_opens_the_sweep_screen_with_the_scenarios_defaults() -> None:
    app = xor_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sweep(pilot)
        # the fixture: lr 0.1, batch 10 of 300, momentum 0.9, 3000 steps
        assert screen.fields == {
            "lr": "0.01:1:5log",
            "batch": "2,10,40,full",
            "momentum": "0.9",
            "l2": "0",
            "seeds": "3",
            "length": "3000 steps",
        }
        await press(pilot, "escape")
        assert isinstance(app.screen, MainScreen)


async def test_bad_fields_show_one_line_each_and_nothing_runs() -> None:
    app = xor_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sweep(pilot)
        fill(screen, {"lr": "0.1,,1", "batch": "1000", "momentum": "1.5", "length": "many"})
        screen.action_run()
        await settle(pilot)
        assert screen.process is None and screen.plan is None
        assert "0.1,,1" in note(screen, "lr")
        assert "at most the training set's 300" in note(screen, "batch")
        assert "[0, 1)" in note(screen, "momentum")
        assert "N steps or N epochs" in note(screen, "length")
        assert note(screen, "seeds").startswith("K seeds")  # a good field keeps its hint
        fill(screen, {"lr": "1:0.1:3log"})
        screen.action_run()
        assert "A < B" in note(screen, "lr")


async def test_a_tiny_sweep_runs_in_a_subprocess_and_fills_the_heatmap() -> None:
    app = xor_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await run_sweep(pilot)
        ended = screen.ended
        assert ended is not None and ended.returncode == 0 and not ended.cancelled
        assert screen.process is not None and screen.process.proc is not None
        assert screen.process.proc.returncode == 0  # reaped
        assert len(screen.records) == 12
        assert ended.summary is not None and len(ended.summary["runs"]) == 12
        heat = screen.query_one(SweepHeatmap)
        g = heat.grid
        assert g is not None and set(g.cells) == {
            (lr, bs) for lr in (0.05, 0.5, 5.0) for bs in (10, None)
        }
        assert all(c.seeds == 2 for c in g.cells.values())
        assert g.best is not None and g.best == min(g.cells, key=lambda k: g.cells[k].mean or 9e9)
        text = str(heat.render())
        assert "▶" in text and "full" in text
        progress = str(screen.query_one("#sweep-progress", Static).render())
        assert progress.startswith("done: 12 runs; best lr")
        # the cursor's cell curves: the mean and band over its two seeds
        await press(pilot, "down", "right")
        curves = str(screen.query_one("#sweep-curves").render())
        assert curves.startswith("lr 0.5 batch full: 2/2 seeds") and "•" in curves


async def test_escape_stops_the_subprocess_and_leaves_no_process() -> None:
    app = xor_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sweep(pilot)
        # long enough to be running when escape comes (stopped well before its end)
        fill(screen, {**TINY, "length": "2000000"})
        screen.action_run()
        process = screen.process
        assert process is not None and process.proc is not None and process.running
        pid = process.proc.pid
        await press(pilot, "escape")  # stops the sweep (a worker waits for it), stays open
        await settle(pilot)
        assert screen.ended is not None and screen.ended.cancelled
        assert process.proc.returncode is not None  # reaped: no zombie
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)  # nothing left in its process group (no worker either)
        assert "stopped" in str(screen.query_one("#sweep-progress", Static).render())
        await press(pilot, "escape")
        assert isinstance(app.screen, MainScreen)


async def test_enter_opens_a_cell_as_a_run_that_replays_the_sweep_bit_for_bit() -> None:
    app = xor_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await run_sweep(pilot)
        await press(pilot, "down")  # lr 0.5, batch 10
        record = cell_runs(screen.records, (0.5, 10), 0.9, 0.0)[0]
        assert record["seed"] == 0 and record["steps"] == 30
        await press(pilot, "enter")
        assert isinstance(app.screen, MainScreen)
        comparison = app.engine.comparison
        assert comparison is not None and len(comparison) == 2
        st = stepper_of(app)  # the focused run: the cell's
        assert st.lr == 0.5 and st.batch_size == 10 and st.step == 0
        want = "sweep cell opened: lr 0.5, batch 10, seed 0; g 30 replays"
        for _ in range(500):  # the note follows the add command's own (a 50 ms timer)
            if want in status_text(app):
                break
            await pilot.pause(0.01)
        assert want in status_text(app)
        await press(pilot, "g", "3", "0", "enter")
        assert st.step == 30
        figures = st.evaluate()
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            assert figures[key] == record[key], key  # equal, not close


def state_of(st: Stepper) -> tuple[bytes, bytes, str, int]:
    """Weights, the optimiser's state (momentum's velocity), the batch order, the step."""
    opt = b"".join(np.asarray(v).tobytes() for _, v in sorted(st.opt.state().items()))
    return st.net.params.tobytes(), opt, repr(st.batcher.state()), st.step


async def test_the_range_test_leaves_the_run_unchanged_and_sets_the_lr() -> None:
    app = new_app("xor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "space", "space")
        st = stepper_of(app)
        before = state_of(st)
        await press(pilot, "F")
        screen = app.screen
        assert isinstance(screen, LrFindScreen)
        await settle(pilot)
        res = screen.result
        assert res is not None and len(res.lrs) >= 10
        assert before[1]  # xor has momentum: its velocity is part of what must not move
        assert state_of(st) == before  # weights, velocity, batch order, step: untouched
        # the test from these weights equals the engine's range test from a copy
        from engine.lrfind import range_test
        from tui.screens.lr_find import copy_stepper

        assert range_test(copy_stepper(st)).losses == res.losses
        plot = str(screen.query_one("#lrfind-plot", Static).render())
        assert "suggested" in plot and "|" in plot
        await press(pilot, "enter")
        assert isinstance(app.screen, MainScreen)
        assert st.lr == float(f"{res.suggested_lr:.3g}")
        assert st.net.params.tobytes() == before[0]


def test_stop_reaches_a_process_that_ignores_nothing() -> None:
    """SweepProcess.stop on a plain child: SIGTERM, reaped, its group gone."""
    import sys

    from tui.sweep_runner import SweepProcess

    p = SweepProcess([sys.executable, "-c", "import time; time.sleep(60)"])
    p.start()
    assert p.running and p.proc is not None
    p.stop()
    assert p.proc.returncode == -signal.SIGTERM
    with pytest.raises(ProcessLookupError):
        os.killpg(p.proc.pid, 0)
    p.stop()  # twice: nothing happens


async def test_a_run_changed_in_the_app_is_told_the_sweep_uses_the_saved_file() -> None:
    from scenarios.overrides import resolved_config
    from tui.screens.sweep import SweepScreen

    app = xor_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        scenario = session_of(app).scenario
        live = {**resolved_config(scenario), "network.hidden": [16], "training.lr": 0.5}
        await app.push_screen(SweepScreen(scenario, 300, live))
        await settle(pilot)
        progress = str(app.screen.query_one("#sweep-progress", Static).render())
        assert progress == "enter: run the sweep (on the file as saved: hidden differ)"


async def test_quitting_the_app_stops_a_running_sweep() -> None:
    app = xor_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sweep(pilot)
        fill(screen, {**TINY, "length": "2000000"})
        screen.action_run()
        process = screen.process
        assert process is not None and process.proc is not None and process.running
        await app.action_quit()
        await pilot.pause()
    assert process.proc.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(process.proc.pid, 0)


async def test_running_again_replaces_a_running_sweep() -> None:
    app = xor_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sweep(pilot)
        fill(screen, {**TINY, "length": "2000000"})
        screen.action_run()
        first = screen.process
        assert first is not None and first.proc is not None and first.running
        fill(screen, TINY)
        screen.query_one(SweepHeatmap).focus()
        await press(pilot, "r")  # the long sweep is stopped, the tiny one runs
        await settle(pilot)
        assert first.proc.returncode is not None and first.cancelled
        assert screen.process is not first and screen.ended is not None
        assert not screen.ended.cancelled and screen.ended.returncode == 0
        assert len(screen.records) == 12 and all(r["steps"] == 30 for r in screen.records)


async def test_p_shows_the_next_momentum_x_l2_slice() -> None:
    app = xor_app()
    async with app.run_test(size=(80, 24)) as pilot:
        fields = {"lr": "0.1", "batch": "full", "momentum": "0,0.9", "seeds": "1", "length": "5"}
        screen = await run_sweep(pilot, fields)
        assert len(screen.records) == 2
        heat = screen.query_one(SweepHeatmap)
        assert heat.grid is not None
        first = heat.grid.cells[(0.1, None)].mean
        assert "slice momentum 0 L2 0 (1/2, p)" in str(
            screen.query_one("#sweep-progress", Static).render()
        )
        await press(pilot, "p")
        assert heat.grid.cells[(0.1, None)].mean != first
        progress = str(screen.query_one("#sweep-progress", Static).render())
        assert "slice momentum 0.9 L2 0 (2/2, p)" in progress
        by_momentum = {r["momentum"]: r["train_loss"] for r in screen.records}
        assert (first, heat.grid.cells[(0.1, None)].mean) == (by_momentum[0.0], by_momentum[0.9])


def test_a_failed_subprocess_ends_with_its_last_stderr_line() -> None:
    import sys

    from tui.sweep_runner import SweepProcess

    code = (
        "import json, sys; print(json.dumps({'lr': 0.1}), flush=True); print('not json');"
        "print('progress', file=sys.stderr); print('x.toml: lr: found -1', file=sys.stderr);"
        "sys.exit(2)"
    )
    p = SweepProcess([sys.executable, "-c", code])
    p.start()
    seen: list[dict] = []
    ended = p.read(seen.append)
    assert seen == [{"lr": 0.1}]  # a line that is not JSON is skipped
    assert (ended.returncode, ended.error, ended.summary, ended.cancelled) == (
        2,
        "x.toml: lr: found -1",
        None,
        False,
    )


async def test_without_colour_the_cells_carry_the_ascii_ramp() -> None:
    app = xor_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await run_sweep(pilot)
        heat = screen.query_one(SweepHeatmap)
        heat.no_color = True
        lines = heat.render().plain.splitlines()
        assert lines[0].split() == ["lr\\batch", "10", "full"]
        assert lines[2].startswith("0.5") and "▶ 0.053" in lines[2]  # the best cell
        assert lines[3].split()[:2] == ["5", "@"]  # the highest loss: the ramp's densest glyph
        assert lines[-2].startswith("loss 0.053 [ .:-=+*#%@] 2.79 (log)")
