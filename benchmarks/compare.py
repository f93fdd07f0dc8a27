"""Prints the figures of four runs compared in lockstep: key latency and run speed vs headless.

Run from the repository root (about a minute): ``python -m benchmarks.compare``. Targets (issue
10): a keypress answers within 50 ms, and the app's lockstep run reaches at least 60% of the
combined headless speed of the same four runs (each run by itself, one after the other).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from textual import events

from engine import Stepper
from tui.session import Session

from .tui import SCENARIO, SIZE, TimedApp, _until

LRS = (0.05, 0.1, 0.02, 0.2)  # five-classes' own lr first, then the forks'
CHARS = {"space": " ", "right_curly_bracket": "}"}


def four_steppers() -> list[Stepper]:
    out = []
    for lr in LRS:
        st = Session.open(SCENARIO).stepper
        st.set_lr(lr)
        out.append(st)
    return out


def headless_rate(seconds: float = 3.0) -> float:
    """Iterations per second of the four runs together, each run alone in turn (a chunk of
    500 each): what the same work costs without the app."""
    runs = four_steppers()
    for st in runs:
        st.run(200)
    n = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for st in runs:
            n += st.run(500).steps
    return n / (time.perf_counter() - t0)


async def four_runs(app: TimedApp) -> None:
    """Fork the app's run three times, each fork with its own lr (as a user would: c, then =)."""
    for lr in LRS[1:]:
        app.engine.put("fork")
        app.engine.put("lr", lr)
    await _until(lambda: app.engine.comparison is not None and len(app.engine.comparison) == 4)
    await _until(lambda: not app.engine.busy)


def total_steps(app: TimedApp) -> int:
    assert app.engine.comparison is not None
    return sum(r.stepper.step for r in app.engine.comparison)


async def run_rate(seconds: float = 3.0) -> tuple[float, float]:
    """Iterations per second of all four runs in the app's continuous run, and frames/s."""
    app = TimedApp(Session.open(SCENARIO))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        await four_runs(app)
        app.run_on()
        await asyncio.sleep(0.5)  # let the chunk size settle
        s0, f0 = total_steps(app), len(app.frames)
        t0 = time.perf_counter()
        await asyncio.sleep(seconds)
        s1, f1 = total_steps(app), len(app.frames)
        dt = time.perf_counter() - t0
        await pilot.press("r")
        await asyncio.to_thread(app.run_idle.wait, 5)
    return (s1 - s0) / dt, (f1 - f0) / dt


async def key_latency(key: str, running: bool, presses: int = 20) -> list[float]:
    """Seconds from ``key`` (space: one more iteration of every run; right_curly_bracket: the
    next run focused) to the first frame composited after the snapshot that shows it; while a
    run goes on at full speed if ``running`` (space then also pauses it)."""
    app = TimedApp(Session.open(SCENARIO))
    out = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        await four_runs(app)
        for i in range(presses + 1):  # the first warms up (imports, caches): not counted
            if running and not app.engine.running:
                app.run_on()
                await asyncio.sleep(0.3)
            comparison = app.engine.comparison
            assert comparison is not None
            focus, step = comparison.focused.id, comparison.focused.stepper.step
            t0 = time.perf_counter()
            n_frames = len(app.frames)
            # Pilot.press waits for the CPU to go idle, which never happens while running
            app.post_message(events.Key(key, CHARS[key]))

            def shown(f: int = focus, s: int = step) -> bool:
                snap = app.snapshot
                c = app.engine.comparison
                if snap is None or c is None or app.engine.busy:
                    return False
                if key == "space":  # one more iteration (after the pause, if running)
                    st = c.focused.stepper
                    return not app.engine.running and st.step > s and snap.version == st.version
                # while running the versions move on: the overlay names the run shown
                ov = app.main.overlay
                return ov is not None and ov.curves[-1].run_id == c.focused.id != f

            await _until(shown)
            handled = app.snapshots[-1]

            def painted(n: int = n_frames, h: float = handled) -> bool:
                return len(app.frames) > n and app.frames[-1] > h

            await _until(painted)
            if i:
                out.append(app.frames[-1] - t0)
            await pilot.pause(0.05)
        if app.engine.running:
            await pilot.press("r")
        await asyncio.to_thread(app.run_idle.wait, 5)
    return out


def _ms(lat: list[float]) -> str:
    p90 = sorted(lat)[int(0.9 * len(lat))]
    return (
        f"median {1000 * statistics.median(lat):.1f} ms, p90 {1000 * p90:.1f} ms,"
        f" max {1000 * max(lat):.1f} ms ({len(lat)} presses; target <= 50)"
    )


def main() -> None:
    py = sys.version.split()[0]
    print(
        f"four runs compared in lockstep: {SCENARIO} lr {LRS} at {SIZE[0]}x{SIZE[1]}, python {py}"
    )
    for key, running in (("space", False), ("right_curly_bracket", False)):
        lat = asyncio.run(key_latency(key, running))
        name = "space" if key == "space" else "}"
        print(f"{name} paused -> updated screen: {_ms(lat)}")
    for key in ("right_curly_bracket", "space"):
        lat = asyncio.run(key_latency(key, True))
        name = "space (pauses)" if key == "space" else "} (focus)"
        print(f"{name} while running at max speed -> updated screen: {_ms(lat)}")
    # interleaved rounds: the machine's speed drifts, so each ratio compares neighbours
    rounds = []
    for _ in range(3):
        head = headless_rate()
        steps, frames = asyncio.run(run_rate())
        rounds.append((steps / head, steps, head, frames))
    rounds.sort()
    ratio, steps, head, frames = rounds[1]
    print(
        f"lockstep run (median of 3): {steps:,.0f} iterations/s of the four runs in the app vs"
        f" {head:,.0f} headless: {100 * ratio:.0f}% (target >= 60%), {frames:.1f} frames/s"
    )


if __name__ == "__main__":
    main()
