"""Which costly diagnostics the app's panels want now; the engine worker reads it per snapshot."""

from __future__ import annotations

from dataclasses import dataclass

SHARPNESS_EVERY = 25  # steps between two sharpness measurements when the loss plot shows it


@dataclass
class ProbeSettings:
    """Set from the UI thread, read by the worker at each snapshot (plain values: no lock)."""

    sharpness_every: int | None = None  # None: no sharpness measurement
    confusion: bool = False  # the confusion matrix is on screen

    def reset(self) -> None:
        self.sharpness_every = None
        self.confusion = False


# one app per process: the settings of its panels
PROBES = ProbeSettings()
