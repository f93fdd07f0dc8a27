"""The app and its terminal: SIGTERM restores it, no terminal (or a dumb one) is one line."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tui.terminal import BORDER_GLYPH, EXIT_TERMINATED, served, terminal_problem

ROOT = Path(__file__).resolve().parents[2]
APP = [sys.executable, "-m", "tui.cli", "--scenario", "xor"]
PAINT_DEADLINE = 20.0  # seconds to the first paint; about one on an idle machine
EXIT_DEADLINE = 5.0  # seconds from the signal to the exit

ALT_SCREEN_ON = b"\x1b[?1049h"
ALT_SCREEN_OFF = b"\x1b[?1049l"
MOUSE_OFF = b"\x1b[?1000l"


def app_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXTUAL")}
    env.update(TERM="xterm-256color", LANG="C.UTF-8", PYTHONIOENCODING="utf-8", NO_COLOR="1")
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(extra)
    return env


def open_pty() -> tuple[int, int]:
    """A pseudo-terminal of 80x24: (master, slave)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return master, slave


def read_all(master: int) -> bytes:
    """What is waiting on the master end, up to a half-second lull."""
    text = b""
    while select.select([master], [], [], 0.5)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        text += chunk
    return text


class PtyApp:
    """The app in a real pseudo-terminal (80x24) that the test holds both ends of."""

    def __init__(self) -> None:
        self.master, self.slave = open_pty()
        self.attrs_before = termios.tcgetattr(self.slave)
        self.proc = subprocess.Popen(
            APP,
            cwd=ROOT,
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env=app_env(),
            start_new_session=True,  # its own session, so the pty can be its controlling one
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        self.output = bytearray()

    def read_until(self, done: bytes, deadline: float) -> bool:
        """Read what the app writes until ``done`` is in it, or until the deadline; no sleeps."""
        end = time.monotonic() + deadline
        while done not in self.output:
            left = end - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.master], [], [], min(left, 0.1))
            if ready:
                try:
                    self.output += os.read(self.master, 65536)
                except OSError:  # EIO: every slave end is closed
                    return done in self.output
            elif self.proc.poll() is not None and done not in self.output:
                return False
        return True

    def wait_painted(self) -> None:
        # the alternate screen, then the status line's scenario name: the first paint is done
        assert self.read_until(ALT_SCREEN_ON, PAINT_DEADLINE), bytes(self.output[-500:])
        start = len(self.output)
        assert self.read_until(b"xor", PAINT_DEADLINE), bytes(self.output[start:][-500:])

    def wait_exit(self, deadline: float) -> int | None:
        """The exit code within ``deadline`` seconds (reading on, so the app never blocks)."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                self.drain()
                return self.proc.returncode
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                with contextlib.suppress(OSError):
                    self.output += os.read(self.master, 65536)
        return None

    def drain(self) -> None:
        while select.select([self.master], [], [], 0)[0]:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.output += data

    def close(self) -> None:
        if self.proc.poll() is None:  # a hung app must not outlive the test
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@pytest.fixture
def pty_app() -> Iterator[PtyApp]:
    app = PtyApp()
    try:
        yield app
    finally:
        app.close()


def test_sigterm_restores_the_terminal_and_exits_143(pty_app: PtyApp) -> None:
    pty_app.wait_painted()
    painted = len(pty_app.output)
    pty_app.proc.send_signal(signal.SIGTERM)
    code = pty_app.wait_exit(EXIT_DEADLINE)
    assert code == EXIT_TERMINATED, bytes(pty_app.output[painted:][-500:])
    tail = bytes(pty_app.output[painted:])
    assert ALT_SCREEN_OFF in tail  # back from the alternate screen
    assert MOUSE_OFF in tail  # mouse tracking off
    attrs = termios.tcgetattr(pty_app.slave)
    assert attrs[3] & termios.ECHO and attrs[3] & termios.ICANON  # echo and line editing back
    assert attrs == pty_app.attrs_before


def test_q_exits_0_restored_with_the_run_in_the_ledger(pty_app: PtyApp) -> None:
    """`q` ends the process at once (terminal.end_process skips the interpreter's teardown),
    and nothing is lost: the terminal is restored and the ledger holds the run where it was."""
    pty_app.wait_painted()
    painted = len(pty_app.output)
    os.write(pty_app.master, b" ")  # one iteration: a run the ledger keeps
    assert pty_app.read_until(b"step 1", PAINT_DEADLINE), bytes(pty_app.output[painted:][-500:])
    os.write(pty_app.master, b"q")
    assert pty_app.wait_exit(EXIT_DEADLINE) == 0, bytes(pty_app.output[painted:][-500:])
    tail = bytes(pty_app.output[painted:])
    assert ALT_SCREEN_OFF in tail and MOUSE_OFF in tail
    assert termios.tcgetattr(pty_app.slave) == pty_app.attrs_before
    runs = subprocess.run(
        [sys.executable, "-m", "tui.cli", "runs", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=app_env(),
        check=True,
    )
    (run,) = json.loads(runs.stdout)["runs"]
    assert (run["scenario"], run["steps"], run["status"]) == ("xor", 1, "finished")


def test_end_process_flushes_and_exits_with_the_code() -> None:
    code = (
        "import sys; from tui.terminal import end_process; "
        "print('kept', end=''); sys.stderr.write('also kept'); end_process(3)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "kept", "also kept")


def test_headless_commands_exit_as_usual() -> None:
    """Only the app's end skips the teardown: `scenarios` (and train...) return through
    sys.exit, so their exit codes and output are as before."""
    proc = subprocess.run(
        [sys.executable, "-m", "tui.cli", "scenarios"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=app_env(),
    )
    assert proc.returncode == 0 and "xor" in proc.stdout


def test_sighup_exits_within_a_second(pty_app: PtyApp) -> None:
    pty_app.wait_painted()
    pty_app.proc.send_signal(signal.SIGHUP)
    assert pty_app.wait_exit(1.0) is not None


def test_a_closed_terminal_exits_within_a_second(pty_app: PtyApp) -> None:
    pty_app.wait_painted()
    os.close(pty_app.master)  # the terminal window closes: the kernel hangs the pty up
    os.close(pty_app.slave)
    pty_app.master = pty_app.slave = -1
    try:
        pty_app.proc.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        pytest.fail("the app outlived its terminal by more than a second")


# ---- no terminal: one line, exit 2, at once -------------------------------------------------


def run_without_terminal(stdin: IO[str] | int) -> subprocess.CompletedProcess[str]:
    """The app with stdout and stderr to pipes, and ``stdin``."""
    return subprocess.run(
        APP, cwd=ROOT, stdin=stdin, capture_output=True, text=True, timeout=20, env=app_env()
    )


def assert_one_line_exit_2(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("backprop-tui: ")
    for word in words:
        assert word in proc.stderr


def test_stdin_from_dev_null_is_one_line_exit_2() -> None:
    # today's failure: Textual's key reader spins at full CPU forever on a non-terminal
    start = time.monotonic()
    with open(os.devnull) as devnull:
        proc = run_without_terminal(devnull)
    assert_one_line_exit_2(proc, "stdin is not")
    assert time.monotonic() - start < 10  # the interpreter starting, not a timeout


def test_pipes_are_one_line_exit_2() -> None:
    proc = run_without_terminal(subprocess.PIPE)
    assert_one_line_exit_2(proc, "stdin is not")


@pytest.fixture
def bare_pty() -> Iterator[tuple[int, int]]:
    master, slave = open_pty()
    try:
        yield master, slave
    finally:
        os.close(master)
        os.close(slave)


def test_stdout_to_a_pipe_is_one_line_exit_2(bare_pty: tuple[int, int]) -> None:
    # stdin and stderr a terminal, stdout a pipe: `backprop-tui | less`
    master, slave = bare_pty
    proc = subprocess.run(
        APP, cwd=ROOT, stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=app_env(), timeout=20
    )
    text = read_all(master)
    assert proc.returncode == 2 and proc.stdout == b""
    assert b"stdout is not" in text and text.count(b"\n") == 1 and b"\x1b[" not in text, text


@pytest.mark.parametrize(
    ("env", "word"),
    [({"TERM": "dumb"}, b"TERM=dumb"), ({"PYTHONIOENCODING": "ascii"}, b"encoding is ascii")],
)
def test_dumb_terminal_or_ascii_encoding_is_one_line_exit_2(
    bare_pty: tuple[int, int], env: dict[str, str], word: bytes
) -> None:
    master, slave = bare_pty
    start = time.monotonic()
    proc = subprocess.run(
        APP, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=app_env(**env), timeout=20
    )
    text = read_all(master)
    assert proc.returncode == 2
    assert word in text and text.count(b"\n") == 1 and b"\x1b[" not in text, text
    assert time.monotonic() - start < 10  # the interpreter starting, not a timeout


# ---- the checks themselves -------------------------------------------------------------------


class Stream:
    def __init__(self, tty: bool, encoding: str = "utf-8") -> None:
        self.tty = tty
        self.encoding = encoding

    def isatty(self) -> bool:
        return self.tty


def problem(
    stdin: bool = True,
    stdout: bool = True,
    stderr: bool = True,
    encoding: str = "utf-8",
    **env: str,
) -> str | None:
    return terminal_problem(
        Stream(stdin),  # type: ignore[arg-type]
        Stream(stdout),  # type: ignore[arg-type]
        Stream(stderr, encoding),  # type: ignore[arg-type]
        {"TERM": "xterm-256color", **env},
    )


def test_a_terminal_passes() -> None:
    assert problem() is None


@pytest.mark.parametrize("name", ["stdin", "stdout", "stderr"])
def test_each_stream_must_be_a_terminal(name: str) -> None:
    text = problem(**{name: False})  # type: ignore[arg-type]
    assert text is not None and f"{name} is not" in text and "\n" not in text


def test_dumb_terminal_and_ascii_encoding() -> None:
    assert "TERM=dumb" in (problem(TERM="dumb") or "")
    assert "ascii" in (problem(encoding="ascii") or "")
    assert "\u256d".encode("utf-8") and BORDER_GLYPH == "\u256d"
    assert problem(encoding="latin-1") is not None  # no box drawing in latin-1 either


def test_serve_web_driver_skips_the_checks() -> None:
    web = {"TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver"}
    assert served(web) and not served({}) and not served({"TEXTUAL_DRIVER": "linux"})
    assert terminal_problem(None, None, None, web) is None
