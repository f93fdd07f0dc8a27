"""Decision map: the network's class over the 2-D input plane, half-block cells, data on top."""

from __future__ import annotations

import itertools
from collections.abc import Hashable

import numpy as np
from rich.color import Color, ColorSystem
from rich.style import Style
from rich.text import Text

from engine.snapshot import DecisionMap, Snapshot

from ..numbers import ELLIPSIS
from .base import SnapshotPanel
from .colours import CLASS_GLYPHS, CLASS_RGB
from .lines import Lines, TextBuilder

Q = 6  # confidence shades per class
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _rgb(k: int, q: int) -> tuple[int, int, int]:
    """Class k's colour over a dark ground, stronger with confidence level q (0..Q)."""
    base = CLASS_RGB[k % len(CLASS_RGB)]
    t = 0.12 + 0.43 * q / Q  # regions stay darker than the points drawn over them
    return tuple(round(20 + (c - 20) * t) for c in base)  # type: ignore[return-value]


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


SYSTEMS = {"256": ColorSystem.EIGHT_BIT, "standard": ColorSystem.STANDARD}


def colour_ids(n_classes: int, system: str | None) -> np.ndarray:
    """For each region colour id (class * (Q + 1) + level), the smallest id the terminal shows
    in the same colour: ids equal here are drawn as one run, not one span each.

    Why: on a 256-colour terminal (xterm-256color over SSH) neighbouring shades land on one
    palette colour, and Textual resends the colour codes for every span: a map row of cells
    of equal look cost ~20 bytes a cell. In truecolor every id is its own colour (identity).
    """
    n = max(1, n_classes) * (Q + 1)
    ids = np.arange(n, dtype=np.intp)
    target = SYSTEMS.get(system or "")
    if target is None:
        return ids
    first: dict[object, int] = {}
    for i in range(n):
        shown = Color.parse(_hex(_rgb(*divmod(i, Q + 1)))).downgrade(target)
        ids[i] = first.setdefault((shown.type, shown.number, shown.triplet), i)
    return ids


