"""The weights panel's cursor lines: the weight's value, its gradient and its last update."""

from __future__ import annotations

from dataclasses import dataclass

from engine.snapshot import LayerSnap, UpdateInfo

from ..numbers import ellipsize, fmt, fmt_exact, fmt_fit


@dataclass(frozen=True)
class CursorValues:
    """The numbers on the weight under the cursor, as the cursor lines print them."""

    layer: int  # 0-based
    name: str  # "W[1,2]" or "b[2]"
    where: str  # "input 1 → unit 2" or "bias of unit 2"
    val: float
    g: float | None  # data gradient (None before its backward unit)
    reg: float | None  # regularisation gradient (weights only; None without it)
    u: float | None  # the last update applied (None before the update unit)
    how: str = ""  # what that update used: "lr 0.05, α 0.9" or "adam lr 0.001, t 3"


def applied(up: UpdateInfo | None) -> str:
    """The settings the shown update ran with (they may differ from the ones in force now)."""
    if up is None:
        return ""
    if up.optimizer == "adam":
        return f"adam lr {fmt(up.lr)}, t {up.t}"
    return f"lr {fmt(up.lr)}" + (f", α {fmt(up.momentum)}" if up.momentum else "")


def cursor_values(
    lay: LayerSnap, kind: str, row: int, col: int, up: UpdateInfo | None = None
) -> CursorValues:
    """The numbers of the cursor's weight (``kind`` "W") or bias ("b") in ``lay``."""
    how = applied(up)
    j = col
    if kind == "b":
        return CursorValues(
            lay.index,
            f"b[{j}]",
            f"bias of unit {j}",
            float(lay.b[j]),
            None if lay.db is None else float(lay.db[j]),
            None,
            None if lay.ub is None else float(lay.ub[j]),
            how,
        )
    i = row
    return CursorValues(
        lay.index,
        f"W[{i},{j}]",
        f"input {i} → unit {j}",
        float(lay.W[i, j]),
        None if lay.dW is None else float(lay.dW[i, j]),
        None if lay.reg_dW is None else float(lay.reg_dW[i, j]),
        None if lay.uW is None else float(lay.uW[i, j]),
        how,
    )


Pieces = list[tuple[str, str | None]]


def _fit(room: int, *wordings: str) -> str:
    """The first (longest) wording that fits ``room``; the last one is built to fit."""
    return next((w for w in wordings if len(w) <= room), wordings[-1])


def _cut(pieces: Pieces, width: int) -> Pieces:
    """Pieces up to ``width`` columns, the cut one (if any) ending in '…'."""
    out: Pieces = []
    used = 0
    for text, style in pieces:
        if used + len(text) > width:
            out.append((ellipsize(text, width - used), style))
            break
        out.append((text, style))
        used += len(text)
    return out


def info_lines(cv: CursorValues, width: int) -> list[Pieces]:
    """Three lines on the cursor's weight, each the longest wording that fits ``width``;
    numbers lose digits (rounded) before anything is cut, and a cut line ends in '…'."""
    val, g, reg, u = cv.val, cv.g, cv.reg, cv.u
    head = f"L{cv.layer + 1} {cv.name}"
    room = width - len(head)
    first = _fit(
        room,
        f" ({cv.where}) = {fmt_exact(val)}",
        f" = {fmt_exact(val)}",
        f" = {fmt_fit(val, room - 3)}",
    )
    lines: list[Pieces] = [_cut([(head, "bold"), (first, None)], width)]
    if g is None:
        L = f"L{cv.layer + 1}"
        text = _fit(
            width,
            f"∂L/∂{cv.name} not computed yet (backward {L} comes later)",
            f"∂L/∂w: not yet (after backward {L})",
            "∂L/∂w: not yet",
        )
        lines.append(_cut([(text, "dim")], width))
    elif reg is not None and reg:
        total = g + reg
        text = _fit(
            width,
            f"∂L/∂{cv.name} = {fmt(total, 6)} = data {fmt(g, 6)} + reg {fmt(reg, 6)}",
            f"∂L/∂w = {fmt(total, 4)} = {fmt(g, 4)} + reg {fmt(reg, 3)}",
            f"∂L/∂w = {fmt(total, 6)} (with reg)",
            f"∂L/∂w = {fmt_fit(total, width - len('∂L/∂w = '))}",
        )
        lines.append(_cut([(text, None)], width))
    else:
        text = _fit(
            width,
            f"∂L/∂{cv.name} = {fmt(g, 6)}",
            f"∂L/∂w = {fmt(g, 6)}",
            f"∂L/∂w = {fmt_fit(g, width - len('∂L/∂w = '))}",
        )
        lines.append(_cut([(text, None)], width))
    if u is None:
        text = _fit(width, "last update: none yet (after the update unit)", "last update: none yet")
        lines.append(_cut([(text, "dim")], width))
    else:
        how = f"{cv.how}, " if cv.how else ""
        text = _fit(
            width,
            f"last update Δ = {fmt(u, 6)}   ({how}before: {fmt_exact(val - u)})",
            f"last Δ = {fmt(u, 5)} ({how}was {fmt(val - u, 6)})",
            f"last update Δ = {fmt(u, 6)}   (before: {fmt_exact(val - u)})",
            f"last Δ = {fmt(u, 5)} (was {fmt(val - u, 6)})",
            f"last Δ = {fmt(u, 6)}",
            f"last Δ = {fmt_fit(u, width - len('last Δ = '))}",
        )
        lines.append(_cut([(text, None)], width))
    return lines


def info_line(cv: CursorValues, width: int) -> list[Pieces]:
    """The cursor's weight, gradient and last update on one line (tight heights): all three
    with as many digits as fit, else the value and the gradient, else the value alone."""
    g = None if cv.g is None else cv.g + (cv.reg or 0.0)
    for parts in (3, 2):
        for dv, dg in ((8, 5), (6, 4), (4, 3)):
            text = f"{cv.name} = {fmt(cv.val, dv)}"
            rest = f"  ∂L/∂w = {fmt(g, dg)}" if g is not None else "  ∂L/∂w: not yet"
            if parts == 3 and cv.u is not None:
                rest += f"  last Δ = {fmt(cv.u, dg)}"
            if len(text) + len(rest) <= width:
                return [[(text, "bold"), (rest, None)]]
    head = f"{cv.name} = "
    return [_cut([(head + fmt_fit(cv.val, width - len(head)), "bold")], width)]
