"""Loss plot: train loss raw and smoothed, test loss and accuracy, drawn with plotext."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.reactive import reactive

from engine.history import downsample
from engine.snapshot import Snapshot

from .base import SnapshotPanel
from .lines import Lines, TextBuilder

# 256-colour indexes below 16, so 16-colour terminals show them as they are
RAW, SMOOTH, TEST, ACC = 8, 14, 11, 10


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
    """``log_y`` and ``show_accuracy`` redraw when set.

    A unit step changes the snapshot's version but not the curves: the plotext build (the
    costly part) is cached on the curves themselves, so such a redraw reuses it.
    """

    TITLE = "Loss"
    log_y: reactive[bool] = reactive(False)
    show_accuracy: reactive[bool] = reactive(True)

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.builds = 0  # plotext builds so far (tests and benchmarks read it)
        self._cache_key: tuple[object, ...] | None = None
        self._cache: Lines | None = None

    def toggle_log_y(self) -> None:
        self.log_y = not self.log_y

    def build(self) -> Lines | Text:
        s = self.snapshot
        if s is None or len(s.curves.loss_y) == 0:
            return Text("no iterations yet: press space to train one", style="dim")
        nc = self.colourless
        w, h = max(self.size.width, 20), max(self.size.height, 5)
        data = b"".join(
            np.ascontiguousarray(a).tobytes()
            for a in (
                s.curves.loss_x,
                s.curves.loss_y,
                s.curves.eval_steps,
                s.curves.test_loss,
                s.curves.test_accuracy,
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
        acc = self.show_accuracy and len(ay) > 0
        # plotext's cost follows the plot width, not the history length: at most 2 points a
        # bucket, each bucket's min and max, so spikes survive
        x, y = downsample(y, max(2, w - 10), x)
        tx, ty = downsample(ty, max(2, w // 4), tx)
        ax, ay = downsample(ay, max(2, w // 4), ax)
        if self.log_y:
            floor = min(v[v > 0].min() if (v > 0).any() else 1.0 for v in (y, ty) if len(v))
            y, ty = np.maximum(y, floor), np.maximum(ty, floor)
        import plotext as plt  # ~0.11 s to import: paid at the first plot, not at start-up

        f = plt.figure
        f.clear()
        f.plot_size(w, h - 1)
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
        if acc:
            add(ax, ay, "+" if nc else "hd", ACC, True, "right")
        if self.log_y:
            ticks = decade_ticks(np.concatenate([y, ty]), max(2, (h - 3) // 3))
            if ticks:
                ruler = f.ruler("y", "left")
                ruler.lim(ticks[0][0], ticks[-1][0])
                ruler.ticks([t for t, _ in ticks], [lab for _, lab in ticks])
        out = Text.from_ansi(f.build().string(colorless=nc), no_wrap=True)
        return Lines(self._legend(nc, len(ty) > 0, acc, w).lines + Lines.from_text(out).lines)

    def _legend(self, nc: bool, test: bool, acc: bool, width: int = 999) -> Lines:
        """One line naming every series; shorter words (then no axis note) when it is narrow."""
        wordings = (
            ("train", "smoothed", "test", "accuracy (right)", "  (l)", 2),
            ("train", "smoothed", "test", "acc (right)", "", 1),
            ("train", "smooth", "test", "acc→", "", 1),
        )
        for words in wordings:
            tb = self._legend_text(nc, test, acc, words)
            if sum(seg.cell_length for seg in tb.lines[0]) <= width:
                break
        return tb

    def _legend_text(self, nc: bool, test: bool, acc: bool, words: tuple) -> Lines:
        train, smooth, test_w, acc_w, key, gap = words
        tb = TextBuilder()
        items = [(train, "·" if nc else "▀", RAW), (smooth, "█", SMOOTH)]
        if test:
            items.append((test_w, "o" if nc else "•", TEST))
        if acc:
            items.append((acc_w, "+" if nc else "█", ACC))
        for label, glyph, colour in items:
            tb.add(glyph, None if nc else f"color({colour})").add(f" {label}" + " " * gap)
        tb.add("log y" if self.log_y else "lin y" if gap == 1 else "linear y", "dim")
        tb.add(key, "dim")
        return tb.build()


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
