"""Outputs panel's activations view: one sample's hidden activations per layer, dead ReLUs."""

from __future__ import annotations

import numpy as np

from engine.snapshot import LayerSnap, Snapshot

from ..numbers import fixed, percent
from .colours import levels
from .heatmap import block_reduce, heat_row, robust_scale
from .lines import TextBuilder

# a layer with at most this many units is a code: its values printed, and for a squashing
# activation its units read as bits (encoder-8-3-8's 3-bit codes, symmetry-1986's two units)
CODE_UNITS = 8
# the midpoint of each squashing activation's range: above it a unit reads as 1
MIDPOINT = {"sigmoid": 0.5, "tanh": 0.0}


def code(values: np.ndarray, activation: str) -> str:
    """The units as bits (1 above the activation's midpoint), or "" for an unbounded one."""
    mid = MIDPOINT.get(activation)
    if mid is None:
        return ""
    return "".join("1" if v > mid else "0" for v in values)


def dead_text(lay: LayerSnap) -> str:
    """' dead 25% (train set)' for a ReLU layer with an evaluation, else ''."""
    if lay.dead_fraction is None:
        return ""
    return f" dead {percent(lay.dead_fraction)}"


def layer_head(lay: LayerSnap) -> str:
    n = lay.W.shape[1]
    return f"L{lay.index + 1} {lay.activation} {n} unit{'s' if n != 1 else ''}{dead_text(lay)}"


def draw_activations(
    tb: TextBuilder, s: Snapshot, sample: int, width: int, height: int, nc: bool
) -> None:
    """Sample ``sample``'s activations a = f(z), layer by layer, then the batch's codes.

    Each hidden layer is a heat row of its units (values when they fit); a layer of up to
    CODE_UNITS squashing units also reads as a bit code. When there is room below, the codes of
    every sample in the batch of the smallest such layer, one line each, so a whole encoding
    shows at once.
    """
    hidden = list(s.layers[:-1])
    if not hidden:
        tb.line("no hidden layer: the inputs go straight to the outputs", "dim")
        return
    if any(lay.a is None for lay in hidden):
        nxt = next(lay.index + 1 for lay in hidden if lay.a is None)
        tb.line(f"activations appear after forward L{nxt}", "dim")
        return
    n_rows = int(hidden[0].a.shape[0]) if hidden[0].a is not None else 0
    i = max(0, min(sample, n_rows - 1))
    tb.add(f"sample {i + 1}: hidden activations a = f(z)", "bold")
    if any(lay.dead_fraction is not None for lay in hidden):
        tb.add("; dead: ReLUs off for all training samples", "dim")
    tb.add("\n")
    used = 1
    for lay in hidden:
        if used + 2 > height:
            tb.line(f"… {len(hidden) - hidden.index(lay)} more layers (enlarge)", "dim")
            return
        a = lay.a
        assert a is not None
        row = np.asarray(a[i], dtype=np.float64)
        bits = code(row, lay.activation) if row.size <= CODE_UNITS else ""
        head = layer_head(lay) + (f"  code {bits}" if bits else "")
        tb.line(head, "bold")
        cw = max(2, min(7, (width - 1) // max(1, row.size)))
        r = block_reduce(row[None, :], 1, max(1, (width - 1) // cw), "maxabs")[0]
        shown = r.shape[0] == row.size and cw >= 5
        tb.add(" ")
        heat_row(tb, r, levels(r[None, :], robust_scale(row))[0], cw, nc, shown)
        tb.add("\n")
        used += 2
    smallest = min(hidden, key=lambda lay: lay.W.shape[1])
    if smallest.W.shape[1] > CODE_UNITS or not code(np.zeros(1), smallest.activation):
        return
    if used + 3 > height:
        return
    a = smallest.a
    assert a is not None
    tb.line(f"L{smallest.index + 1} codes of the batch: x → code, values, class y", "dim")
    used += 1
    X = s.batch.X
    for k in range(min(a.shape[0], height - used)):
        x = "" if X is None or X.shape[1] > 12 else "".join(_bit(v) for v in X[k])
        vals = " ".join(fixed(float(v), 2) for v in a[k])
        mark = "▶" if k == i else " "
        line = f"{mark}{k + 1:>3} {x}{' → ' if x else ' '}{code(a[k], smallest.activation)}  {vals}"
        truth = _target(s, k)
        tb.line((line + (f"  y {truth}" if truth else ""))[:width], "bold" if k == i else None)


def _target(s: Snapshot, k: int) -> str:
    """Sample ``k``'s class (the true label), so a code reads against what it should tell."""
    labels = s.batch.true_labels
    if labels is None or k >= len(labels):
        return ""
    names = s.model.class_names
    c = int(labels[k])
    return names[c] if names and c < len(names) else str(c)


def _bit(v: float) -> str:
    return "1" if v > 0.5 else ("0" if abs(v) <= 0.5 else "-")
