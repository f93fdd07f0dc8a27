"""Helpers of the sweep screen's tests: open it on the xor fixture, fill its fields, run it."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.app_helpers import TestApp, new_app, press, settle
from tui.screens.sweep import SweepScreen

# 3 lrs x 2 batch sizes x 2 seeds x 30 steps: a real subprocess, well under a second of CPU
TINY = {"lr": "0.05,0.5,5", "batch": "10,full", "seeds": "2", "length": "30"}


def xor_app() -> TestApp:
    return new_app("xor")


def sweep_screen(pilot: Pilot[int]) -> SweepScreen:
    screen = pilot.app.screen
    assert isinstance(screen, SweepScreen), screen
    return screen


async def open_sweep(pilot: Pilot[int]) -> SweepScreen:
    await settle(pilot)
    await press(pilot, "S")
    return sweep_screen(pilot)


def fill(screen: SweepScreen, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        screen.query_one(f"#sweep-{name}", Input).value = value


async def run_sweep(pilot: Pilot[int], fields: dict[str, str] = TINY) -> SweepScreen:
    """Open S, fill the fields, enter; wait for the subprocess's end (its reader worker)."""
    screen = await open_sweep(pilot)
    fill(screen, fields)
    screen.query_one("#sweep-lr", Input).focus()
    await press(pilot, "enter")
    await settle(pilot)  # waits for every worker: the reader ends with the subprocess
    assert screen.ended is not None
    return screen
