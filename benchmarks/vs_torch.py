"""PyTorch CPU against the engine's fast path and a bare numpy step, same configs, one thread.

Run from the repository root (needs `pip install torch`): python -m benchmarks.vs_torch [--quick]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # one BLAS thread; must happen before numpy/torch are imported

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks import engine_speed as eb  # noqa: E402


def torch_step_factory(cfg: eb.Config, dtype: str) -> Callable[[], float]:
    """The idiomatic PyTorch loop: nn.Sequential, CrossEntropyLoss, torch.optim.SGD."""
    import torch

    tdt = getattr(torch, dtype)
    net = eb.make_net(cfg, dtype)
    mods: list = []
    for i, layer in enumerate(net.layers):
        lin = torch.nn.Linear(layer.fan_in, layer.fan_out).to(tdt)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.W.T.copy()))
            lin.bias.copy_(torch.from_numpy(layer.b.copy()))
        mods.append(lin)
        if i < len(net.layers) - 1:
            mods.append(torch.nn.ReLU() if cfg.hidden == "relu" else torch.nn.Tanh())
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.SGD(model.parameters(), lr=eb.LR)
    lossf = torch.nn.CrossEntropyLoss()
    Xn, yn = eb.make_data(cfg, dtype)
    X, y = torch.from_numpy(Xn), torch.from_numpy(yn)
    nxt = eb.batches(Xn.shape[0], cfg.batch)

    def step() -> float:
        idx = torch.from_numpy(nxt())
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(X[idx]), y[idx])
        loss.backward()
        opt.step()
        return loss.item()

    return step


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--wall", action="store_true", help="wall clock instead of thread CPU time")
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("torch is not installed: pip install torch (CPU wheel) to run this comparison")
        return 0
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    blocks, block_s = (3, 0.05) if args.quick else (7, 0.25)
    clock = time.perf_counter if args.wall else time.thread_time
    print(
        f"torch {torch.__version__}, numpy {np.__version__}, 1 thread; median of {blocks} "
        f"interleaved blocks; {'wall' if args.wall else 'thread CPU'} us per iteration"
    )
    hdr = (
        f"{'config':28} {'dtype':7} {'bare numpy':>11} {'SGD.step':>11} {'torch':>11} "
        f"{'torch/bare':>10} {'torch/SGD.step':>14}"
    )
    print(hdr)
    print("-" * len(hdr))
    for cfg in eb.CONFIGS:
        for dtype in ("float64", "float32"):
            fs = {
                "bare": eb.bare_step_factory(cfg, dtype),
                "api": eb.api_step_factory(cfg, dtype),
                "torch": torch_step_factory(cfg, dtype),
            }
            reps = {}
            for k, f in fs.items():
                t0, w = time.perf_counter(), 0
                while w < 5 or time.perf_counter() - t0 < min(0.2, block_s):
                    f()
                    w += 1
                reps[k] = max(3, int(block_s * w / (time.perf_counter() - t0)))
            per: dict[str, list[float]] = {k: [] for k in fs}
            keys = list(fs)
            for b in range(blocks):
                for k in keys[b % 3 :] + keys[: b % 3]:
                    f, n = fs[k], reps[k]
                    t = clock()
                    for _ in range(n):
                        f()
                    per[k].append((clock() - t) / n)
            med = {k: statistics.median(v) for k, v in per.items()}
            tb = statistics.median(x / y for x, y in zip(per["torch"], per["bare"], strict=True))
            ta = statistics.median(x / y for x, y in zip(per["torch"], per["api"], strict=True))
            print(
                f"{cfg.name:28} {dtype:7} {med['bare'] * 1e6:11.1f} {med['api'] * 1e6:11.1f} "
                f"{med['torch'] * 1e6:11.1f} {tb:10.2f} {ta:14.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
