"""StatusLine: the labelled whole-set loss, a height that keeps still, notes that go."""

from __future__ import annotations

from textual.app import App, ComposeResult

from engine.snapshot import Snapshot
from tests.tui.widgets.apps.panel_app import five_stepper, snap, units
from tui.widgets import status_line
from tui.widgets.status_line import StatusLine, pack, status_parts


def _text(parts: list[tuple[str, str]]) -> str:
    return "  ".join(t for t, _ in parts)


def test_loss_says_it_is_the_training_sets() -> None:
    """The plot draws batch losses; the status line's loss is the whole training set's."""
    st = five_stepper()
    st.run(1)
    st.evaluate()
    text = _text(status_parts(snap(st), False, 160))
    assert "train-set loss" in text and "(step" not in text  # evaluated at the step shown
    units(st, 3)  # an iteration begun: still step 1, the loss is current
    assert "(step" not in _text(status_parts(snap(st), False, 160))
    st.run(1)  # a step the status was not evaluated at says which step its loss is from
    assert "(step 1)" in _text(status_parts(snap(st), False, 160))


def _heights(s: Snapshot, width: int) -> set[int]:
    return {len(pack(status_parts(s, running, 160), width)) for running in (False, True)}


def test_run_state_never_rewraps() -> None:
    """At 120 columns `r` used to wrap RUNNING onto a second line and move every panel."""
    st = five_stepper()
    st.run(2)
    st.evaluate()
    s = snap(st)
    for width in range(60, 200):
        assert len(_heights(s, width)) == 1, width


def test_stepping_through_units_never_rewraps() -> None:
    """The phase's room is its longest label's: `n` through an iteration keeps the height."""
    st = five_stepper()
    st.run(2)
    st.evaluate()
    shots = []
    for _ in range(9):
        units(st, 1)
        if st.at_boundary:
            st.evaluate()  # as the session does when a step completes
        shots.append(snap(st))
    for width in range(60, 200):
        assert len({h for s in shots for h in _heights(s, width)}) == 1, width


class StatusApp(App[None]):
    CSS = "StatusLine { height: auto; }"  # as the app's stylesheet has it

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")


async def test_note_clears_once_training_moved_on(monkeypatch) -> None:
    """ "reset to the initial weights" stayed through 23,000 running steps."""
    now = [100.0]
    monkeypatch.setattr(StatusLine, "clock", lambda: now[0])
    st = five_stepper()
    app = StatusApp()
    async with app.run_test(size=(120, 6)) as pilot:
        line = app.query_one(StatusLine)
        line.show(snap(st))
        line.note = "reset to the initial weights"
        await pilot.pause()
        assert "reset to the initial weights" in str(line.render())
        st.run(status_line.NOTE_STEPS - 1)
        line.show(snap(st))
        now[0] += 60
        assert line.note  # not yet NOTE_STEPS iterations on, however long it has been
        st.run(1)
        line.show(snap(st))
        await pilot.pause()
        assert line.note == "" and "reset" not in str(line.render())

        line.note = "lr 0.1"  # set while running fast: stays NOTE_SECONDS at least
        st.run(status_line.NOTE_STEPS + 5)
        line.show(snap(st))
        assert line.note == "lr 0.1"
        now[0] += status_line.NOTE_SECONDS
        st.run(1)
        line.show(snap(st))
        assert line.note == ""


async def test_note_stays_while_paused(monkeypatch) -> None:
    now = [0.0]
    monkeypatch.setattr(StatusLine, "clock", lambda: now[0])
    st = five_stepper()
    app = StatusApp()
    async with app.run_test(size=(120, 6)) as pilot:
        line = app.query_one(StatusLine)
        line.show(snap(st))
        line.note = "nothing to undo"
        now[0] += 1000
        for _ in range(3):
            line.show(snap(st))  # the same step, shown again (e.g. a panel switch)
        await pilot.pause()
        assert "nothing to undo" in str(line.render())


async def test_height_kept_while_the_step_count_grows_and_shrinks() -> None:
    """A line that wrapped once keeps its rows at this width: an undo does not move panels."""
    st = five_stepper()
    app = StatusApp()
    async with app.run_test(size=(100, 6)) as pilot:
        line = app.query_one(StatusLine)
        line.show(snap(st))
        await pilot.pause()
        first = line.size.height
        st.run(10_000)
        line.show(snap(st))
        await pilot.pause()
        grown = line.size.height
        assert grown >= first
        line.show(snap(five_stepper()))  # back to step 0, same scenario and width
        await pilot.pause()
        assert line.size.height == grown


async def test_long_note_wraps_instead_of_being_cut() -> None:
    st = five_stepper()
    app = StatusApp()
    async with app.run_test(size=(40, 8)) as pilot:
        line = app.query_one(StatusLine)
        line.show(snap(st))
        line.note = "no such file: /a/rather/long/path/to/a/scenario.toml"
        await pilot.pause()
        rendered = str(line.render())
        assert "scenario.toml" in rendered
        assert all(len(row) <= 40 for row in rendered.split("\n"))
