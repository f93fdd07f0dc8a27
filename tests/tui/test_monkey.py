"""A hostile user at the keyboard: 3,000 random keys and resizes, and a FIFO in the picker.

Seeded, so a failure replays: the app must keep answering and the engine stay consistent.
"""

from __future__ import annotations

import asyncio
import os
import random
import string
from pathlib import Path

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.events import Resize
from textual.geometry import Size
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerState

from tests.tui.app_helpers import (
    fixture,
    key_event,
    new_app,
    press,
    session_of,
    settle,
    snapshot_of,
    status_text,
    stepper_of,
)
from tui.app import BackpropApp
from tui.keys import KEYS
from tui.screens.help import HelpScreen
from tui.screens.lr_input import LrInput
from tui.screens.run_for import RunForInput
from tui.screens.scenario_picker import ScenarioPicker

SEED = 0
# about 7 ms a key at 80x24 (the footer recomposes on every focus change), more when large,
# and ~80 ms a resize (a layout of every widget): 3,000 keys with 40 resizes among them
N_KEYS = 3000
SETTLE_EVERY = 250  # keys posted without waiting between them, then the app settles
RESIZE_EVERY = 75
MAX_SIZE = (300, 100)
SETTLE_DEADLINE = 30.0  # seconds: a hung worker fails the test instead of hanging the suite


def key_pool() -> list[str]:
    """Every binding's key, arrows, tab, escape, enter, digits and letters; not q nor s.

    q quits (pressed once, at the end); s opens the picker, where random letters and enter
    would open random paths or another (bigger) bundled scenario: visited on purpose instead.
    """
    keys = {key for k in KEYS for key in k.keys.split(",")}
    keys |= {"up", "down", "left", "right", "tab", "shift+tab", "escape", "enter", "backspace"}
    keys |= {"home", "end", "pageup", "pagedown"}
    keys |= set(string.digits) | set(string.ascii_letters) | set(".+-=[],?")
    return sorted(keys - {"q", "s"})


def resize(app: BackpropApp, width: int, height: int) -> None:
    """Pilot.resize_terminal without its wait for an idle CPU: the resize lands among the keys."""
    size = Size(width, height)
    assert isinstance(app._driver, HeadlessDriver)
    app._driver._size = size
    app.post_message(Resize(size, size))


async def quiesce(pilot: Pilot[int]) -> None:
    """Let the posted keys land, pause any run they started (r, g, e), and settle."""
    app = pilot.app
    assert isinstance(app, BackpropApp)
    for _ in range(5):
        # twice: the app forwards a key to the screen, whose queue then handles it
        await pilot._wait_for_screen()
        await pilot._wait_for_screen()
        app.engine.pause()
        await asyncio.wait_for(settle(pilot), SETTLE_DEADLINE)
        if not app.engine.running:  # a dismissed "run for" box may have started one late
            return
    raise AssertionError("a run kept starting after the keys were handled")


def assert_consistent(app: BackpropApp) -> None:
    """The app is alive, no worker failed, and the shown snapshot is the engine's state."""
    assert app.is_running and app.return_code is None
    failed = [w for w in app.workers if w.state == WorkerState.ERROR]
    assert not failed, [w.error for w in failed]
    st = stepper_of(app)
    assert st.step >= 0 and st.epoch >= 0
    assert 0 <= st.position <= len(st.units)
    assert 0 <= st.undo_count <= st.undo_depth + 1  # the ring, plus a partial iteration
    snap = snapshot_of(app)  # idle: the last snapshot shown is the state now
    assert snap.version == st.version
    assert (snap.progress.step, snap.progress.position) == (st.step, st.position)
    assert snap.progress.undo_count == st.undo_count


