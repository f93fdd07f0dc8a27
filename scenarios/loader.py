"""Find a scenario by name or path, read its TOML and validate it into a frozen Scenario."""

from __future__ import annotations

import codecs
import json
import math
import os
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from engine.activations import HIDDEN, OUTPUTS
from engine.checkpoint import FORMAT as CHECKPOINT_FORMAT
from engine.initializers import INITIALIZERS
from engine.losses import LOSSES, REDUCTIONS, VALID_PAIRS
from engine.network import DTYPES
from engine.schedules import ScheduleError, parse_batch_schedule, parse_schedule

from .datasets import GENERATORS
from .defaults import BUNDLED_DIR, DEFAULT_SCENARIO
from .files import read_bytes, regular_size
from .schema import DataSpec, NetworkSpec, Scenario, ScenarioError, TrainingSpec, printable
from .validate import TomlTable, check_batch_size, check_memory, show, suggest

MAX_FILE_BYTES = 1024 * 1024  # a scenario is a few hundred bytes; anything huge is a mistake
MAX_SAMPLES = 10_000_000
MAX_HIDDEN_LAYERS = 32

TOP_KEYS = ("name", "description", "look_for", "data", "network", "training")
DATA_KEYS = (
    "generator",
    "file",
    "target",
    "samples",
    "noise",
    "test_fraction",
    "seed",
    "standardize",
    "task",
)
NETWORK_KEYS = (
    "hidden",
    "activation",
    "output",
    "loss",
    "reduction",
    "init",
    "init_scale",
    "dtype",
)
TRAINING_KEYS = (
    "optimizer",
    "learning_rate",
    "momentum",
    "beta1",
    "beta2",
    "eps",
    "batch_size",
    "l1",
    "l2",
    "steps",
    "epochs",
    "eval_every",
    "seed",
    "schedule",
    "batch_schedule",
)
TASKS = ("classification", "regression")
DEFAULT_STEPS = 1000


def bundled_names() -> list[str]:
    """Names of the bundled scenarios, the default first, then alphabetical."""
    names = sorted(p.stem for p in BUNDLED_DIR.glob("*.toml"))
    if DEFAULT_SCENARIO in names:
        names.remove(DEFAULT_SCENARIO)
        names.insert(0, DEFAULT_SCENARIO)
    return names


def bundled_scenarios() -> list[Scenario]:
    return [load_scenario(name) for name in bundled_names()]


def resolve(spec: str) -> Path:
    """A bundled name or a path to a .toml file; anything else is an 'unknown scenario' error."""
    names = bundled_names()
    if spec in names:
        return BUNDLED_DIR / f"{spec}.toml"
    path = Path(spec)
    looks_like_path = os.sep in spec or "/" in spec or spec.endswith(".toml")
    if path.exists() or looks_like_path:
        return path
    raise ScenarioError(
        spec,
        "",
        f"unknown scenario{suggest(spec, names)}",
        f"a bundled name ({', '.join(names)}) or a path to a .toml file",
    )


def _checkpoint_meta(path: Path) -> dict[str, Any] | None:
    """The JSON ``meta`` of a backprop-tui checkpoint (engine/checkpoint.py's format), else None.

    Reads only the zip directory and the small ``meta`` entry, never the weights.
    """
    try:
        with zipfile.ZipFile(path) as z:
            if "meta.npy" not in z.namelist():
                return None
            info = z.getinfo("meta.npy")
            with z.open(info) as f:
                # the header's size, checked before read_array allocates what it claims
                if np.lib.format.read_magic(f) != (1, 0):
                    return None
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            if math.prod(shape) * dtype.itemsize > min(info.file_size, MAX_FILE_BYTES):
                return None
            with z.open(info) as f:
                arr = np.lib.format.read_array(f, allow_pickle=False)
        meta = json.loads(str(arr))
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, RecursionError, SyntaxError):
        return None
    if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
        return None
    return meta


def is_checkpoint(path: Path) -> bool:
    return _checkpoint_meta(path) is not None


def checkpoint_scenario(path: Path) -> str | None:
    """The scenario a checkpoint was trained on, as train --save recorded it."""
    user = (_checkpoint_meta(path) or {}).get("user")
    if not isinstance(user, dict):
        return None
    name, source = user.get("scenario"), user.get("source")
    if isinstance(name, str) and name in bundled_names():
        return name
    # a scenario file's name need not be a bundled one: its path is what train takes
    return source if isinstance(source, str) and source else None


