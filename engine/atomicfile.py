"""Atomic file writing: a temp file beside the target, renamed over it only once complete."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

MODES = ("w", "wt", "wb")
# Pseudo-filesystems: a "file" there is a kernel interface, never a place for a log or a checkpoint.
SPECIAL_ROOTS = ("/proc", "/sys")
# mkstemp's temp name is ".NAME.XXXXXXXX.tmp": NAME is shortened so that it always fits NAME_MAX.
TEMP_EXTRA = len("..XXXXXXXX.tmp")


class TargetError(ValueError):
    """An output path that must not be written: str() says why in a few words, not the path."""


def file_kind(mode: int) -> str:
    """A file type in words, for 'is a FIFO, not a regular file'."""
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_target(path: str | os.PathLike[str]) -> Path:
    """The real file ``path`` writes to (symlinks followed), or TargetError before anything runs.

    Refused: a name ending in '/', an existing target that is not a regular file (a device node,
    a FIFO, a directory, a socket), a path under /proc or /sys, a name longer than the
    folder's NAME_MAX, and a folder that is missing or not writable.
    """
    text = os.fspath(path)
    if not text:
        raise TargetError("an empty path")
    if text.endswith(("/", os.sep)):
        raise TargetError("ends in '/', a directory")
    real = os.path.realpath(text)  # a symlink is followed: its target file is replaced
    for root in SPECIAL_ROOTS:
        if real == root or real.startswith(root + "/"):
            raise TargetError(f"is under {root}, not a place for files")
    folder, name = os.path.split(real)
    folder = folder or "."
    if not os.path.isdir(folder):
        raise TargetError(f"no folder {folder!r}")
    limit = _name_max(folder)
    if len(os.fsencode(name)) > limit:
        raise TargetError(f"a name of {len(os.fsencode(name))} bytes, longer than {limit}")
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise TargetError(f"cannot be checked ({exc.strerror})") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise TargetError(f"is {file_kind(st.st_mode)}, not a regular file")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise TargetError(f"folder {folder!r} not writable")
    return Path(real)


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


def _temp_prefix(name: str, folder: str) -> str:
    """'.NAME.', NAME cut (by bytes) so the temp name fits the folder's NAME_MAX."""
    room = _name_max(folder) - TEMP_EXTRA
    raw = os.fsencode(name)
    if len(raw) > room:
        raw = raw[: max(room, 0)]
        name = raw.decode("utf-8", "ignore") if room > 0 else ""
    return f".{name}."


@contextlib.contextmanager
def atomic_open(
    path: str | os.PathLike[str], mode: str = "wb", *, encoding: str | None = None
) -> Iterator[IO[Any]]:
    """Open a temp file in ``path``'s folder for writing; on a clean exit flush, fsync and rename it
    onto ``path``.

    An exception inside the block (a full disk, a crash in the writer, a KeyboardInterrupt) removes
    the temp file and leaves the old ``path`` untouched, never a half-written one. A symlink is
    followed: the file it points to is replaced, the link stays. An existing target keeps its
    permission bits; a new file gets the mode a plain open() would give it (0666 minus the umask),
    not mkstemp's private 0600. A target that is not a regular file (a device node, a FIFO, a
    directory) raises TargetError and is left alone. ``mode`` is "wb" (default) or "w"/"wt" for
    text, with ``encoding`` (default utf-8).
    """
    if mode not in MODES:
        raise ValueError(f"atomic_open mode must be one of {', '.join(MODES)}, got {mode!r}")
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        perms = 0o666 & ~read_umask()
    else:
        if not stat.S_ISREG(st.st_mode):
            raise TargetError(f"{target}: is {file_kind(st.st_mode)}, not a regular file")
        perms = stat.S_IMODE(st.st_mode)
    folder = str(target.parent)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=_temp_prefix(target.name, folder), suffix=".tmp")
    try:
        if "b" in mode:
            f: IO[Any] = os.fdopen(fd, mode)
        else:
            f = os.fdopen(fd, mode, encoding=encoding or "utf-8")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, perms)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
