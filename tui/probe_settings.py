"""Which costly diagnostics the app's panels want now; the engine worker reads it per snapshot."""

from __future__ import annotations

from dataclasses import dataclass

SHARPNESS_EVERY = 25  # steps between two sharpness measurements when the loss plot shows it
# a measurement costs tens of Hessian products over up to 2,048 rows under the engine lock:
# 0.4 ms on edge-of-stability, 0.1-0.3 s on digits, 2-16 s on a 670k-parameter net (keys would
# wait that long), so the app measures nets up to this size only
SHARPNESS_MAX_PARAMS = 100_000


@dataclass
class ProbeSettings:
    """Set from the UI thread, read by the worker at each snapshot (plain values: no lock)."""

    sharpness_every: int | None = None  # None: no sharpness measurement
    confusion: bool = False  # the confusion matrix is on screen
    histograms: bool = False  # the histograms are on screen (big nets record only then)

    def reset(self) -> None:
        self.sharpness_every = None
        self.confusion = False
        self.histograms = False


# one app per process: the settings of its panels
PROBES = ProbeSettings()
