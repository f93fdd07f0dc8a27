"""`train`'s diagnostics: the sharpness every N steps and the classifier's confusion matrix."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

from .args import option_int

if TYPE_CHECKING:  # numpy-free at import: args.py registers the option for a fast --help
    from engine import Stepper
    from engine.sharpness import SharpnessMeter


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sharpness-every",
        metavar="N",
        help="measure the sharpness (top Hessian eigenvalue, whole training set) every N steps",
    )


def json_float(x: float | None) -> float | None:
    """``x`` for a JSON line: JSON has no NaN or Infinity, so missing or non-finite is null."""
    return None if x is None or not math.isfinite(x) else float(x)


class Diagnostics:
    """What `train` measures beside the loss: ``every`` None means no sharpness.

    The training loop asks ``until_due`` to end its chunks on the measuring steps, calls
    ``observe`` after each chunk (a measurement when the step is due), and adds ``log_fields`` to
    each --log line and ``summary`` to the --json line.
    """

    def __init__(self, every: int | None, seed: int = 0) -> None:
        self.every = every
        self.meter: SharpnessMeter | None = None
        if every is not None:
            from engine.sharpness import SharpnessMeter

            self.meter = SharpnessMeter(seed=seed)

    @classmethod
    def from_args(cls, args: argparse.Namespace, seed: int = 0) -> Diagnostics:
        """From --sharpness-every (an integer >= 1); ScenarioError names the flag otherwise."""
        return cls(option_int("--sharpness-every", getattr(args, "sharpness_every", None), 1), seed)

    def until_due(self, step: int) -> int:
        """Steps from ``step`` to the next measurement (a large number when none is asked)."""
        if self.every is None:
            return 1 << 62
        return self.every - step % self.every

    def _measured_at(self, step: int) -> bool:
        return self.meter is not None and self.meter.steps[-1:] == [step]

    def observe(self, st: Stepper, final: bool = False) -> None:
        """Measure at a due step (or at the run's last step when ``final``), once per step."""
        if self.meter is None or self.every is None or self._measured_at(st.step):
            return
        if final or st.step % self.every == 0:
            self.meter.measure(st.net, st.X, st.y, st.step, l2=st.opt.l2)

    def log_fields(self) -> dict[str, Any]:
        """For a --log line: the last sharpness and the step it was measured at."""
        if self.meter is None:
            return {}
        last = self.meter.steps[-1] if self.meter.steps else None
        return {"sharpness": json_float(self.meter.last), "sharpness_step": last}

    def summary(self, st: Stepper, n_classes: int) -> dict[str, Any]:
        """For the --json line: sharpness and its curve, the confusion matrix (null when absent)."""
        out: dict[str, Any] = {"sharpness": None, "sharpness_curve": None}
        if self.meter is not None:
            out["sharpness"] = json_float(self.meter.last)
            out["sharpness_curve"] = [
                [s, json_float(v)] for s, v in zip(self.meter.steps, self.meter.values, strict=True)
            ]
        out.update(confusion_summary(st, n_classes))
        return out


def confusion_summary(st: Stepper, n_classes: int) -> dict[str, Any]:
    """confusion_matrix (rows true class, columns predicted) on the test set when there is one,
    else the training set; per_class_accuracy beside it; nulls for regression."""
    out: dict[str, Any] = {
        "confusion_matrix": None,
        "confusion_set": None,
        "per_class_accuracy": None,
    }
    if st.task != "classification" or n_classes < 2:
        return out
    from engine.confusion import network_confusion, per_class_accuracy

    has_test = st.X_test is not None and st.y_test is not None and len(st.X_test) > 0
    X, y = (st.X_test, st.y_test) if has_test else (st.X, st.y)
    assert X is not None and y is not None
    cm = network_confusion(st.net, X, y, n_classes)
    out["confusion_matrix"] = cm.tolist()
    out["confusion_set"] = "test" if has_test else "train"
    out["per_class_accuracy"] = [json_float(float(a)) for a in per_class_accuracy(cm)]
    return out
