"""The sweep screen's subprocess: `backprop-tui sweep --json-lines` started, read and stopped."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any

STOP_SECONDS = 5.0  # after SIGTERM, the sweep's grace to stop its workers before SIGKILL
STDERR_LINES = 50  # kept from the subprocess's stderr: its last line says why it failed


@dataclass(frozen=True)
class Ended:
    """How the subprocess ended: its exit code, its last stderr line, the summary if any."""

    returncode: int
    error: str
    summary: dict[str, Any] | None
    cancelled: bool


class SweepProcess:
    """One `sweep` subprocess in its own session (so a stop reaches its worker processes too).

    ``read`` runs in a worker thread and hands every run's JSON line to ``on_run``; ``stop``
    (any thread) ends the process group and reaps it: no zombie, no file left behind (the
    sweep writes only to its pipes and the run ledger).
    """

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.argv = list(argv)
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._drain: threading.Thread | None = None
        self._lock = threading.Lock()
        self.cancelled = False

    def start(self) -> None:
        # start_new_session: the process group is the sweep's alone, so killpg reaches its
        # workers and never the app; Popen execs at once (no Python code runs in the child)
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
            env=self.env,
        )
        # stderr is drained beside stdout: a big report there must not fill its pipe and stall
        # the sweep before the stdout lines end
        assert self.proc.stderr is not None
        self._drain = threading.Thread(
            target=self._keep, args=(self.proc.stderr,), name="sweep-stderr", daemon=True
        )
        self._drain.start()

    def _keep(self, stream: IO[str]) -> None:
        for line in stream:
            if line.strip():
                self._stderr.append(line.rstrip("\n"))

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def read(self, on_run: Callable[[dict[str, Any]], None]) -> Ended:
        """Every run's line to ``on_run`` until the subprocess ends; then how it ended."""
        assert self.proc is not None and self.proc.stdout is not None
        summary: dict[str, Any] | None = None
        for line in self.proc.stdout:
            try:
                obj = json.loads(line)
            except ValueError:
                continue  # not ours (a warning printed by a library): skip it
            if isinstance(obj, dict) and "runs" in obj:
                summary = obj
            elif isinstance(obj, dict):
                on_run(obj)
        rc = self.proc.wait()
        if self._drain is not None:
            self._drain.join(timeout=STOP_SECONDS)
        error = self._stderr[-1] if rc != 0 and self._stderr else ""
        return Ended(rc, error, summary, self.cancelled)

    def stop(self) -> None:
        """SIGTERM to the group (the sweep stops its workers and exits 143), SIGKILL after
        STOP_SECONDS; reaped either way. Safe to call twice and after the end."""
        with self._lock:
            proc = self.proc
            if proc is None or proc.poll() is not None:
                return
            self.cancelled = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            # workers still alive in the group (the sweep died before stopping them)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
