"""Gradients panel's histograms view: each layer's |W| and |dL/dW| over time, in half blocks."""

from __future__ import annotations

import math

import numpy as np
from rich.color import Color
from rich.style import Style

from engine.probes import Histograms
from engine.snapshot import Snapshot

from .. import numbers
from .lines import TextBuilder

SHADES = " ░▒▓█"
LABEL = 5  # "1e-3 " left of each picture
EMPTY = (24, 24, 24)  # a bin with no values: a dark cell, set as the background of half blocks
FULL = {"W": (120, 200, 255), "G": (255, 170, 60)}  # weights blue, gradients orange


def used_bins(counts: np.ndarray) -> tuple[int, int]:
    """The first and one-past-the-last bin any frame of any layer uses (all: (0, bins))."""
    any_used = np.flatnonzero(counts.sum(axis=(0, 1)))
    if any_used.size == 0:
        return 0, counts.shape[-1]
    return int(any_used[0]), int(any_used[-1]) + 1


def frame_columns(n_frames: int, width: int) -> np.ndarray:
    """Which frame each of the ``width`` columns shows, oldest left, the newest always last
    (few frames are stretched over the width: the x axis is the steps' span, as in a plot)."""
    if n_frames <= width:
        return np.arange(width) * n_frames // width
    return np.rint(np.linspace(0, n_frames - 1, width)).astype(int)


def picture(counts: np.ndarray, lo: int, hi: int, merge: int, cols: np.ndarray) -> np.ndarray:
    """(rows, columns) share of the layer's values per (merged) bin, the largest bin on top."""
    part = counts[cols, lo:hi].astype(np.float64)  # (columns, bins)
    pad = (-part.shape[1]) % merge
    if pad:
        part = np.concatenate([part, np.zeros((part.shape[0], pad))], axis=1)
    merged = part.reshape(part.shape[0], -1, merge).sum(axis=2)
    total = np.maximum(counts[cols].sum(axis=1, keepdims=True), 1)
    return (merged / total).T[::-1]  # top row: the largest magnitudes


def _colour(share: float, kind: str) -> Color:
    t = math.sqrt(float(np.clip(share, 0.0, 1.0)))  # a few values in a bin still show
    rgb = tuple(round(e + (f - e) * t) for e, f in zip(EMPTY, FULL[kind], strict=True))
    return Color.from_rgb(*rgb)


def draw_picture(tb: TextBuilder, img: np.ndarray, row: int, kind: str, nc: bool) -> None:
    """Display row ``row`` of ``img``: two bins per cell (half blocks), one without colour."""
    if nc:
        for v in img[row]:
            tb.add(SHADES[min(4, math.ceil(float(v) * 4))] if v > 0 else "·")
        return
    top = img[2 * row]
    low = img[2 * row + 1] if 2 * row + 1 < img.shape[0] else np.zeros_like(top)
    for a, b in zip(top, low, strict=True):
        tb.add("▀", Style(color=_colour(a, kind), bgcolor=_colour(b, kind)))


def decade(edge: float) -> str:
    return f"1e{round(math.log10(edge))}"


def draw_histograms(tb: TextBuilder, s: Snapshot, width: int, height: int, nc: bool) -> None:
    """Per layer a head line (the update/weight ratio) and two pictures side by side: |W| and
    |dL/dW|, time to the right, log magnitude up; the bins are the engine's (engine.histograms),
    the same for every layer, so a gradient lower down the picture is that many decades smaller."""
    h: Histograms | None = None if s.probes is None else s.probes.histograms
    if h is None or h.steps.size == 0:
        tb.line("histograms: recorded as the run trains (one frame per step, thinned)", "dim")
        return
    eff = s.settings.effective_lr
    span = f"|W| and |∂L/∂W| over steps {h.steps[0]:,}-{h.steps[-1]:,}"
    heads = [span]
    if eff is not None:  # the step a steady gradient takes: lr with momentum b amplified
        e = numbers.fmt(eff, 3)
        heads = [f"{span}; effective step lr/(1-b) {e}", f"{span}; lr/(1-b) {e}", *heads]
    tb.line(
        next((x for x in heads if len(x) <= width), numbers.ellipsize(heads[-1], width)), "bold"
    )
    n_layers = h.weights.shape[1]
    per_layer = max(2, (height - 1) // n_layers)  # a head line and at least one picture row
    rows = per_layer - 1
    half = max(4, (width - 2 * LABEL - 3) // 2)
    cols = frame_columns(h.steps.size, half)
    edges = h.edges
    ranges = {"W": used_bins(h.weights), "G": used_bins(h.gradients)}
    slots = 1 if nc else 2  # bins per display row
    merges = {k: max(1, math.ceil((hi - lo) / (rows * slots))) for k, (lo, hi) in ranges.items()}
    used = 1
    for li in range(n_layers):
        if used + 2 > height:
            tb.line(f"… {n_layers - li} more layers (enlarge)", "dim")
            return
        lay = s.layers[li] if li < len(s.layers) else None
        ratio = lay.update_ratio if lay is not None else None
        head = f"L{li + 1}  ‖ΔW‖/‖W‖ {numbers.sci(ratio, 7).strip()}"
        tb.line(numbers.ellipsize(head, width), "bold")
        imgs = {
            "W": picture(h.weights[:, li], *ranges["W"], merges["W"], cols),
            "G": picture(h.gradients[:, li], *ranges["G"], merges["G"], cols),
        }
        n_rows = min(rows, max(math.ceil(img.shape[0] / slots) for img in imgs.values()))
        used += 1 + n_rows
        for r in range(n_rows):
            for kind in ("W", "G"):
                img = imgs[kind]
                lo, hi = ranges[kind]
                if r * slots < img.shape[0]:
                    label = _label(edges, lo, hi, merges[kind], r, n_rows, img.shape[0], slots)
                    tb.add(label.ljust(LABEL), "dim")
                    draw_picture(tb, img, r, kind, nc)
                    tb.add(" " * (half - img.shape[1] + 1))
                else:
                    tb.add(" " * (LABEL + half + 1))
            tb.add("\n")
    if used < height:
        tb.line("left |W| (blue), right |∂L/∂W| (orange); brighter: more of the layer", "dim")


def _label(
    edges: np.ndarray, lo: int, hi: int, merge: int, r: int, n_rows: int, n_bins: int, slots: int
) -> str:
    """The top row names the largest magnitude shown, the bottom row the smallest."""
    if r == 0:
        return decade(edges[min(lo + n_bins * merge, hi)])
    if r == n_rows - 1 or (r + 1) * slots >= n_bins:
        return decade(edges[lo])
    return ""
