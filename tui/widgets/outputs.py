"""Outputs panel: one batch sample's class probabilities as bars (or prediction vs target), and
the sample itself when it is an image."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType

from engine.snapshot import Snapshot
from tui.messages import SampleSelected

from ..numbers import ellipsize, fixed, fmt, neg_log
from .fit import mark_cuts
from .lines import Lines, TextBuilder
from .views import ViewsPanel

EIGHTHS = " ▏▎▍▌▋▊▉█"
TRUE = Style(color="green", bold=True)
WRONG = Style(color="red", bold=True)
OTHER = Style(color="bright_black")
SHADES = " ░▒▓█"
IMAGE_SIDES = (8,)  # inputs drawn as a square image: side 8, the digits' 8x8 pixels


def bar(frac: float, width: int) -> str:
    """A horizontal bar of ``frac`` (0..1) of ``width`` cells, in eighths of a cell."""
    frac = float(np.clip(frac if np.isfinite(frac) else 0.0, 0.0, 1.0))
    eighths = round(frac * width * 8)
    full, part = divmod(eighths, 8)
    s = "█" * full + (EIGHTHS[part] if part else "")
    return s.ljust(width)


class OutputsPanel(ViewsPanel, can_focus=True):
    """Keys when focused: up/down or j/k pick the sample of the batch; home/end jump; i the
    view (the sample's hidden activations, the confusion matrix)."""

    VIEWS = ("activations", "confusion")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "pick(-1)", "sample", show=False),
        Binding("down,j", "pick(1)", "sample", show=False),
        Binding("home", "pick(-1000000000)", show=False),
        Binding("end", "pick(1000000000)", show=False),
    ]

    TITLE = "Outputs"

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.sample = 0

    def adopt(self, snapshot: Snapshot) -> None:
        self.sample = max(0, min(self.sample, self.n_samples - 1))

    @property
    def n_samples(self) -> int:
        s = self.snapshot
        if s is None:
            return 0
        arr = s.batch.outputs if s.batch.outputs is not None else s.batch.X
        return 0 if arr is None else int(arr.shape[0])

    def action_pick(self, d: int) -> None:
        n = self.n_samples
        if not n:
            return
        new = max(0, min(self.sample + d, n - 1))
        if new != self.sample:
            self.sample = new
            self.redraw()
            self.post_message(SampleSelected(new))

    # ---- drawing ------------------------------------------------------------------------------
    def build(self) -> Lines | Text:
        s = self.snapshot
        if s is None:
            return Text("no batch yet", style="dim")
        view = self.build_view()  # i: another view of the snapshot
        if view is not None:
            return view
        tb = TextBuilder()
        n = self.n_samples
        if n == 0:
            return Text("no batch yet: the sample unit picks one (press n)", style="dim")
        i = self.sample
        width = max(self.size.width, 30)
        shown = f"first {n} of {s.batch.size}" if n < s.batch.size else f"{n}"
        tb.add(f"sample {i + 1}/{shown}", "bold").add("  (↑/↓ or j/k)", "dim")
        x = "" if s.batch.X is None else "x = [" + ", ".join(fmt(v, 3) for v in s.batch.X[i]) + "]"
        if x and len(x) <= width:  # the whole input or none of it (64 pixels do not fit)
            # on the same line when it fits, else on its own (a cut-off input misleads)
            tb.add("  " if len(f"sample {i + 1}/{shown}  (↑/↓ or j/k)  {x}") <= width else "\n")
            tb.add(x)
        tb.add("\n")
        if s.batch.outputs is None:
            tb.line(f"outputs appear after forward L{len(s.layers)}/{len(s.layers)}", "dim")
            return mark_cuts(tb.build(), self.size.width)
        if s.model.task == "regression":
            self._draw_regression(tb, s, i)
        else:
            self._draw_classes(tb, s, i)
        return mark_cuts(tb.build(), self.size.width)

    def _draw_classes(self, tb: TextBuilder, s: Snapshot, i: int) -> None:
        nc = self.colourless
        assert s.batch.outputs is not None  # build() draws classes only once there are outputs
        out = s.batch.outputs[i]
        probs = _probs(s, out)
        # the classes come from the engine: its label rules are the ones accuracy uses
        true = None if s.batch.true_labels is None else int(s.batch.true_labels[i])
        pred = int(s.batch.labels[i]) if s.batch.labels is not None else int(np.argmax(probs))
        k = len(probs)
        names = list(s.model.class_names or ()) + [
            str(c) for c in range(len(s.model.class_names or ()), k)
        ]
        lw = min(max(len(nm) for nm in names), 14)
        width = max(self.size.width, 30)
        image = _image_rows(s, i, nc)
        iw = sum(len(t) for t, _ in image[0]) + 2 if image else 0  # the image, two blank columns
        # "y  " name " " bar " 0.000" " ◀ predicted": 22 cells besides the name and the bar;
        # beside an image, " ◀" alone when the bars would be short (the last line names it)
        marker = " ◀ predicted" if not image or width - iw - lw - 22 >= 10 else " ◀"
        bw = width - iw - lw - 10 - len(marker)
        if image and bw < 6:  # bars of fewer than 6 cells: no room for the image
            image, iw, marker = [], 0, " ◀ predicted"
            bw = width - lw - 22
        bw = max(4, bw)
        if out.shape[0] == 1:  # one output unit: say what the two bars are made of
            tb.line(_one_unit(float(out[0]), s.model.threshold, pred, width), "dim")
        rows = max(1, self.size.height - 4)
        order = list(range(k)) if k <= rows else [int(c) for c in np.argsort(-probs)[:rows]]
        if true is not None and true not in order:  # the true class (y) always shows
            order[-1] = true
        for r, c in enumerate(order):
            if image:
                for text, pstyle in image[r] if r < len(image) else [(" " * (iw - 2), None)]:
                    tb.add(text, pstyle)
                tb.add("  ")
            c = int(c)
            is_true, is_pred = c == true, c == pred
            mark = "y" if is_true else " "
            style = TRUE if is_true else (WRONG if is_pred else OTHER)
            tb.add(f"{mark}  ", "bold" if is_true else None)
            tb.add(names[c][:lw].ljust(lw) + " ", "bold" if (is_true or is_pred) else None)
            fill = "█" if (is_true or not nc) else "▒"
            tb.add(bar(probs[c], bw).replace("█", fill), None if nc else style)
            tb.add(f" {fixed(probs[c], 3)}")
            tb.line(marker if is_pred else "", "bold" if is_pred else None)
        for pieces in image[len(order) :]:  # more image rows than classes
            for text, pstyle in pieces:
                tb.add(text, pstyle)
            tb.line()
        if true is not None:
            ok = "✓ right" if pred == true else "✗ wrong"
            said = next(
                (
                    w
                    for w in (
                        f"true class y = {names[true]}, predicted {names[pred]} ",
                        f"y = {names[true]}, predicted {names[pred]} ",
                    )
                    if len(w) + len(ok) <= width
                ),
                None,
            )
            if said is None:  # a cut name would read as another name: the mark says it is cut
                said = ellipsize(f"y = {names[true]}, predicted {names[pred]}", width - 9) + " "
            tb.add(said, "bold")
            tb.line(ok, None if nc else (TRUE if pred == true else WRONG))
        self._draw_loss(tb, s, i, probs, true)

    def _draw_loss(self, tb: TextBuilder, s: Snapshot, i: int, probs: np.ndarray, true: int | None):
        psl = s.batch.per_sample_loss
        if psl is None or i >= len(psl):
            tb.add("loss: after the loss unit", "dim")
            return
        if s.model.loss_name in ("cross_entropy", "binary_cross_entropy") and true is not None:
            # with a 0/1 target both are -log of the probability given to the true class
            # p printed with the digits -log p needs to read as the loss printed
            p, loss = neg_log(float(probs[true]), float(psl[i]), 5)
            full = f"loss = -log p_y = -log {p} = {loss}"
            tb.line(full if len(full) <= self.size.width else f"loss = -log {p} = {loss}")
        else:
            tb.line(f"loss ({s.model.loss_name}) = {fmt(psl[i], 5)}")
        if s.batch.loss is not None:  # its own line: cut off, the sample's loss would read wrong
            tb.add(f"batch loss ({s.model.reduction}) {fmt(s.batch.loss, 4)}", "dim")

    def _draw_regression(self, tb: TextBuilder, s: Snapshot, i: int) -> None:
        out = s.batch.outputs
        assert out is not None  # build() draws the regression only once there are outputs
        y = s.batch.y.reshape(len(s.batch.y), -1) if s.batch.y is not None else None
        width = max(self.size.width, 30)
        for k in range(out.shape[1]):
            pred = float(out[i, k])
            tb.add(f"ŷ{k if out.shape[1] > 1 else ''} = {fmt(pred, 5)}", "bold")
            if y is None:
                tb.line()
                continue
            t = float(y[i, k])
            tb.line(f"   target y = {fmt(t, 5)}   error ŷ - y = {fmt(pred - t, 4)}")
            lo = float(min(out[:, k].min(), y[:, k].min()))
            hi = float(max(out[:, k].max(), y[:, k].max()))
            tb.line(_axis(pred, t, lo, hi, width - 2))
        tb.add("● prediction  | target   (axis spans the batch)\n", "dim")
        self._draw_loss(tb, s, i, np.zeros(0), None)


