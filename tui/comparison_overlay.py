"""A comparison's loss overlay, built: each run's curve, its gap to the first run, sharpness."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .comparison_run import MAX_RUNS
from .overlay import Overlay, OverlayCurve, pinned_slots
from .probe_settings import PROBES
from .run_settings import labels, settings_of

if TYPE_CHECKING:  # numpy loads after the first paint, not at import
    import numpy as np

    from .comparison_run import Run
    from .overlay import PinnedCurve

PLOT_POINTS = 200  # points per overlaid curve, as many as a single run's snapshot curve


def _sharpness(run: Run, focused: bool) -> tuple[np.ndarray, np.ndarray, float] | None:
    """The run's sharpness curve while it is measured (the focused run's snapshot measured
    it already; the others are measured here, each on its own warm-started meter)."""
    every = PROBES.sharpness_every
    if every is None:
        return None
    import numpy as np

    st = run.stepper
    if not focused:
        run.session.prober.observe(st, every)
    meter = run.session.prober.meter
    momentum = 0.0 if st.opt.name == "adam" else float(getattr(st.opt, "momentum", 0.0) or 0.0)
    lr = st.lr_in_force
    limit = 2.0 * (1.0 + momentum) / lr if lr > 0 else float("inf")  # see sharpness.py
    steps = np.asarray(meter.steps, dtype=np.int64)
    return steps, np.asarray(meter.values, dtype=np.float64), limit


def build_overlay(
    runs: list[Run], focus: int, pinned: tuple[PinnedCurve, ...], n_train: int
) -> Overlay | None:
    """Every run's loss curve (``runs[focus]`` focused) and the ``pinned`` ledger runs' for the
    loss panel, or None for a single run (drawn as before). The caller holds the comparison's
    lock, so all curves are of one moment."""
    if len(runs) + len(pinned) < 2:
        return None
    import numpy as np

    from engine.history import downsample

    names = labels([settings_of(r.stepper) for r in runs], n_train)
    raw = []
    for run in runs:
        x, y = run.stepper.history.loss_curve()
        raw.append((x.astype(np.float64) + 1, y))
    bx, by = raw[0]
    curves = []
    for k, (run, (x, y), name) in enumerate(zip(runs, raw, names, strict=True)):
        # the first run's loss at the same steps: exact while both keep every step (the
        # same batches: the difference is the hyperparameters' alone), interpolated in the
        # bucketed past of a long run
        if len(bx):
            base = np.interp(x, bx, by, left=np.nan, right=np.nan)
        else:
            base = np.full(len(x), np.nan)
        dx, dy = downsample(y, PLOT_POINTS, x)
        _, dd = downsample(y - base, PLOT_POINTS, x)
        st = run.stepper
        curves.append(
            OverlayCurve(
                run_id=run.id,
                slot=run.slot,
                label=name or f"run {run.id}",
                x=dx,
                y=dy,
                diff=dd,
                step=st.step,
                diverged=st.diverged is not None,
                focused=k == focus,
                sharpness=_sharpness(run, k == focus),
            )
        )
    free = pinned_slots([r.slot for r in runs], len(pinned))
    for k, (p, slot) in enumerate(zip(pinned, free, strict=False)):
        x = p.x.astype(np.float64)
        base = np.interp(x, bx, by, left=np.nan, right=np.nan) if len(bx) else x * np.nan
        dx, dy = downsample(p.y, PLOT_POINTS, x)
        _, dd = downsample(p.y - base, PLOT_POINTS, x)
        curves.append(
            OverlayCurve(
                run_id=MAX_RUNS + 1 + k,  # after the runs in the legend
                slot=slot,
                label=p.label,
                x=dx,
                y=dy,
                diff=dd,
                step=p.step,
                diverged=p.diverged,
                focused=False,
                ledger_id=p.ledger_id,
            )
        )
    focused = curves.pop(focus)
    curves.append(focused)  # drawn last: on top
    key = (
        tuple((r.id, r.stepper.version) for r in runs),
        tuple(names),
        runs[focus].id,
        tuple((p.ledger_id, p.step, len(p.x)) for p in pinned),
    )
    return Overlay(tuple(curves), runs[0].id, key)
