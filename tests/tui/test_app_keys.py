"""Pilot tests: every binding, asserting the app's and the engine's state afterwards."""

from __future__ import annotations

import asyncio
import io

import numpy as np
from rich.console import Console

from engine import Phase
from scenarios import bundled_names
from tests.tui.app_helpers import new_app, open_session, press, settle
from tui.app import BackpropApp
from tui.keys import KEYS
from tui.screens.help import HelpScreen, help_text
from tui.screens.lr_input import LrInput
from tui.screens.scenario_picker import ScenarioPicker
from tui.widgets.status_line import StatusLine

SIZE = (80, 24)  # small: one panel drawn, so the keys tests stay fast


def status_text(app) -> str:
    return str(app.screen_stack[0].query_one(StatusLine).render())


def units(app) -> list[str]:
    st = app.session.stepper
    return [u.label(st.net.n_layers) for u in st.units]


async def test_startup_shows_status_words() -> None:
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = status_text(app)
        for word in (
            "five-classes",
            "step 0",
            "epoch 0",
            "lr 0.05",
            "batch 16",
            "train loss",
            "test accuracy",
            "paused",
        ):
            assert word in text, word


async def test_space_runs_one_iteration() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space")
        st = app.session.stepper
        assert st.step == 1 and st.at_boundary
        assert app.snapshot.progress.step == 1 and app.snapshot.progress.last_unit == "update"
        assert "step 1" in status_text(app) and "update" in status_text(app)


async def test_n_steps_one_unit_at_a_time() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        labels = units(app)
        for k, label in enumerate(labels, start=1):
            await press(pilot, "n")
            assert app.session.stepper.position == k
            assert app.snapshot.progress.last_unit == label
        assert app.session.stepper.step == 1
        await press(pilot, "n", "n")
        assert app.snapshot.progress.last_unit == "forward L1/3"
        assert "forward L1/3" in status_text(app)


async def test_f_b_u_finish_phases() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f")
        assert app.snapshot.progress.last_unit == "loss" and app.session.stepper.step == 0
        assert app.snapshot.batch.loss is not None
        await press(pilot, "b")
        assert app.snapshot.progress.last_unit == "backward L1/3"
        assert all(layer.dW is not None for layer in app.snapshot.layers)
        await press(pilot, "u")
        assert app.snapshot.progress.last_unit == "update" and app.session.stepper.step == 1
        # u at a boundary does a whole iteration; b from the start runs forward and loss first
        await press(pilot, "b")
        assert app.session.stepper.step == 1 and app.snapshot.progress.last_unit == "backward L1/3"


async def test_f_past_the_loss_finishes_the_iteration_and_the_next_forward() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "b", "f")
        assert app.session.stepper.step == 1
        assert app.snapshot.progress.last_phase == Phase.LOSS


async def test_r_runs_and_pauses() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        assert app.engine.running
        for _ in range(100):
            await asyncio.sleep(0.02)
            if app.snapshot is not None and app.snapshot.progress.step > 0:
                break
        assert "RUNNING" in status_text(app)
        await press(pilot, "r")
        assert not app.engine.running and app.run_idle.is_set()
        step = app.session.stepper.step
        assert step > 0 and app.snapshot.progress.step == step
        assert "paused" in status_text(app)


async def test_step_key_pauses_a_run() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await asyncio.sleep(0.1)
        await press(pilot, "n")
        assert not app.engine.running
        assert app.snapshot.progress.step == app.session.stepper.step
        assert app.snapshot.progress.last_unit == "sample"


async def test_plus_minus_walk_the_ladder() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "+")
        assert app.session.stepper.lr == 0.1 and "lr 0.1" in status_text(app)
        await press(pilot, "-", "-")
        assert app.session.stepper.lr == 0.02
        for _ in range(9):  # 0.02 -> 10 is 8 rungs; one more stays at the top
            await pilot.press("+")
        await settle(pilot)
        assert app.session.stepper.lr == 10.0


async def test_lr_change_mid_iteration_is_pending() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "f", "+")
        st = app.session.stepper
        assert st.lr == 0.05 and st.pending == {"lr": 0.1}
        assert "lr 0.1 from next step" in status_text(app)
        await press(pilot, "u", "n")
        assert st.lr == 0.1 and not st.pending
        assert "from next step" not in status_text(app)


