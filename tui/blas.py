"""Caps numpy's BLAS threads in the app so the UI thread keeps a core of its own."""

from __future__ import annotations

import ctypes
import os
import sys

# Read by OpenBLAS (numpy's wheels), OpenMP builds and MKL when numpy loads.
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# scipy-openblas (numpy >= 2 wheels) prefixes and suffixes its symbols; plain OpenBLAS does not
SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)


def app_threads(cpus: int | None) -> int:
    """BLAS threads for the app: every core but one, which the UI thread renders on (at most 4:
    the engine's matrices are a few hundred wide, past that threads only spin)."""
    return max(1, min(4, (cpus or 1) - 1))


def limit_blas_threads(threads: int | None = None) -> int | None:
    """Give BLAS ``threads`` threads (default app_threads()) unless the user chose a number.

    Why: on 2 cores, OpenBLAS's second thread competes with the UI thread (and spins when the
    machine is busy): a 784-512-512-10 step took ~136 ms with 2 threads vs ~16 ms with 1.
    Before numpy loads (the app loads it after its first paint) the environment says so; once
    loaded, the OpenBLAS inside numpy is told through its C API. Returns the number set, None
    when left alone (the user's own setting, or a BLAS this does not know).
    """
    if any(os.environ.get(v) for v in THREAD_VARS):
        return None  # the user's choice wins
    n = app_threads(os.cpu_count()) if threads is None else max(1, threads)
    if "numpy" not in sys.modules:
        for var in THREAD_VARS:
            os.environ[var] = str(n)
        return n
    return n if _set_loaded_openblas(n) else None


def _set_loaded_openblas(n: int) -> bool:
    """Call openblas_set_num_threads in the OpenBLAS library this process has loaded."""
    try:
        with open("/proc/self/maps", encoding="ascii", errors="replace") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:  # not Linux: no maps to read, BLAS left as it is
        return False
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in SETTERS:
            setter = getattr(lib, name, None)
            if setter is not None:
                setter(ctypes.c_int(n))
                return True
    return False
