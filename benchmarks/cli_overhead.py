"""Measure what `train` adds to the engine's fast path: evaluation, logging, progress (<= 10%).

Run from the repository root: python -m benchmarks.cli_overhead [NAME ...]
A quick look: python -m benchmarks.cli_overhead --repeats 1 --seconds 0.2 --samples 5 xor
"""

from __future__ import annotations

import os

# One BLAS thread, as in benchmarks/engine_speed.py: small matrices gain nothing from more.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from scenarios import build, bundled_names, load_scenario  # noqa: E402
from tui.cli import main  # noqa: E402
from tui.cli.progress import Progress  # noqa: E402
from tui.cli.train import JsonlLog, log_record  # noqa: E402


class FakeTTY(io.StringIO):
    """Captures output but claims to be a terminal, so the progress bar is drawn."""

    def isatty(self) -> bool:
        return True


def default_steps(name: str) -> int:
    scn = load_scenario(name)
    return scn.training.total_steps(build(scn).stepper.steps_per_epoch)


def bare_seconds(name: str, total: int) -> float:
    """The engine alone: one fast-path run of ``total`` steps, no evaluation in between."""
    st = build(load_scenario(name), undo_depth=0).stepper
    st.eval_every = total + 1  # never due inside the run
    st._eval_due = total + 1
    with np.errstate(all="ignore"):  # as in `train`, so both sides run the same numerics
        t0 = time.perf_counter()
        st.run(total)
        return time.perf_counter() - t0


def interval_overhead(name: str, samples: int) -> float:
    """One evaluation interval as `train` runs it (fast path, evaluation, log line, progress)
    against the same number of bare steps; the best of many short samples shrugs off load."""
    scn = load_scenario(name)
    st = build(scn, undo_depth=0).stepper
    k = scn.training.eval_every
    progress = Progress(FakeTTY(), 10**12, tty=True)
    with_eval, bare = [], []
    with tempfile.TemporaryDirectory() as tmp, np.errstate(all="ignore"):
        log = JsonlLog(Path(tmp) / "run.jsonl")
        st.run(k)  # warm up caches and the history arrays
        for _ in range(samples):
            st._eval_due = st.step + k  # due at the end of this interval, as in `train`
            t0 = time.perf_counter()
            st.run(k)
            log.write(log_record(st, st.last_eval, 0.0))
            progress.update(st.step, st.epoch, st.last_eval, 1.0, True)
            with_eval.append(time.perf_counter() - t0)
            st._eval_due = 2**62
            t0 = time.perf_counter()
            st.run(k)
            bare.append(time.perf_counter() - t0)
        log.close()
    return min(with_eval) / min(bare) - 1


def cli_seconds(name: str, total: int, tty: bool, log: bool) -> float:
    """`train NAME --json` at the defaults; its JSON `seconds` is the loop's wall time."""
    out = FakeTTY() if tty else io.StringIO()
    err = FakeTTY() if tty else io.StringIO()
    with tempfile.TemporaryDirectory() as tmp:
        argv = ["train", name, "--json", "--steps", str(total)]
        if log:
            argv += ["--log", str(Path(tmp) / "run.jsonl")]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    assert code == 0, err.getvalue()
    seconds: float = json.loads(out.getvalue().strip().splitlines()[-1])["seconds"]
    return seconds


def main_bench() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=5, help="best of N end-to-end runs")
    ap.add_argument("--seconds", type=float, default=1.0, help="length of one end-to-end run")
    ap.add_argument("--samples", type=int, default=40, help="best of N evaluation intervals")
    ap.add_argument("names", nargs="*", default=bundled_names())
    args = ap.parse_args()
    print(
        f"{'scenario':21} {'eval':>5} {'steps':>7} {'engine s':>9} {'train s':>8} "
        f"{'e2e':>7} {'+tty+log':>8} {'interval':>8}"
    )
    worst = 0.0
    for name in args.names:
        # The scenario's own schedule, repeated until one run takes about --seconds: evaluation
        # stays at its default interval, and a longer run times more steadily.
        steps = default_steps(name)
        steps *= max(1, math.ceil(args.seconds / bare_seconds(name, steps)))
        bares, plains, fulls = [], [], []
        for _ in range(args.repeats):  # interleaved, so a burst of load hits all three alike
            bares.append(bare_seconds(name, steps))
            plains.append(cli_seconds(name, steps, tty=False, log=False))
            fulls.append(cli_seconds(name, steps, tty=True, log=True))
        bare, plain, full = min(bares), min(plains), min(fulls)
        interval = interval_overhead(name, args.samples)
        worst = max(worst, interval)
        every = load_scenario(name).training.eval_every
        print(
            f"{name:21} {every:>5} {steps:>7,} {bare:>9.3f} {plain:>8.3f} "
            f"{plain / bare - 1:>+7.1%} {full / bare - 1:>+8.1%} {interval:>+8.1%}",
            flush=True,
        )
    print(
        "e2e: `train --json` loop wall time over the bare fast path (best of --repeats);\n"
        "+tty+log: the same with the progress bar drawn and --log written;\n"
        "interval: one evaluation interval with evaluation, log line and progress against the\n"
        f"same steps bare (best of --samples; robust to load). Largest interval overhead: "
        f"{worst:+.1%} (target <= +10%)"
    )


if __name__ == "__main__":
    main_bench()