def _one_unit(yhat: float, threshold: float, pred: int, width: int) -> str:
    """What one output unit's value says: 'ŷ = 0.49372 ≤ 0.5: class 0', the comparison printed
    with the digits that keep it true (0.500004 is not '0.5 > 0.5')."""
    cut = fmt(threshold)
    v = fmt(yhat, 5)
    for d in range(5, 13):
        v = fmt(yhat, d)
        if float(v) != float(cut) or yhat == threshold:
            break
    op = ">" if pred == 1 else "≤"
    wordings = (
        f"one output unit: ŷ = {v} {op} {cut}, so class {pred} (class 1 when ŷ > {cut})",
        f"one output unit: ŷ = {v} {op} {cut}, so class {pred}",
        f"ŷ = {v} {op} {cut}: class {pred}",
    )
    return next((w for w in wordings if len(w) <= width), wordings[-1])


def _image_side(s: Snapshot) -> int | None:
    """The side of the square image the inputs are, or None.

    Scenarios do not say which inputs are images, so the rule is the size: 64 inputs are the
    digits' 8x8 pixels (no bundled scenario has 64 inputs that are not an image).
    """
    n = s.model.sizes[0] if s.model.sizes else 0
    side = math.isqrt(n)
    return side if side * side == n and side in IMAGE_SIDES else None


