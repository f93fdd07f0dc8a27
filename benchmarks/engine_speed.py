"""Engine speed: one SGD iteration, engine paths against a bare hand-written numpy step.

Run from the repository root: python -m benchmarks.engine_speed [--quick]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread; must happen before numpy is imported

import argparse  # noqa: E402
import importlib  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

from engine import SGD, Network, Stepper  # noqa: E402

LR = 0.01


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...]
    hidden: str
    batch: int

    @property
    def name(self) -> str:
        return f"{'-'.join(map(str, self.sizes))} {self.hidden} b{self.batch}"


CONFIGS = (
    Config((2, 8, 8, 2), "tanh", 10),
    Config((64, 32, 10), "relu", 32),
    Config((784, 128, 64, 10), "relu", 64),
    Config((784, 512, 512, 10), "relu", 256),
)


def limit_threads() -> str:
    """Pin BLAS to one thread (env vars above, plus threadpoolctl when it is installed)."""
    try:  # optional and untyped: looked up by name
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:
        return "env"
    threadpoolctl.threadpool_limits(1)
    return "env+threadpoolctl"


def make_data(cfg: Config, dtype: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = max(8 * cfg.batch, 512)
    X = rng.normal(size=(n, cfg.sizes[0])).astype(dtype)
    y = rng.integers(0, cfg.sizes[-1], size=n)
    return X, y


def make_net(cfg: Config, dtype: str) -> Network:
    return Network.from_sizes(list(cfg.sizes), hidden=cfg.hidden, seed=0, dtype=dtype)


def batches(n: int, bs: int, seed: int = 1) -> Callable[[], np.ndarray]:
    """Index arrays of a reshuffled-every-epoch walk, as the engine's Batcher does."""
    rng = np.random.default_rng(seed)
    perm, pos = rng.permutation(n), 0

    def nxt() -> np.ndarray:
        nonlocal perm, pos
        if pos >= n:
            perm, pos = rng.permutation(n), 0
        pos += bs
        return perm[pos - bs : pos]

    return nxt


# ---- the yardstick: a bare, hand-written, vectorised numpy SGD step --------------------------
def bare_step_factory(cfg: Config, dtype: str) -> Callable[[], float]:
    net = make_net(cfg, dtype)
    Ws = [layer.W.copy() for layer in net.layers]
    bs = [layer.b.copy() for layer in net.layers]
    X, y = make_data(cfg, dtype)
    nxt = batches(X.shape[0], cfg.batch)
    relu = cfg.hidden == "relu"
    L = len(Ws)

    def step() -> float:
        idx = nxt()
        a = X[idx]
        t = y[idx]
        acts = [a]
        for i in range(L - 1):
            z = a @ Ws[i]
            z += bs[i]
            a = np.maximum(z, 0) if relu else np.tanh(z)
            acts.append(a)
        z = a @ Ws[-1]
        z += bs[-1]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        n = z.shape[0]
        r = np.arange(n)
        loss = float(-np.log(p[r, t]).mean())
        d = p
        d[r, t] -= 1
        d /= n
        for i in range(L - 1, -1, -1):
            a_prev = acts[i]
            dW = a_prev.T @ d
            db = d.sum(axis=0)
            if i:
                d = d @ Ws[i].T
                if relu:
                    d *= a_prev > 0
                else:
                    d *= 1 - a_prev * a_prev
            dW *= LR
            Ws[i] -= dW
            db *= LR
            bs[i] -= db
        return loss

    return step


# ---- the engine ----------------------------------------------------------------------------
def api_step_factory(cfg: Config, dtype: str) -> Callable[[], float]:
    net = make_net(cfg, dtype)
    X, y = make_data(cfg, dtype)
    nxt = batches(X.shape[0], cfg.batch)
    opt = SGD(lr=LR)

    def step() -> float:
        idx = nxt()
        return opt.step(net, X[idx], y[idx])

    return step


def stepper(cfg: Config, dtype: str, undo_depth: int = 100) -> Stepper:
    net = make_net(cfg, dtype)
    X, y = make_data(cfg, dtype)
    # evaluation on the whole training set is not part of an iteration: push it out of the way
    return Stepper(
        net, SGD(lr=LR), X, y, batch_size=cfg.batch, seed=1, eval_every=10**9,
        undo_depth=undo_depth,
    )  # fmt: skip


