"""Helpers for the runs screen's tests: a ledger filled by real `train` runs, the screen opened."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from textual.pilot import Pilot

from tests.tui.app_helpers import FIXTURES, press
from tui.runs_view import RunsTable
from tui.screens.runs import RunsScreen

FIVE = str(FIXTURES / "five-classes.toml")
# four real runs of the fixture, 60 steps each: ids 1..4 (4 is the newest)
TRAINS = (
    (),  # lr 0.05, batch 16: the scenario's own
    ("--lr", "0.2"),
    ("--lr", "50"),  # diverges at step 21
    ("--lr", "0.2", "--batch-size", "64"),
)


def train(home: Path, *args: str, steps: int = 60, scenario: str = FIVE) -> None:
    """One `backprop-tui train` (of the five-classes fixture), recorded in ``home``'s ledger."""
    env = {**os.environ, "BACKPROP_TUI_HOME": str(home)}
    cmd = [sys.executable, "-m", "tui.cli", "train", scenario, "--steps", str(steps), *args]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=120)


def fill(template: Path) -> Path:
    for args in TRAINS:
        train(template, *args)
    return template


def copy_home(template: Path, home: Path) -> None:
    """The template's ledger and checkpoints into this test's data home (no writer is open)."""
    for item in template.iterdir():
        if item.is_dir():
            shutil.copytree(item, home / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, home / item.name)


async def open_runs(pilot: Pilot[int]) -> tuple[RunsScreen, RunsTable]:
    """Press v and wait for the screen's first reading of the ledger."""
    await press(pilot, "v")
    screen = pilot.app.screen
    assert isinstance(screen, RunsScreen)
    table = await screen.next_table()
    await pilot.pause()
    return screen, table
