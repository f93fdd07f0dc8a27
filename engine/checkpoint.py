"""Checkpoints: weights, optimiser state, counters and metadata in one atomically written .npz."""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .atomicfile import atomic_open
from .losses import Loss
from .network import Network
from .optimizers import OPTIMIZERS, Optimizer

if TYPE_CHECKING:
    from .stepper import Stepper

FORMAT = "backprop-tui-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit; the message names the file."""


@dataclass
class Checkpoint:
    net: Network
    optimizer: Optimizer | None
    step: int
    epoch: int
    batch_size: int | None
    metadata: dict[str, Any] = field(default_factory=dict)
    opt_state: dict[str, np.ndarray] = field(default_factory=dict)

    def restore_into(self, stepper: Stepper) -> None:
        """Load weights, optimiser state and counters into a stepper built for the same net."""
        if stepper.net.sizes != self.net.sizes or stepper.net.activations != self.net.activations:
            raise CheckpointError(
                f"checkpoint is a {'-'.join(map(str, self.net.sizes))} "
                f"{'/'.join(self.net.activations)} net; this one is "
                f"{'-'.join(map(str, stepper.net.sizes))} {'/'.join(stepper.net.activations)}"
            )
        stepper.reset()
        stepper.net.params[...] = self.net.params
        if self.opt_state:
            stepper.opt.load_state(self.opt_state)
        stepper.step = self.step
        stepper.touch()
        stepper.batcher.epoch = self.epoch


def save_checkpoint(
    path: str | os.PathLike[str],
    source: Stepper | Network,
    metadata: dict[str, Any] | None = None,
    optimizer: Optimizer | None = None,
    step: int = 0,
    epoch: int = 0,
) -> None:
    """Write ``W0, b0, W1, b1, ...``, ``opt_*`` arrays and a JSON ``meta`` string to ``path``."""
    if isinstance(source, Network):
        net, opt, batch_size = source, optimizer, None
    else:
        net, opt = source.net, source.opt
        step, epoch, batch_size = source.step, source.epoch, source.batch_size
    arrays: dict[str, np.ndarray] = {}
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
        "user": metadata or {},
    }
    arrays["meta"] = np.array(json.dumps(meta))
    # a crash or a full disk mid-write leaves the old checkpoint, never a half-written one
    with atomic_open(path) as f:
        np.savez_compressed(f, allow_pickle=False, **arrays)


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint; any corrupt, truncated or inconsistent file raises CheckpointError."""
    p = Path(path)
    if p.is_dir():
        raise CheckpointError(f"{p}: is a directory, not a checkpoint file")
    try:
        loaded = np.load(p, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            raise TypeError("a single .npy array, not an .npz archive")
        with loaded as z:
            data = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise CheckpointError(f"{p}: no such file") from None
    except (
        zipfile.BadZipFile,
        zlib.error,
        ValueError,
        OSError,
        EOFError,
        KeyError,
        TypeError,
    ) as e:
        raise CheckpointError(
            f"{p}: not a readable checkpoint (corrupt or truncated): {e}"
        ) from None
    if "meta" not in data:
        raise CheckpointError(f"{p}: not a backprop-tui checkpoint (no 'meta' entry)")
    try:
        meta = json.loads(str(data["meta"]))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
        if meta.get("format") != FORMAT:
            raise ValueError("wrong format tag")
        sizes = [int(s) for s in meta["sizes"]]
        acts = list(meta["activations"])
        loss = Loss(meta["loss"], acts[-1], meta["reduction"])
        net = Network(sizes, acts, loss, meta["dtype"])
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"{p}: bad metadata in 'meta': {e}") from None
    for i, layer in enumerate(net.layers):
        for name, target in ((f"W{i}", layer.W), (f"b{i}", layer.b)):
            if name not in data:
                raise CheckpointError(f"{p}: missing array '{name}'")
            arr = data[name]
            if arr.shape != target.shape:
                raise CheckpointError(
                    f"{p}: array '{name}' has shape {arr.shape}, expected {target.shape}"
                )
            if not np.all(np.isfinite(arr)):
                raise CheckpointError(f"{p}: array '{name}' holds non-finite values")
            target[...] = arr
    opt = None
    opt_state = {k[4:]: v for k, v in data.items() if k.startswith("opt_")}
    om = meta.get("optimizer")
    if om:
        try:
            cls = OPTIMIZERS[om["name"]]
            kwargs = {k: v for k, v in om.items() if k != "name"}
            opt = cls(**kwargs)
            opt.bind(net)
            if opt_state:
                for k, v in opt_state.items():
                    if v.ndim and v.shape != (net.n_params,):
                        raise ValueError(
                            f"'opt_{k}' has shape {v.shape}, expected ({net.n_params},)"
                        )
                opt.load_state(opt_state)
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"{p}: bad optimiser state: {e}") from None
    return Checkpoint(
        net,
        opt,
        int(meta.get("step", 0)),
        int(meta.get("epoch", 0)),
        meta.get("batch_size"),
        dict(meta.get("user", {})),
        opt_state,
    )
