"""Helpers for the app's pilot and snapshot tests: a fresh app per test, settled after keys.

Nothing here sleeps: ``settle`` waits for the engine's workers and for every widget's queue,
and ``snapshot_where`` for the snapshot a test needs.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Callable
from pathlib import Path

from textual import events
from textual.keys import KEY_NAME_REPLACEMENTS, key_to_character
from textual.pilot import Pilot
from textual.screen import Screen

from engine import Stepper
from engine.snapshot import Snapshot
from tui.app import BackpropApp
from tui.overlay import Overlay
from tui.screens.main import MainScreen
from tui.session import Session
from tui.widgets.status_line import StatusLine

# Frozen copies of bundled scenarios (same names): tuning a bundled one changes no test here.
FIXTURES = Path(__file__).parents[1] / "fixtures" / "scenarios"


def fixture(name: str) -> Path:
    """The test-owned scenario file ``name`` (five-classes, xor, sine, iris)."""
    return FIXTURES / f"{name}.toml"


def open_session(name: str = "five-classes") -> Session:
    return Session.open(fixture(name))


class WatchedScreen(MainScreen):
    """The main screen, resolving the tests' waits once it has shown a snapshot."""

    waiters: list[tuple[Callable[[Snapshot], bool], asyncio.Future[Snapshot]]]

    async def show(self, snap: Snapshot, overlay: Overlay | None = None) -> None:
        await super().show(snap, overlay)
        for want, future in self.waiters:
            if not future.done() and want(snap):
                future.set_result(snap)


class TestApp(BackpropApp):
    """The app with a WatchedScreen: tests wait for a snapshot instead of polling."""

    __test__ = False  # not a pytest class

    def get_default_screen(self) -> Screen[None]:
        self.main = WatchedScreen(self.engine, self.pacing)
        self.main.waiters = []
        return self.main

    async def snapshot_where(
        self, want: Callable[[Snapshot], bool], timeout: float = 10
    ) -> Snapshot:
        """The first snapshot shown (the current one included) for which ``want`` is true."""
        if self.snapshot is not None and want(self.snapshot):
            return self.snapshot
        assert isinstance(self.main, WatchedScreen)
        future: asyncio.Future[Snapshot] = asyncio.get_running_loop().create_future()
        self.main.waiters.append((want, future))
        return await asyncio.wait_for(future, timeout)


def new_app(
    scenario: str = "five-classes", *, pace_panels: bool = False, record: bool = False
) -> TestApp:
    # pace_panels=False: panels redraw every snapshot, so what a test sees does not depend on time;
    # record=False: the app's own runs stay out of the test's ledger unless a test asks for them
    return TestApp(open_session(scenario), pace_panels=pace_panels, record=record)


async def settle(pilot: Pilot[int]) -> None:
    """Wait until queued engine commands ran, the run loop is idle and messages are handled.

    Each round: every widget has handled its queue (a snapshot may post CursorMoved, which the
    screen handles next round), callbacks waiting for a refresh have run (they may queue a
    command), and the workers have finished (their snapshots are posted).
    """
    app = pilot.app
    assert isinstance(app, BackpropApp)
    for _ in range(3):
        await pilot._wait_for_screen()
        if not app.is_running:  # e.g. exited: nothing refreshes any more
            return
        await app.screen.wait_for_refresh()  # after the app's own call_after_refresh callbacks
        if not app.run_idle.is_set():
            await asyncio.to_thread(app.run_idle.wait, 10)
        # a cancelled worker (a paused run, or any at exit) raises here: run_idle covers it
        await asyncio.gather(*(w.wait() for w in list(app.workers)), return_exceptions=True)
        late = getattr(app.screen, "late_shown", None)
        if late is not None and not late.is_set():  # panels a stop held back: their timer
            await asyncio.wait_for(late.wait(), 10)
    await pilot._wait_for_screen()


def key_event(key: str) -> events.Key:
    """The Key event a terminal sends for ``key``: a Textual key name, or one character."""
    if len(key) == 1 and not key.isalnum():
        key = unicodedata.name(key).lower().replace("-", "_").replace(" ", "_")
        key = KEY_NAME_REPLACEMENTS.get(key, key)  # "plus_sign" -> "plus"
    return events.Key(key, key_to_character(key))


async def press(pilot: Pilot[int], *keys: str) -> None:
    """Press each key and settle after it (Pilot.press also waits for the CPU to go idle)."""
    for key in keys:
        pilot.app.post_message(key_event(key))
        await settle(pilot)


async def start_run(pilot: Pilot[int]) -> None:
    """Press r and wait for the run loop's first snapshot (settling would wait for its end)."""
    app = pilot.app
    assert isinstance(app, TestApp)
    app.post_message(key_event("r"))
    await app.snapshot_where(lambda s: s.progress.step > 0)


def session_of(app: BackpropApp) -> Session:
    assert app.session is not None
    return app.session


def stepper_of(app: BackpropApp) -> Stepper:
    return session_of(app).stepper


def snapshot_of(app: BackpropApp) -> Snapshot:
    assert app.snapshot is not None
    return app.snapshot


def status_text(app: BackpropApp) -> str:
    return str(app.main.query_one(StatusLine).render())