async def test_typed_lr() -> None:
    for key in ("=", "L"):
        app = new_app()
        async with app.run_test(size=SIZE) as pilot:
            await press(pilot, key)
            assert isinstance(app.screen, LrInput)
            await pilot.press(*"abc", "enter")
            assert isinstance(app.screen, LrInput)  # a bad value keeps the box open
            assert "not a number" in str(app.screen.query_one("#lr-error").render())
            app.screen.query_one("Input").value = ""
            await pilot.press(*"0.03", "enter")
            await settle(pilot)
            assert not isinstance(app.screen, LrInput)
            assert app.session.stepper.lr == 0.03 and "lr 0.03" in status_text(app)
            await press(pilot, key, "escape")
            assert app.session.stepper.lr == 0.03


async def test_batch_keys() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "]")
        assert app.session.stepper.batch_size == 32 and "batch 32" in status_text(app)
        await press(pilot, "[", "[")
        assert app.session.stepper.batch_size == 8
        await press(pilot, *["]"] * 6)  # 8 16 32 64 128 256 full: 6 up, 1 past
        assert app.session.stepper.batch_size is None and "batch full" in status_text(app)
        await press(pilot, "space")
        assert app.snapshot.batch.size == app.session.n_train
        await press(pilot, *["["] * 10)  # full -> 1 is 9 down
        assert app.session.stepper.batch_size == 1


async def test_undo() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        st = app.session.stepper
        before = st.net.params.copy()
        await press(pilot, "space", "space", "z")
        assert st.step == 1
        await press(pilot, "z")
        assert st.step == 0 and np.array_equal(st.net.params, before)
        await press(pilot, "z")
        assert "nothing to undo" in status_text(app)
        await press(pilot, "f", "z")
        assert st.position == 0 and st.step == 0


async def test_reset_restores_initial_weights() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        st = app.session.stepper
        before = st.net.params.copy()
        await press(pilot, "space", "space", "n", "R")
        assert st.step == 0 and np.array_equal(st.net.params, before)
        assert "step 0" in status_text(app)
        await press(pilot, "space")
        first = st.net.params.copy()
        await press(pilot, "R", "space")
        assert np.array_equal(st.net.params, first)  # same seed: the same run again


async def test_scenario_picker() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s")
        assert isinstance(app.screen, ScenarioPicker)
        await press(pilot, *["down"] * bundled_names().index("xor"), "enter")
        assert app.session.name == "xor"
        assert app.snapshot.model.scenario == "xor" and "xor" in status_text(app)
        await press(pilot, "s", "escape")
        assert app.session.name == "xor" and not isinstance(app.screen, ScenarioPicker)


async def test_scenario_picker_bad_path_keeps_the_scenario() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "s", "tab", *"nope.toml", "enter")
        assert app.session.name == "five-classes"
        assert "no such file" in status_text(app)


async def test_l_toggles_log_y() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        plot = app.screen.query_one("#loss")
        assert plot.log_y is False
        await press(pilot, "l")
        assert plot.log_y is True
        await press(pilot, "l")
        assert plot.log_y is False


async def test_tab_and_number_keys_move_between_panels() -> None:
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.focused.id == "weights"
        await press(pilot, "tab")
        assert app.main.current_panel == 1 and app.focused.id == "outputs"
        assert app.screen.query_one("#outputs").display
        assert not app.screen.query_one("#gradients").display
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
        explain = app.screen.query_one("#explain")
        assert explain.cursor[0] == 1 and explain.cursor[3] == "W"
        assert app.screen.query_one("#gradients").cur_layer == 1
        await press(pilot, "2", "down")
        assert explain.sample == 1
        assert app.screen.query_one("#outputs").sample == 1


async def test_help_screen_lists_every_binding() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "?")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=300, file=io.StringIO())
        console.print(help_text())
        text = console.file.getvalue()
        for k in KEYS:
            assert k.help in text
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
        await press(pilot, "ctrl+p")
        await pilot.press(*"step one unit")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.stepper.position == 1