def make_runner(kind: str, cfg: Config, dtype: str) -> Callable[[int], None]:
    """A function running k iterations of one method."""
    if kind in ("bare", "api"):
        f = bare_step_factory(cfg, dtype) if kind == "bare" else api_step_factory(cfg, dtype)

        def loop(k: int) -> None:
            for _ in range(k):
                f()

        return loop
    st = stepper(cfg, dtype, undo_depth=0 if kind == "run0" else 100)
    if kind in ("run", "run0"):

        def run(k: int) -> None:
            st.run(k)  # the fast path: k iterations in one call

        return run

    def units(k: int) -> None:
        for _ in range(k):
            st.step_iteration()  # unit by unit, all the per-unit bookkeeping

    return units


def measure(
    cfg: Config, dtype: str, blocks: int, block_seconds: float, clock: Callable[[], float]
) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds per iteration (median over blocks) and paired per-block ratios (median).

    The methods take turns block by block (in rotating order), so a load spike on a shared
    machine hits all of them alike and the paired ratios stay meaningful.
    """
    runners = {k: make_runner(k, cfg, dtype) for k in KINDS}
    reps = {}
    for k, run in runners.items():  # warm up and size the blocks
        run(2)
        t0, w = time.perf_counter(), 0
        while w < 3 or time.perf_counter() - t0 < min(0.2, block_seconds):
            run(1)
            w += 1
        reps[k] = max(3, int(block_seconds * w / (time.perf_counter() - t0)))
    per: dict[str, list[float]] = {k: [] for k in KINDS}
    for b in range(blocks):
        order = KINDS[b % len(KINDS) :] + KINDS[: b % len(KINDS)]
        for k in order:
            t = clock()
            runners[k](reps[k])
            per[k].append((clock() - t) / reps[k])
    med = {k: statistics.median(v) for k, v in per.items()}
    ratios = {
        name: statistics.median(x / y for x, y in zip(per[a], per[c], strict=True))
        for name, a, c in RATIOS
    }
    return med, ratios


KINDS = ("bare", "api", "run0", "run", "unit")
RATIOS = (
    ("api/bare", "api", "bare"),
    ("run0/bare", "run0", "bare"),
    ("run/bare", "run", "bare"),
    ("unit/run", "unit", "run"),
)
HEAD = {
    "bare": "bare numpy",
    "api": "SGD.step",
    "run0": "run no-undo",
    "run": "Stepper.run",
    "unit": "step_iteration",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer, shorter blocks (~10 s)")
    ap.add_argument("--blocks", type=int, default=None)
    ap.add_argument("--block-seconds", type=float, default=None)
    ap.add_argument("--dtype", choices=["float64", "float32", "both"], default="both")
    ap.add_argument("--config", type=int, action="append", help="index into CONFIGS")
    ap.add_argument(
        "--wall",
        action="store_true",
        help="time with the wall clock (default: this thread's CPU time, which a busy shared "
        "machine disturbs far less; with one BLAS thread all the work runs on this thread)",
    )
    args = ap.parse_args(argv)
    blocks = args.blocks or (3 if args.quick else 7)
    block_s = args.block_seconds or (0.05 if args.quick else 0.25)
    threads = limit_threads()
    clock = time.perf_counter if args.wall else time.thread_time
    dtypes = ("float64", "float32") if args.dtype == "both" else (args.dtype,)
    cfgs = [CONFIGS[i] for i in args.config] if args.config else list(CONFIGS)
    print(
        f"numpy {np.__version__}, python {sys.version.split()[0]}, 1 BLAS thread ({threads}); "
        f"median of {blocks} interleaved blocks of ~{block_s:g} s; "
        f"{'wall' if args.wall else 'thread CPU'} us per iteration"
    )
    hdr = (
        f"{'config':28} {'dtype':7} "
        + " ".join(f"{HEAD[k]:>14}" for k in KINDS)
        + "".join(f" {name:>9}" for name, _, _ in RATIOS)
    )
    print(hdr)
    print("-" * len(hdr))
    worst = {name: 0.0 for name, _, _ in RATIOS}
    for cfg in cfgs:
        for dtype in dtypes:
            t, r = measure(cfg, dtype, blocks, block_s, clock)
            for k, v in r.items():
                worst[k] = max(worst[k], v)
            print(
                f"{cfg.name:28} {dtype:7} "
                + " ".join(f"{t[k] * 1e6:14.1f}" for k in KINDS)
                + "".join(f" {v:9.2f}" for v in r.values())
                , flush=True,
            )  # fmt: skip
    print(
        f"worst ratios: SGD.step/bare {worst['api/bare']:.2f} (target <= 1.15), "
        f"Stepper.run(undo_depth=0)/bare {worst['run0/bare']:.2f}, "
        f"Stepper.run/bare {worst['run/bare']:.2f} (target <= 1.15), "
        f"unit-by-unit/Stepper.run {worst['unit/run']:.2f} (target <= 2)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
