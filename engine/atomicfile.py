"""Atomic file writing: a temp file beside the target, renamed over it only once complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

MODES = ("w", "wt", "wb")


def read_umask() -> int:
    """The process umask, read without changing it where Linux allows.

    os.umask can only be read by setting it, and a thread creating a file between the set and the
    restore would get the wrong mode; /proc/self/status reports it without touching it.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "wb", *, encoding: str | None = None
) -> Iterator[IO[Any]]:
    """Open a temp file in ``path``'s folder for writing; on a clean exit flush, fsync and rename it
    onto ``path``.

    An exception inside the block (a full disk, a crash in the writer) removes the temp file and
    leaves the old ``path`` untouched, never a half-written one. The new file gets the mode a plain
    open() would give it (0666 minus the umask), not mkstemp's private 0600. ``mode`` is "wb"
    (default) or "w"/"wt" for text, with ``encoding`` (default utf-8).
    """
    if mode not in MODES:
        raise ValueError(f"atomic_open mode must be one of {', '.join(MODES)}, got {mode!r}")
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        if "b" in mode:
            f: IO[Any] = os.fdopen(fd, mode)
        else:
            f = os.fdopen(fd, mode, encoding=encoding or "utf-8")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~read_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
