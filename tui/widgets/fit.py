"""Lines cut at the panel's width end in '…': a line cut silently reads as if it were whole."""

from __future__ import annotations

from rich.segment import Segment

from ..numbers import ELLIPSIS
from .lines import Lines


def mark_cuts(lines: Lines, width: int) -> Lines:
    """``lines`` with every line longer than ``width`` cut to it, its last cell a '…'.

    Panels draw single-width characters only, so a segment's length is its width in cells.
    """
    if width < 1:
        return lines
    out: list[list[Segment]] = []
    for line in lines.lines:
        if sum(len(seg.text) for seg in line) <= width:
            out.append(line)
            continue
        kept: list[Segment] = []
        room = width - 1
        for seg in line:
            if len(seg.text) >= room:
                kept.append(Segment(seg.text[:room] + ELLIPSIS, seg.style))
                break
            kept.append(seg)
            room -= len(seg.text)
        out.append(kept)
    return Lines(out)
