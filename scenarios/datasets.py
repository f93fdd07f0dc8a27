"""Seeded, deterministic data generators for the bundled and user scenarios."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Array = np.ndarray
# A generator takes (samples, noise, rng) and returns (X float64 (n, d), y): int labels (n,) for
# classification, float targets (n, k) for regression and for pattern-to-pattern tasks.
GenFn = Callable[[int, float, np.random.Generator], tuple[Array, Array]]


@dataclass(frozen=True)
class SyntheticDataset:
    """A named data generator (``data.generator``) and the defaults the validator applies."""

    name: str
    fn: GenFn
    task: str  # "classification" or "regression"
    description: str
    samples: int = 400  # default number of samples
    noise: float = 0.0  # default noise
    fixed: bool = False  # a fixed pattern set: samples and noise do not apply
    class_names: tuple[str, ...] = ()


def five_classes(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Five Gaussian clusters on a ring of radius 1, neighbours overlapping as noise grows."""
    y = np.arange(n, dtype=np.int64) % 5
    angle = 2 * np.pi * y / 5 + np.pi / 2
    centres = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X = centres + rng.normal(0.0, 0.25 + noise, size=(n, 2))
    return X, y


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """TensorFlow Playground's XOR: class = sign(x1 * x2), points kept 0.06 off the axes."""
    pad = 0.06  # the gap around the axes that keeps the classes separable
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    X += np.where(X > 0, pad, -pad)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    return X + rng.normal(0.0, noise, size=X.shape), y


def circles(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """TensorFlow Playground's circle: a disc (r < 0.5) inside a ring (0.7 < r < 1)."""
    y = np.arange(n, dtype=np.int64) % 2
    r = np.where(y == 0, rng.uniform(0.0, 0.5, n), rng.uniform(0.7, 1.0, n))
    t = rng.uniform(0.0, 2 * np.pi, n)
    X = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    return X + rng.normal(0.0, noise, size=X.shape), y


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """TensorFlow Playground's two interleaved spirals, 1.75 turns each."""
    y = np.arange(n, dtype=np.int64) % 2
    r = rng.uniform(0.05, 1.0, n)
    t = 1.75 * 2 * np.pi * r + np.pi * y
    X = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return X + rng.normal(0.0, noise, size=X.shape), y


def gaussian(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """TensorFlow Playground's gauss: two clusters at (0.5, 0.5) and (-0.5, -0.5)."""
    y = np.arange(n, dtype=np.int64) % 2
    centre = np.where(y == 1, 0.5, -0.5)[:, None]
    X = centre + rng.normal(0.0, 0.15 + noise, size=(n, 2))
    return X, y


def sine(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """y = sin(x) for x uniform in [-pi, pi], plus Gaussian noise on y."""
    x = rng.uniform(-np.pi, np.pi, size=(n, 1))
    return x, np.sin(x) + rng.normal(0.0, noise, size=x.shape)


# The teacher unit behind tanh-neuron: y = V * tanh(W_A a + W_B b + W_C c + T), the article's
# worked unit with a linear read-out, so a 3-1-1 tanh/linear net can fit it exactly.
TANH_TEACHER = {"w_az": 1.5, "w_bz": -2.0, "w_cz": 0.5, "t": 0.25, "v": 1.2}


def tanh_neuron(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """Inputs a, b, c uniform in [-1, 1]; target from the fixed teacher unit plus noise."""
    X = rng.uniform(-1.0, 1.0, size=(n, 3))
    p = TANH_TEACHER
    z = np.tanh(p["w_az"] * X[:, 0] + p["w_bz"] * X[:, 1] + p["w_cz"] * X[:, 2] + p["t"])
    y = (p["v"] * z)[:, None]
    return X, y + rng.normal(0.0, noise, size=y.shape)


def symmetry_6bit(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """All 64 six-bit patterns (bit 0 is the leftmost input); target 1 when mirror-symmetric."""
    codes = np.arange(64)
    X = ((codes[:, None] >> (5 - np.arange(6))) & 1).astype(np.float64)
    y = np.all(X[:, ::-1] == X, axis=1).astype(np.float64)[:, None]
    return X, y


def encoder_8(n: int, noise: float, rng: np.random.Generator) -> tuple[Array, Array]:
    """The 8 one-hot patterns, each its own target."""
    X = np.eye(8)
    return X, X.copy()


GENERATORS: dict[str, SyntheticDataset] = {
    g.name: g
    for g in (
        SyntheticDataset(
            "five-classes",
            five_classes,
            "classification",
            "5 Gaussian clusters on a ring",
            500,
            0.0,
            class_names=("A", "B", "C", "D", "E"),
        ),
        SyntheticDataset("xor", xor, "classification", "class = sign(x1*x2)", 400, 0.0),
        SyntheticDataset("circles", circles, "classification", "a disc inside a ring", 400, 0.0),
        SyntheticDataset("spiral", spiral, "classification", "two interleaved spirals", 600, 0.0),
        SyntheticDataset("gaussian", gaussian, "classification", "two Gaussian clusters", 400, 0.0),
        SyntheticDataset("sine", sine, "regression", "y = sin(x) + noise", 400, 0.05),
        SyntheticDataset(
            "tanh-neuron",
            tanh_neuron,
            "regression",
            "a, b, c -> one tanh unit -> linear",
            400,
            0.02,
        ),
        SyntheticDataset(
            "symmetry-6bit",
            symmetry_6bit,
            "classification",
            "all 64 six-bit patterns, 1 if mirror-symmetric",
            fixed=True,
        ),
        SyntheticDataset(
            "encoder-8", encoder_8, "classification", "8 one-hot patterns", fixed=True
        ),
    )
}


def generate(name: str, samples: int, noise: float, seed: int) -> tuple[Array, Array]:
    """Run generator ``name`` on its own seeded numpy rng, so equal arguments give equal data."""
    gen = GENERATORS[name]
    return gen.fn(samples, noise, np.random.default_rng(seed))