Pieces = list[tuple[str, Style | None]]


def _grey(v: float) -> Color:
    g = round(40 + 215 * float(np.clip(v, 0.0, 1.0)))  # 40: black pixels stay apart from the bg
    return Color.from_rgb(g, g, g)


def _image_rows(s: Snapshot, i: int, nc: bool) -> list[Pieces]:
    """Sample ``i``'s inputs as a grey image, a cell per pixel; [] when they are not one.

    In colour a cell holds two pixels ('▀': the upper one its foreground, the lower its
    background), so the pixels are square; without colour a shade character per pixel.
    Bright is high, and pixels below zero are black: the digits are standardised per pixel, so
    their background is below zero and a stroke above (raw 0..16 pixels are drawn as they are).
    """
    side = _image_side(s)
    if side is None or s.batch.X is None or i >= len(s.batch.X):
        return []
    x = np.maximum(np.asarray(s.batch.X[i], dtype=np.float64), 0.0)
    top = float(x.max())
    v = (x / top if top > 0 else x).reshape(side, side)
    if nc:
        last = len(SHADES) - 1
        return [[("".join(SHADES[round(a * last)] for a in row), None)] for row in v]
    rows: list[Pieces] = []
    for r in range(0, side, 2):
        low = v[r + 1] if r + 1 < side else np.zeros(side)
        rows.append(
            [("▀", Style(color=_grey(a), bgcolor=_grey(b))) for a, b in zip(v[r], low, strict=True)]
        )
    return rows


def _probs(s: Snapshot, out: np.ndarray) -> np.ndarray:
    """Sample outputs as class probabilities for the bars (one unit: two classes; tanh's
    -1..1 mapped to 0..1)."""
    act = s.model.activations[-1]
    if out.shape[0] == 1:
        p1 = float(out[0])
        if act == "tanh":
            p1 = (p1 + 1) / 2
        return np.array([1 - p1, p1])
    probs = np.asarray(out, dtype=np.float64)
    return (probs + 1) / 2 if act == "tanh" else probs


def _axis(pred: float, t: float, lo: float, hi: float, width: int) -> str:
    """A number line from lo to hi with the target '|' and the prediction '●' on it."""
    width = max(width, 10)
    span = hi - lo if hi > lo else 1.0
    line = ["─"] * width

    def at(v: float) -> int:
        return round((v - lo) / span * (width - 1))

    line[at(t)] = "|"
    line[at(pred)] = "●"
    return "".join(line)
