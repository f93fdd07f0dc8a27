"""Progress reporting for `train`: a redrawn bar on a terminal, a few plain lines otherwise."""

from __future__ import annotations

import shutil
import time
from typing import TextIO

from ..numbers import fmt, percent

REDRAW_SECONDS = 0.1  # a terminal redraw costs a write; ten a second looks smooth enough
PLAIN_LINES = 10  # how many periodic lines a non-terminal run prints at most (plus the last)
MISSING = "-"  # plain ASCII: the CLI's output goes to logs and pipes


def number(x: float | None) -> str:
    """A loss as the CLI prints it: 4 significant digits, '-' when missing or NaN."""
    return fmt(None if x is None or x != x else x, missing=MISSING)


def share(x: float | None) -> str:
    """An accuracy as the CLI prints it: '97.8%', '-' when missing or NaN."""
    return percent(x, missing=MISSING)


class Progress:
    """Writes to ``out``; call ``update`` as often as you like, it throttles itself."""

    def __init__(self, out: TextIO, total: int, tty: bool) -> None:
        self.out = out
        self.total = max(total, 1)
        self.tty = tty
        self._last_draw = 0.0
        self._next_line = self.total / PLAIN_LINES
        self._drawn = False

    def _parts(self, step: int, epoch: int, ev: dict, rate: float) -> list[str]:
        """Status fields, most important first, so a narrow terminal can drop from the end."""
        parts = [f"step {step:,}/{self.total:,}", f"loss {number(ev.get('train_loss'))}"]
        if ev.get("train_accuracy") is not None:
            parts.append(f"acc {share(ev.get('train_accuracy'))}")
        if ev.get("test_accuracy") is not None:
            parts.append(f"test {share(ev.get('test_accuracy'))}")
        return [*parts, f"epoch {epoch:,}", f"{rate:,.0f} steps/s"]

    def _status(self, step: int, epoch: int, ev: dict, rate: float) -> str:
        return " ".join(self._parts(step, epoch, ev, rate))

    def update(self, step: int, epoch: int, ev: dict, rate: float, evaluated: bool) -> None:
        if self.tty:
            now = time.perf_counter()
            if now - self._last_draw >= REDRAW_SECONDS or step >= self.total:
                self._last_draw = now
                self._draw(step, epoch, ev, rate)
        elif evaluated and step >= self._next_line:
            # Plain output: one line at each tenth of the run, so a log stays short.
            while self._next_line <= step:
                self._next_line += self.total / PLAIN_LINES
            print(self._status(step, epoch, ev, rate), file=self.out, flush=True)

    def _draw(self, step: int, epoch: int, ev: dict, rate: float) -> None:
        width = shutil.get_terminal_size((80, 24)).columns
        parts = self._parts(step, epoch, ev, rate)
        # The bar takes the room the status leaves (10-30 cells); if even 10 do not fit, the
        # least important status fields go.
        bar_w = max(10, min(30, width - 1 - 8 - len(" ".join(parts))))
        while len(parts) > 1 and bar_w + 8 + len(" ".join(parts)) > width - 1:
            parts.pop()
        filled = int(bar_w * min(step, self.total) / self.total)
        pct = 100 * min(step, self.total) // self.total
        line = f"[{'#' * filled}{'.' * (bar_w - filled)}] {pct:3d}% {' '.join(parts)}"
        # \r back to column 0 and clear to the end, so a shorter line leaves no stale characters.
        self.out.write("\r" + line[: width - 1] + "\x1b[K")
        self.out.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.out.write("\n")
            self.out.flush()
