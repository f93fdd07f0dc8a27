"""The ladders behind the keys: learning rate (+ -), batch size (] [) and run speed (. ,)."""

from __future__ import annotations

import math
from dataclasses import dataclass

LR_MAX = 10.0
LR_LADDER: tuple[float, ...] = tuple(
    round(m * 10.0**e, 10) for e in range(-5, 2) for m in (1, 2, 5) if m * 10.0**e <= LR_MAX
)


def lr_up(lr: float) -> float:
    """The next ladder rung above ``lr`` (``lr`` itself may be off the ladder, e.g. typed)."""
    for v in LR_LADDER:
        if v > lr * (1 + 1e-9):
            return v
    return LR_LADDER[-1]


def lr_down(lr: float) -> float:
    for v in reversed(LR_LADDER):
        if v < lr * (1 - 1e-9):
            return v
    return LR_LADDER[0]


def format_lr(lr: float) -> str:
    """Short and exact enough to tell ladder rungs apart: 0.05, 1e-05, 0.0123."""
    if lr == 0 or not math.isfinite(lr):
        return str(lr)
    return f"{lr:.4g}"


def parse_lr(text: str) -> float:
    """A typed learning rate; raises ValueError with a message people can act on."""
    try:
        v = float(text.strip())
    except ValueError:
        raise ValueError(f"not a number: {text.strip()!r}") from None
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"learning rate must be a finite number > 0, got {text.strip()}")
    return v


def batch_ladder(n: int) -> list[int | None]:
    """1, 2, 4, ... below the training set size ``n``, then None for the full batch."""
    sizes: list[int | None] = []
    b = 1
    while b < n:
        sizes.append(b)
        b *= 2
    sizes.append(None)
    return sizes


def _as_int(size: int | None, n: int) -> int:
    return n if size is None or size >= n else size


def batch_up(size: int | None, n: int) -> int | None:
    cur = _as_int(size, n)
    for b in batch_ladder(n):
        if _as_int(b, n) > cur:
            return b
    return None


def batch_down(size: int | None, n: int) -> int | None:
    cur = _as_int(size, n)
    for b in reversed(batch_ladder(n)):
        if _as_int(b, n) < cur:
            return b
    return 1


def format_batch(size: int | None, n: int) -> str:
    return "batch full" if size is None or size >= n else f"batch {size}"


@dataclass(frozen=True)
class Speed:
    """A run's pace: ``rate`` iterations (or, with ``units``, single units) per second;
    ``rate`` None runs as fast as the machine allows."""

    rate: float | None
    units: bool = False

    @property
    def label(self) -> str:
        """As the status line says it: max, 10/s, 2 units/s."""
        if self.rate is None:
            return "max"
        n = f"{self.rate:g}"
        if self.units:
            return f"{n} unit/s" if self.rate == 1 else f"{n} units/s"
        return f"{n}/s"


MAX_SPEED = Speed(None)
# fastest first: `.` moves left (faster), `,` right (slower); below 1 iteration/s one unit at a time
SPEEDS: tuple[Speed, ...] = (
    MAX_SPEED,
    *(Speed(r) for r in (1000, 100, 10, 5, 2, 1)),
    *(Speed(r, units=True) for r in (4, 2, 1)),
)


def speed_faster(speed: Speed) -> Speed:
    i = SPEEDS.index(speed) if speed in SPEEDS else 0
    return SPEEDS[max(0, i - 1)]


def speed_slower(speed: Speed) -> Speed:
    i = SPEEDS.index(speed) if speed in SPEEDS else 0
    return SPEEDS[min(len(SPEEDS) - 1, i + 1)]
