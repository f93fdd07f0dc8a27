"""Figures for the run ledger: append cost, a long run's size, concurrent writers, train's overhead.

python -m benchmarks.ledger            # all parts (about a minute)
python -m benchmarks.ledger --quick    # smaller
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from engine.ledger import Ledger

ROOT = Path(__file__).resolve().parent.parent


def append_cost(home: Path, appends: int) -> None:
    """One append per second of a train run: 128 batch-loss points, lr, one evaluation."""
    with Ledger.open(home) as led:
        rid = led.start_run("xor", {"training.lr": 0.1})
        times = []
        for k in range(appends):
            xs = np.arange(k * 100_000 + 1, (k + 1) * 100_000 + 1, 781)[:128]
            pts: dict[str, tuple[ArrayLike, ArrayLike]] = {
                "batch_loss": (xs, np.random.default_rng(k).random(xs.shape[0])),
                "lr": (xs, np.full(xs.shape[0], 0.1)),
                "train_loss": ([xs[-1]], [1.0 / (k + 1)]),
                "test_accuracy": ([xs[-1]], [0.9]),
            }
            t0 = time.perf_counter()
            led.append(rid, pts, steps=int(xs[-1]))
            times.append(time.perf_counter() - t0)
        curve = led.curve(rid)
    size = sum(f.stat().st_size for f in home.iterdir() if f.name.startswith("runs.sqlite"))
    ms = sorted(t * 1000 for t in times)
    print(
        f"append: {appends} appends of ~260 points (a run of {appends * 100_000:,} steps): "
        f"median {statistics.median(ms):.2f} ms, p95 {ms[int(0.95 * len(ms))]:.2f} ms, "
        f"max {ms[-1]:.2f} ms; batch_loss kept {curve['batch_loss'][0].shape[0]} points; "
        f"files {size / 1024:.0f} KiB"
    )


WRITER = """
import sys, time
from engine.ledger import Ledger
led = Ledger.open(sys.argv[1])
rid = led.start_run("xor", {})
t0 = time.perf_counter()
for k in range(int(sys.argv[2])):
    led.append(rid, {"batch_loss": ([k + 1], [1.0])}, steps=k + 1)
print(time.perf_counter() - t0)
"""


def concurrent(home: Path, writers: int, appends: int) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(home), str(appends)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for _ in range(writers)
    ]
    secs = [float(p.communicate()[0]) for p in procs]
    with Ledger.open(home) as led:
        got = sum(led.curve(r.id)["batch_loss"][0].shape[0] for r in led.runs(limit=writers))
    print(
        f"concurrent: {writers} writer processes x {appends} appends: "
        f"{writers * appends / max(secs):,.0f} appends/s together, {got:,} of "
        f"{writers * appends:,} points kept"
    )


def train_overhead(steps: int, repeats: int) -> None:
    """`train digits` with and without recording, alternated; best of ``repeats`` each."""
    env = {**os.environ, "BACKPROP_TUI_HOME": tempfile.mkdtemp()}
    rates: dict[str, list[float]] = {"recorded": [], "--no-record": []}
    for _ in range(repeats):
        for label in rates:
            argv = ["train", "digits", "--steps", str(steps), "--json"]
            if label == "--no-record":
                argv.append("--no-record")
            out = subprocess.run(
                [sys.executable, "-m", "tui.cli", *argv],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                check=True,
            ).stdout
            rates[label].append(json.loads(out.strip().splitlines()[-1])["steps_per_second"])
    best = {k: max(v) for k, v in rates.items()}
    print(
        f"train digits --steps {steps:,}: best of {repeats}: recorded {best['recorded']:,.0f} "
        f"steps/s, --no-record {best['--no-record']:,.0f} steps/s "
        f"({100 * (1 - best['recorded'] / best['--no-record']):+.1f}% cost)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as d:
        append_cost(Path(d), 30 if a.quick else 100)
    with tempfile.TemporaryDirectory() as d:
        concurrent(Path(d), 4, 50 if a.quick else 200)
    train_overhead(5_000 if a.quick else 20_000, 2 if a.quick else 3)


if __name__ == "__main__":
    main()