def read_text(path: Path) -> str:
    """The file's text, or a one-line error for missing, directory, empty, binary or huge."""
    where = str(path)
    # by type and size first: a FIFO or /dev/zero is never opened, not even to look for a zip
    regular_size(path, where, "", "a scenario .toml file", missing="an existing .toml file")
    if path.suffix.lower() == ".npz" and is_checkpoint(path):
        # `train --save` wrote it: a trained state, not a problem to train; --open and --resume
        # take it
        name = checkpoint_scenario(path)
        raise ScenarioError(
            where,
            "",
            "a checkpoint (saved by train --save"
            + (f" from the scenario {name!r}" if name else "")
            + "), not a scenario",
            f"a scenario name or .toml file; `backprop-tui --open {path.name}` opens the "
            f"checkpoint in the app, `train --resume {path.name}` goes on training it"
            + (f" (train {name} runs that scenario again)" if name else ""),
        )
    if path.suffix.lower() in (".csv", ".npz"):
        # a data file given where a scenario is expected: say how to use it
        how = f'a scenario .toml whose [data] has file = "{path.name}"'
        if path.suffix.lower() == ".csv":
            how += ", or --data FILE.csv --target COLUMN"
        raise ScenarioError(
            where, "", f"a {path.suffix.lower()[1:]} data file, not a scenario", how
        )
    raw = read_bytes(path, where, MAX_FILE_BYTES, "a scenario TOML file")
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]  # Windows editors write one; TOML does not allow it
    if not raw.strip():
        raise ScenarioError(where, "", "the file is empty", "a scenario TOML file")
    if b"\0" in raw:
        raise ScenarioError(where, "", "binary data, not text", "a UTF-8 TOML file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            where, "", f"not UTF-8 text (byte {exc.start})", "a UTF-8 TOML file"
        ) from None


def load_scenario(spec: str | os.PathLike[str]) -> Scenario:
    """Load and validate a bundled scenario by name, or a scenario file by path."""
    path = Path(spec) if isinstance(spec, os.PathLike) else resolve(spec)
    text = read_text(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), "", f"TOML syntax error: {exc}", "") from None
    return parse(raw, str(path), default_name=path.stem, base_dir=path.parent)


def parse(raw: dict[str, Any], where: str, default_name: str, base_dir: Path) -> Scenario:
    """Validate a parsed TOML document; the first problem found is raised as a ScenarioError."""
    top = TomlTable(where, "", raw, TOP_KEYS)
    # escaped once here, so no message, listing or panel ever sends them raw to a terminal
    name = printable(top.string("name", default_name) or default_name)
    description = printable(top.string("description", "") or "")
    look_for = printable(top.string("look_for", "") or "", keep="\n")
    if not top.has("data"):
        raise ScenarioError(where, "data", "missing", "a [data] table with generator or file")
    data = _data(TomlTable(where, "data", top.table("data"), DATA_KEYS), base_dir)
    network = _network(TomlTable(where, "network", top.table("network"), NETWORK_KEYS), data)
    training = _training(TomlTable(where, "training", top.table("training"), TRAINING_KEYS))
    return Scenario(name, description, look_for, where, data, network, training)


def _data(t: TomlTable, base_dir: Path) -> DataSpec:
    generator = t.string("generator", None, tuple(GENERATORS))
    file = t.string("file", None)
    if (generator is None) == (file is None):
        key = "generator" if generator is None else "file"
        found = "neither" if generator is None else "both generator and file"
        raise t.error(key, f"found {found}", "exactly one of data.generator and data.file")
    path = None
    gen = GENERATORS.get(generator) if generator else None
    if file is not None:
        path = Path(file) if Path(file).is_absolute() else base_dir / file
        if path.suffix.lower() not in (".csv", ".npz"):
            raise t.error("file", f"found {show(file)}", "a .csv or .npz file")
        if path.is_dir():
            raise t.error("file", f"found {show(file)}, a directory ({path})", "a data file")
        if not path.exists():
            raise t.error("file", f"found {show(file)}, no such file ({path})", "an existing file")
        if not path.is_file():
            raise t.error("file", f"found {show(file)}, not a regular file ({path})", "a data file")
    sized = gen is not None and not gen.fixed  # samples and noise apply to random generators
    for key in ("samples", "noise"):
        if t.has(key) and not sized:
            what = f"{generator} is a fixed pattern set" if gen else "the file fixes the samples"
            raise t.error(key, f"found {show(t.raw[key])}", f"nothing here: {what}")
    target = t.string("target", None)
    if target is not None and (path is None or path.suffix.lower() != ".csv"):
        raise t.error("target", f"found {show(target)}", "only with a .csv data.file")
    if path is not None and path.suffix.lower() == ".csv" and target is None:
        raise t.error("target", "missing", "the name of the CSV column holding the target")
    samples = t.integer("samples", gen.samples, 2, MAX_SAMPLES) if sized and gen else 0
    noise = t.number("noise", gen.noise, 0.0, 10.0) if sized and gen else 0.0
    test_fraction = t.number("test_fraction", 0.0 if gen and gen.fixed else 0.2, 0.0, 0.9)
    seed = t.integer("seed", 0, 0, 2**63 - 1)
    standardize = t.boolean("standardize", file is not None)
    task = t.string("task", gen.task if gen else None, TASKS)
    if task is None:
        task = "classification"  # a file's default; regression data says task = "regression"
    return DataSpec(
        generator, path, target, samples or 0, noise, test_fraction, seed or 0, standardize, task
    )


