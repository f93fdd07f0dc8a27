"""The loss plot of a comparison: every run's curve in its colour, labelled at its end."""

from __future__ import annotations

import numpy as np
from rich.text import Text

from engine.history import downsample
from tui.overlay import Overlay, OverlayCurve

from .lines import Lines, TextBuilder


def _series(c: OverlayCurve, diff: bool) -> tuple[np.ndarray, np.ndarray]:
    from .loss_plot import _finite  # loss_plot imports this module when it draws an overlay

    return _finite(c.x, c.diff if diff else c.y)


def legend(ov: Overlay, nc: bool, width: int, diff: bool, log_y: bool) -> Lines:
    """One item a run ('x lr 0.2'), the focused run bold, then what is drawn and the keys."""
    from .loss_plot import _pack_legend

    items: list[tuple[str, str | None]] = []
    for c in sorted(ov.curves, key=lambda c: c.run_id):
        mark = "✗" if c.diverged else ""
        style = None if nc else f"color({c.colour})"
        items.append((f"{c.glyph} {c.label}{mark}", style))
    base = f"run {ov.base_id}"
    what = f"minus {base} (d)" if diff else ("log y" if log_y else "smoothed; raw: focused")
    items.append((what, "dim"))
    return _pack_legend(items, 2, width)


def build_overlay(
    ov: Overlay, w: int, h: int, nc: bool, log_y: bool, diff: bool, smooth: bool = True
) -> Lines:
    """Every run's batch loss smoothed (EMA), the focused run's raw too, drawn last; each
    curve ends with its glyph and label. ``diff``: each run minus the first run at the same
    step (the same batches: the difference is the hyperparameters'), on a linear axis."""
    import plotext as plt

    from .loss_plot import decade_ticks, ema, name_x_axis, step_ticks

    log = log_y and not diff
    head = legend(ov, nc, w, diff, log)
    plot_h = max(3, h - len(head.lines))
    series = [(c, *_series(c, diff)) for c in ov.curves]
    series = [(c, x, y) for c, x, y in series if len(x)]
    if not series:
        return empty(ov, nc, w, diff, log)
    hi = max(float(x.max()) for _, x, _ in series)
    drawn: list[tuple[OverlayCurve, np.ndarray, np.ndarray, np.ndarray]] = []
    floor = 1.0
    if log:
        pos = [y[y > 0] for _, _, y in series]
        floor = min((float(p.min()) for p in pos if len(p)), default=1.0)
    for c, x, y in series:
        x, y = downsample(y, max(2, w - 10), x)
        if log:
            y = np.maximum(y, floor)
        s = ema(y) if smooth else y
        if log:
            y, s = np.log10(y), np.log10(np.maximum(s, floor))
        drawn.append((c, x, y, s))
    # room on the right for the end labels: the x axis runs past the last step
    longest = max(len(c.label) for c, *_ in drawn) + 2
    plot_w = max(10, w - 8)
    span = max(hi, 1.0)
    x_hi = span * plot_w / max(plot_w - longest, plot_w // 2)
    lo = min(float(min(y.min(), s.min())) for _, _, y, s in drawn)
    top = max(float(max(y.max(), s.max())) for _, _, y, s in drawn)
    if diff:
        lo, top = min(lo, 0.0), max(top, 0.0)
    if top <= lo:
        top = lo + 1.0

    plt.terminal.limit(False, False)
    f = plt.figure
    f.clear()
    f.plot_size(w, plot_h)
    f.theme("colorless" if nc else "simple")

    def add(xs: np.ndarray, ys: np.ndarray, mark: str, colour: int) -> None:
        sig = f.signal(xs.tolist(), ys.tolist(), marker=plt.marker(mark, pixel=colour))
        if len(xs) > 1:
            sig.lines()
        f.draw(sig)

    for c, x, y, s in drawn:
        if c.focused and smooth:
            add(x, y, "." if nc else "hd", c.colour if nc else _dim(c))
        add(x, s, c.glyph if nc else "hd", c.colour)
    # end labels, one a row: each at its curve's last row, nudged up off a taken row (and
    # down from the top when that runs out of rows)
    rows = max(1, plot_h - 3)  # the canvas: the frame and the tick labels take 3 rows
    ends = sorted(((float(s[-1]), c, float(x[-1])) for c, x, _, s in drawn), key=lambda e: e[0])
    at = [round((min(max(y, lo), top) - lo) / (top - lo) * (rows - 1)) for y, _, _ in ends]
    for k in range(1, len(at)):
        at[k] = max(at[k], at[k - 1] + 1)
    for k in range(len(at) - 1, -1, -1):
        at[k] = min(at[k], rows - 1 - (len(at) - 1 - k))
    for r, (_, c, x_end) in zip(at, ends, strict=True):
        text = f"{c.glyph} {c.label}"
        label = text if nc else plt.colorize(text, c.colour)
        f.draw(f.text(x_end, lo + max(r, 0) / max(rows - 1, 1) * (top - lo), label))
    left = f.ruler("y", "left")
    left.lim(lo, top)
    if log:
        ticks = decade_ticks(np.concatenate([y for *_, y in drawn]), max(2, (plot_h - 2) // 3))
        if ticks:
            left.ticks([t for t, _ in ticks], [lab for _, lab in ticks])
    steps = step_ticks(hi, max(2, (plot_w - longest) // 7))
    bottom = f.ruler("x", "lower")
    bottom.lim(0, x_hi)
    bottom.ticks(steps, [_step(t) for t in steps])
    out = Lines.from_text(Text.from_ansi(f.build().string(colorless=nc), no_wrap=True))
    while out.lines and not any(seg.text for seg in out.lines[-1]):
        out.lines.pop()
    name_x_axis(out, steps, w)
    return Lines(head.lines + out.lines)


def _step(t: int) -> str:
    from .loss_plot import step_label

    return step_label(t)


def _dim(c: OverlayCurve) -> int:
    from tui.overlay import RUN_COLOURS

    return RUN_COLOURS[c.slot][1]


def empty(ov: Overlay, nc: bool, width: int, diff: bool, log_y: bool) -> Lines:
    tb = TextBuilder()
    tb.line("no iterations yet: press space to train every run", "dim")
    return Lines(legend(ov, nc, width, diff, log_y).lines + tb.build().lines)
