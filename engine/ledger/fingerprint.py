"""A run's identity of initial weights: a short stable digest of a parameter vector."""

from __future__ import annotations

import numpy as np


def fingerprint(params: np.ndarray) -> str:
    """A short stable digest of a parameter vector (the initial weights): equal weights, equal
    text, whatever the process; 16 hex digits of SHA-256 over the float64 bytes."""
    import hashlib

    data = np.ascontiguousarray(params, dtype=np.float64)
    return hashlib.sha256(data.tobytes()).hexdigest()[:16]
