"""Writes the big-network fixture (tests/fixtures/scenarios/big-784.npz): digits upsampled to 28x28.

The bundled 8x8 digits (scenarios/data/digits.npz) are scaled 3x (nearest) and padded to 28x28
(784 inputs, MNIST's size), the first 203 repeated shifted one pixel right for 2,000 samples;
stored as uint8 so the file stays small (~115 KB). The scenario big-784.toml next to it trains
784-512-512-10 on them: the size issue 9 measures the app's responsiveness at. Deterministic;
no network needed.

    python -m benchmarks.big_scenario   # rewrites the .npz (the committed one is its output)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.atomicfile import atomic_open

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "scenarios" / "data" / "digits.npz"
OUT = ROOT / "tests" / "fixtures" / "scenarios" / "big-784.npz"
SCALE, MARGIN = 3, 2
SIDE = 8 * SCALE + 2 * MARGIN  # 28
SAMPLES = 2000


def big_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (2000, 784) uint8 (pixel counts 0..16, as in the source), y (2000,) int64, class names."""
    with np.load(DIGITS, allow_pickle=False) as z:
        X8, y, names = z["X"], z["y"], z["class_names"]
    # each pixel a 3x3 block (nearest neighbour: compresses ~10x better than bilinear), 2 blank
    # pixels of margin as in MNIST
    imgs = np.kron(X8.reshape(-1, 8, 8), np.ones((SCALE, SCALE)))
    imgs = np.pad(imgs, ((0, 0), (MARGIN, MARGIN), (MARGIN, MARGIN)))
    extra = SAMPLES - len(imgs)
    shifted = np.roll(imgs[:extra], 1, axis=2)  # the margin is blank: nothing wraps around
    imgs = np.concatenate([imgs, shifted])
    y = np.concatenate([y, y[:extra]])
    X = imgs.reshape(SAMPLES, SIDE * SIDE).astype(np.uint8)
    return X, y.astype(np.int64), names


def main() -> None:
    X, y, names = big_digits()
    with atomic_open(OUT) as f:
        np.savez_compressed(f, X=X, y=y, class_names=names)
    print(f"wrote {OUT.relative_to(ROOT)}: X {X.shape} {X.dtype}, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
