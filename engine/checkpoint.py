"""Checkpoints: weights, optimiser state, counters and metadata in one atomically written .npz."""

from __future__ import annotations

import itertools
import json
import math
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .atomicfile import atomic_open
from .data import BatcherState
from .losses import Loss
from .network import Network
from .optimizers import OPTIMIZERS, Optimizer

if TYPE_CHECKING:
    from .schedules import BatchSchedule, Schedule
    from .stepper import Stepper

FORMAT = "backprop-tui-checkpoint"
# 2: the batch order (RNG state, permutation, position), the Stepper's counters, its settings
# (base lr, batch size, schedule), the last evaluation and the history's curves, so a run resumes
# bit for bit. Version 1 files still load (weights, optimiser state, step, epoch). The settings'
# batch schedule came later within version 2: a file without it keeps the stepper's.
VERSION = 2


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
    version: int = VERSION
    # version 2: what resuming bit for bit needs (None / empty in a version 1 file)
    batcher: dict[str, Any] | None = None  # BatcherState.to_json()
    perm: np.ndarray | None = None  # the batch order of the epoch in progress
    counters: dict[str, int] = field(default_factory=dict)  # Stepper.counters()
    # base lr, batch size, the lr and batch schedules' texts
    settings: dict[str, Any] = field(default_factory=dict)
    last_eval: dict[str, float | None] = field(default_factory=dict)
    last_eval_step: int | None = None
    # the history's curves: loss (iteration index, batch loss), evals (step, 4 figures)
    history: dict[str, np.ndarray] = field(default_factory=dict)

    def restore_into(self, stepper: Stepper) -> None:
        """Load weights, optimiser state, settings, batch order and counters into a stepper built
        for the same net and data; it then goes on exactly as the saved one would have.

        The stepper's initial weights stay its own (what reset goes back to). A version 1
        checkpoint has no batch order: the next batches are drawn afresh. CheckpointError when
        the net or the training set does not fit.
        """
        if stepper.net.sizes != self.net.sizes or stepper.net.activations != self.net.activations:
            raise CheckpointError(
                f"checkpoint is a {'-'.join(map(str, self.net.sizes))} "
                f"{'/'.join(self.net.activations)} net; this one is "
                f"{'-'.join(map(str, stepper.net.sizes))} {'/'.join(stepper.net.activations)}"
            )
        batcher = None
        if self.batcher is not None:
            try:
                batcher = BatcherState.from_json(self.batcher, self.perm, stepper.batcher.n)
                # tried on a spare generator first: a bad state must not leave a half-restored run
                type(stepper.batcher.rng.bit_generator)().state = batcher.rng_state
            except (ValueError, KeyError, TypeError) as e:
                raise CheckpointError(f"checkpoint's batch order does not fit: {_one(e)}") from None
        schedule = None
        if "schedule" in self.settings:
            from .schedules import parse_schedule

            try:
                schedule = parse_schedule(self.settings["schedule"])
            except ValueError as e:
                raise CheckpointError(f"checkpoint's lr schedule: {_one(e)}") from None
        batch_schedule = None
        if "batch_schedule" in self.settings:
            from .schedules import parse_batch_schedule

            try:
                batch_schedule = parse_batch_schedule(self.settings["batch_schedule"])
            except ValueError as e:
                raise CheckpointError(f"checkpoint's batch schedule: {_one(e)}") from None
        stepper.reset()
        stepper.net.params[...] = self.net.params
        if self.optimizer is not None and type(self.optimizer) is not type(stepper.opt):
            stepper.set_optimizer(self.optimizer)  # the run switched optimiser on the way
        elif self.optimizer is not None:
            for name, value in self.optimizer.hyper().items():
                if name != "lr":  # the base lr is a setting below; opt.lr is the one in force
                    setattr(stepper.opt, name, value)
        if self.opt_state:
            stepper.opt.load_state(self.opt_state)
        stepper.step = self.step
        # the batch order first: the batch in force follows the schedule from the epochs done
        if batcher is not None:
            stepper.batcher.load_state(batcher)
        else:
            stepper.batcher.epoch = self.epoch
        self._restore_settings(stepper, schedule, batch_schedule)
        # the next evaluation: saved, or the first multiple of eval_every after the step
        every = stepper.eval_every
        counters = {"eval_due": (self.step // every + 1) * every, "above": 0, "streak": 0}
        counters["rewind"] = 0
        counters.update(self.counters)
        stepper.load_counters(counters)
        if self.last_eval:
            stepper.last_eval = dict(self.last_eval)
            stepper.last_eval_step = self.last_eval_step
        stepper.touch()

    def _restore_settings(
        self, stepper: Stepper, schedule: Schedule | None, batch_schedule: BatchSchedule | None
    ) -> None:
        s = self.settings
        if batch_schedule is not None:
            stepper.set_batch_schedule(batch_schedule)
        if "batch_size" in s:
            stepper.set_batch_size(s["batch_size"])
        elif self.batch_size is not None:
            stepper.set_batch_size(self.batch_size)
        if schedule is not None:
            stepper.set_schedule(schedule)
        if "lr" in s:
            stepper.set_lr(s["lr"])  # after the step: the lr in force follows the schedule
        elif self.optimizer is not None:
            stepper.set_lr(self.optimizer.lr)


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


# A checkpoint's arrays together; far above any net the scenarios allow (2 GiB of parameters with
# their optimiser state), so only a hostile or broken file reaches it.
MAX_CHECKPOINT_BYTES = 4 * 1024**3
# Everything a malformed file can make numpy, json, zipfile or a constructor raise.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    ValueError,
    OSError,
    EOFError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
    MemoryError,
    SyntaxError,
)


def _check_entries(p: Path) -> None:
    """Refuse a file that is not a regular one, or whose arrays would be absurd, before reading.

    The sizes the zip directory and each .npy header claim are read without decompressing the
    data: a zip bomb or a header claiming 10^12 elements never allocates anything.
    """
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise CheckpointError(f"{p}: no such file") from None
    if stat.S_ISDIR(st.st_mode):
        raise CheckpointError(f"{p}: is a directory, not a checkpoint file")
    if not stat.S_ISREG(st.st_mode):
        raise CheckpointError(f"{p}: not a regular file (a FIFO or a device), not a checkpoint")
    total = 0
    with open(p, "rb") as f:
        if f.read(6) == b"\x93NUMPY":
            raise TypeError("a single .npy array, not an .npz archive")
    with zipfile.ZipFile(p) as z:
        for info in z.infolist():
            with z.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise ValueError(f"{info.filename}: .npy version {version}")
            need = math.prod(shape) * dtype.itemsize
            if need > info.file_size:
                raise ValueError(
                    f"{info.filename}: header claims shape {shape} in {info.file_size:,} bytes"
                )
            total += need
    if total > MAX_CHECKPOINT_BYTES:
        raise ValueError(f"arrays of {total:,} bytes, more than {MAX_CHECKPOINT_BYTES:,}")


class _ArrayError(Exception):
    """An array that does not fit the metadata's sizes: reported as it is, not as bad metadata."""


def _count(meta: dict[str, Any], key: str, low: int, default: int | None) -> int | None:
    """An integer counter from the metadata (not a bool, not a float), at least ``low``."""
    value = meta.get(key, default)
    if value is None and default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"'{key}' is {value!r}, expected an integer >= {low}")
    return value


