"""Reading a checkpoint: every size and field checked against the file first, one-line errors."""

from __future__ import annotations

import itertools
import json
import math
import os
import stat
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .checkpoint import FORMAT, VERSION, Checkpoint, CheckpointError, one_line
from .losses import Loss
from .network import Network
from .optimizers import OPTIMIZERS

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
            f"{p}: not a readable checkpoint (corrupt or truncated): {one_line(e)}"
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
        raise CheckpointError(f"{p}: bad metadata in 'meta': {one_line(e)}") from None
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
            raise CheckpointError(f"{p}: bad optimiser state: {one_line(e)}") from None
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
