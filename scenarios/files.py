"""Reading a user's file safely: only a regular file, only up to a size checked before reading."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from engine.atomicfile import file_kind

from .schema import ScenarioError


def regular_size(path: Path, where: str, key: str, allowed: str, missing: str | None = None) -> int:
    """The size of ``path`` if it is a regular file (symlinks followed), else a ScenarioError.

    A FIFO would block the reader forever and /dev/zero never ends: both are refused by their
    type, before anything is opened. ``missing`` is what to allow when there is no such file.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError(where, key, "no such file", missing or allowed) from None
    except OSError as exc:
        raise ScenarioError(where, key, f"cannot be read ({exc.strerror})", allowed) from None
    if not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            found = "is a directory"
        else:
            found = f"is {file_kind(st.st_mode)}, not a regular file"
        raise ScenarioError(where, key, found, allowed)
    return st.st_size


def read_bytes(path: Path, where: str, limit: int, allowed: str, key: str = "") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, checked before and while reading."""
    if regular_size(path, where, key, allowed) > limit:
        raise ScenarioError(where, key, f"file larger than {size(limit)}", allowed)
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)  # the file may have grown since the check
    except OSError as exc:
        raise ScenarioError(where, key, f"cannot be read ({exc.strerror})", "") from None
    if len(raw) > limit:
        raise ScenarioError(where, key, f"file larger than {size(limit)}", allowed)
    return raw


def size(n: int) -> str:
    """A byte count as '1 MiB' or '512 MiB'."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"
