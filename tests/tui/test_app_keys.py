"""Pilot tests: one per key binding, asserting the app's and the engine's state afterwards.

The commands' finer rules (ladders, held changes, undo, reset) are tested on Session directly
(test_session.py); here each key is checked to reach the engine and show on the screen.
"""

from __future__ import annotations

import asyncio
import io
import time

import numpy as np
from rich.console import Console
from textual.widgets import Input

from engine import Phase
from engine.snapshot import Snapshot
from scenarios import bundled_names
from tests.tui.app_helpers import (
    TestApp,
    key_event,
    new_app,
    open_session,
    press,
    session_of,
    settle,
    snapshot_of,
    start_run,
    status_text,
    stepper_of,
)
from tui.keys import KEYS
from tui.ladders import MAX_SPEED, SPEEDS, Speed
from tui.screens.help import HelpScreen, help_text
from tui.screens.lr_input import LrInput
from tui.screens.run_for import RunForInput
from tui.screens.scenario_picker import ScenarioPicker
from tui.widgets.explain import ExplainPanel
from tui.widgets.gradients import GradientsPanel
from tui.widgets.loss_plot import LossPlot
from tui.widgets.outputs import OutputsPanel
from tui.widgets.weights import WeightsPanel

SIZE = (80, 24)  # small: one panel drawn, so the keys tests stay fast
PANEL_IDS = ("weights", "outputs", "gradients", "loss", "explain", "map")


def units(app: TestApp) -> list[str]:
    st = stepper_of(app)
    return [u.label(st.net.n_layers) for u in st.units]


async def test_startup_shows_status_words() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = status_text(app)
        for word in (
            "five-classes",
            "step 0",
            "epoch 0",
            "lr 0.05",
            "batch 16",
            "train-set loss",
            "test accuracy",
            "paused",
        ):
            assert word in text, word


async def test_space_runs_one_iteration() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space")
        st = stepper_of(app)
        assert st.step == 1 and st.at_boundary
        snap = snapshot_of(app)
        assert snap.progress.step == 1 and snap.progress.last_unit == "update"
        assert "step 1" in status_text(app) and "update" in status_text(app)


async def test_n_steps_one_unit_at_a_time() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        for k, label in enumerate(units(app), start=1):
            await press(pilot, "n")
            assert stepper_of(app).position == k
            assert snapshot_of(app).progress.last_unit == label
        assert stepper_of(app).step == 1
        await press(pilot, "n", "n")
        assert snapshot_of(app).progress.last_unit == "forward L1/3"
        assert "forward L1/3" in status_text(app)


async def test_f_b_u_finish_phases() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f")
        assert snapshot_of(app).progress.last_unit == "loss" and stepper_of(app).step == 0
        assert snapshot_of(app).batch.loss is not None
        await press(pilot, "b")
        assert snapshot_of(app).progress.last_unit == "backward L1/3"
        assert all(layer.dW is not None for layer in snapshot_of(app).layers)
        await press(pilot, "u")
        assert snapshot_of(app).progress.last_unit == "update" and stepper_of(app).step == 1
        # u at a boundary does a whole iteration; b from the start runs forward and loss first
        await press(pilot, "b")
        assert stepper_of(app).step == 1
        assert snapshot_of(app).progress.last_unit == "backward L1/3"
        await press(pilot, "f")  # past the loss: finish this iteration, then the next forward
        assert stepper_of(app).step == 2 and snapshot_of(app).progress.last_phase == Phase.LOSS


async def test_r_runs_and_pauses() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await start_run(pilot)
        assert app.engine.running and "RUNNING" in status_text(app)
        await press(pilot, "r")
        assert not app.engine.running and app.run_idle.is_set()
        step = stepper_of(app).step
        assert step > 0 and snapshot_of(app).progress.step == step
        assert "paused" in status_text(app)


async def test_step_key_pauses_a_run() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await start_run(pilot)
        await press(pilot, "n")
        assert not app.engine.running
        assert snapshot_of(app).progress.step == stepper_of(app).step
        assert snapshot_of(app).progress.last_unit == "sample"


