"""Sweep speed: K models in one stack against K single runs, and 2 worker processes against 1.

Run from the repository root: python -m benchmarks.sweep [--quick]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread; must happen before numpy is imported

import argparse  # noqa: E402
import copy  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from engine.stacked import StackedTrainer, StackModel  # noqa: E402
from engine.sweep import SweepSetup, SweepTask, grid, plan, run_sweep  # noqa: E402
from scenarios import build, load_scenario  # noqa: E402
from tui.cli.sweep import _setup  # noqa: E402


def best_of(repeats: int, fn: Callable[[], object], cpu: bool = False) -> float:
    """The fastest of ``repeats`` wall times, or CPU times of this process with ``cpu`` (on a
    shared machine the CPU time of a one-process measurement is the less disturbed figure)."""
    clock = time.process_time if cpu else time.perf_counter
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def stacked_vs_single(name: str, k: int, steps: int, repeats: int) -> tuple[float, float]:
    """Seconds for k runs one after another on the Stepper's fast path (what `train` runs), and
    for the same k runs in one stack; both include the final whole-set evaluation."""
    scn = load_scenario(name)
    seeds = list(range(4))
    lrs = [scn.training.learning_rate * (1 + i / k) for i in range(k // len(seeds))]
    first = build(scn, undo_depth=0)
    setup: SweepSetup = _setup(scn, first, seeds)
    bs = scn.training.batch_size
    runs = grid(lrs, [bs], [scn.training.momentum], [scn.training.l2], seeds)

    def singles() -> None:
        for r in runs:
            st = build(scn, seed=r.seed, undo_depth=0).stepper
            st.set_lr(r.lr)
            st.run(steps)
            st.evaluate()

    def stack() -> None:
        models = [
            StackModel(
                setup.initial[r.seed], copy.deepcopy(setup.batch_rngs[r.seed]), r.lr, r.momentum
            )
            for r in runs
        ]
        template = setup.net.build()
        tr = StackedTrainer(template, models, setup.X, setup.y, bs, X_test=setup.X_test)
        tr.run(steps)
        for i, res in enumerate(tr.finish()):
            tr.evaluate(res, i)

    build_s = best_of(repeats, lambda: [build(scn, seed=r.seed, undo_depth=0) for r in runs], True)
    return best_of(repeats, singles, True) - build_s, best_of(repeats, stack, True)


def per_model_step(
    sizes: list[int], hidden: str, batch: int, ks: list[int], steps: int, repeats: int
) -> tuple[float, list[float]]:
    """CPU microseconds per model-step: the Stepper's fast path (one model), stacks of each k."""
    import numpy as np

    from engine import SGD, Network, Stepper

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, sizes[0]))
    y = rng.integers(0, sizes[-1], size=200)
    net = Network.from_sizes(sizes, hidden=hidden, seed=0)

    def single() -> None:
        st = Stepper(net, SGD(0.01, 0.9), X, y, batch_size=batch, seed=1, undo_depth=0)
        st.run(steps)

    def stack(k: int) -> Callable[[], None]:
        def go() -> None:
            models = [
                StackModel(net.params.copy(), np.random.default_rng(i), 0.01 * (1 + i / k), 0.9)
                for i in range(k)
            ]
            StackedTrainer(net, models, X, y, batch).run(steps)

        return go

    one = best_of(repeats, single, True) / steps * 1e6
    many = [best_of(repeats, stack(k), True) / (steps * k) * 1e6 for k in ks]
    return one, many


def workers(steps: int, repeats: int) -> tuple[float, float, float, float]:
    """Wall seconds of one sweep (xor, 2 batch sizes x 32 models) with 1 and with 2 workers, and
    the CPU seconds each spent over all its processes (a busy machine stretches the wall time of
    two workers; their CPU time says whether the work itself was split without overhead)."""
    import resource

    scn = load_scenario("xor")
    seeds = list(range(4))
    setup = _setup(scn, build(scn, undo_depth=0), seeds)
    runs = grid([0.01 * (i + 1) for i in range(8)], [5, 10], [0.9], [0.0], seeds)
    tasks: list[SweepTask] = plan(runs, lambda bs: steps, 2)

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # reaped workers
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    c0 = cpu()
    one = best_of(repeats, lambda: run_sweep(setup, tasks, 1))
    c1 = cpu()
    two = best_of(repeats, lambda: run_sweep(setup, tasks, 2))
    c2 = cpu()
    return one, two, (c1 - c0) / repeats, (c2 - c1) / repeats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter runs, one repeat")
    args = ap.parse_args()
    repeats = 1 if args.quick else 3
    scale = 0.25 if args.quick else 1.0
    print(
        f"one BLAS thread, float64, best of {repeats}; stack vs single: CPU seconds of this "
        f"process; workers: wall seconds; pid {os.getpid()}"
    )
    for name, k, steps, target in (("xor", 64, 1000, 8.0), ("digits", 16, 300, 2.0)):
        n = max(20, int(steps * scale))
        single, stacked = stacked_vs_single(name, k, n, repeats)
        print(
            f"{name}: {k} models x {n} steps: one at a time {single:.3f} s, one stack "
            f"{stacked:.3f} s: {single / stacked:.1f}x per-model throughput (target >= {target:g}x)"
        )
    n = max(100, int(1000 * scale))
    for sizes, hidden, batch in (([2, 8, 8, 2], "tanh", 10), ([64, 32, 10], "relu", 32)):
        ks = [4, 16, 64]
        one, many = per_model_step(sizes, hidden, batch, ks, n, repeats)
        parts = [f"K={k} {m:.1f} us ({one / m:.1f}x)" for k, m in zip(ks, many, strict=True)]
        arch = "-".join(map(str, sizes))
        print(
            f"{arch} {hidden} b{batch}: one model {one:.1f} us/step; per model " + ", ".join(parts)
        )
    n = max(500, int(4000 * scale))
    one, two, cpu_one, cpu_two = workers(n, repeats)
    print(
        f"workers: xor 2 stacks x 32 models x {n} steps: 1 worker {one:.2f} s, 2 workers "
        f"{two:.2f} s: {one / two:.2f}x (target >= 1.7x; includes starting the processes); "
        f"CPU over all processes {cpu_one:.2f} s and {cpu_two:.2f} s a sweep"
    )


if __name__ == "__main__":
    main()
