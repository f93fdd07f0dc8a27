"""Helpers for the app's pilot and snapshot tests: a fresh app per test, settled after keys."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.pilot import Pilot

from tui.app import BackpropApp
from tui.session import Session

# Frozen copies of bundled scenarios (same names): tuning a bundled one changes no test here.
FIXTURES = Path(__file__).parents[1] / "fixtures" / "scenarios"


def fixture(name: str) -> Path:
    """The test-owned scenario file ``name`` (five-classes, xor, sine, iris)."""
    return FIXTURES / f"{name}.toml"


def open_session(name: str = "five-classes") -> Session:
    return Session.open(fixture(name))


def new_app(scenario: str = "five-classes") -> BackpropApp:
    # pace_panels=False: panels redraw every snapshot, so what a test sees does not depend on time
    return BackpropApp(open_session(scenario), pace_panels=False)


async def settle(pilot: Pilot) -> None:
    """Wait until queued engine commands ran, the run loop is idle and messages are handled."""
    app = pilot.app
    assert isinstance(app, BackpropApp)
    if not app.run_idle.is_set():
        await asyncio.to_thread(app.run_idle.wait, 10)
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


async def press(pilot: Pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
