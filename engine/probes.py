"""The app's diagnostics recorded beside a Stepper: sharpness, histograms, confusion, frozen."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .confusion import network_confusion, per_class_accuracy
from .histograms import LayerHistograms, gradient_arrays, magnitude_bins, weight_arrays
from .sharpness import SharpnessMeter
from .stepper import Stepper

Array = np.ndarray

# the sharpness is measured on at most this many training rows (evenly strided): the power
# iteration costs tens of Hessian products, each two passes over these rows
SHARPNESS_ROWS = 2048
HISTOGRAM_CAPACITY = 96  # frames kept per series (a half-block plot of up to 96 columns)
# up to this many parameters the histograms are recorded at every snapshot (about 6 us per 1,000
# parameters); a bigger net only while they are on screen (a 670k-parameter net: 43 ms a frame)
HISTOGRAMS_ALWAYS = 100_000


@dataclass(frozen=True)
class Histograms:
    """Per-layer |W| and |dL/dW| counts over time: (frames, layers, bins), oldest first."""

    edges: Array  # bin edges of |x| (log-spaced), len bins + 1
    steps: Array  # (frames,) step of each frame
    weights: Array  # (frames, layers, bins) int64
    gradients: Array


@dataclass(frozen=True)
class Confusion:
    """The classifier's confusion matrix (rows true class, columns predicted) at ``step``."""

    step: int
    on: str  # "test" or "train"
    matrix: Array  # (k, k) int64
    per_class: Array  # (k,) accuracy per true class, NaN for a class with no samples


@dataclass(frozen=True)
class Probes:
    """What the diagnostics measured so far, copied for the panels (Snapshot.probes)."""

    sharpness_every: int | None  # None: not measuring
    sharpness_steps: Array  # (m,) int64
    sharpness_values: Array  # (m,) float64
    momentum: float  # SGD's momentum (0 for none or Adam): the stability limit 2(1+b)/lr
    histograms: Histograms | None
    confusion: Confusion | None


class Prober:
    """Records a Stepper's diagnostics when the worker takes a snapshot; ``observe`` freezes them.

    Histograms are taken at most once per ``stride`` steps (LayerHistograms thins them when
    full); the sharpness every ``sharpness_every`` steps when asked, warm-started; the
    confusion matrix once per step on the test set (the training set without one). A step number
    that goes back (undo, reset) starts the series again.
    """

    def __init__(self, n_layers: int, seed: int = 0) -> None:
        self.seed = seed
        self._n_layers = n_layers
        self._new_series()
        self._confusion: Confusion | None = None
        self._last_step = -1

    def _new_series(self) -> None:
        bins = magnitude_bins(1e-8, 1e2, 2)
        self.weights = LayerHistograms(self._n_layers, bins, HISTOGRAM_CAPACITY)
        self.gradients = LayerHistograms(self._n_layers, bins, HISTOGRAM_CAPACITY)
        self.meter = SharpnessMeter(seed=self.seed)

    def observe(
        self,
        st: Stepper,
        sharpness_every: int | None = None,
        confusion: bool = False,
        histograms: bool = False,
    ) -> Probes:
        """Record what is due at ``st.step`` and return a frozen copy of everything; the
        sharpness only with ``sharpness_every``, the confusion matrix only with ``confusion``
        (each costs passes over the data: only while a panel shows them), the histograms always
        up to HISTOGRAMS_ALWAYS parameters, else only with ``histograms``."""
        step = st.step
        if step < self._last_step:  # undo or reset: the old series would mix two timelines
            self._new_series()
            self._confusion = None
        self._last_step = step
        net = st.net
        record = histograms or net.n_params <= HISTOGRAMS_ALWAYS
        if record and self.weights.due(step):
            self.weights.record(step, weight_arrays(net))
            self.gradients.record(step, gradient_arrays(net))
        every = sharpness_every
        if every is not None and (not self.meter.steps or step - self.meter.steps[-1] >= every):
            stride = -(-st.X.shape[0] // SHARPNESS_ROWS)  # ceil: at most SHARPNESS_ROWS rows
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                self.meter.measure(net, st.X[::stride], st.y[::stride], step, l2=st.opt.l2)
        if (
            confusion
            and st.task == "classification"
            and (self._confusion is None or self._confusion.step != step)
        ):
            self._confusion = self._confuse(st)
        momentum = float(getattr(st.opt, "momentum", 0.0) or 0.0)
        if st.opt.name == "adam":
            momentum = 0.0
        return Probes(
            every,
            np.asarray(self.meter.steps, dtype=np.int64),
            np.asarray(self.meter.values, dtype=np.float64),
            momentum,
            Histograms(
                self.weights.bins.edges.copy(),
                self.weights.steps,
                self.weights.counts,
                self.gradients.counts,
            ),
            self._confusion,
        )

    @staticmethod
    def _confuse(st: Stepper) -> Confusion:
        has_test = st.X_test is not None and st.y_test is not None and len(st.X_test) > 0
        X, y = (st.X_test, st.y_test) if has_test else (st.X, st.y)
        assert X is not None and y is not None
        k = st.net.sizes[-1]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            cm = network_confusion(st.net, X, y, k)
        return Confusion(st.step, "test" if has_test else "train", cm, per_class_accuracy(cm))
