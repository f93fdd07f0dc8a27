"""The app's terminal: checks before the app takes it over, and SIGTERM leaving it restored."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable, Mapping
from types import FrameType
from typing import IO, TYPE_CHECKING, Any, NoReturn

# stdlib only: the CLI runs these checks before importing Textual (a failed check must not pay
# for it, and `train` never does)
if TYPE_CHECKING:
    from textual.app import App

EXIT_TERMINATED = 128 + signal.SIGTERM  # 143, what a shell reports for a killed process

# set once run_in_terminal's app has ended: the console script may then end the process at once
app_ended = False

# a glyph the panels' borders draw: an encoding that cannot write it shows `\u256d` as text
BORDER_GLYPH = "\u256d"


def served(environ: Mapping[str, str]) -> bool:
    """True when textual-serve runs the app: its web driver talks over pipes, not a terminal."""
    return "web" in environ.get("TEXTUAL_DRIVER", "").lower()


def _is_tty(stream: IO[str] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # a closed stream
        return False


def _encodes(encoding: str | None, text: str) -> bool:
    try:
        text.encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def terminal_problem(
    stdin: IO[str] | None,
    stdout: IO[str] | None,
    stderr: IO[str] | None,
    environ: Mapping[str, str],
) -> str | None:
    """Why the app cannot run on these streams, in one line; None when it can.

    Textual reads keys from stdin and draws on stderr; stdout is checked too, so that
    `backprop-tui > file` says so instead of drawing around the redirection. Without a terminal
    on stdin Textual's key reader spins at full CPU forever, hence the check before it starts.
    """
    if served(environ):
        return None  # `backprop-tui serve`: pipes by design, the browser is the terminal
    headless = "(`backprop-tui train` runs without one)"
    for name, stream in (("stdin", stdin), ("stdout", stdout), ("stderr", stderr)):
        if not _is_tty(stream):
            return f"the app needs a terminal, and {name} is not one {headless}"
    term = environ.get("TERM", "")
    if term == "dumb":
        return f"the app needs a terminal that moves the cursor, and TERM={term} {headless}"
    encoding = getattr(stderr, "encoding", None)
    if not _encodes(encoding, BORDER_GLYPH):
        return (
            f"the app draws with Unicode, and the terminal's encoding is {encoding}"
            " (set a UTF-8 locale, e.g. LANG=C.UTF-8, or PYTHONIOENCODING=utf-8)"
        )
    return None


def check_terminal() -> str | None:
    """``terminal_problem`` for this process's own streams and environment."""
    return terminal_problem(sys.__stdin__, sys.__stdout__, sys.__stderr__, os.environ)


def run_in_terminal(app: App[Any], before_exit: Callable[[], None] | None = None) -> int:
    """Run ``app``; SIGTERM makes it exit normally (code 143) so its driver restores the terminal.

    The default SIGTERM action kills the process in raw mode, in the alternate screen, with
    mouse tracking on. The handler only schedules the exit on the app's event loop (the
    thread-safe call wakes its selector); ``before_exit`` runs there first (e.g. pausing a run,
    as `q` does). SIGHUP keeps its default: the terminal is gone, nothing is left to restore.
    Returns the app's return code.
    """

    def stop(code: int) -> None:
        if before_exit is not None:
            before_exit()
        app.exit(None, code)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        try:
            loop = asyncio.get_running_loop()  # the app's: Python runs handlers in its thread
        except RuntimeError:  # before the app started or after it ended: nothing to restore
            raise SystemExit(EXIT_TERMINATED) from None
        loop.call_soon_threadsafe(stop, EXIT_TERMINATED)

    global app_ended
    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        app.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    app_ended = True
    return int(app.return_code or 0)


def end_process(code: int) -> NoReturn:
    """End the process now with ``code``, skipping the interpreter's teardown, once the app ended.

    Why: after `q` on a big network that teardown (freeing every array and module) took
    ~0.25 s, which held the exit past the half second users expect. Nothing is left to do by
    then: the app's ledger writes are committed transactions (WAL), every file it writes was
    renamed into place when written, and the terminal is restored. stdout and stderr are
    flushed first; atexit handlers are skipped (this project registers none).
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: nothing more to write
            pass
    os._exit(code)
