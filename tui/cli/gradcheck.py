"""`backprop-tui gradcheck`: backprop against central finite differences, and what each costs."""

from __future__ import annotations

import argparse

from .args import option_int
from .errors import fail


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", metavar="SCENARIO|PATH", help="a bundled name or a .toml file")
    p.add_argument("--batch", metavar="N", help="samples in the checked batch (default 32)")
    p.add_argument(
        "--max-params", metavar="N", help="check a seeded random subset of at most N parameters"
    )
    p.add_argument("--seed", metavar="N", help="seed for the batch and the subset (default 0)")


def run_gradcheck(args: argparse.Namespace) -> int:
    import numpy as np

    from engine import gradient_check
    from scenarios import ScenarioError, build, load_scenario

    try:
        batch = option_int("--batch", args.batch, 1) or 32
        max_params = option_int("--max-params", args.max_params, 1)
        seed = option_int("--seed", args.seed, 0) or 0
        scn = load_scenario(args.scenario)
        built = build(scn, undo_depth=0)
    except ScenarioError as exc:
        return fail(str(exc))
    except (ValueError, MemoryError) as exc:
        return fail(f"{args.scenario}: {exc}")
    st = built.stepper
    net = st.net
    rng = np.random.default_rng(seed)
    n = min(batch, st.X.shape[0])
    idx = rng.choice(st.X.shape[0], size=n, replace=False)
    rep = gradient_check(net, st.X[idx], st.y[idx], max_params=max_params, seed=seed)
    subset = "all" if rep.n_checked == rep.n_params else f"a random {rep.n_checked:,}"
    print(
        f"{scn.name}: {net.describe()}, batch {n}, {rep.n_params:,} parameters ({subset} checked), "
        f"central differences with eps {rep.eps:g}"
    )
    head = ("layer", "W checked", "max rel err W", "b checked", "max rel err b")
    print(f"{head[0]:<7}{head[1]:>10}{head[2]:>15}{head[3]:>11}{head[4]:>15}")
    for lc in rep.layers:
        print(
            f"L{lc.layer + 1:<6}{lc.checked_W:>10,}{lc.max_rel_error_W:>15.2e}"
            f"{lc.checked_b:>11,}{lc.max_rel_error_b:>15.2e}"
        )
    print(
        f"finite differences: {rep.fd_forward_passes:,} forward passes "
        f"(2 per parameter; one-sided differences would need P+1 = {rep.n_params + 1:,}, "
        f"less accurately), {rep.fd_seconds:.4f} s"
        + ("" if rep.n_checked == rep.n_params else
           f"; all {rep.n_params:,} would take about {rep.fd_seconds_all_params:.3f} s")
    )  # fmt: skip
    print(
        f"backprop:           1 forward + 1 backward pass for all {rep.n_params:,} derivatives, "
        f"{rep.backprop_seconds:.6f} s: about {rep.speedup:,.0f}x faster"
    )
    worst = rep.max_rel_error
    verdict = "agree" if worst <= 1e-6 else "DISAGREE"
    print(f"max relative error {worst:.2e}: backprop and finite differences {verdict}")
    return 0 if worst <= 1e-6 else 1