async def test_q_quits_with_code_0() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_quitting_stops_the_run_worker() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        for _ in range(250):  # until the run thread is inside its loop
            await asyncio.sleep(0.02)
            if not app.run_idle.is_set() and app.session.stepper.step > 0:
                break
        assert not app.run_idle.is_set()
        await pilot.press("q")
        await pilot.pause()
    assert await asyncio.to_thread(app.run_idle.wait, 2)
    assert app.return_code == 0
    step = app.session.stepper.step
    await asyncio.sleep(0.1)
    assert app.session.stepper.step == step


async def test_divergence_is_shown_and_stops_the_run() -> None:
    app = new_app("sine")  # mse regression overflows within ~40 steps at lr 1000
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "=")
        app.screen.query_one("Input").value = "1000"
        await press(pilot, "enter")
        await pilot.press("r")
        for _ in range(250):
            await asyncio.sleep(0.02)
            if not app.engine.running:
                break
        else:
            await press(pilot, "r")
            raise AssertionError("the run did not stop at the divergence")
        await settle(pilot)
        assert not app.engine.running
        assert app.session.stepper.diverged is not None
        assert "DIVERGED" in status_text(app)


async def test_too_small_terminal_shows_the_message() -> None:
    app = new_app()
    async with app.run_test(size=(70, 20)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#too-small").display
        assert not app.screen.query_one("#panels").display
        assert "enlarge" in str(app.screen.query_one("#too-small").render())
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert not app.screen.query_one("#too-small").display
        assert app.screen.query_one("#panels").display


async def test_large_terminal_shows_every_panel() -> None:
    app = new_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        for pid in ("weights", "outputs", "gradients", "loss", "explain", "map"):
            assert app.screen.query_one(f"#{pid}").display, pid
    app = new_app("iris")  # 4 inputs: no decision map
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one("#map").display
        assert app.snapshot.decision is None


async def test_loads_the_scenario_after_the_first_paint() -> None:
    app = BackpropApp(spec="xor", pace_panels=False)
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space")  # queued behind the load, so it steps xor
        assert app.session is not None and app.session.name == "xor"
        assert app.session.stepper.step == 1
        assert app.screen.query_one("#weights").has_focus
        assert "xor" in status_text(app) and "step 1" in status_text(app)


async def test_a_scenario_that_fails_to_load_exits_with_code_2() -> None:
    app = BackpropApp(spec="no-such-scenario")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.pause()
    assert app.return_code == 2


async def test_switching_to_a_scenario_without_a_map_leaves_the_map_panel() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "6")
        assert app.main.current_panel == 5
        await press(pilot, "s", *["down"] * bundled_names().index("iris"), "enter")
        assert app.session.name == "iris" and app.main.current_panel == 0
        assert app.focused.id == "weights"


async def test_stepping_updates_every_panel_at_once_with_pacing_on() -> None:
    """The run-time pacing of the panels must not delay a step: every panel shows it."""
    app = BackpropApp(open_session())  # the default pacing, not pace_panels=False
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        for key in ("space", "n", "n"):
            await press(pilot, key)
            for pid in ("weights", "outputs", "gradients", "loss", "explain", "map"):
                assert app.main.panel(pid).snapshot is app.snapshot, (key, pid)


async def test_weights_follow_the_layer_being_computed_unless_the_user_chose_one() -> None:
    app = new_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        weights = app.main.panel("weights")
        await press(pilot, "n", "n", "n")  # sample, forward L1, forward L2
        assert weights.cur_layer == 1 and app.main.panel("explain").cursor[0] == 1
        await press(pilot, "1", "greater_than_sign", "n")  # the user picks L3, then forward L3
        assert weights.cur_layer == 2
        await press(pilot, "less_than_sign", "n")  # picks L2; the loss unit keeps it
        assert weights.cur_layer == 1
        await press(pilot, "n")  # backward L3: followed again
        assert weights.cur_layer == 2


async def test_a_toggles_accuracy_on_the_loss_plot() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        plot = app.screen_stack[0].query_one("#loss")
        assert plot.show_accuracy is True
        await press(pilot, "a")
        assert plot.show_accuracy is False
        await press(pilot, "a")
        assert plot.show_accuracy is True


async def test_lr_change_after_a_finished_iteration_shows_at_once() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space", "+")
        st = app.session.stepper
        assert st.lr == 0.1 and not st.pending and app.snapshot.settings.lr == 0.1
        assert "lr 0.1" in status_text(app) and "from next step" not in status_text(app)
