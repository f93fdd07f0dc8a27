"""A first-come first-served lock: a command queued during a run gets the engine next."""

from __future__ import annotations

import threading
from types import TracebackType


class FairLock:
    """A ticket lock: waiters get it in the order they asked, never overtaken.

    The run loop releases the engine's lock between chunks and asks for it again at once; with
    a plain Lock it usually wins again (the waiting thread has not even woken), so a command
    queued meanwhile (focus, lr, fork) could wait for seconds. Here it goes next.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._next = 0  # the next ticket to hand out
        self._serving = 0  # the ticket that holds the lock

    def acquire(self) -> bool:
        with self._cond:
            ticket = self._next
            self._next += 1
            while ticket != self._serving:
                self._cond.wait()
        return True

    def release(self) -> None:
        with self._cond:
            self._serving += 1
            self._cond.notify_all()

    def locked(self) -> bool:
        with self._cond:
            return self._next != self._serving

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