async def test_plus_and_minus_change_the_lr() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "+")
        assert stepper_of(app).lr == 0.1 and "lr 0.1" in status_text(app)
        await press(pilot, "-", "-")
        assert stepper_of(app).lr == 0.02 and "lr 0.02" in status_text(app)


async def test_lr_change_mid_iteration_is_held_then_shown() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f", "+")
        st = stepper_of(app)
        assert st.lr == 0.05 and st.pending == {"lr": 0.1}
        assert "lr 0.1 from next step" in status_text(app)
        await press(pilot, "u", "n")
        assert st.lr == 0.1 and not st.pending
        assert "from next step" not in status_text(app)


async def test_lr_change_after_a_finished_iteration_shows_at_once() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space", "+")
        st = stepper_of(app)
        assert st.lr == 0.1 and not st.pending and snapshot_of(app).settings.lr == 0.1
        assert "lr 0.1" in status_text(app) and "from next step" not in status_text(app)


async def test_typed_lr() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "=")
        assert isinstance(app.screen, LrInput)
        await press(pilot, *"abc", "enter")
        assert isinstance(app.screen, LrInput)  # a bad value keeps the box open
        assert "not a number" in str(app.screen.query_one("#lr-error").render())
        app.screen.query_one(Input).value = ""
        await press(pilot, *"0.03", "enter")
        assert not isinstance(app.screen, LrInput)
        assert stepper_of(app).lr == 0.03 and "lr 0.03" in status_text(app)
        for key in ("=", "L"):  # both open the box; escape leaves the lr alone
            await press(pilot, key)
            assert isinstance(app.screen, LrInput)
            await press(pilot, "escape")
            assert not isinstance(app.screen, LrInput) and stepper_of(app).lr == 0.03
        await press(pilot, "L", *"0.2", "enter")
        assert stepper_of(app).lr == 0.2 and "lr 0.2" in status_text(app)


async def test_batch_keys() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "]")
        assert stepper_of(app).batch_size == 32 and "batch 32" in status_text(app)
        await press(pilot, "[", "[")
        assert stepper_of(app).batch_size == 8 and "batch 8" in status_text(app)
        stepper_of(app).set_batch_size(256)  # the top rung below the full batch
        await press(pilot, "]")
        assert stepper_of(app).batch_size is None and "batch full" in status_text(app)
        await press(pilot, "space")
        assert snapshot_of(app).batch.size == session_of(app).n_train


async def test_z_undoes() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        st = stepper_of(app)
        before = st.net.params.copy()
        await press(pilot, "space", "z")
        assert st.step == 0 and np.array_equal(st.net.params, before)
        assert "undone" in status_text(app) and "step 0" in status_text(app)
        await press(pilot, "z")
        assert "nothing to undo" in status_text(app)


async def test_shift_r_restores_initial_weights() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        st = stepper_of(app)
        before = st.net.params.copy()
        await press(pilot, "space", "space", "n", "R")
        assert st.step == 0 and np.array_equal(st.net.params, before)
        assert "step 0" in status_text(app) and "reset to the initial weights" in status_text(app)


async def test_scenario_picker() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s")
        assert isinstance(app.screen, ScenarioPicker)
        await press(pilot, *["down"] * bundled_names().index("xor"), "enter")
        assert session_of(app).name == "xor"
        assert snapshot_of(app).model.scenario == "xor" and "xor" in status_text(app)
        await press(pilot, "s", "escape")
        assert session_of(app).name == "xor" and not isinstance(app.screen, ScenarioPicker)


async def test_scenario_picker_bad_path_keeps_the_scenario() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s", "tab", *"nope.toml", "enter")
        assert session_of(app).name == "five-classes"
        assert "no such file" in status_text(app)


async def test_l_toggles_log_y() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        plot = app.main.query_one(LossPlot)
        assert plot.log_y is False
        await press(pilot, "l")
        assert plot.log_y is True
        await press(pilot, "l")
        assert plot.log_y is False


