"""A scenario's resolved config as flat dotted keys: read it, change keys, label what differs."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .schema import Scenario, ScenarioError

# Dotted config keys that differ from "<section>.<field>" of the schema's dataclasses; the long
# form is accepted by with_changes too.
ALIASES = {"training.learning_rate": "training.lr", "training.seed": "seed"}
_FIELD_OF = {short: long for long, short in ALIASES.items()}

# The run's length and evaluation cadence: not a hyperparameter, never a curve label and not a
# column of the runs table (steps is one of its own).
LENGTH_KEYS = frozenset({"training.steps", "training.epochs", "training.eval_every"})

# What a running network cannot take without new weights: its shape, its functions, its
# initialisation, the data it learns from. Everything else (lr, batch size, momentum, l1, l2,
# the schedule, the optimiser and its betas: a switch keeps the weights and starts the new
# optimiser's state from zero) applies to the weights a run already has.
_NEW_WEIGHT_PREFIXES = ("data.",)
_NEW_WEIGHT_KEYS = frozenset(
    {
        "seed",
        "network.hidden",
        "network.activation",
        "network.output",
        "network.loss",
        "network.reduction",
        "network.init",
        "network.init_scale",
        "network.dtype",
    }
)

# Short names for curve labels and table headers.
_LABELS = {
    "training.lr": "lr",
    "training.batch_size": "batch",
    "training.optimizer": "opt",
    "training.momentum": "momentum",
    "training.schedule": "schedule",
    "training.batch_schedule": "batch schedule",
    "network.activation": "act",
    "network.hidden": "hidden",
    "seed": "seed",
}

_SECTIONS = ("data", "network", "training")


def _key(section: str, name: str) -> str:
    long = f"{section}.{name}"
    return ALIASES.get(long, long)


def _jsonable(key: str, value: object) -> object:
    if key == "training.batch_size" and value is None:
        return "full"
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def resolved_config(scenario: Scenario) -> dict[str, object]:
    """The scenario's full resolved config: JSON-able values under dotted keys, sorted."""
    out: dict[str, object] = {}
    for section in _SECTIONS:
        spec = getattr(scenario, section)
        for f in dataclasses.fields(spec):
            key = _key(section, f.name)
            out[key] = _jsonable(key, getattr(spec, f.name))
    return dict(sorted(out.items()))


def config_keys(scenario: Scenario) -> list[str]:
    """Every dotted key the scenario's config has (what with_changes accepts)."""
    return list(resolved_config(scenario))


def _canonical(key: str) -> str:
    return ALIASES.get(key, key)


def _field(key: str) -> tuple[str, str]:
    section, _, name = _FIELD_OF.get(key, key).partition(".")
    return section, name