def _network(t: TomlTable, data: DataSpec) -> NetworkSpec:
    hidden_raw = t.raw.get("hidden", [16])
    if not isinstance(hidden_raw, list) or len(hidden_raw) > MAX_HIDDEN_LAYERS:
        raise t.error(
            "hidden",
            f"found {show(hidden_raw)}",
            f"a list of at most {MAX_HIDDEN_LAYERS} layer sizes, e.g. [16, 16] (or [] for none)",
        )
    hidden = []
    for i, size in enumerate(hidden_raw):
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise t.error(f"hidden[{i}]", f"found {show(size)}", "an integer >= 1")
        hidden.append(size)
    classification = data.task == "classification"
    activation = t.string("activation", "relu", HIDDEN)
    output = t.string("output", "softmax" if classification else "linear", OUTPUTS)
    loss = t.string("loss", "cross_entropy" if classification else "mse", LOSSES)
    if (output, loss) not in VALID_PAIRS:
        pairs = ", ".join(f"{o} with {lo}" for o, lo in VALID_PAIRS)
        raise t.error("loss", f"found {loss} with output {output}", pairs)
    if loss == "cross_entropy" and not classification:
        raise t.error("loss", "found cross_entropy for regression data", "mse")
    reduction = t.string("reduction", "mean", REDUCTIONS)
    init = t.string("init", "auto", INITIALIZERS)
    init_scale = t.number("init_scale", 0.5, 0.0, 100.0, low_open=True)
    dtype = t.string("dtype", "float64", DTYPES)
    # Inputs and outputs are known only once the data is built; the hidden layers alone can
    # already be too big, and build() checks again with the real sizes.
    itemsize = 8 if dtype == "float64" else 4
    check_memory(t.where, t.path("hidden"), [1, *hidden, 1], itemsize, hidden)
    return NetworkSpec(tuple(hidden), activation, output, loss, reduction, init, init_scale, dtype)


def _training(t: TomlTable) -> TrainingSpec:
    optimizer = t.string("optimizer", "sgd", ("sgd", "adam"))
    lr = t.number("learning_rate", 0.1 if optimizer == "sgd" else 0.001, 0.0, low_open=True)
    momentum = t.number("momentum", 0.0, 0.0, 1.0, high_open=True)
    if optimizer == "adam" and t.has("momentum"):
        raise t.error("momentum", f"found {momentum:g} with adam", "beta1 and beta2 for adam")
    if optimizer == "sgd":
        for key in ("beta1", "beta2", "eps"):
            if t.has(key):
                raise t.error(key, f"found {show(t.raw[key])} with sgd", "only with adam")
    beta1 = t.number("beta1", 0.9, 0.0, 1.0, high_open=True)
    beta2 = t.number("beta2", 0.999, 0.0, 1.0, high_open=True)
    eps = t.number("eps", 1e-8, 0.0, 1.0, low_open=True)
    batch_size = check_batch_size(t.where, t.path("batch_size"), t.raw.get("batch_size", 32))
    l1 = t.number("l1", 0.0, 0.0)
    l2 = t.number("l2", 0.0, 0.0)
    if t.has("steps") and t.has("epochs"):
        raise t.error("epochs", "found both steps and epochs", "one of training.steps, .epochs")
    steps = t.integer("steps", None if t.has("epochs") else DEFAULT_STEPS, 1, 10**12)
    epochs = t.integer("epochs", None, 1, 10**9)
    eval_every = t.integer("eval_every", 100, 1, 10**12) or 100
    seed = t.integer("seed", 0, 0, 2**63 - 1) or 0
    schedule = t.string("schedule", "constant")
    try:
        schedule = str(parse_schedule(schedule))
    except ScheduleError as e:
        raise t.error("schedule", e.found, e.allowed) from None
    batch_schedule = t.string("batch_schedule", "constant")
    try:
        batch_schedule = str(parse_batch_schedule(batch_schedule))
    except ScheduleError as e:
        raise t.error("batch_schedule", e.found, e.allowed) from None
    return TrainingSpec(
        optimizer or "sgd",
        lr,
        momentum,
        beta1,
        beta2,
        eps,
        batch_size,
        l1,
        l2,
        steps,
        epochs,
        eval_every,
        seed,
        schedule,
        batch_schedule,
    )