async def test_a_toggles_accuracy_on_the_loss_plot() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        plot = app.main.query_one(LossPlot)
        assert plot.show_accuracy is True
        await press(pilot, "a")
        assert plot.show_accuracy is False
        await press(pilot, "a")
        assert plot.show_accuracy is True


async def test_tab_and_number_keys_move_between_panels() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "weights"
        await press(pilot, "tab")
        assert app.main.current_panel == 1 and app.focused.id == "outputs"
        assert app.main.query_one("#outputs").display
        assert not app.main.query_one("#gradients").display
        await press(pilot, "shift+tab")
        assert app.focused.id == "weights"
        await press(pilot, "4")
        assert app.focused.id == "loss"
        await press(pilot, "6")
        assert app.focused.id == "map"


async def test_arrows_move_the_weights_cursor_and_the_explain_panel_follows() -> None:
    app = new_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await press(pilot, "f", "1", "down", "right", "greater_than_sign")
        explain = app.main.query_one(ExplainPanel)
        assert explain.cursor[0] == 1 and explain.cursor[3] == "W"
        assert app.main.query_one(GradientsPanel).cur_layer == 1
        await press(pilot, "2", "down")
        assert explain.sample == 1
        assert app.main.query_one(OutputsPanel).sample == 1


async def test_weights_follow_the_layer_being_computed_unless_the_user_chose_one() -> None:
    app = new_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        weights = app.main.query_one(WeightsPanel)
        await press(pilot, "n", "n", "n")  # sample, forward L1, forward L2
        assert weights.cur_layer == 1 and app.main.query_one(ExplainPanel).cursor[0] == 1
        await press(pilot, "1", "greater_than_sign", "n")  # the user picks L3, then forward L3
        assert weights.cur_layer == 2
        await press(pilot, "less_than_sign", "n")  # picks L2; the loss unit keeps it
        assert weights.cur_layer == 1
        await press(pilot, "n")  # backward L3: followed again
        assert weights.cur_layer == 2


async def test_help_screen_lists_every_binding() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "?")
        assert isinstance(app.screen, HelpScreen)
        out = io.StringIO()
        Console(width=300, file=out).print(help_text())
        for k in KEYS:
            assert k.help in out.getvalue()
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_has_every_command() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for k in KEYS:
            if k.action:
                assert any(t.startswith(k.title) for t in titles), k.title
        for command, check in (
            ("step one unit", lambda: stepper_of(app).position == 1),  # an app.engine(...) one
            ("next panel", lambda: app.main.current_panel == 1),  # one of the screen's
        ):
            await press(pilot, "ctrl+p", *command)
            await pilot.pause(0.3)  # the palette's search runs on a timer that settle misses
            await pilot.press("enter")
            await settle(pilot)
            assert check(), command


async def test_q_quits_with_code_0() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")  # the app exits: nothing to settle
    assert app.return_code == 0


async def test_quitting_stops_the_run_worker() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await start_run(pilot)  # the run thread is in its loop
        assert not app.run_idle.is_set()
        await pilot.press("q")  # the app exits: nothing to settle
    assert await asyncio.to_thread(app.run_idle.wait, 2)  # the loop returned: no more steps
    assert app.return_code == 0
    step = stepper_of(app).step
    assert not app.engine.running and stepper_of(app).step == step


async def test_divergence_is_shown_and_stops_the_run() -> None:
    app = new_app("sine")  # mse regression overflows within ~40 steps at lr 1000
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "=")
        app.screen.query_one(Input).value = "1000"
        await press(pilot, "enter")
        await start_run(pilot)
        await app.snapshot_where(lambda s: s.progress.diverged is not None)
        await settle(pilot)  # the run worker's end reaches the app
        assert not app.engine.running
        assert stepper_of(app).diverged is not None
        assert "DIVERGED" in status_text(app)


async def test_too_small_terminal_shows_the_message() -> None:
    app = new_app()
    async with app.run_test(size=(70, 20)) as pilot:
        await settle(pilot)
        assert app.main.query_one("#too-small").display
        assert not app.main.query_one("#panels").display
        assert "enlarge" in str(app.main.query_one("#too-small").render())
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert not app.main.query_one("#too-small").display
        assert app.main.query_one("#panels").display


