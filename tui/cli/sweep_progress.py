"""The sweep's progress bar on stderr."""

from __future__ import annotations

import shutil
import time
from typing import Any, TextIO

from .progress import REDRAW_SECONDS


class Bar:
    """One progress bar on stderr over all the sweep's model-steps (a terminal only)."""

    def __init__(self, out: TextIO, n_runs: int) -> None:
        self.out = out
        self.tty = out.isatty()
        self.n_runs = n_runs
        self.runs_done = 0
        self._last = 0.0
        self._drawn = False

    def update(self, state: Any) -> None:
        now = time.perf_counter()
        if not self.tty or now - self._last < REDRAW_SECONDS:
            return
        self._last = now
        total = max(state.total_model_steps, 1)
        done = min(1.0, state.done_model_steps / total)
        rate = state.done_model_steps / state.seconds if state.seconds else 0.0
        width = shutil.get_terminal_size((80, 24)).columns
        text = f" {100 * done:3.0f}% runs {self.runs_done:,}/{self.n_runs:,} {rate:,.0f} steps/s"
        bar_w = max(10, min(30, width - 3 - len(text)))
        filled = int(bar_w * done)
        line = f"[{'#' * filled}{'.' * (bar_w - filled)}]{text}"
        self.out.write("\r" + line[: width - 1] + "\x1b[K")
        self.out.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.out.write("\r\x1b[K")
            self.out.flush()
            self._drawn = False
