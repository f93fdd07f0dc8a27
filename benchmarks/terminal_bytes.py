"""Prints the bytes per second the app writes to a real terminal, running and paused, per scenario.

Each bundled scenario (or those named) runs as `python -m tui.cli --scenario NAME` on a pty of the
given size with TERM=xterm-256color, as over SSH. After the first paint the run starts; bytes are
counted for S seconds from 0.5 s after the key (the key's own repaint left out), then `r` pauses
and the same again; `q` quits.

How the run starts (--start): `g` (default) types a run of 10^9 iterations into the run-for box,
so the app runs at full speed for the whole count: the steady running rate. `r` runs the
scenario's schedule, which at full speed ends in well under a second on the small scenarios; it
is pressed again whenever the run stops by itself (the restarts column), so that figure includes
the repaint of every stop, as a user pressing `r` again and again would see.

    python -m benchmarks.terminal_bytes [--seconds S] [--size 120x36] [--start g|r] [NAME ...]
"""

from __future__ import annotations

import argparse
import re
import sys
import time

from scenarios.defaults import BUNDLED_DIR

from .pty_program import PtyProgram

TARGET_KIB_S = 48.0  # issue 9: at most 48 KiB/s running at 120x36 for every bundled scenario
SETTLE = 0.5  # seconds after a key before counting: its own repaint is not the steady rate
# the run loop's notes when a run stops by itself (tui/run_loop.py RunLimit.reached); each names
# the step it stopped at, so a note repainted later is not taken for another stop
STOP_NOTE = re.compile(
    rb"(?:schedule done: step|iterations: step|end of epoch \d+: step"
    rb"|reached: [^\r\n]{0,80}? at step) (\d+)"
)
CSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]")


def tui_on_pty(args: list[str], size: tuple[int, int]) -> PtyProgram:
    """`python -m tui.cli ARGS` on a pseudo-terminal of ``size``."""
    return PtyProgram([sys.executable, "-m", "tui.cli", *args], size)


def stops(buf: bytes) -> set[bytes]:
    """The notes of the runs that stopped by themselves in ``buf``, one per stop."""
    return {m.group(0) for m in STOP_NOTE.finditer(CSI.sub(b"", buf))}


def last_state(buf: bytes) -> bytes | None:
    """The run state the status line showed last in ``buf`` (RUNNING or paused)."""
    text = CSI.sub(b"", buf)
    i, j = text.rfind(b"RUNNING"), text.rfind(b"paused")
    return None if i == j == -1 else (b"RUNNING" if i > j else b"paused")


RUN_FOR = 10**9  # iterations typed after `g`: no scenario gets through them in a benchmark


def start_run(app: PtyProgram, start: str) -> float:
    """Start the run with ``start`` (g or r); returns when its last key was sent."""
    if start == "g":
        app.send(b"g")
        app.wait_for(b"500 or epoch", timeout=10.0)  # the run-for box is up
        app.wait_quiet(quiet=0.1)
        app.send(f"{RUN_FOR}\r".encode())
    else:
        app.send(b"r")
    return time.perf_counter()


def measure(
    name: str, size: tuple[int, int], seconds: float, start: str = "g"
) -> tuple[float, float, int]:
    """Bytes per second (running, paused) and how often the run stopped by itself."""
    app = tui_on_pty(["--scenario", name], size)
    try:
        app.wait_for(b"step 0")  # the scenario is built and the panels show it
        app.wait_quiet()
        pressed = start_run(app, start)
        t0 = pressed + SETTLE
        t1 = t0 + seconds
        restarts, seen = 0, set[bytes]()
        while (now := time.perf_counter()) < t1:
            if new := stops(app.since(pressed)) - seen:  # stopped by itself: run on, as a user
                seen |= new
                restarts += 1
                app.send(b"r")
            time.sleep(min(0.02, max(0.0, t1 - now)))
        running = app.count(t0, t1) / seconds
        app.send(b"r")  # pause
        if start == "r":  # the run may have stopped by itself just before: r restarted it
            time.sleep(0.3)
            if last_state(app.since(pressed)) == b"RUNNING":
                app.send(b"r")
        t0 = time.perf_counter() + SETTLE
        t1 = t0 + seconds
        time.sleep(max(0.0, t1 - time.perf_counter()) + 0.05)
        paused = app.count(t0, t1) / seconds
    finally:
        app.close()
    return running, paused, restarts


def parse_size(text: str) -> tuple[int, int]:
    cols, _, rows = text.lower().partition("x")
    return int(cols), int(rows)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--seconds", type=float, default=5.0, help="seconds counted in each state")
    p.add_argument("--size", type=parse_size, default=(120, 36), help="COLSxROWS (120x36)")
    p.add_argument(
        "--start",
        choices=("g", "r"),
        default="g",
        help="g: one long run (the steady rate); r: the schedule, r again at each stop",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="scenarios (default: all bundled)")
    args = p.parse_args(argv)
    names = args.names or sorted(f.stem for f in BUNDLED_DIR.glob("*.toml"))
    cols, rows = args.size
    print(
        f"bytes the app writes to a pty at {cols}x{rows} (xterm-256color), {args.seconds:g} s "
        f"per state, run started with `{args.start}`, python {sys.version.split()[0]}; "
        f"target <= {TARGET_KIB_S:g} KiB/s running"
    )
    width = max(len(n) for n in names) + 2
    print(f"{'scenario':<{width}}{'running KiB/s':>14}{'paused KiB/s':>14}  restarts")
    worst = 0.0
    for name in names:
        running, paused, restarts = measure(name, (cols, rows), args.seconds, args.start)
        worst = max(worst, running / 1024)
        flag = "" if running / 1024 <= TARGET_KIB_S else "  over target"
        print(
            f"{name:<{width}}{running / 1024:>14.1f}{paused / 1024:>14.2f}  {restarts:>8}{flag}",
            flush=True,
        )
    print(f"worst running: {worst:.1f} KiB/s (target <= {TARGET_KIB_S:g})")


if __name__ == "__main__":
    main()