async def test_large_terminal_shows_every_panel() -> None:
    app = new_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        for pid in PANEL_IDS:
            assert app.main.query_one(f"#{pid}").display, pid
    app = new_app("iris")  # 4 inputs: no decision map
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert not app.main.query_one("#map").display
        assert snapshot_of(app).decision is None


async def test_loads_the_scenario_after_the_first_paint() -> None:
    app = TestApp(spec="xor", pace_panels=False)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space")  # queued behind the load, so it steps xor
        assert session_of(app).name == "xor"
        assert stepper_of(app).step == 1
        assert app.main.query_one("#weights").has_focus
        assert "xor" in status_text(app) and "step 1" in status_text(app)


async def test_a_scenario_that_fails_to_load_exits_with_code_2() -> None:
    app = TestApp(spec="no-such-scenario")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert app.return_code == 2


async def test_switching_to_a_scenario_without_a_map_leaves_the_map_panel() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "6")
        assert app.main.current_panel == 5
        await press(pilot, "s", *["down"] * bundled_names().index("iris"), "enter")
        assert session_of(app).name == "iris" and app.main.current_panel == 0
        assert app.focused is not None and app.focused.id == "weights"


async def test_stepping_updates_every_panel_at_once_with_pacing_on() -> None:
    """The run-time pacing of the panels must not delay a step: every panel shows it."""
    app = TestApp(open_session())  # the default pacing, not pace_panels=False
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        for key in ("space", "n", "n"):
            await press(pilot, key)
            for pid in PANEL_IDS:
                assert app.main.panel(pid).snapshot is app.snapshot, (key, pid)


# ---- run control: the schedule, the speed ladder, unit playback, typed stop conditions --------
async def test_r_stops_at_the_schedule_end_and_r_again_runs_one_more_length() -> None:
    app = new_app("five-classes-20")  # schedule: 20 steps
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "r")  # settling waits for the run, which ends by itself
        assert not app.engine.running and stepper_of(app).step == 20
        assert snapshot_of(app).progress.step == 20
        text = status_text(app)
        assert "schedule done: step 20 (20 steps); r runs 20 more" in text and "paused" in text
        await press(pilot, "r")
        assert not app.engine.running and stepper_of(app).step == 40


async def test_speed_keys_walk_the_ladder_and_the_status_shows_the_speed() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "weights"  # it binds , and . too
        assert app.engine.speed == MAX_SPEED and "speed max" in status_text(app)
        await press(pilot, ".")  # already the fastest
        assert app.engine.speed == MAX_SPEED
        for expected in SPEEDS[1:]:
            await press(pilot, ",")
            assert app.engine.speed == expected
            assert f"speed {expected.label}" in status_text(app)
        await press(pilot, ",")  # already the slowest
        assert app.engine.speed == SPEEDS[-1] and "speed 1 unit/s" in status_text(app)
        await press(pilot, ".", ".")
        assert app.engine.speed == Speed(4, units=True)
        assert "speed 4 units/s" in status_text(app)


async def test_a_paced_run_goes_at_its_speed() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, ",", ",", ",")
        assert app.engine.speed == Speed(10)
        await start_run(pilot)
        first = snapshot_of(app).progress.step
        # 10/s posts a snapshot for every iteration (a slow screen may drop one: >=)
        await app.snapshot_where(lambda s: s.progress.step >= first + 3)
        await press(pilot, "r")
        assert not app.engine.running and stepper_of(app).step < 100  # max: 2000 by now