async def test_random_keys_and_resizes_leave_the_app_answering() -> None:
    rng = random.Random(SEED)
    pool = key_pool()
    app = new_app("xor")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        sizes = iter([(1, 1), MAX_SIZE])  # both extremes for sure, then at random
        for i in range(N_KEYS):
            if i % RESIZE_EVERY == 0:
                size = next(sizes, None) or (rng.randint(1, MAX_SIZE[0]), rng.randint(1, 100))
                resize(app, *size)
            if i % 500 == 250:  # the picker, opened and closed (a no-op when a box is open)
                app.post_message(key_event("s"))
                app.post_message(key_event("escape"))
            app.post_message(key_event(rng.choice(pool)))
            if i % SETTLE_EVERY == SETTLE_EVERY - 1:
                await quiesce(pilot)
                assert_consistent(app)

        # close whatever box is open, back to a size that shows the panels
        await pilot.resize_terminal(120, 36)
        await quiesce(pilot)
        for _ in range(4):
            if app.screen is app.main:
                break
            await press(pilot, "escape")
        assert app.screen is app.main
        await quiesce(pilot)
        assert_consistent(app)

        # it still answers: reset reaches the engine, ? opens the help, q quits
        await press(pilot, "R")
        assert stepper_of(app).step == 0 and snapshot_of(app).progress.step == 0
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        await press(pilot, "escape")
        assert app.screen is app.main
        await pilot.press("q")  # the app exits: nothing to settle
    assert app.return_code == 0


# ---- what the monkey found --------------------------------------------------------------------


async def test_a_typed_bracket_in_the_lr_box_is_an_error_line_not_a_crash() -> None:
    # the error quotes the typed text, which Static read as markup: "[" ended the app
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "L", "backspace", "[", "enter")
        assert isinstance(app.screen, LrInput)
        assert "[" in str(app.screen.query_one("#lr-error", Static).render())
        await press(pilot, "escape", "g", "[", "enter")
        assert isinstance(app.screen, RunForInput)
        assert "[" in str(app.screen.query_one("#run-for-error", Static).render())
        await press(pilot, "escape")
        assert app.screen is app.main and app.is_running


async def test_two_enters_before_a_box_closes_close_it_once() -> None:
    # keys arrive in bursts (a paste, a slow link): the second enter's message reached the box
    # after it closed, and dismissed the main screen under it
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for box in (["L"], ["g", "1"], ["s"], ["s", "tab", "x"]):
            for key in [*box, "enter", "enter"]:
                app.post_message(key_event(key))
            await quiesce(pilot)
            assert app.is_running, box
            if app.screen is not app.main:  # the box was still mounting: it saw a bad value
                await press(pilot, "escape")
            assert app.screen is app.main, box
            assert_consistent(app)


# ---- a FIFO typed in the picker: refused before reading; q still exits ------------------------


async def test_a_fifo_picked_in_the_picker_keeps_the_run_and_q_exits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the path is typed as a user would: relative, key by key
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)  # opening it to read would block until a writer came: nobody will
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await press(pilot, "space")
        before = (session_of(app).name, stepper_of(app).step, stepper_of(app).version)
        await press(pilot, "s", "tab")
        assert isinstance(app.screen, ScenarioPicker)
        try:
            await asyncio.wait_for(press(pilot, *fifo.name, "enter"), SETTLE_DEADLINE)
        except TimeoutError:
            os.close(os.open(fifo, os.O_RDWR))  # a writer lets a blocked reader go on
            raise
        status = status_text(app)
        assert "pipe.toml" in status and "FIFO" in status and "not a regular file" in status
        assert "\n" not in app.main.status.note  # one line (the status may wrap it)
        assert app.screen is app.main  # the picker closed; the current run is kept
        after = (session_of(app).name, stepper_of(app).step, stepper_of(app).version)
        assert after == before
        await press(pilot, "space")
        assert stepper_of(app).step == before[1] + 1  # and it still trains
        await pilot.press("q")  # the app exits: nothing to settle
    assert app.return_code == 0


async def test_a_scenario_whose_data_file_is_a_fifo_is_refused_in_the_picker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    fifo = tmp_path / "points.csv"
    os.mkfifo(fifo)
    scenario = tmp_path / "fifodata.toml"
    xor = fixture("xor").read_text()
    start = xor.index("[data]")
    end = xor.index("\n[", start + 1)
    scenario.write_text(xor[:start] + '[data]\nfile = "points.csv"\ntarget = "y"\n' + xor[end:])
    app = new_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s", "tab")
        try:
            await asyncio.wait_for(press(pilot, *scenario.name, "enter"), SETTLE_DEADLINE)
        except TimeoutError:
            os.close(os.open(fifo, os.O_RDWR))
            raise
        status = status_text(app)
        assert "points.csv" in status and "not a regular file" in status
        assert session_of(app).name == "five-classes"
        await pilot.press("q")  # the app exits: nothing to settle
    assert app.return_code == 0
