"""The `h` form's values: prefilled from a run, each field parsed, and what applying them does."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # loaded with the first scenario, before the form can open
    from engine import Stepper
    from engine.schedules import Schedule
    from scenarios import Scenario

# the fields that keep the weights (applied to the run, held to the end of an iteration) and
# those that need new weights (a new run; the old one stays in the comparison)
KEEP_WEIGHTS = ("lr", "schedule", "batch", "optimizer", "momentum", "beta1", "beta2", "l1", "l2")
NEW_WEIGHTS = ("hidden", "activation", "init", "seed")
OPTIMIZERS = ("sgd", "adam")
MAX_HIDDEN_LAYERS = 32  # as scenarios/loader.py allows
MAX_SEED = 2**63 - 1
# with_changes' dotted keys -> the field that shows their error
_FIELD_OF_KEY = {
    "training.lr": "lr",
    "training.schedule": "schedule",
    "training.batch_size": "batch",
    "training.optimizer": "optimizer",
    "training.momentum": "momentum",
    "training.beta1": "beta1",
    "training.beta2": "beta2",
    "training.l1": "l1",
    "training.l2": "l2",
    "network.hidden": "hidden",
    "network.activation": "activation",
    "network.init": "init",
    "seed": "seed",
}

Plan = tuple[str, object]  # an engine command and its argument: ("set", {...}) or ("add", scn)


@dataclass(frozen=True)
class FormValues:
    """Every field as the form shows it (text); a run's values are exact (repr of floats)."""

    lr: str
    schedule: str
    batch: str
    optimizer: str
    momentum: str
    beta1: str
    beta2: str
    l1: str
    l2: str
    hidden: str
    activation: str
    init: str
    seed: str

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class FormErrors(ValueError):
    """Fields whose values cannot apply: field name -> one line saying why."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def number_text(x: float) -> str:
    """Exact and short: repr gives the shortest text that reads back as the same float."""
    return repr(float(x))


def current_values(st: Stepper, scenario: Scenario) -> FormValues:
    """The run's values now (held changes included), and its scenario's network and seed."""
    pending = st.pending
    opt = pending.get("optimizer", st.opt)
    schedule = pending.get("schedule", st.schedule)
    batch = pending.get("batch_size", st.batch_size)
    net = scenario.network
    return FormValues(
        lr=number_text(pending.get("lr", st.lr)),  # type: ignore[arg-type]
        schedule=str(schedule),
        batch="full" if batch is None else str(batch),
        optimizer=opt.name,  # type: ignore[attr-defined]
        momentum=number_text(pending.get("momentum", getattr(opt, "momentum", 0.0))),  # type: ignore[arg-type]
        beta1=number_text(getattr(opt, "beta1", 0.9)),
        beta2=number_text(getattr(opt, "beta2", 0.999)),
        l1=number_text(pending.get("l1", opt.l1)),  # type: ignore[arg-type, attr-defined]
        l2=number_text(pending.get("l2", opt.l2)),  # type: ignore[arg-type, attr-defined]
        hidden=", ".join(str(h) for h in net.hidden),
        activation=net.activation,
        init=net.init,
        seed=str(scenario.training.seed),
    )


# ---- parsing one field ---------------------------------------------------------------------


def _float(text: str, low: float, high: float | None = None, *, low_open: bool = False) -> float:
    try:
        x = float(text.strip())
    except ValueError:
        raise ValueError(f"not a number: {text.strip()!r}") from None
    lo = f"> {low:g}" if low_open else f">= {low:g}"
    hi = "" if high is None else f" and < {high:g}"
    if (
        not math.isfinite(x)
        or x < low
        or (low_open and x == low)
        or (high is not None and x >= high)
    ):
        raise ValueError(f"must be a finite number {lo}{hi}")
    return x


def _int(text: str, low: int, high: int) -> int:
    t = text.strip()
    if not (t.isascii() and t.isdigit()):
        raise ValueError(f"not a whole number >= {low}: {t!r}")
    v = int(t)
    if not low <= v <= high:
        raise ValueError(f"must be a whole number from {low} to {high:,}")
    return v


def parse_batch(text: str) -> int | None:
    """A batch size: a whole number >= 1, or full (None)."""
    if text.strip().lower() == "full":
        return None
    try:
        return _int(text, 1, 10**12)
    except ValueError:
        raise ValueError('a whole number >= 1, or "full"') from None


def parse_hidden(text: str) -> tuple[int, ...]:
    """Hidden layer sizes: '16, 16' or '16 16'; empty for none (a linear model)."""
    parts = text.replace(",", " ").split()
    if len(parts) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"at most {MAX_HIDDEN_LAYERS} layers")
    sizes = []
    for p in parts:
        if not (p.isascii() and p.isdigit()) or int(p) < 1:
            raise ValueError(f"layer sizes are whole numbers >= 1, e.g. 16, 16 (found {p!r})")
        sizes.append(int(p))
    return tuple(sizes)


def parse_field(name: str, text: str) -> object:
    """One field's value; ValueError (one line) if it cannot be that field's."""
    from engine.activations import HIDDEN
    from engine.initializers import INITIALIZERS
    from engine.schedules import ScheduleError, parse_schedule

    if name == "lr":
        return _float(text, 0.0, low_open=True)
    if name in ("momentum", "beta1", "beta2"):
        return _float(text, 0.0, 1.0)
    if name in ("l1", "l2"):
        return _float(text, 0.0)
    if name == "batch":
        return parse_batch(text)
    if name == "schedule":
        try:
            return parse_schedule(text)
        except ScheduleError as e:
            raise ValueError(str(e)) from None
    if name == "hidden":
        return parse_hidden(text)
    if name == "seed":
        return _int(text, 0, MAX_SEED)
    choices = {"optimizer": OPTIMIZERS, "activation": HIDDEN, "init": tuple(INITIALIZERS)}[name]
    if text not in choices:
        raise ValueError(f"one of {', '.join(choices)}")
    return text


# ---- what applying does ----------------------------------------------------------------------


def plan(
    current: FormValues, typed: FormValues, scenario: Scenario, eps: float = 1e-8
) -> Plan | None:
    """What applying ``typed`` to the run showing ``current`` does; None when nothing changed.

    Fields that keep the weights give ("set", {lr, batch_size, momentum, l1, l2, schedule,
    optimizer}) with only what changed (an Optimizer when the kind or Adam's betas change);
    a change of hidden sizes, activation, initialiser or seed gives ("add", scenario): a new
    run of the scenario with every field's value. Raises FormErrors naming each bad field
    (nothing applies then); ``eps`` is the Adam epsilon kept from the run.
    """
    now, new, errors = {}, {}, {}
    for name, text in typed.as_dict().items():
        try:
            new[name] = parse_field(name, text)
        except ValueError as e:
            errors[name] = str(e)
        now[name] = parse_field(name, getattr(current, name))
    adam = new.get("optimizer") == "adam"
    # a hidden field (momentum under adam, the betas under sgd) neither errs nor changes
    for name in ("beta1", "beta2") if not adam else ("momentum",):
        errors.pop(name, None)
        new[name] = now[name]
    if errors:
        raise FormErrors(errors)
    changed = {k for k in new if new[k] != now[k]}
    if not changed:
        return None
    if changed & set(NEW_WEIGHTS):
        return ("add", _new_scenario(scenario, new))
    return ("set", _settings(changed, new, eps))


def _settings(changed: set[str], new: dict[str, object], eps: float) -> dict[str, object]:
    from engine import SGD, Adam

    out: dict[str, object] = {}
    names = {"lr": "lr", "batch": "batch_size", "l1": "l1", "l2": "l2", "schedule": "schedule"}
    for field, key in names.items():
        if field in changed:
            out[key] = new[field]
    lr, l1, l2 = (float(new[k]) for k in ("lr", "l1", "l2"))  # type: ignore[arg-type]
    if new["optimizer"] == "adam":
        if changed & {"optimizer", "beta1", "beta2"}:
            b1, b2 = float(new["beta1"]), float(new["beta2"])  # type: ignore[arg-type]
            out["optimizer"] = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps, l1=l1, l2=l2)
    elif "optimizer" in changed:
        out["optimizer"] = SGD(lr=lr, momentum=float(new["momentum"]), l1=l1, l2=l2)  # type: ignore[arg-type]
    elif "momentum" in changed:
        out["momentum"] = new["momentum"]
    return out


def _new_scenario(scenario: Scenario, new: dict[str, object]) -> Scenario:
    """The scenario with every field's value; a ScenarioError becomes its field's error."""
    from scenarios import ScenarioError
    from scenarios.overrides import with_changes

    schedule: Schedule = new["schedule"]  # type: ignore[assignment]
    changes: dict[str, object] = {
        "training.lr": new["lr"],
        "training.schedule": str(schedule),
        "training.batch_size": new["batch"],
        "training.optimizer": new["optimizer"],
        "training.l1": new["l1"],
        "training.l2": new["l2"],
        "network.hidden": list(new["hidden"]),  # type: ignore[call-overload]
        "network.activation": new["activation"],
        "network.init": new["init"],
        "seed": new["seed"],
    }
    if new["optimizer"] == "adam":
        changes["training.beta1"] = new["beta1"]
        changes["training.beta2"] = new["beta2"]
    else:
        changes["training.momentum"] = new["momentum"]
    try:
        return with_changes(scenario, changes, where="the form")
    except ScenarioError as e:
        field = _FIELD_OF_KEY.get(e.key.split("[")[0], "hidden")
        raise FormErrors({field: f"{e.found}; allowed: {e.allowed}"}) from None