async def test_unit_playback_shows_every_unit_in_every_panel() -> None:
    app = TestApp(open_session())  # the default pacing: unit playback shows every unit anyway
    async with app.run_test(size=(160, 48)) as pilot:
        await press(pilot, *[","] * 7)
        assert app.engine.speed == Speed(4, units=True)
        app.post_message(key_event("r"))
        for unit in ("sample", "forward L1/3", "forward L2/3"):
            held: dict[str, Snapshot | None] = {}

            def shows(s: Snapshot, u: str = unit, held: dict[str, Snapshot | None] = held) -> bool:
                # what each panel holds when the screen has shown the unit (checked then: a
                # slow test may resume after the next unit, 250 ms later, is shown)
                if s.progress.last_unit != u:
                    return False
                held.update((pid, app.main.panel(pid).snapshot) for pid in PANEL_IDS)
                return True

            snap = await app.snapshot_where(shows)
            assert app.engine.running and stepper_of(app).step == 0
            for pid in PANEL_IDS:
                assert held[pid] is snap, (unit, pid)
        await press(pilot, "r")
        assert not app.engine.running
        assert stepper_of(app).position in (3, 4)  # paused between units, not at a boundary
        assert "speed 4 units/s" in status_text(app)


async def test_a_step_key_answers_at_once_at_one_unit_a_second() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, *[","] * 9)
        assert app.engine.speed == Speed(1, units=True)
        await start_run_units(app)
        t0 = time.perf_counter()
        await press(pilot, "space")  # pauses the run, then finishes the iteration
        assert time.perf_counter() - t0 < 0.5  # not at the next unit, a second later
        assert not app.engine.running and stepper_of(app).step == 1


async def start_run_units(app: TestApp) -> None:
    app.post_message(key_event("r"))
    await app.snapshot_where(lambda s: s.progress.last_unit == "sample")


async def test_g_runs_for_typed_iterations_or_to_the_end_of_the_epoch() -> None:
    app = new_app()  # 25 iterations an epoch
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "g")
        assert isinstance(app.screen, RunForInput)
        await press(pilot, "x", "enter")
        assert isinstance(app.screen, RunForInput)  # explained, not run
        assert "not 'x'" in str(app.screen.query_one("#run-for-error").render())
        app.screen.query_one(Input).value = "30"
        await press(pilot, "enter")
        assert not isinstance(app.screen, RunForInput)
        assert not app.engine.running and stepper_of(app).step == 30
        assert "ran 30 iterations: step 30" in status_text(app)
        await press(pilot, "g")
        app.screen.query_one(Input).value = "epoch"
        await press(pilot, "enter")
        assert stepper_of(app).step == 50 and stepper_of(app).epoch == 2
        assert "end of epoch 2: step 50" in status_text(app)
        await press(pilot, "e")  # from an epoch's start: one whole epoch
        assert stepper_of(app).step == 75 and not app.engine.running
        await press(pilot, "g", "escape")
        assert not isinstance(app.screen, RunForInput) and stepper_of(app).step == 75


async def test_keys_sent_together_with_a_panel_switch_reach_the_new_panel() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space")
        for key in ("2", "j", "j", "j"):  # one read from the terminal: nothing settles between
            app.post_message(key_event(key))
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "outputs"
        assert app.main.query_one(OutputsPanel).sample == 3
        await pilot.press("1", "2", "j", "j", "j")  # Pilot.press: no settling between keys
        await settle(pilot)
        assert app.main.query_one(OutputsPanel).sample == 6


async def test_the_tabs_hint_counts_the_panels_shown() -> None:
    for scenario, hint in (("five-classes", "tab or 1-6"), ("iris", "tab or 1-5")):
        app = new_app(scenario)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            tabs = str(app.main.query_one("#panel-tabs").render())
            assert hint in tabs, scenario
            assert ("Map" in tabs) == (scenario == "five-classes")


async def test_what_to_look_for_is_shown_on_load_and_in_the_help() -> None:
    app = new_app()
    look_for = session_of(app).scenario.look_for
    assert look_for.startswith("the softmax bars")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.main.status.note == f"look for: {look_for}"
        assert "look for: the softmax bars" in status_text(app)
        await press(pilot, "?")
        assert isinstance(app.screen, HelpScreen)
        assert (app.screen.scenario, app.screen.look_for) == ("five-classes", look_for)
        out = io.StringIO()
        Console(width=300, file=out).print(help_text("five-classes", look_for))
        assert f"What to look for in five-classes: {look_for}" in out.getvalue()
        await press(pilot, "escape", "space")  # a command replaces the note
        assert app.main.status.note == ""
