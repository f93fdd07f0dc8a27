"""atomic_open: the target is replaced whole or not at all, with the mode open() would give."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from engine.atomicfile import TargetError, atomic_open, check_target, read_umask


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


def test_an_existing_file_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "private.jsonl"
    path.write_text("old")
    path.chmod(0o600)
    with atomic_open(path, "w") as f:
        f.write("new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_symlink_replaces_the_file_it_points_to(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic_open(link, "w") as f:
        f.write("new")
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.txt", "real.txt"]
    assert check_target(link) == real.resolve()


def test_a_fifo_is_refused_and_left_alone(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(TargetError, match="a FIFO, not a regular file"), atomic_open(fifo):
        pass
    with pytest.raises(TargetError, match="a FIFO"):
        check_target(fifo)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]


def test_a_device_node_is_refused_without_writing(monkeypatch: pytest.MonkeyPatch) -> None:
    # only checked, never opened for writing: atomic_open refuses before creating its temp file;
    # the guard makes a regression fail here instead of replacing the real /dev/null (as root)
    def refuse(*_a: object, **_k: object) -> None:
        raise AssertionError("atomic_open tried to write next to /dev/null")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(TargetError, match="a character device"):
        check_target("/dev/null")
    with pytest.raises(TargetError, match="character device"), atomic_open("/dev/null"):
        pass


def test_a_symlink_to_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    (tmp_path / "link").symlink_to(fifo)
    with pytest.raises(TargetError, match="FIFO"):
        check_target(tmp_path / "link")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("dir/", "ends in '/'"),
        ("sub", "a directory, not a regular file"),
        ("x" * 300, "longer than"),
        ("missing/x.npz", "no folder"),
    ],
)
def test_bad_targets(tmp_path: Path, name: str, why: str) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "dir").mkdir()
    with pytest.raises(TargetError, match=why):
        check_target(f"{tmp_path}/{name}")


def test_proc_and_sys_are_refused() -> None:
    for path in ("/proc/self/new-file", "/sys/x.npz"):
        with pytest.raises(TargetError, match="not a place for files"):
            check_target(path)


def test_a_read_only_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # root may write anywhere: os.access says what an ordinary user would be told
    monkeypatch.setattr(os, "access", lambda *_a, **_k: False)
    with pytest.raises(TargetError, match="not writable"):
        check_target(tmp_path / "x.npz")


def test_a_long_name_that_fits_still_gets_a_temp_file(tmp_path: Path) -> None:
    # 250 bytes fits NAME_MAX (255), '.NAME.XXXXXXXX.tmp' would not: the temp name is shortened
    path = tmp_path / ("n" * 250)
    check_target(path)
    with atomic_open(path) as f:
        f.write(b"x")
    assert path.read_bytes() == b"x"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
