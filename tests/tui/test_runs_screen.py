"""Pilot tests of the runs screen (v), w checkpoints and reopening runs, on real ledgers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from textual.widgets import DataTable

from engine.ledger import Ledger
from scenarios import build, load_scenario
from tests.tui.app_helpers import fixture, new_app, press, settle, stepper_of
from tests.tui.runs_helpers import FIVE, open_runs, train
from tui.app import BackpropApp
from tui.comparison import Comparison
from tui.screens.confirm_delete import ConfirmDelete
from tui.screens.runs import RunsScreen
from tui.session import Session


def comparison_of(app: BackpropApp) -> Comparison:
    assert app.engine.comparison is not None
    return app.engine.comparison


async def test_table_lists_the_ledgers_runs(runs_home: Path) -> None:
    """Newest first; only the config keys that differ (lr, batch); the figures as `runs`."""
    app = new_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen, table = await open_runs(pilot)
        assert [r.id for r in table.rows] == [4, 3, 2, 1]
        assert table.headers[:3] == ("id", "lr", "batch")  # one scenario: named above
        assert "loss curve" in table.headers and "test acc" in table.headers
        by_id = {r.id: r for r in table.rows}
        assert by_id[1].values == ("0.05", "16")
        assert by_id[4].values == ("0.2", "64")
        assert by_id[3].cells()[-3] == "diverged at 21"
        assert all(r.checkpoint == "yes" for r in table.rows)
        assert len(by_id[1].spark) == 12 and set(by_id[1].spark) <= set("▁▂▃▄▅▆▇█ ")
        with Ledger.open() as ledger:
            assert by_id[2].loss == ledger.run(2).train_loss
        assert screen.query_one("#runs-table", DataTable).row_count == 4
        assert "4 runs of five-classes" in str(screen.query_one("#runs-message").render())


async def test_sort_keys(runs_home: Path) -> None:
    """s cycles the sort key (newest, loss, ...), S reverses; a missing figure stays last."""
    app = new_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen, table = await open_runs(pilot)
        assert screen._order == [4, 3, 2, 1]
        await pilot.press("s")
        assert screen.sort == "loss"
        losses = {r.id: r.loss for r in table.rows}
        assert screen._order == sorted(losses, key=lambda i: losses[i])  # type: ignore[arg-type, return-value]
        await pilot.press("S")
        assert screen._order == sorted(losses, key=lambda i: losses[i], reverse=True)  # type: ignore[arg-type, return-value]
        await pilot.press("s", "s")
        assert screen.sort == "test acc"
        assert screen._order[0] == max(table.rows, key=lambda r: r.test_accuracy or 0).id


async def test_space_overlays_a_ledger_run(runs_home: Path) -> None:
    """Space draws a ledger-only run on the loss plot from its ledger curve (read-only);
    space again takes it off."""
    app = new_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await press(pilot, "space", "space")
        screen, _ = await open_runs(pilot)
        await pilot.press("down")  # run 3
        await pilot.press("space")
        await settle(pilot)
        c = comparison_of(app)
        assert [p.ledger_id for p in c.pinned] == [3]
        assert "#3" in c.pinned[0].label and "lr 50" in c.pinned[0].label
        overlay = app.main.overlay
        assert overlay is not None
        pinned = [cv for cv in overlay.curves if cv.ledger_id == 3]
        assert len(pinned) == 1 and pinned[0].diverged and not pinned[0].focused
        assert overlay.curves[-1].ledger_id is None  # the focused run, drawn last
        assert len(c) == 1  # read-only: nothing trains it
        row = screen.query_one("#runs-table", DataTable).get_row("3")
        assert str(row[0]) == "x"  # its glyph, as on the loss plot
        await pilot.press("space")
        await settle(pilot)
        assert comparison_of(app).pinned == ()
        assert app.main.overlay is None


async def test_enter_opens_a_run_bit_for_bit(runs_home: Path) -> None:
    """Enter rebuilds run 1 from its checkpoint as the focused run of the comparison: 20 more
    iterations end where 80 in one go do."""
    app = new_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen, _ = await open_runs(pilot)
        await pilot.press("down", "down", "down")  # the oldest: run 1, 60 steps
        assert screen._cursor_id() == 1
        await pilot.press("space")  # overlaid first: once open it is drawn as a run, not twice
        await settle(pilot)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert not isinstance(app.screen, RunsScreen)
        c = comparison_of(app)
        assert len(c) == 2 and c.focus == 1
        assert stepper_of(app).step == 60
        assert "run #1 opened from its checkpoint at step 60" in app.main.status.note
        assert c.pinned == ()
        overlay = app.main.overlay
        assert overlay is not None and [cv.ledger_id for cv in overlay.curves] == [None, None]
        await press(pilot, "g", "2", "0", "enter")  # 20 iterations, every run in lockstep
        st = stepper_of(app)
        assert st.step == 80
    alone = build(load_scenario(FIVE)).stepper
    alone.run(80)
    assert np.array_equal(alone.net.params, st.net.params)
    assert np.array_equal(alone.opt.state()["velocity"], st.opt.state()["velocity"])


async def test_w_saves_and_the_checkpoint_reopens_bit_for_bit() -> None:
    """w writes the focused run's checkpoint into the ledger; --open's path (H2's run_state)
    resumes it: 25 + 15 iterations equal 40 in one go. (`--open 1` refuses while this process,
    its owner, lives: the file is opened.)"""
    from tui.cli.open_run import run_state

    app = new_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "g", "2", "5", "enter")
        await press(pilot, "w")
        assert "saved at step 25" in app.main.status.note
        assert "ledger run #1" in app.main.status.note
        assert app.main.status.note.endswith("backprop-tui --open 1")
    with Ledger.open() as ledger:
        info = ledger.run(1)
        assert info.origin == "app" and info.steps == 25 and info.checkpoint == "1.npz"
        assert info.train_loss is not None
        assert len(ledger.curve(1)["batch_loss"][0]) == 25
        path = ledger.checkpoint_path(1)
    scn, built, _ = run_state(str(path))
    reopened = BackpropApp(session=Session(scn, built), pace_panels=False)
    async with reopened.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert stepper_of(reopened).step == 25
        await press(pilot, "g", "1", "5", "enter")
        st = stepper_of(reopened)
    alone = Session.open(fixture("five-classes")).stepper
    alone.run(40)
    assert st.step == 40 and np.array_equal(alone.net.params, st.net.params)


async def test_w_mid_iteration_is_refused() -> None:
    app = new_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await press(pilot, "n", "n", "w")
        assert "iteration is in progress" in app.main.status.note
    with Ledger.open() as ledger:
        assert ledger.runs() == []


async def test_delete_after_confirmation(runs_home: Path) -> None:
    """d asks first: n keeps the run, y deletes it and its checkpoint."""
    app = new_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen, _ = await open_runs(pilot)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDelete)
        await pilot.press("n")
        assert app.screen is screen
        assert "kept" in str(screen.query_one("#runs-note").render())
        dt = screen.query_one("#runs-table", DataTable)
        assert app.focused is dt  # the arrows move the cursor again
        await pilot.press("down", "up", "down")
        assert screen._cursor_id() == 3
        await pilot.press("up")
        await pilot.press("d")
        await pilot.press("y")
        await app.workers.wait_for_complete()
        table = await screen.next_table()
        assert [r.id for r in table.rows] == [3, 2, 1]
        assert not (runs_home / "checkpoints" / "4.npz").exists()
        assert screen.query_one("#runs-table", DataTable).row_count == 3


async def test_checkpoint_missing(runs_home: Path) -> None:
    """A run whose checkpoint file was deleted says so on enter, and can still be overlaid."""
    (runs_home / "checkpoints" / "4.npz").unlink()
    app = new_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen, table = await open_runs(pilot)
        assert table.row(4) is not None and table.row(4).checkpoint == "missing"  # type: ignore[union-attr]
        await pilot.press("enter")
        assert "checkpoint missing" in str(screen.query_one("#runs-note").render())
        assert app.screen is screen and len(comparison_of(app)) == 1
        await pilot.press("space")
        await settle(pilot)
        assert [p.ledger_id for p in comparison_of(app).pinned] == [4]


async def test_a_live_run_grows(runs_home: Path) -> None:
    """A run another process writes: its curve, steps and sparkline follow on the next poll,
    and an overlaid live run's curve too."""
    config = {"training.lr": 0.1}
    with Ledger.open() as ledger:
        run_id = ledger.start_run("five-classes", config, seed=0)
        ledger.append(run_id, {"batch_loss": (np.arange(1, 11), np.linspace(2, 1, 10))}, steps=10)
    app = new_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen, table = await open_runs(pilot)
        row = table.row(run_id)
        assert row is not None and row.status == "running" and len(row.x) == 10
        await pilot.press("space")  # the cursor is on the newest: the live run
        await settle(pilot)
        # another process writes 40 more points
        code = (
            "import numpy as np; from engine.ledger import Ledger\n"
            f"L = Ledger.open(); L.append({run_id}, {{'batch_loss': (np.arange(11, 51), "
            "np.linspace(1, 0.2, 40))}, steps=50)"
        )
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
        table = await screen.next_table()
        row = table.row(run_id)
        assert row is not None and len(row.x) == 50 and row.steps == 50
        cells = screen.query_one("#runs-table", DataTable).get_row(str(run_id))
        assert "50" in [str(c) for c in cells]
        # and a thread of this process (the app's own ledger writes are threads too)
        grow = threading.Thread(
            target=lambda: Ledger.open().append(
                run_id, {"batch_loss": (np.array([51]), np.array([0.1]))}, steps=51
            )
        )
        grow.start()
        grow.join()
        table = await screen.next_table()
        await settle(pilot)
        pinned = comparison_of(app).pinned
        assert [p.ledger_id for p in pinned] == [run_id] and pinned[0].step == 51
        # back on the main screen, the overlaid live run goes on growing (the app keeps the
        # runs screen, which follows only that run's growth while hidden)
        await pilot.press("escape")
        assert app.screen is app.main
        with Ledger.open() as ledger:
            ledger.append(run_id, {"batch_loss": (np.array([52]), np.array([0.05]))}, steps=52)
        await screen.next_table()
        await settle(pilot)
        overlay = app.main.overlay
        assert overlay is not None
        live = [c for c in overlay.curves if c.ledger_id == run_id]
        assert live[0].step == 52 and live[0].x[-1] == 52
        assert screen._live_pins()
        await press(pilot, "v")
        assert app.screen is screen  # the same screen, the same sort and cursor


async def test_empty_ledger_says_so() -> None:
    app = new_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen, table = await open_runs(pilot)
        assert table.rows == () and table.error is None
        assert "no runs yet" in str(screen.query_one("#runs-message").render())
        assert not screen.query_one("#runs-table").display


async def test_unusable_ledger_says_so_and_the_app_goes_on(_data_home: Path) -> None:
    bad = _data_home / "runs.sqlite"
    bad.write_bytes(b"not a database at all" * 100)
    app = new_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen, table = await open_runs(pilot)
        assert table.error is not None
        message = str(screen.query_one("#runs-message").render())
        assert message.startswith("the ledger cannot be opened:") and "\n" not in message
        await pilot.press("escape")
        await press(pilot, "space")
        assert stepper_of(app).step == 1
    assert bad.read_bytes() == b"not a database at all" * 100  # never overwritten


async def test_enter_on_another_scenarios_run_replaces_the_runs() -> None:
    """A run of another scenario cannot train in lockstep beside these: it replaces them (they
    stay in the ledger), from its checkpoint."""
    train(Path(os.environ["BACKPROP_TUI_HOME"]), steps=30, scenario=str(fixture("xor")))
    app = new_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        old = comparison_of(app)
        _, table = await open_runs(pilot)
        assert [r.scenario for r in table.rows] == ["xor"]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        c = comparison_of(app)
        assert c is not old and c.name == "xor" and len(c) == 1
        assert stepper_of(app).step == 30


async def test_header_click_sorts(runs_home: Path) -> None:
    app = new_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        screen, _ = await open_runs(pilot)
        dt = screen.query_one("#runs-table", DataTable)
        loss_column = 1 + screen._headers.index("loss")  # after the marker column
        x = sum(c.get_render_width(dt) for c in dt.ordered_columns[:loss_column]) + 1
        await pilot.click(dt, offset=(x, 0))
        assert screen.sort == "loss" and not screen.reverse
        await pilot.click(dt, offset=(x, 0))
        assert screen.sort == "loss" and screen.reverse


async def test_enter_with_eight_runs_says_so(runs_home: Path) -> None:
    """A full comparison keeps its runs: enter on a run of the same scenario says 8 at most."""
    app = new_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await press(pilot, *"ccccccc")
        old = comparison_of(app)
        assert len(old) == 8
        await open_runs(pilot)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert comparison_of(app) is old and len(old) == 8
        assert "8 runs at most" in app.main.status.note
