"""atomic_open: the target is replaced whole or not at all, with the mode open() would give."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from engine.atomicfile import atomic_open, read_umask


def test_failure_keeps_the_old_file_and_removes_the_temp(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    path.write_bytes(b"old contents")
    with pytest.raises(OSError, match="disk full"), atomic_open(path) as f:
        f.write(b"half a file")
        raise OSError("disk full")
    assert path.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]


def test_replaces_the_target_by_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.txt"
    path.write_text("old")
    calls = []
    real = os.replace

    def spy(src: str, dst: str | os.PathLike[str]) -> None:
        calls.append((Path(src).name, Path(dst).name))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    with atomic_open(path, "w") as f:
        f.write("new ünïcode\n")
        assert path.read_text() == "old"  # nothing visible until the block ends
    assert path.read_text(encoding="utf-8") == "new ünïcode\n"
    assert len(calls) == 1
    src, dst = calls[0]
    assert dst == "r.txt" and src.startswith(".r.txt.") and src.endswith(".tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.txt"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_mode_is_what_open_would_give(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        assert read_umask() == umask
        with atomic_open(tmp_path / "atomic.bin") as f:
            f.write(b"x")
        with open(tmp_path / "plain.bin", "wb") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "atomic.bin").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.bin").stat().st_mode) == 0o666 & ~umask


def test_rejects_read_and_append_modes(tmp_path: Path) -> None:
    for mode in ("r", "ab", "r+b"):
        with pytest.raises(ValueError, match="mode"), atomic_open(tmp_path / "x", mode):
            pass
    assert list(tmp_path.iterdir()) == []
