"""The continuous-run loop: trains flat out in ~30 ms chunks, posting at most ~10 snapshots/s."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads after the first paint, not at import
    from engine.snapshot import Snapshot

    from .session import Session

CHUNK_SECONDS = 0.03  # short enough that pause and single-step keys answer within a frame
FRAME_SECONDS = 0.11  # ~9 snapshots a second: >= 8 fps, and rendering leaves the run >= 70%
MAP_SECONDS = 0.5  # the map is the costliest snapshot part and the most bytes on the wire
MAX_CHUNK = 1 << 16


@dataclass
class RunStats:
    """What one run did, for the status line and the benchmark."""

    steps: int = 0
    frames: int = 0
    seconds: float = 0.0
    diverged: str | None = None


def run_loop(
    session: Session,
    cancelled: Callable[[], bool],
    post: Callable[[Snapshot], None],
    clock: Callable[[], float] = time.perf_counter,
) -> RunStats:
    """Train until ``cancelled()`` or divergence; always posts a final snapshot."""
    stats = RunStats()
    chunk = 4
    start = clock()
    next_frame = next_map = float("-inf")
    st = session.stepper
    while True:
        with session.lock:
            t0 = clock()
            res = st.run(chunk, should_stop=cancelled)
            dt = clock() - t0
            stats.steps += res.steps
            if res.steps == chunk and dt > 0:
                # grow or shrink towards CHUNK_SECONDS, at most x4 at a time to damp noise
                chunk = int(min(MAX_CHUNK, max(1, chunk * min(4.0, CHUNK_SECONDS / dt))))
            stop = res.diverged is not None or cancelled()
            now = clock()
            snap = None
            if stop or now >= next_frame:
                fresh_map = stop or now >= next_map
                session.evaluate()
                snap = session.snapshot(refresh_map=fresh_map)
                # a fixed cadence (not "now + interval") so chunk jitter does not lower the rate
                next_frame = max(next_frame + FRAME_SECONDS, now + FRAME_SECONDS / 2)
                if fresh_map:
                    next_map = max(next_map + MAP_SECONDS, now + MAP_SECONDS / 2)
        if snap is not None:
            post(snap)
            stats.frames += 1
        if stop:
            stats.diverged = None if res.diverged is None else str(res.diverged)
            break
    stats.seconds = clock() - start
    return stats
