"""Full runs of every bundled scenario over several seeds: the figures in the README table.

Run from the repository root (minutes): python -m benchmarks.scenario_figures [NAME ...]
A quick look: python -m benchmarks.scenario_figures --seeds 1 --symmetry-seeds 1 \
    --encoder-seeds 1 xor
"""

from __future__ import annotations

import os

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # one BLAS thread; must happen before numpy is imported

import argparse  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from scenarios import build, bundled_names, load_scenario  # noqa: E402
from tui.numbers import percent  # noqa: E402


def pct(x: float | None) -> str:
    return percent(x, missing="-")


def span(runs: list[dict[str, Any]], key: str, fmt: Callable[[Any], str] = pct) -> str:
    """Seed 0's value, then the range over all seeds."""
    vals = [r[key] for r in runs]
    if vals[0] is None:
        return "-"
    return f"{fmt(vals[0])} ({fmt(min(vals))}-{fmt(max(vals))})"


def full_run(name: str, seed: int) -> dict[str, Any]:
    scn = load_scenario(name)
    b = build(scn, seed=seed, undo_depth=0)
    st = b.stepper
    total = scn.training.total_steps(st.steps_per_epoch)
    res = st.run(total)
    return {**st.evaluate(), "steps": st.step, "seconds": res.seconds, "built": b}


def table(names: list[str], seeds: int) -> None:
    print(f"{'scenario':21} {'steps':>7}  {'train acc':>17}  {'test acc':>17}  {'test loss':>19}")
    for name in names:
        runs = [full_run(name, s) for s in range(seeds)]
        loss = span(runs, "test_loss", lambda v: f"{v:.2g}")
        print(
            f"{name:21} {runs[0]['steps']:>7,}  {span(runs, 'train_accuracy'):>17}  "
            f"{span(runs, 'test_accuracy'):>17}  {loss:>19}",
            flush=True,
        )
    print(f"(value for seed 0, then min-max over seeds 0-{seeds - 1})")


def symmetry(seeds: int, limit: int) -> None:
    """Sweeps until every one of the 64 outputs is within 0.5 of its target, and the weights."""
    scn = load_scenario("symmetry-1986")
    solved, pattern = [], 0
    for seed in range(seeds):
        b = build(scn, seed=seed, undo_depth=0)
        st, X, Y = b.stepper, b.data.X_train, b.data.y_train
        at = None
        while st.step < limit:
            st.run(25)
            if np.abs(b.net.forward(X) - Y).max() < 0.5:
                at = st.step
                break
        if at is None:
            continue
        solved.append(at)
        st.run(limit - st.step)  # train on, as the scenario does, then look at the weights
        W = b.net.layers[0].W
        ok = True
        for h in range(W.shape[1]):
            w = W[:, h]
            mags = np.sort(np.abs(w[:3]))
            ok &= bool(np.abs(w + w[::-1]).max() < 0.05 * np.abs(w).max())
            ok &= bool(np.allclose(mags / mags[0], [1, 2, 4], rtol=0.1))
        pattern += ok
    q = np.percentile(solved, [25, 50, 75])
    print(
        f"symmetry-1986: solved by {len(solved)}/{seeds} seeds within {limit:,} sweeps; "
        f"sweeps to solve: median {q[1]:,.0f}, quartiles {q[0]:,.0f}-{q[2]:,.0f}, "
        f"fastest {min(solved):,}; anti-symmetric 1:2:4 weights in {pattern}/{len(solved)} solved"
    )


def encoder(seeds: int) -> None:
    """Distinct (8 different rounded codes) and near-binary (every unit within 0.25 of 0 or 1)."""
    good = 0
    for seed in range(seeds):
        r = full_run("encoder-8-3-8", seed)
        b = r["built"]
        h = b.net.forward_all(b.data.X_train)[1][0]
        distinct = len({tuple(c) for c in np.round(h).astype(int)}) == 8
        good += distinct and np.abs(h - np.round(h)).max() < 0.25
    print(f"encoder-8-3-8: distinct near-binary hidden codes in {good}/{seeds} seeds")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--symmetry-seeds", type=int, default=40)
    ap.add_argument("--encoder-seeds", type=int, default=20)
    ap.add_argument("names", nargs="*", default=bundled_names())
    args = ap.parse_args()
    table(args.names, args.seeds)
    symmetry(args.symmetry_seeds, load_scenario("symmetry-1986").training.steps or 20000)
    encoder(args.encoder_seeds)


if __name__ == "__main__":
    main()
