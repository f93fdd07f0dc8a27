"""Issue 9 §6 fixes that keep bytes off the wire: decision-map colours merged as the terminal
shows them, and the status line's note rows kept while a run goes (no layout shift)."""

from __future__ import annotations

import numpy as np
from rich.color import Color, ColorSystem

from tests.tui.app_helpers import key_event, new_app, press, settle, stepper_of
from tui.widgets.decision_map import Q, _hex, _rgb, colour_ids


def test_truecolor_keeps_every_region_colour_apart() -> None:
    assert colour_ids(5, None).tolist() == list(range(5 * (Q + 1)))
    assert colour_ids(5, "truecolor").tolist() == list(range(5 * (Q + 1)))


def test_256_colours_merge_exactly_the_ids_the_terminal_shows_alike() -> None:
    ids = colour_ids(5, "256")
    shown = [
        Color.parse(_hex(_rgb(*divmod(i, Q + 1)))).downgrade(ColorSystem.EIGHT_BIT).number
        for i in range(5 * (Q + 1))
    ]
    for i, j in enumerate(ids.tolist()):
        assert j <= i and shown[j] == shown[i]  # mapped to the first id of the same colour
        assert all(shown[k] != shown[i] for k in range(j))
    assert len(np.unique(ids)) < len(ids)  # some shades do collapse in 256 colours


async def test_a_run_keeps_the_status_rows_of_the_note_it_cleared() -> None:
    app = new_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        status = app.main.status
        assert status.note  # the scenario's look-for note
        height = status.size.height
        panels_y = app.main.panel("weights").region.y
        await press(pilot, "g")
        for ch in "1000000":
            app.post_message(key_event(ch))
        app.post_message(key_event("enter"))  # a run too long to end in the test: it clears
        await app.snapshot_where(lambda s: s.progress.step > 0)  # the note ...
        await pilot.pause()
        assert app.engine.running and status.note == ""
        # ... but the run keeps its rows: the panels do not move (a full repaint each time)
        assert status.size.height == height
        assert app.main.panel("weights").region.y == panels_y
        app.post_message(key_event("r"))  # paused by the user, no note: the rows go
        await settle(pilot)
        assert not app.engine.running and status.note == ""
        assert status.size.height == height - 1
        assert stepper_of(app).step > 0


async def test_restarting_at_each_stop_never_moves_the_panels() -> None:
    app = new_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        status = app.main.status
        height = status.size.height
        for _ in range(3):
            await press(pilot, "g")
            for ch in "30":
                app.post_message(key_event(ch))
            await press(pilot, "enter")
            await settle(pilot)  # ran 30 iterations and stopped, with a note
            assert not app.engine.running and "30 iterations" in status.note
            assert status.size.height == height
        assert stepper_of(app).step == 90
