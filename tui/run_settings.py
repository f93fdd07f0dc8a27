"""A run's hyperparameters: what a fork copies and what names a run among the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from .ladders import format_batch, format_lr

if TYPE_CHECKING:
    from engine import Optimizer, Stepper


def settings_of(st: Stepper) -> dict[str, object]:
    """The hyperparameters a fork copies and a label compares, held changes included."""
    pending = st.pending
    out: dict[str, object] = {
        "optimizer": st.opt.name,
        "lr": pending.get("lr", st.lr),
        "batch": pending.get("batch_size", st.batch_size),
    }
    for name in ("momentum", "l1", "l2"):
        if hasattr(st.opt, name):
            out[name] = pending.get(name, getattr(st.opt, name))
    schedule = pending.get("schedule", getattr(st, "schedule", None))
    if schedule is not None:
        out["schedule"] = schedule
    return out


def _format(key: str, value: object, n_train: int) -> str:
    if key == "lr":
        return f"lr {format_lr(float(value))}"  # type: ignore[arg-type]
    if key == "batch":
        return format_batch(value, n_train)  # type: ignore[arg-type]
    if key == "schedule":
        describe = getattr(value, "describe", None)
        return f"schedule {describe() if callable(describe) else value}"
    if isinstance(value, float):
        return f"{key} {value:g}"
    return f"{key} {value}"


def labels(configs: list[dict[str, object]], n_train: int) -> list[str]:
    """Each config named by the keys whose values differ between the configs ('lr 0.2')."""
    keys = [k for k in configs[0] if any(c.get(k) != configs[0][k] for c in configs[1:])]
    keys += [k for c in configs[1:] for k in c if k not in configs[0] and k not in keys]
    return [", ".join(_format(k, c[k], n_train) for k in keys if k in c) for c in configs]


def copy_settings(src: Stepper, dst: Stepper) -> None:
    """Give ``dst`` (a run at step 0) the hyperparameters ``src`` has now (held ones too)."""
    s = settings_of(src)
    # the optimiser first (the h form may have switched it): its kind and settings, zero state
    opt = cast("Optimizer", src.pending.get("optimizer", src.opt))
    dst.set_optimizer(type(opt)(**opt.hyper()))
    dst.set_lr(float(s["lr"]))  # type: ignore[arg-type]
    dst.set_batch_size(s["batch"])  # type: ignore[arg-type]
    if "momentum" in s and hasattr(dst.opt, "momentum"):
        dst.set_momentum(float(s["momentum"]))  # type: ignore[arg-type]
    dst.set_regularization(float(s.get("l1", 0.0)), float(s.get("l2", 0.0)))  # type: ignore[arg-type]
    set_schedule: Callable[[object], bool] | None = getattr(dst, "set_schedule", None)
    if "schedule" in s and set_schedule is not None:
        set_schedule(s["schedule"])
