"""Changing a Stepper's hyperparameters: at once at an iteration boundary, else held until then."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .data import check_batch_size
from .optimizers import HYPER_CHECKS

if TYPE_CHECKING:
    from .stepper import Stepper


def validate(name: str, value: float) -> float:
    """``value`` checked for hyperparameter ``name`` (ValueError if out of range)."""
    return HYPER_CHECKS[name](name, value)


def set_hyper(st: Stepper, name: str, value: object) -> bool:
    """Apply now at an iteration boundary, else hold until the next iteration; True if now."""
    st.touch()
    if st.at_boundary:
        apply(st, name, value)
        st.pending.pop(name, None)
        return True
    st.pending[name] = value
    return False


def apply(st: Stepper, name: str, value: object) -> None:
    """Put one setting in force; it clears a divergence and restarts the explosion streak."""
    if name == "batch_size":
        st.batcher.set_batch_size(check_batch_size(value))
    else:
        setattr(st.opt, name, value)
    st.diverged = None
    st._rule.streak = 0  # the explosion rule gives new settings EXPLODE_STEPS iterations


def apply_pending(st: Stepper) -> None:
    """Put every setting held during the iteration in force."""
    for name, value in st.pending.items():
        apply(st, name, value)
    st.pending.clear()
