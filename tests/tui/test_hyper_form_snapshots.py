"""Snapshots of the `h` form on the five-classes fixture: 80x24 and 160x48, and its errors.

The form is shown on a bare app (not over the main screen), so these baselines change only
when the form itself does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input

from tests.tui.app_helpers import open_session
from tui.screens.hyper_form import HyperForm
from tui.screens.hyper_values import current_values

SIZES = pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])


class FormApp(App[None]):
    CSS_PATH = Path(__file__).parents[2] / "tui" / "app.tcss"

    def on_mount(self) -> None:
        session = open_session("five-classes")
        values = current_values(session.stepper, session.scenario)
        self.push_screen(HyperForm(values, session.scenario, "run 2"))


@SIZES
def test_hyper_form(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(FormApp(), terminal_size=size)


def test_hyper_form_errors(snap_compare) -> None:
    async def run_before(pilot) -> None:
        await pilot.pause()
        form = pilot.app.screen
        form.query_one("#f-lr", Input).value = "fast"
        form.query_one("#f-schedule", Input).value = "cosine:steps=0"
        form.query_one("#f-hidden", Input).value = "8, -1"
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(FormApp(), terminal_size=(80, 24), run_before=run_before)