def _sizes(meta: dict[str, Any], data: dict[str, np.ndarray]) -> list[int]:
    """The layer sizes, each one checked against the arrays actually in the file.

    A Network is allocated from these sizes; trusting them alone would let a 20-byte ``meta`` of
    [10^6, 10^6] ask for 8 TB.
    """
    raw = meta["sizes"]
    if not isinstance(raw, list) or len(raw) < 2:
        raise ValueError(f"'sizes' is {raw!r}, expected a list of at least 2 layer sizes")
    sizes = []
    for s in raw:
        if isinstance(s, bool) or not isinstance(s, int) or s < 1:
            raise ValueError(f"'sizes' holds {s!r}, expected integers >= 1")
        sizes.append(s)
    for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
        for name, shape in ((f"W{i}", (fan_in, fan_out)), (f"b{i}", (fan_out,))):
            if name not in data:
                raise _ArrayError(f"missing array '{name}'")
            if data[name].shape != shape:
                raise _ArrayError(f"array '{name}' has shape {data[name].shape}, expected {shape}")
    return sizes


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint; any corrupt, truncated or inconsistent file raises CheckpointError.

    Every failure is a CheckpointError with a one-line message naming the file; nothing is
    allocated from a size the file claims before that size is checked against its contents.
    """
    p = Path(path)
    try:
        _check_entries(p)
        with np.load(p, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except CheckpointError:
        raise
    except _READ_ERRORS as e:
        raise CheckpointError(
            f"{p}: not a readable checkpoint (corrupt or truncated): {_one(e)}"
        ) from None
    if "meta" not in data:
        raise CheckpointError(f"{p}: not a backprop-tui checkpoint (no 'meta' entry)")
    try:
        if data["meta"].shape != () or data["meta"].dtype.kind != "U":
            raise ValueError("'meta' is not one JSON string")
        meta = json.loads(str(data["meta"]))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
        if meta.get("format") != FORMAT:
            raise ValueError("wrong format tag")
        sizes = _sizes(meta, data)
        acts = list(meta["activations"])
        if len(acts) != len(sizes) - 1 or not all(isinstance(a, str) for a in acts):
            raise ValueError(f"'activations' {acts!r} do not fit 'sizes' {sizes}")
        loss = Loss(meta["loss"], acts[-1], meta["reduction"])
        net = Network(sizes, acts, loss, meta["dtype"])
        step = _count(meta, "step", 0, 0)
        epoch = _count(meta, "epoch", 0, 0)
        batch_size = _count(meta, "batch_size", 1, None)
        user = meta.get("user", {})
        if not isinstance(user, dict):
            raise ValueError(f"'user' is {user!r}, expected a JSON object")
        version = _count(meta, "version", 1, 1)
        assert version is not None
        if version > VERSION:
            raise _ArrayError(
                f"written by a newer backprop-tui (checkpoint version {version}; this one reads "
                f"up to {VERSION})"
            )
        resume = _resume_part(meta, data)
    except _ArrayError as e:
        raise CheckpointError(f"{p}: {e}") from None
    except _READ_ERRORS as e:
        raise CheckpointError(f"{p}: bad metadata in 'meta': {_one(e)}") from None
    for i, layer in enumerate(net.layers):
        for name, target in ((f"W{i}", layer.W), (f"b{i}", layer.b)):
            arr = data[name]
            if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)):
                raise CheckpointError(f"{p}: array '{name}' holds non-finite or non-numeric values")
            target[...] = arr
    opt = None
    opt_state = {k[4:]: v for k, v in data.items() if k.startswith("opt_")}
    om = meta.get("optimizer")
    if om:
        try:
            if not isinstance(om, dict):
                raise ValueError(f"'optimizer' is {om!r}, expected a JSON object")
            cls = OPTIMIZERS[om["name"]]
            kwargs = {k: v for k, v in om.items() if k != "name"}
            opt = cls(**kwargs)
            opt.bind(net)
            if opt_state:
                for k, v in opt_state.items():
                    if v.dtype.kind not in "iuf":
                        raise ValueError(f"'opt_{k}' has dtype {v.dtype}, expected numbers")
                    if v.ndim and v.shape != (net.n_params,):
                        raise ValueError(
                            f"'opt_{k}' has shape {v.shape}, expected ({net.n_params},)"
                        )
                opt.load_state(opt_state)
        except _READ_ERRORS as e:
            raise CheckpointError(f"{p}: bad optimiser state: {_one(e)}") from None
    assert step is not None and epoch is not None  # defaults given: never None
    return Checkpoint(net, opt, step, epoch, batch_size, dict(user), opt_state, version, **resume)


def _resume_part(meta: dict[str, Any], data: dict[str, np.ndarray]) -> dict[str, Any]:
    """Version 2's resume fields, each checked for its type (a ValueError names the key)."""
    out: dict[str, Any] = {}
    batcher = meta.get("batcher")
    if batcher is not None:
        if not isinstance(batcher, dict):
            raise ValueError(f"'batcher' is {batcher!r:.60}, expected a JSON object")
        out["batcher"] = batcher
        out["perm"] = data.get("batcher_perm")
    for key in ("counters", "settings", "last_eval"):
        value = meta.get(key, {})
        if not isinstance(value, dict):
            raise ValueError(f"'{key}' is {value!r:.60}, expected a JSON object")
        out[key] = value
    for key, value in out["counters"].items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"'counters.{key}' is {value!r}, expected an integer >= 0")
    settings = out["settings"]
    lr = settings.get("lr", 1.0)
    if isinstance(lr, bool) or not isinstance(lr, int | float) or not (0 < lr < math.inf):
        raise ValueError(f"'settings.lr' is {lr!r}, expected a number > 0")
    _count(settings, "batch_size", 1, None)
    out["last_eval_step"] = _count(meta, "last_eval_step", 0, None)
    out["history"] = {
        k[len("history_") :]: v
        for k, v in data.items()
        if k.startswith("history_") and v.dtype.kind in "iuf"
    }
    return out


def _one(e: BaseException) -> str:
    """An exception as one line: numpy's and json's messages may span several."""
    text = " ".join(str(e).split()) or type(e).__name__
    return text if isinstance(e, ValueError | OSError) else f"{type(e).__name__}: {text}"
