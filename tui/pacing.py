"""Run pacing: which panels redraw a snapshot while a run goes (pure; the clock is injected)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Mapping, Sequence

# While a run goes, the status line shows every snapshot (~9 a second) but each panel at most
# once per this many seconds: a redraw resends the panel's whole region (heatmaps are one colour
# code per cell), and a plotext build costs ~50 ms of main-thread CPU that the run loses to the
# GIL. Paused or stepping, every panel shows every snapshot at once.
# Each redraw also takes the GIL from the run: at 2-3 fps per panel a run keeps ~85-90% of the
# headless speed (status line alone: ~93%).
RUN_PERIOD: Mapping[str, float] = {
    "weights": 0.4,
    "outputs": 0.4,
    "gradients": 0.4,
    "loss": 0.5,
    "explain": 0.5,
    "map": 0.5,  # the map itself changes twice a second (run_loop.MAP_SECONDS)
}
DEFAULT_PERIOD = 0.33  # a panel missing from RUN_PERIOD
MAX_PANELS_PER_FRAME = 2  # spreads the redraws over the frames instead of bunching them
FRAME_SLACK = 0.05  # snapshots arrive ~0.11 s apart: a panel due within this much is due now
STAGGER = 0.11  # the run's first frame: panel k first redraws k * STAGGER seconds later
MAX_FPS = 60.0  # --fps above Textual's own frame rate would cap nothing


def parse_fps(text: str) -> float:
    """``--fps``'s value: frames per second, above 0 and at most MAX_FPS; raises ValueError
    with the message the command line prints."""
    try:
        fps = float(text.strip())
    except ValueError:
        fps = math.nan
    if not (0 < fps <= MAX_FPS):  # NaN, inf, 0, negatives and too many fail here
        raise ValueError(
            f"expected frames per second above 0 and at most {MAX_FPS:g}, got {text!r}"
        )
    return fps


def fps_argument(text: str) -> float:
    """argparse's ``type=`` for ``--fps``: its error names the option and the value."""
    import argparse  # only the command line needs it

    try:
        return parse_fps(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Pacing:
    """Decides, for each snapshot, which panels show it.

    Paused or stepping (or with ``enabled=False``, for tests): every panel, at once. Running:
    hidden panels always (nothing reaches the terminal), and of the visible ones at most
    ``per_frame`` whose turn has come, the longest-waiting first.

    ``fps`` (``--fps``, for slow links) caps the panels' frames while running: panels redraw
    together, in frames at least 1/fps seconds apart, each at most as often as its own period
    allows. The status line is not a panel: it still shows every snapshot.
    """

    def __init__(
        self,
        panels: Sequence[str],
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        periods: Mapping[str, float] = RUN_PERIOD,
        per_frame: int = MAX_PANELS_PER_FRAME,
        slack: float = FRAME_SLACK,
        stagger: float = STAGGER,
        fps: float | None = None,
    ) -> None:
        self.panels = tuple(panels)
        self.enabled = enabled
        self.clock = clock
        self.periods = periods
        self.per_frame = per_frame
        self.slack = slack
        self.stagger = stagger
        self.fps = fps
        self._next: dict[str, float] = {}  # while running: when each panel is next due
        self._frame = -math.inf  # with fps: when the panels last redrew
        self._shown: dict[str, float] = {}  # when each panel last redrew, paced
        self._late: list[str] = []  # panels a stop held back (stop, late)

    def due(self, running: bool, hidden: Collection[str] = ()) -> list[str]:
        """The panels to show the new snapshot, in panel order then by turn."""
        if not running or not self.enabled:
            return list(self.panels)
        now = self.clock()
        gap = 0.0 if self.fps is None else 1.0 / self.fps
        if not self._next:  # the run's first frame: stagger the panels' turns (not when capped:
            # then they redraw together, in as few frames as the cap allows), none before its
            # period since the last stop repainted it (r pressed again at once: no burst)
            stagger = self.stagger if self.fps is None else 0.0
            self._next = {
                pid: max(now, self._shown.get(pid, -math.inf) + max(gap, self._period(pid)))
                + k * stagger
                for k, pid in enumerate(self.panels)
            }
            self._late = []  # the run paces them now
        out = [pid for pid in self.panels if pid in hidden]
        if self.fps is not None and now < self._frame + gap:
            return out  # the cap (no slack: a cap is never exceeded): no panel frame yet
        waiting = sorted(
            (self._next[pid], pid)
            for pid in self.panels
            if pid not in hidden and self._next[pid] <= now + self.slack
        )
        if self.fps is not None:  # every panel whose turn has come, in panel order
            waiting = [(0.0, pid) for pid in self.panels if (self._next[pid], pid) in waiting]
        per_frame = self.per_frame if self.fps is None else len(waiting)
        for _, pid in waiting[:per_frame]:
            out.append(pid)
            self._next[pid] = now + max(gap, self._period(pid))
            self._shown[pid] = now
        if waiting and self.fps is not None:
            self._frame = now
        return out

    def _period(self, pid: str) -> float:
        return self.periods.get(pid, DEFAULT_PERIOD)

    def reset(self) -> None:
        """The run stopped and every panel repaints now: the next run staggers the panels again,
        each first due a period after this repaint at the earliest."""
        self._next = {}
        self._late = []
        now = self.clock()
        self._shown = dict.fromkeys(self.panels, now)
        self._frame = now  # under a cap, that repaint is a frame

    def stop(self, hidden: Collection[str] = ()) -> tuple[list[str], float]:
        """A run stopped: the panels to show its last snapshot now, and the seconds until the
        others may (``late()`` names them then; 0.0: none wait).

        Pacing off: every panel now. On: hidden panels and those that have not redrawn for
        their period now, the others when it has passed, so that a run stopped and restarted
        over and over (r at every stop) redraws no panel more often than a steady run. The next
        run staggers the panels again, each first due a period after its last redraw.
        """
        self._next = {}
        if not self.enabled:
            self._late = []
            return list(self.panels), 0.0
        now = self.clock()
        gap = 0.0 if self.fps is None else 1.0 / self.fps
        ready = {
            pid: self._shown.get(pid, -math.inf) + max(gap, self._period(pid))
            for pid in self.panels
        }
        if self.fps is not None:  # capped: they redraw together, in a frame the cap allows
            frame = max(self._frame + gap, *ready.values())
            ready = dict.fromkeys(self.panels, frame)
        out = [pid for pid in self.panels if pid in hidden or ready[pid] <= now + self.slack]
        self._late = [pid for pid in self.panels if pid not in out]
        for pid in out:
            if pid not in hidden:
                self._shown[pid] = now
        if self.fps is not None and len(out) > len(hidden):
            self._frame = now
        wait = max((ready[pid] - now for pid in self._late), default=0.0)
        return out, max(0.0, wait)

    def late(self) -> list[str]:
        """The panels the last stop held back, to show its snapshot now (once)."""
        out, self._late = self._late, []
        now = self.clock()
        for pid in out:
            self._shown[pid] = now
        if out and self.fps is not None:
            self._frame = now
        return out