class DecisionMapPanel(SnapshotPanel):
    """The map the snapshot carries, resampled to the panel's cells."""

    TITLE = "Decision map"

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._styles: dict[tuple[int, int], Style] = {}
        self._ids: dict[tuple[int, str | None], np.ndarray] = {}
        self._points_styles: dict[tuple[int, int], Style] = {}

    def key(self, snapshot: Snapshot) -> Hashable:
        # the picture depends on the map alone, and the session hands out the same map until
        # the weights or the grid change: a run's snapshots mostly reuse it
        d = snapshot.decision
        where = None if d is None else (d.version, d.classes.shape)
        return snapshot.model.scenario, where, snapshot.model.class_names

    def _style(self, up: int, low: int) -> Style:
        st = self._styles.get((up, low))
        if st is None:
            st = Style(
                color=_hex(_rgb(*divmod(up, Q + 1))), bgcolor=_hex(_rgb(*divmod(low, Q + 1)))
            )
            self._styles[(up, low)] = st
        return st

    def _point_style(self, k: int, low: int) -> Style:
        """A training point of class k, bold in its class colour over region colour ``low``."""
        st = self._points_styles.get((k, low))
        if st is None:
            bg = _hex(_rgb(*divmod(low, Q + 1)))
            st = Style(color=_hex(CLASS_RGB[k % len(CLASS_RGB)]), bgcolor=bg, bold=True)
            self._points_styles[(k, low)] = st
        return st

    def build(self) -> Lines | Text:
        s = self.snapshot
        if s is None:
            return Text("no network yet", style="dim")
        d = s.decision
        if d is None:
            return Text("The decision map is drawn for 2-D classification scenarios.", style="dim")
        nc = self.colourless
        w, h = max(self.size.width, 4), max(self.size.height - 1, 2)
        tb = TextBuilder()
        self._legend(tb, s, nc)
        gh = h if nc else 2 * h
        ri = (np.arange(gh) * d.classes.shape[0]) // gh  # nearest-neighbour resample
        ci = (np.arange(w) * d.classes.shape[1]) // w
        cls = d.classes[np.ix_(ri, ci)].astype(np.intp)
        conf = d.confidence[np.ix_(ri, ci)]
        n_cls = max(int(d.labels.max()) + 1 if len(d.labels) else 1, int(cls.max()) + 1)
        q = np.clip(np.rint((conf - 1.0 / n_cls) / (1 - 1.0 / n_cls) * Q), 0, Q).astype(np.intp)
        pts = self._points(d, w, h)
        if nc:
            self._draw_nc(tb, cls, q, pts)
        else:
            self._draw_color(tb, self._colour_ids(n_cls)[cls * (Q + 1) + q], pts)
        return tb.build()

    def _colour_ids(self, n_classes: int) -> np.ndarray:
        """colour_ids for the terminal this app draws on (headless, tests: truecolor, as the
        SVG screenshots are)."""
        app = self.app
        system = None if app.is_headless else app.console.color_system
        key = (n_classes, system)
        ids = self._ids.get(key)
        if ids is None:
            ids = self._ids[key] = colour_ids(n_classes, system)
        return ids

    def _points(self, d: DecisionMap, w: int, h: int) -> dict[int, dict[int, int]]:
        """Training points by cell row then column: {row: {col: label}}."""
        x0, x1 = float(d.xs[0]), float(d.xs[-1])
        y0, y1 = float(d.ys[0]), float(d.ys[-1])  # top, bottom
        if len(d.points) == 0 or x1 == x0 or y1 == y0:
            return {}
        c = np.rint((d.points[:, 0] - x0) / (x1 - x0) * (w - 1)).astype(np.intp)
        r = np.rint((d.points[:, 1] - y0) / (y1 - y0) * (h - 1)).astype(np.intp)
        ok = (c >= 0) & (c < w) & (r >= 0) & (r < h)
        out: dict[int, dict[int, int]] = {}
        for rr, cc, lab in zip(r[ok].tolist(), c[ok].tolist(), d.labels[ok].tolist(), strict=True):
            out.setdefault(rr, {})[cc] = int(lab)
        return out

    def _draw_color(self, tb: TextBuilder, ids: np.ndarray, pts: dict) -> None:
        h, w = ids.shape[0] // 2, ids.shape[1]
        for r in range(h):
            up, low = ids[2 * r], ids[2 * r + 1]
            comb = up * 10_000 + low
            cuts = set(np.flatnonzero(np.diff(comb) != 0) + 1)
            row_pts = pts.get(r, {})
            for c in row_pts:
                cuts.update((c, c + 1))
            bounds = [0, *sorted(x for x in cuts if 0 < x < w), w]
            # neighbours of one look (points of a class on one region colour) make one span:
            # every span costs its colour codes again on the wire
            run: tuple[object, str, Style] | None = None
            for a, b in itertools.pairwise(bounds):
                if a in row_pts:
                    k = row_pts[a]
                    key: object = ("point", k, int(low[a]))
                    text = CLASS_GLYPHS[k % len(CLASS_GLYPHS)]
                    style = self._point_style(k, int(low[a]))
                else:
                    key = ("region", int(up[a]), int(low[a]))
                    text, style = "▀" * (b - a), self._style(int(up[a]), int(low[a]))
                if run is not None and run[0] == key:
                    run = (key, run[1] + text, style)
                    continue
                if run is not None:
                    tb.add(run[1], run[2])
                run = (key, text, style)
            if run is not None:
                tb.add(run[1], run[2])
            tb.add("\n")

    def _draw_nc(self, tb: TextBuilder, cls: np.ndarray, q: np.ndarray, pts: dict) -> None:
        for r in range(cls.shape[0]):
            row = [
                LETTERS[k % 26] if qq >= Q // 2 else "·" for k, qq in zip(cls[r], q[r], strict=True)
            ]
            for c, k in pts.get(r, {}).items():
                row[c] = LETTERS[k % 26].upper()
            tb.line("".join(row))

    def _legend(self, tb: TextBuilder, s: Snapshot, nc: bool) -> None:
        """One line: each class's mark and name, then the axes' ranges; '…' where it is cut."""
        d = s.decision
        assert d is not None
        k = max(int(d.labels.max()) + 1 if len(d.labels) else 0, int(d.classes.max()) + 1)
        names = list(s.model.class_names or ())
        pieces: list[tuple[str, Style | str | None]] = []
        for c in range(k):
            name = names[c] if c < len(names) else str(c)
            if nc:
                pieces.append((f"{LETTERS[c % 26]}/{LETTERS[c % 26].upper()} {name}  ", None))
            else:
                glyph = CLASS_GLYPHS[c % len(CLASS_GLYPHS)]
                mark = Style(color=_hex(CLASS_RGB[c % len(CLASS_RGB)]), bold=True)
                pieces += [(glyph, mark), (f" {name}  ", None)]
        x1, x2 = (s.model.feature_names or AXIS_NAMES)[:2]
        ranges = f"{x1} {d.xs[0]:.1f}‥{d.xs[-1]:.1f}  {x2} {d.ys[-1]:.1f}‥{d.ys[0]:.1f}"
        pieces.append((ranges, "dim"))
        for text, style in fit_pieces(pieces, max(self.size.width, 1)):
            tb.add(text, style)
        tb.add("\n")


# The input axes' names when the data has none (a CSV's columns name them), as in Explain.
AXIS_NAMES = ("x1", "x2")


def fit_pieces(
    pieces: list[tuple[str, Style | str | None]], width: int
) -> list[tuple[str, Style | str | None]]:
    """The pieces in ``width`` columns; when they do not fit, cut and ended with '…'."""
    if sum(len(t) for t, _ in pieces) <= width:
        return pieces
    out: list[tuple[str, Style | str | None]] = []
    room = width - 1  # the ellipsis' column
    for text, style in pieces:
        if len(text) >= room:
            out.append((text[:room].rstrip() if room else "", style))
            break
        out.append((text, style))
        room -= len(text)
    last_style = out[-1][1] if out else None
    return [*out, (ELLIPSIS, last_style)]
