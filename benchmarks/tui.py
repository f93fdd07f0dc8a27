"""Prints the terminal app's responsiveness figures: key latency, run speed, the speed ladder,
bytes, start-up.

Run from the repository root (about four minutes), all parts or some:
    python -m benchmarks.tui [latency] [run] [ladder] [bytes] [startup] [big]

`big` is issue 9 §5's big network (tests/fixtures/scenarios/big-784.toml, 784-512-512-10 on
2,000 samples) at 120x36: space to the updated screen, + while running to the screen showing the
new lr, and q while running to the process's exit on a real pty.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import events
from textual.screen import Screen

from engine import Stepper
from engine.snapshot import Progress, Settings, Snapshot
from tui.app import BackpropApp
from tui.ladders import SPEEDS, Speed
from tui.screens.main import MainScreen
from tui.session import Session

from .pty_program import PtyProgram

SCENARIO = "five-classes"
SIZE = (120, 36)
BIG = str(Path(__file__).resolve().parent.parent / "tests/fixtures/scenarios/big-784.toml")


@dataclass(frozen=True)
class Seen:
    """What the measurements read of a shown snapshot: its small parts only.

    Keeping every Snapshot (each holds copies of the weights, ~21 MB on big-784) grew the
    benchmark by ~190 MB a second, and the page faults of that fresh memory doubled the very
    latencies it measured.
    """

    version: int
    progress: Progress
    settings: Settings


class TimedScreen(MainScreen):
    """The main screen, recording when it has shown each snapshot (and which)."""

    shown: list[tuple[float, Seen]]

    async def show(self, snap: Snapshot, *rest: Any) -> None:
        await super().show(snap, *rest)  # rest: the comparison's overlay, when there is one
        self.shown.append((time.perf_counter(), Seen(snap.version, snap.progress, snap.settings)))


class TimedApp(BackpropApp):
    """Records when each frame was composited and when each snapshot was handled.

    (Not by overriding on_snapshot_ready: Textual calls every class's handler along the MRO, so
    an override calling super() showed each snapshot twice.)
    """

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.frames: list[float] = []

    def get_default_screen(self) -> Screen[None]:
        self.main = TimedScreen(self.engine, self.pacing)
        self.main.shown = []
        return self.main

    @property
    def shown(self) -> list[tuple[float, Seen]]:
        assert isinstance(self.main, TimedScreen)
        return self.main.shown

    @property
    def snapshots(self) -> list[float]:
        return [t for t, _ in self.shown]

    def post_display_hook(self) -> None:
        self.frames.append(time.perf_counter())

    def run_on(self) -> None:
        """A run with no stop condition in sight (`r` stops at the schedule's end)."""
        self.engine.start_run("iterations", 10**9)


def stepper_of(app: BackpropApp) -> Stepper:
    assert app.session is not None  # TimedApp is always given a session
    return app.session.stepper


async def _until(cond: Callable[[], object], timeout: float = 5.0) -> None:
    end = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > end:
            raise TimeoutError
        await asyncio.sleep(0.0005)


KEYS = {"space": " ", "plus": "+", "minus": "-"}


async def answer_time(app: TimedApp, key: str, want: Callable[[Seen], bool]) -> float:
    """Seconds from posting ``key`` to the first frame composited after the first snapshot the
    screen showed for which ``want`` holds.

    The key is posted, not pressed: Pilot.press waits for the app to go idle, which a run never
    does (it returned after ~2 s, and the snapshot measured was the newest, not the first).
    """
    k = len(app.shown)
    t0 = time.perf_counter()
    app.post_message(events.Key(key, KEYS[key]))

    def first() -> float | None:
        return next((t for t, snap in app.shown[k:] if want(snap)), None)

    await _until(lambda: first() is not None)
    shown = first()
    assert shown is not None

    def frame() -> float | None:
        return next((f for f in reversed(app.frames) if f > shown), None)

    await _until(lambda: frame() is not None)
    after = [f for f in app.frames if f > shown]
    return after[0] - t0


async def key_latency(presses: int = 30, scenario: str = SCENARIO) -> list[float]:
    """Seconds from `space` to the first frame composited after its snapshot."""
    app = TimedApp(Session.open(scenario))
    out = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        for _ in range(presses):
            step = stepper_of(app).step

            def stepped(snap: Seen, s: int = step) -> bool:
                return snap.progress.step > s

            out.append(await answer_time(app, "space", stepped))
            await pilot.pause(0.05)
            await asyncio.to_thread(app.run_idle.wait, 5)
            await _until(lambda: not app.engine.busy)  # a big net's late figures are in
    return out


def headless_rate(seconds: float = 3.0) -> float:
    st = Session.open(SCENARIO).stepper
    st.run(200)
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        n += st.run(500).steps
    return n / (time.perf_counter() - t0)


async def run_rate(seconds: float = 3.0) -> tuple[float, float, float]:
    """Steps/s of the app's continuous run, and snapshots and frames per second meanwhile."""
    app = TimedApp(Session.open(SCENARIO))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        app.run_on()
        await asyncio.sleep(0.5)  # let the chunk size settle
        s0, n0, f0 = stepper_of(app).step, len(app.snapshots), len(app.frames)
        t0 = time.perf_counter()
        await asyncio.sleep(seconds)
        s1, n1, f1 = stepper_of(app).step, len(app.snapshots), len(app.frames)
        dt = time.perf_counter() - t0
        await pilot.press("r")
        await asyncio.to_thread(app.run_idle.wait, 5)
    return (s1 - s0) / dt, (n1 - n0) / dt, (f1 - f0) / dt


async def running_key_latency(presses: int = 20) -> list[float]:
    """Seconds from `space` during a run at max speed to the first frame showing its result
    (the run paused, one more iteration done)."""
    app = TimedApp(Session.open(SCENARIO))
    out = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        for i in range(presses + 1):  # the first one warms up (imports, caches): not counted
            app.run_on()
            await asyncio.sleep(0.3)
            t0 = time.perf_counter()
            n_frames = len(app.frames)
            await pilot.press("space")

            def stepped() -> bool:
                snap = app.snapshot
                st = stepper_of(app)
                return not app.engine.running and snap is not None and snap.version == st.version

            await _until(stepped)
            handled = app.snapshots[-1]

            def painted(n: int = n_frames, h: float = handled) -> bool:
                return len(app.frames) > n and app.frames[-1] > h

            await _until(painted)
            if i:
                out.append(app.frames[-1] - t0)
    return out


async def ladder_rate(speed: Speed, ticks: int) -> float:
    """Iterations (or, unit playback, units) per second the app keeps at ``speed``: from the
    screen's first shown snapshot of the run to the one ``ticks`` iterations (units) later.
    Fast rungs count steps instead (they post ~9 snapshots a second, not one per step)."""
    app = TimedApp(Session.open(SCENARIO))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        app.engine.speed = speed
        if speed.rate is not None and speed.rate > 10:
            app.run_on()
            await asyncio.sleep(0.5)
            s0, t0 = stepper_of(app).step, time.perf_counter()
            await asyncio.sleep(ticks / speed.rate)
            s1, t1 = stepper_of(app).step, time.perf_counter()
            await pilot.press("r")
            await asyncio.to_thread(app.run_idle.wait, 5)
            return (s1 - s0) / (t1 - t0)
        start = len(app.shown)
        app.run_on()

        def key(snap: Seen) -> tuple[int, int]:  # an iteration, or a unit, done
            return (snap.progress.step, snap.version) if speed.units else (snap.progress.step, 0)

        def enough() -> bool:
            keys = {key(s) for _, s in app.shown[start:]}
            return len(keys) > ticks

        await _until(enough, timeout=ticks / speed.rate * 2 + 5)  # type: ignore[operator]
        await pilot.press("r")
        await asyncio.to_thread(app.run_idle.wait, 5)
        first: dict[tuple[int, int], float] = {}
        for t, snap in app.shown[start:]:
            first.setdefault(key(snap), t)
        times = sorted(first.values())[: ticks + 1]
        return ticks / (times[-1] - times[0])


async def running_lr_latency(presses: int = 15, scenario: str = BIG) -> list[float]:
    """Seconds from `+` (and `-`, in turn) during a run at max speed to the first frame after
    the snapshot that shows the new learning rate (in force or held for the next step)."""
    app = TimedApp(Session.open(scenario))
    out = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        app.run_on()
        await asyncio.sleep(1.0)  # the undo ring fills: steady state
        for i in range(presses + 1):  # the first one warms up: not counted
            snap = app.snapshot
            assert snap is not None
            before = dict(snap.settings.pending).get("lr", snap.settings.lr)

            def new_lr(s: Seen, b: object = before) -> bool:
                return dict(s.settings.pending).get("lr", s.settings.lr) != b

            # never up the ladder to inf: + and - in turn
            dt = await answer_time(app, "plus" if i % 2 == 0 else "minus", new_lr)
            if i:
                out.append(dt)
            await asyncio.sleep(0.2)
        await pilot.press("r")
        await asyncio.to_thread(app.run_idle.wait, 5)
    return out


def quit_while_running(runs: int = 5, scenario: str = BIG) -> list[float]:
    """Seconds from `q` during a run at max speed to the process's exit (a real pty), through
    the `backprop-tui` command's own entry point (tui.cli.entry)."""
    argv = ["backprop-tui", "--scenario", scenario]
    code = f"import sys; sys.argv = {argv!r}; from tui.cli import entry; entry()"
    out = []
    for _ in range(runs):
        with pty_app(code) as p:
            p.wait_for(b"step 0", timeout=60)
            p.wait_quiet()
            p.send("g")
            p.wait_for(b"500 or epoch")
            p.wait_quiet(0.1)
            p.send("1000000\r")
            time.sleep(2.0)  # running, undo ring full
            t0 = time.perf_counter()
            p.send("q")
            p.proc.wait(10)
            out.append(time.perf_counter() - t0)
    return out


# ---- a real terminal: a pty -----------------------------------------------------------------
EMPTY_APP = """
from textual.app import App
from textual.widgets import Static
class Empty(App):
    def compose(self):
        yield Static("loading five-classes")
Empty().run()
"""
OUR_APP = f"from tui.app import run_app; run_app({SCENARIO!r})"
CLI = "import sys; from tui.cli import main; sys.exit(main([]))"  # `backprop-tui`


def pty_app(code: str, size: tuple[int, int] = SIZE) -> PtyProgram:
    """``python -c code`` on a pty of ``size``."""
    return PtyProgram([sys.executable, "-c", code], size)


def startup(code: str, runs: int = 5) -> tuple[float, float, float]:
    """Median seconds to first paint (``code``, an empty Textual app) and to our first data.

    Both apps first paint the text "loading five-classes"; ours then shows "step 0" once the
    scenario is built and the panels have drawn it. Runs alternate, so both see the same load.
    """
    ours, empty, data = [], [], []
    for _ in range(runs):
        with pty_app(code) as p:
            ours.append(p.first(b"loading five-classes"))
            data.append(p.first(b"step 0"))
        with pty_app(EMPTY_APP) as p:
            empty.append(p.first(b"loading five-classes"))
    return statistics.median(ours), statistics.median(empty), statistics.median(data)


def terminal_bytes(size: tuple[int, int] = SIZE, seconds: float = 3.0) -> tuple[float, float]:
    """Bytes per second the app writes to a real (pseudo-)terminal, paused and running."""
    with pty_app(OUR_APP, size) as p:
        p.first(b"paused")
        time.sleep(1.0)
        t0 = time.perf_counter()
        time.sleep(seconds)
        paused = p.count(t0, time.perf_counter()) / seconds
        p.send("g")  # `r` stops at the schedule's end: type a run long enough to measure
        time.sleep(0.3)
        p.send("1000000\r")
        time.sleep(0.5)
        t0 = time.perf_counter()
        time.sleep(seconds)
        running = p.count(t0, time.perf_counter()) / seconds
        p.send("r")
        time.sleep(0.3)
    return paused, running


BYTES_SIZES = ((80, 24), (120, 36), (200, 60))
PARTS = ("latency", "run", "ladder", "bytes", "startup", "big")


def main(parts: list[str]) -> None:
    """Run the named parts (all by default): ``python -m benchmarks.tui bytes run``."""
    py = sys.version.split()[0]
    print(f"backprop-tui benchmarks: {SCENARIO} at {SIZE[0]}x{SIZE[1]}, python {py}")
    if "latency" in parts:
        latency()
    if "run" in parts:
        run_speed()
    if "ladder" in parts:
        ladder()
    if "bytes" in parts:
        for size in BYTES_SIZES:
            paused, running = terminal_bytes(size)
            print(
                f"bytes to the terminal at {size[0]}x{size[1]} (pty, xterm-256color): "
                f"paused {paused:,.0f} B/s, running {running:,.0f} B/s"
            )
    if "startup" in parts:
        startups()
    if "big" in parts:
        big()


def _ms(lat: list[float]) -> str:
    return (
        f"median {1000 * statistics.median(lat):.1f} ms, "
        f"p90 {1000 * sorted(lat)[int(0.9 * len(lat))]:.1f} ms"
    )


def big() -> None:
    """Issue 9 §5: the big network stays responsive (targets: 100 ms, 100 ms, 0.5 s)."""
    print(f"big network {Path(BIG).stem} (784-512-512-10, 2,000 samples) at {SIZE[0]}x{SIZE[1]}:")
    lat = asyncio.run(key_latency(40, BIG))[10:]  # the first 10 fill the undo ring
    print(f"  space -> updated screen: {_ms(lat)} ({len(lat)} presses; target <= 100)")
    lat = asyncio.run(running_lr_latency())
    print(f"  + while running -> screen showing the lr: {_ms(lat)} ({len(lat)}; target <= 100)")
    q = quit_while_running()
    print(
        f"  q while running -> process exit (pty): median {statistics.median(q):.2f} s, "
        f"max {max(q):.2f} s ({len(q)} runs; target <= 0.5)"
    )


def latency() -> None:
    lat = asyncio.run(key_latency())
    print(
        f"space keypress -> updated screen: median {1000 * statistics.median(lat):.1f} ms, "
        f"p90 {1000 * sorted(lat)[int(0.9 * len(lat))]:.1f} ms ({len(lat)} presses; target <= 50)"
    )


def ladder() -> None:
    """Each paced rung of the speed ladder: the rate kept vs the target (within 10%)."""
    for speed in SPEEDS[1:]:
        assert speed.rate is not None
        ticks = (
            3000
            if speed.rate >= 1000
            else 300
            if speed.rate >= 100
            else max(4, int(3 * speed.rate))
        )
        rate = asyncio.run(ladder_rate(speed, ticks))
        err = rate / speed.rate - 1
        unit = "units/s" if speed.units else "iterations/s"
        print(f"speed {speed.label:>9}: {rate:8.2f} {unit} ({100 * err:+.1f}%, target within 10%)")
    lat = asyncio.run(running_key_latency())
    print(
        f"space while running at max speed -> updated screen: median "
        f"{1000 * statistics.median(lat):.1f} ms, p90 {1000 * sorted(lat)[int(0.9 * len(lat))]:.1f}"
        f" ms, max {1000 * max(lat):.1f} ms ({len(lat)} presses; target <= 50)"
    )


def run_speed() -> None:
    # interleaved rounds: the machine's speed drifts, so each ratio compares neighbours
    rounds = []
    for _ in range(3):
        head = headless_rate()
        steps, snaps, frames = asyncio.run(run_rate())
        rounds.append((steps / head, steps, head, snaps, frames))
    rounds.sort()
    ratio, steps, head, snaps, frames = rounds[1]
    print(
        f"continuous run (median of 3): {steps:,.0f} steps/s in the app vs {head:,.0f} headless "
        f"Stepper.run = {100 * ratio:.0f}% (range {100 * rounds[0][0]:.0f}-"
        f"{100 * rounds[-1][0]:.0f}%; target >= 70%); {snaps:.1f} snapshots/s, "
        f"{frames:.1f} screen updates/s (target >= 8)"
    )


def startups() -> None:
    for label, code in (("run_app()", OUR_APP), ("backprop-tui (CLI)", CLI)):
        ours, empty, data = startup(code)
        print(
            f"start-up to first paint, {label} (pty, median of 5): {1000 * ours:.0f} ms vs an "
            f"empty Textual app {1000 * empty:.0f} ms = {ours / empty:.2f}x (target <= 1.5x); "
            f"panels showing the scenario at {1000 * data:.0f} ms = {data / empty:.2f}x"
        )


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if a in PARTS] or list(PARTS))
