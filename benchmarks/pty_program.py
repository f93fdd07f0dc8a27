"""A program on a real pseudo-terminal of a given size, logging every byte it writes."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class PtyProgram:
    """``argv`` on a pty of ``size`` (cols, rows) with TERM=xterm-256color, as over SSH."""

    def __init__(self, argv: list[str], size: tuple[int, int]) -> None:
        master, slave = pty.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", PYTHONPATH=str(ROOT))
        for var in ("NO_COLOR", "TEXTUAL_FPS", "COLUMNS", "LINES"):
            env.pop(var, None)  # the terminal's own size and colours, as a user's shell gives
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=ROOT,
            start_new_session=True,  # its own controlling terminal: the pty
        )
        os.close(slave)
        self.master = master
        self.lock = threading.Lock()
        self.log: list[tuple[float, bytes]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the program closed the terminal
                return
            if not data:
                return
            with self.lock:
                self.log.append((time.perf_counter(), data))

    def send(self, keys: bytes | str) -> None:
        os.write(self.master, keys.encode() if isinstance(keys, str) else keys)

    def since(self, t0: float) -> bytes:
        with self.lock:
            return b"".join(d for t, d in self.log if t >= t0)

    def count(self, t0: float, t1: float) -> int:
        """Bytes written in [t0, t1) (perf_counter times)."""
        with self.lock:
            return sum(len(d) for t, d in self.log if t0 <= t < t1)

    def first(self, marker: bytes, timeout: float = 20.0) -> float:
        """Seconds from spawn until ``marker`` has been written."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            with self.lock:
                log = list(self.log)
            buf = b""
            for t, d in log:
                buf += d
                if marker in buf:
                    return t - self.t0
            time.sleep(0.002)
        raise TimeoutError(marker)

    def wait_for(self, marker: bytes, timeout: float = 30.0) -> None:
        end = time.perf_counter() + timeout
        while marker not in self.since(0.0):
            if self.proc.poll() is not None or time.perf_counter() > end:
                tail = self.since(0.0)[-300:]
                raise RuntimeError(f"no {marker!r} (exit {self.proc.poll()}): {tail!r}")
            time.sleep(0.01)

    def wait_quiet(self, quiet: float = 0.3, timeout: float = 5.0) -> None:
        """Until nothing was written for ``quiet`` seconds (the first paint is complete)."""
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            with self.lock:
                last = self.log[-1][0] if self.log else 0.0
            if time.perf_counter() - last >= quiet:
                return
            time.sleep(0.02)

    def close(self) -> None:
        """Quit with q; kill the program if it does not exit (never leave one running)."""
        if self.proc.poll() is None:
            try:
                self.send(b"q")
                self.proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(5)
        os.close(self.master)

    def __enter__(self) -> PtyProgram:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
