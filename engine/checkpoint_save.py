"""Writing a checkpoint: a net's or a whole stepper's state in one atomically written .npz."""

from __future__ import annotations

import json
import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from .atomicfile import atomic_open
from .checkpoint import FORMAT, VERSION, CheckpointError
from .network import Network
from .optimizers import Optimizer

if TYPE_CHECKING:
    from .stepper import Stepper


def save_checkpoint(
    path: str | os.PathLike[str],
    source: Stepper | Network,
    metadata: dict[str, Any] | None = None,
    optimizer: Optimizer | None = None,
    step: int = 0,
    epoch: int = 0,
) -> None:
    """Write ``W0, b0, W1, b1, ...``, ``opt_*`` arrays and a JSON ``meta`` string to ``path``."""
    extra: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    if isinstance(source, Network):
        net, opt, batch_size = source, optimizer, None
    else:
        net, opt = source.net, source.opt
        step, epoch, batch_size = source.step, source.epoch, source.batch_size
        extra = _stepper_state(source, arrays)
    for i, layer in enumerate(net.layers):
        arrays[f"W{i}"] = layer.W
        arrays[f"b{i}"] = layer.b
    if opt is not None:
        for k, v in opt.state().items():
            arrays[f"opt_{k}"] = v
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "sizes": net.sizes,
        "activations": net.activations,
        "loss": net.loss_name,
        "reduction": net.reduction,
        "dtype": net.dtype.name,
        "optimizer": None if opt is None else {"name": opt.name, **opt.hyper()},
        "step": int(step),
        "epoch": int(epoch),
        "batch_size": batch_size,
        **extra,
        "user": metadata or {},
    }
    arrays["meta"] = np.array(json.dumps(meta))
    # a crash or a full disk mid-write leaves the old checkpoint, never a half-written one
    with atomic_open(path) as f:
        np.savez_compressed(f, allow_pickle=False, **arrays)


def _clean(x: object) -> float | None:
    # JSON has no NaN or Infinity
    if x is None or isinstance(x, bool) or not isinstance(x, int | float | np.floating):
        return None
    return float(x) if math.isfinite(x) else None


def _stepper_state(st: Stepper, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The version 2 part of a stepper's checkpoint: metadata returned, arrays added."""
    if not st.at_boundary:
        # the batch of the iteration in progress is drawn but not trained on: a file saved now
        # would skip it on resume
        raise CheckpointError("a checkpoint is taken between iterations; finish this one first")
    b = st.batcher.state()
    if b.perm is not None:
        arrays["batcher_perm"] = np.asarray(b.perm, dtype=np.int64)
    loss_x, loss_y = st.history.loss_curve()
    eval_x, eval_v = st.history.eval_curves()
    arrays["history_loss_step"], arrays["history_loss"] = loss_x, loss_y
    arrays["history_eval_step"], arrays["history_eval"] = eval_x, eval_v
    return {
        "batcher": b.to_json(),
        "counters": st.counters(),
        "settings": {
            "lr": st.lr,
            "batch_size": st.batch_size,
            "schedule": str(st.schedule),
            "batch_schedule": str(st.batch_schedule),
        },
        "last_eval": {k: _clean(v) for k, v in st.last_eval.items()},
        "last_eval_step": st.last_eval_step,
    }