def _toml_value(key: str, value: object) -> object:
    """A config value as the scenario TOML writes it (tuples as lists, paths as text)."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    if key == "training.batch_size" and value is None:
        return "full"
    return value


def _raw(
    texts: tuple[str, str, str], config: Mapping[str, object], changed: set[str]
) -> dict[str, Any]:
    """The TOML document that parses back into ``config``.

    Keys the loader refuses in combination are left out: momentum with adam, the betas and eps
    with sgd (unless ``changed`` holds them: then the loader says why not), steps beside epochs,
    samples and noise for fixed data or a file.
    """
    tables: dict[str, dict[str, Any]] = {s: {} for s in _SECTIONS}
    for key, value in config.items():
        section, name = _field(key)
        if key == "training.batch_size" and value is None:
            value = "full"  # None means the full batch here, not "left out"
        if section in tables and value is not None:
            tables[section][name] = _toml_value(key, value)
    t, d = tables["training"], tables["data"]
    if t.get("optimizer", "sgd") == "adam":
        if "training.momentum" not in changed:
            t.pop("momentum", None)
    else:
        for name in ("beta1", "beta2", "eps"):
            if f"training.{name}" not in changed:
                t.pop(name, None)
    if "steps" in t and "epochs" in t:
        t.pop("steps")  # with_changes set epochs, which clears steps (and the other way)
    if d.get("samples") == 0:  # a fixed pattern set or a file: the loader sets 0 and refuses
        d.pop("samples", None)  # the keys themselves
        d.pop("noise", None)
    name, description, look_for = texts
    return {"name": name, "description": description, "look_for": look_for, **tables}


def with_changes(
    scenario: Scenario, changes: Mapping[str, object], where: str | None = None
) -> Scenario:
    """A new validated Scenario with the dotted keys in ``changes`` set; ScenarioError if bad.

    Each value is checked exactly as the scenario file's own would be (the loader parses the
    changed document again), and an error names the dotted key given here. Setting
    ``training.steps`` clears ``training.epochs`` and the other way round. ``where`` starts an
    error's line (default: the scenario's file; the CLI passes "command line").
    """
    config = resolved_config(scenario)
    where = scenario.source if where is None else where
    known = set(config)
    changed: set[str] = set()  # what really changes: a whole config given back changes nothing
    for key, value in changes.items():
        k = _canonical(key)
        if k not in known:
            from .validate import suggest

            raise ScenarioError(
                where,
                key,
                f"unknown config key{suggest(k, sorted(known))}",
                ", ".join(sorted(known)),
            )
        if not _same(config[k], value):
            changed.add(k)
        config[k] = value
        if k == "training.steps" and value is not None:
            config["training.epochs"] = None
        if k == "training.epochs" and value is not None:
            config["training.steps"] = None
    from .loader import parse

    base = Path(scenario.source).parent
    given = {_canonical(k): k for k in changes}
    try:
        new = parse(
            _raw(_texts(scenario), config, changed),
            where,
            default_name=scenario.name,
            base_dir=base,
        )
    except ScenarioError as exc:
        key = _key(*exc.key.split(".", 1)) if "." in exc.key else exc.key
        shown = given.get(key, exc.key)
        raise ScenarioError(exc.where, shown, exc.found, exc.allowed) from None
    return dataclasses.replace(new, source=scenario.source)


def _texts(scenario: Scenario) -> tuple[str, str, str]:
    return scenario.name, scenario.description, scenario.look_for


def from_config(name: str, config: Mapping[str, object], where: str) -> Scenario:
    """The scenario a resolved config describes, rebuilt from the config alone (a ledger run, a
    checkpoint): no scenario file is read, so a run resumes even if its file changed or is gone.

    Keys the config lacks take the loader's defaults (a config from an older version); an
    unknown key or a bad value is a ScenarioError naming ``where`` and the key.
    """
    from .loader import DATA_KEYS, NETWORK_KEYS, TRAINING_KEYS, parse

    known = {_key("data", k) for k in DATA_KEYS} | {_key("network", k) for k in NETWORK_KEYS}
    known |= {_key("training", k) for k in TRAINING_KEYS}
    for key in config:
        if _canonical(key) not in known:
            from .validate import suggest

            raise ScenarioError(where, key, f"unknown config key{suggest(key, sorted(known))}", "")
    full = {_canonical(k): v for k, v in config.items()}
    try:
        return parse(
            _raw((name, "", ""), full, set()), where, default_name=name, base_dir=Path(".")
        )
    except ScenarioError as exc:
        key = _key(*exc.key.split(".", 1)) if "." in exc.key else exc.key
        raise ScenarioError(exc.where, key, exc.found, exc.allowed) from None


def differing_keys(
    configs: Sequence[Mapping[str, object]], ignore: frozenset[str] = LENGTH_KEYS
) -> list[str]:
    """The keys whose values are not all equal across ``configs`` (a key one lacks counts), sorted.

    The run's length keys are left out by default: the runs table shows steps of its own.
    """
    keys: set[str] = set()
    for c in configs:
        keys.update(c)
    missing = object()
    out = []
    for k in sorted(keys - ignore):
        values = [c.get(k, missing) for c in configs]
        if any(not _same(v, values[0]) for v in values[1:]):
            out.append(k)
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def label(key: str) -> str:
    """A key's short name for labels and table headers: "lr", "batch", "l2", "hidden"."""
    return _LABELS.get(key, key.rsplit(".", 1)[-1])


def format_value(value: object) -> str:
    """A config value as a label shows it: 0.2, 1e-05, 16,16, full, adam."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ",".join(format_value(v) for v in value) or "none"
    if value is None:
        return "-"
    return str(value)


def describe_difference(
    config: Mapping[str, object],
    base: Mapping[str, object],
    ignore: frozenset[str] = LENGTH_KEYS,
) -> str:
    """What ``config`` changes from ``base``, e.g. "lr 0.2" or "batch 32, momentum 0.9"; "" if
    nothing does. Keys are in label order: lr, batch, momentum first, then the rest sorted."""
    keys = differing_keys([config, base], ignore)
    first = list(_LABELS)
    keys.sort(key=lambda k: (first.index(k) if k in first else len(first), k))
    return ", ".join(f"{label(k)} {format_value(config.get(k))}" for k in keys)


def needs_new_weights(keys: Sequence[str] | set[str] | frozenset[str]) -> bool:
    """Whether changing these keys needs a network with new weights (a new run).

    Yes for the seed, the network's shape, functions and initialisation, and any data key; no for
    lr, batch size, momentum, l1, l2, schedule, optimiser and its betas, steps and evaluation.
    """
    for key in keys:
        k = _canonical(key)
        if k in _NEW_WEIGHT_KEYS or k.startswith(_NEW_WEIGHT_PREFIXES):
            return True
    return False
