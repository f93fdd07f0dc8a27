"""backprop-tui's engine: a pure-numpy MLP whose training can be stepped one phase at a time."""

from .activations import ACTIVATIONS, HIDDEN, OUTPUTS, softmax
from .checkpoint import CheckpointError
from .checkpoint_load import load_checkpoint
from .checkpoint_save import save_checkpoint
from .data import Batcher
from .gradcheck import GradCheckReport, gradient_check
from .history import History, downsample
from .losses import LOSSES, REDUCTIONS, VALID_PAIRS, Loss
from .network import Network
from .optimizers import OPTIMIZERS, SGD, Adam, Optimizer
from .stepper import Stepper
from .units import Divergence, IterationState, Phase, RunResult, Unit

__all__ = [
    "ACTIVATIONS",
    "HIDDEN",
    "LOSSES",
    "OPTIMIZERS",
    "OUTPUTS",
    "REDUCTIONS",
    "SGD",
    "VALID_PAIRS",
    "Adam",
    "Batcher",
    "CheckpointError",
    "Divergence",
    "GradCheckReport",
    "History",
    "IterationState",
    "Loss",
    "Network",
    "Optimizer",
    "Phase",
    "RunResult",
    "Stepper",
    "Unit",
    "downsample",
    "gradient_check",
    "load_checkpoint",
    "save_checkpoint",
    "softmax",
]
