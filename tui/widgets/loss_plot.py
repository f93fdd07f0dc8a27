"""Loss plot: batch loss raw and smoothed, test loss, test and train accuracy, with plotext."""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.text import Text
from textual.reactive import reactive

from engine.history import downsample
from engine.snapshot import Snapshot
from tui.overlay import Overlay

from .base import SnapshotPanel
from .lines import Lines, TextBuilder
from .sharpness import sharpness_block, sharpness_key

# 256-colour indexes below 16, so 16-colour terminals show them as they are
RAW, SMOOTH, TEST, ACC, TRAIN_ACC = 8, 14, 11, 10, 2

# The legend's words, longest first; the first that fits the panel's width is used. The loss
# drawn per step is the batch's loss before the update (the status line shows the whole
# training set's): the legend says which loss it is at every width.
WORDINGS = (
    ("batch loss", "batch loss (smoothed)", "test loss", "test accuracy", "train accuracy"),
    ("batch loss", "batch loss (smoothed)", "test loss", "test acc", "train acc"),
    ("batch loss", "smoothed", "test loss", "test acc", "train acc"),
)


def ema(y: np.ndarray, weight: float = 0.8) -> np.ndarray:
    """TensorBoard-style debiased exponential moving average (the start is not dragged to 0)."""
    out = np.empty(len(y))
    acc, norm = 0.0, 0.0
    for k, v in enumerate(y):
        acc = acc * weight + (1 - weight) * v
        norm = norm * weight + (1 - weight)
        out[k] = acc / norm
    return out


def _finite(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok].astype(np.float64), y[ok].astype(np.float64)


