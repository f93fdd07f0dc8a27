"""Stopping a sweep on SIGINT, SIGTERM or SIGHUP, its workers with it."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator


class Stopped(Exception):
    """SIGTERM or SIGHUP during a sweep: stop the workers, exit 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP stop a sweep like Ctrl-C does (the workers are terminated, not left
    running without a parent); the old handlers come back afterwards."""

    parent = os.getpid()

    def stop(signum: int, _frame: object) -> None:
        if os.getpid() != parent:  # a worker forked before it set its own handlers
            os._exit(128 + signum)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Stopped(signum)

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # a signal ignored on purpose (nohup's SIGHUP, a background job's SIGINT) stays ignored
    sigs = [s for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP) if s is not None]
    old = {
        sig: signal.signal(sig, stop) for sig in sigs if signal.getsignal(sig) is not signal.SIG_IGN
    }
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