class LossPlot(SnapshotPanel):
    """``log_y``, ``show_accuracy`` and ``diff`` redraw when set.

    With a comparison (an Overlay of two or more runs) it draws every run's loss instead
    (loss_overlay.py); ``diff`` then shows each run minus the first.

    A unit step changes the snapshot's version but not the curves: the plotext build (the
    costly part) is cached on the curves themselves, so such a redraw reuses it.
    """

    TITLE = "Loss"
    log_y: reactive[bool] = reactive(False)
    show_accuracy: reactive[bool] = reactive(True)
    diff: reactive[bool] = reactive(False)

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.builds = 0  # plotext builds so far (tests and benchmarks read it)
        self._cache_key: tuple[object, ...] | None = None
        self._cache: Lines | None = None
        self.overlay: Overlay | None = None

    def toggle_log_y(self) -> None:
        self.log_y = not self.log_y

    def show_overlay(self, overlay: Overlay | None) -> None:
        self.overlay = overlay

    def key(self, snapshot: Snapshot) -> object:
        ov = self.overlay
        key = snapshot.version if ov is None else (snapshot.version, ov.key)
        sharp = sharpness_key(snapshot)
        return key if sharp is None else (key, sharp)

    def build(self) -> Lines | Text:
        s = self.snapshot
        w, h = max(self.size.width, 20), max(self.size.height, 5)
        # the strip is built once; the plot gets the panel's height less its rows
        sharp = None if s is None else sharpness_block(s, w, h, self.colourless, self.overlay)
        plot = self._build_plot(w, h - (0 if sharp is None else len(sharp.lines)))
        if sharp is None or not isinstance(plot, Lines):
            return plot
        return Lines(plot.lines + sharp.lines)  # under the plot, made that much shorter

    def _build_plot(self, w: int, h: int) -> Lines | Text:
        """The plot at ``w`` x ``h`` (the panel's, less the sharpness strip's rows)."""
        s = self.snapshot
        ov = self.overlay
        if ov is not None:
            from .loss_overlay import build_overlay

            nc = self.colourless
            okey = ("overlay", ov.key, w, h, self.log_y, self.diff, nc)
            if okey != self._cache_key or self._cache is None:
                self._cache = build_overlay(ov, w, h, nc, self.log_y, self.diff)
                self._cache_key = okey
                self.builds += 1
            return self._cache
        if s is None or len(s.curves.loss_y) == 0:
            return Text("no iterations yet: press space to train one", style="dim")
        nc = self.colourless
        data = b"".join(
            np.ascontiguousarray(a).tobytes()
            for a in (
                s.curves.loss_x,
                s.curves.loss_y,
                s.curves.eval_steps,
                s.curves.test_loss,
                s.curves.test_accuracy,
                s.curves.train_accuracy,
            )
        )
        key = (data, w, h, self.log_y, self.show_accuracy, nc)
        if key != self._cache_key or self._cache is None:
            self._cache = self._build(s, w, h, nc)
            self._cache_key = key
            self.builds += 1
        return self._cache

    def _build(self, s: Snapshot, w: int, h: int, nc: bool) -> Lines:
        x, y = _finite(np.asarray(s.curves.loss_x), np.asarray(s.curves.loss_y))
        tx, ty = _finite(np.asarray(s.curves.eval_steps), np.asarray(s.curves.test_loss))
        ax, ay = _finite(np.asarray(s.curves.eval_steps), np.asarray(s.curves.test_accuracy))
        rx, ry = _finite(np.asarray(s.curves.eval_steps), np.asarray(s.curves.train_accuracy))
        if not self.show_accuracy:
            ax, ay, rx, ry = ax[:0], ay[:0], rx[:0], ry[:0]
        legend = self._legend(nc, len(ty) > 0, len(ay) > 0, len(ry) > 0, w)
        # the x range before thinning: every series shares it, and it starts at step 0
        hi = max(float(v.max()) for v in (x, tx, ax, rx) if len(v))
        # plotext's cost follows the plot width, not the history length: at most 2 points a
        # bucket, each bucket's min and max, so spikes survive
        x, y = downsample(y, max(2, w - 10), x)
        tx, ty = downsample(ty, max(2, w // 4), tx)
        ax, ay = downsample(ay, max(2, w // 4), ax)
        rx, ry = downsample(ry, max(2, w // 4), rx)
        if self.log_y:
            floor = min(v[v > 0].min() if (v > 0).any() else 1.0 for v in (y, ty) if len(v))
            y, ty = np.maximum(y, floor), np.maximum(ty, floor)
        import plotext as plt  # ~0.11 s to import: paid at the first plot, not at start-up

        # the panel's size, not the terminal's: plotext would clamp the plot to the size it reads
        # from stdout (80x24 when that is no terminal, as under the tests)
        plt.terminal.limit(False, False)
        f = plt.figure
        f.clear()
        plot_h = h - len(legend.lines)
        f.plot_size(w, plot_h)
        f.theme("colorless" if nc else "simple")

        def add(xs: np.ndarray, ys: np.ndarray, mark: str, px: int, lines: bool, side: str):
            if len(xs):
                sig = f.signal(
                    xs.tolist(), ys.tolist(), marker=plt.marker(mark, pixel=px), yside=side
                )
                if lines and len(xs) > 1:
                    sig.lines()
                f.draw(sig)

        smooth = ema(y)
        if self.log_y:
            # plotted as log10 on a linear axis with decade labels: plotext's own log scale
            # labels ticks as long decimals ("0.0000000278021") and drops manual ticks
            y, smooth, ty = np.log10(y), np.log10(np.maximum(smooth, floor)), np.log10(ty)
        add(x, y, "." if nc else "hd", RAW, not nc, "left")
        add(x, smooth, "hd", SMOOTH, True, "left")
        add(tx, ty, "o" if nc else "•", TEST, False, "left")
        if len(ry):
            add(rx, 100 * ry, "x" if nc else "hd", TRAIN_ACC, True, "right")
        if len(ay):
            add(ax, 100 * ay, "+" if nc else "hd", ACC, True, "right")
        if len(ay) or len(ry):
            # a fixed 0-100% axis: auto-zoom would turn 94..99% noise into full-height swings
            pct = percent_ticks(plot_h - 3)
            right = f.ruler("y", "right")
            right.lim(0, 100)
            right.ticks(pct, [f"{t}%" for t in pct])
        if self.log_y:
            ticks = decade_ticks(np.concatenate([y, ty]), max(2, (plot_h - 2) // 3))
            if ticks:
                ruler = f.ruler("y", "left")
                ruler.lim(ticks[0][0], ticks[-1][0])
                ruler.ticks([t for t, _ in ticks], [lab for _, lab in ticks])
        steps = step_ticks(hi, max(2, (w - 8) // 7))
        bottom = f.ruler("x", "lower")
        bottom.lim(0, max(hi, 1))
        bottom.ticks(steps, [step_label(t) for t in steps])
        out = Lines.from_text(Text.from_ansi(f.build().string(colorless=nc), no_wrap=True))
        while out.lines and not any(seg.text for seg in out.lines[-1]):
            out.lines.pop()  # plotext ends its string with a newline
        name_x_axis(out, steps, w)
        return Lines(legend.lines + out.lines)

    def _legend(self, nc: bool, test: bool, acc: bool, train_acc: bool, width: int) -> Lines:
        """Every series named, in the longest wording that fits; on two lines if none does."""
        for gap, key, words in (
            (2, ("linear y", "  (l)"), WORDINGS[0]),
            (1, ("lin y", ""), WORDINGS[1]),
            (1, ("lin y", ""), WORDINGS[2]),
        ):
            items = self._legend_items(nc, test, acc, train_acc, words, key)
            if sum(len(t) for t, _ in items) + gap * (len(items) - 1) <= width:
                return _pack_legend(items, gap, width)
        return _pack_legend(items, gap, width)

    def _legend_items(
        self,
        nc: bool,
        test: bool,
        acc: bool,
        train_acc: bool,
        words: tuple[str, ...],
        key: tuple[str, str],
    ) -> list[tuple[str, str | None]]:
        """(text, style) items; a series' glyph carries its colour, the words stay plain."""
        raw_w, smooth_w, test_w, acc_w, train_acc_w = words
        series = [(raw_w, "·" if nc else "▀", RAW), (smooth_w, "█", SMOOTH)]
        if test:
            series.append((test_w, "o" if nc else "•", TEST))
        if acc:
            series.append((acc_w, "+" if nc else "█", ACC))
        if train_acc:
            series.append((train_acc_w, "x" if nc else "█", TRAIN_ACC))
        items: list[tuple[str, str | None]] = [
            (f"{glyph} {label}", None if nc else f"color({colour})")
            for label, glyph, colour in series
        ]
        scale = "log y" if self.log_y else key[0]
        items.append((scale + key[1], "dim"))
        return items


def _pack_legend(items: list[tuple[str, str | None]], gap: int, width: int) -> Lines:
    """Items on as few lines as the width allows; only an item's glyph is coloured."""
    tb = TextBuilder()
    used = 0
    for text, style in items:
        if used and used + gap + len(text) > width:
            tb.add("\n")
            used = 0
        elif used:
            tb.add(" " * gap)
            used += gap
        if style == "dim":
            tb.add(text, "dim")
        else:
            tb.add(text[0], style).add(text[1:])
        used += len(text)
    return tb.build()


def step_ticks(hi: float, most: int) -> list[int]:
    """Whole steps from 0 to ``hi`` spaced 1, 2 or 5 times a power of ten, at most ``most``."""
    top = max(int(np.floor(hi)), 1)
    most = max(most, 2)
    spacing = 1
    while True:
        for m in (1, 2, 5):
            if top // (m * spacing) + 1 <= most:
                return list(range(0, top + 1, m * spacing))
        spacing *= 10


def step_label(step: int) -> str:
    """A step count in at most 5 columns: 500, 1.5k, 20k, 1.2M."""
    if step >= 1_000_000 and step % 100_000 == 0:
        return f"{step / 1_000_000:g}M"
    if step >= 1000 and step % 100 == 0:
        return f"{step / 1000:g}k"
    return str(step)


def percent_ticks(rows: int) -> list[int]:
    """Accuracy ticks for a plot ``rows`` tall: quarters when there is room, else halves."""
    return [0, 25, 50, 75, 100] if rows >= 8 else [0, 50, 100]


def name_x_axis(plot: Lines, steps: list[int], width: int) -> None:
    """Rewrite plotext's tick-label row: each step label under its tick, then "step".

    plotext has an x label only as an extra row under the plot; here the axis name shares the
    tick row: after the last label when there is room, else at the right end, in place of the
    labels it would touch.
    """
    if len(plot.lines) < 2:
        return
    cols = [c for c, ch in enumerate("".join(seg.text for seg in plot.lines[-2])) if ch == "┬"]
    if len(cols) != len(steps):
        return  # not the layout this expects: keep plotext's row as it is
    name = "step"
    placed: list[tuple[int, str]] = []
    end = -2  # last column used
    for c, t in zip(cols, steps, strict=True):
        label = step_label(t)
        start = min(max(c - (len(label) - 1) // 2, end + 2), width - len(label))
        placed.append((start, label))
        end = start + len(label) - 1
    at = end + 2
    if at + len(name) > width:
        at = width - len(name)
        placed = [(p, lab) for p, lab in placed if p + len(lab) < at - 1]
    row = [" "] * width
    for p, lab in [*placed, (at, name)]:
        row[p : p + len(lab)] = lab
    plot.lines[-1] = [Segment("".join(row))]  # plain, as plotext draws the y labels


def decade_ticks(log_values: np.ndarray, most: int) -> list[tuple[float, str]]:
    """Whole exponents covering log10 values, thinned to at most ``most``, labelled '1e-3'."""
    v = log_values[np.isfinite(log_values)]
    if not len(v):
        return []
    lo, hi = int(np.floor(v.min())), int(np.ceil(v.max()))
    exps = list(range(lo, max(hi, lo + 1) + 1))
    stride = -(-len(exps) // most)
    keep = exps[::stride]
    if keep[-1] != exps[-1]:
        keep.append(exps[-1])  # the top decade bounds the axis: always labelled
    return [(float(e), f"1e{e}") for e in keep]
