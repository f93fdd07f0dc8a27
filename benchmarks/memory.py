"""Prints peak RSS of long `backprop-tui train` runs and the app's RSS growth while it runs.

Run from the repository root (about two minutes with the defaults):
    python -m benchmarks.memory [--scenario xor] [--steps 100000 1000000] [--app-seconds 60]

Every figure comes from a fresh child process: `train` runs through the real CLI and its peak
RSS is the child's ru_maxrss (os.wait4); the app runs headless (Textual's run_test at 120x36,
`r` pressed again whenever a schedule length ends) in a child that samples its own VmRSS. The
app's growth per hour is the slope of those samples after a warm-up (imports, first plots and
caches), extrapolated linearly.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024

APP_CHILD = """
import asyncio, json, sys, time
from tui.app import BackpropApp
from tui.session import Session

def rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0

async def main(scenario: str, seconds: float, warm: float) -> None:
    app = BackpropApp(Session.open(scenario))
    samples = []
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.5)
        t0 = time.perf_counter()
        next_sample = 1.0
        while (t := time.perf_counter() - t0) < seconds:
            if not app.engine.running:
                await pilot.press("r")  # each `r` runs one more schedule length: keep it going
            await asyncio.sleep(0.1)
            if t >= next_sample:
                samples.append((t, rss(), app.session.stepper.step))
                next_sample += 1.0
        await pilot.press("r")
        await asyncio.to_thread(app.run_idle.wait, 5)
    print(json.dumps({"warm": warm, "samples": samples}))

asyncio.run(main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3])))
"""


def train_peak(scenario: str, steps: int) -> tuple[int, float]:
    """(peak RSS in bytes, seconds) of `backprop-tui train SCENARIO --steps N` in a child."""
    code = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", code, "train", scenario, "--steps", str(steps)]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert proc.stderr is not None
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"train {scenario} --steps {steps} failed ({proc.returncode}): {err}")
    return usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime  # ru_maxrss is in KiB


def app_growth(scenario: str, seconds: float, warm: float) -> dict[str, float]:
    """The app's RSS after warm-up and at the end, and its slope in bytes per hour."""
    out = subprocess.run(
        [sys.executable, "-c", APP_CHILD, scenario, str(seconds), str(warm)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    samples = json.loads(out.stdout.strip().splitlines()[-1])["samples"]
    late = [s for s in samples if s[0] >= warm] or samples[-2:]
    n = len(late)
    ts = [s[0] for s in late]
    rs = [s[1] for s in late]
    mt, mr = sum(ts) / n, sum(rs) / n
    var = sum((t - mt) ** 2 for t in ts)
    slope = sum((t - mt) * (r - mr) for t, r in zip(ts, rs, strict=True)) / var if var else 0.0
    return {
        "rss_start": float(samples[0][1]),
        "rss_warm": float(late[0][1]),
        "rss_end": float(samples[-1][1]),
        "seconds": float(samples[-1][0]),
        "steps": float(samples[-1][2]),
        "per_hour": slope * 3600,
        "hour": float(late[0][1]) + slope * (3600 - late[0][0]),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    ap.add_argument("--scenario", default="xor")
    ap.add_argument("--steps", type=int, nargs=2, default=[100_000, 1_000_000])
    ap.add_argument("--app-seconds", type=float, default=60.0, help="0 skips the app")
    ap.add_argument("--warm", type=float, default=10.0, help="app seconds before the slope")
    args = ap.parse_args(argv)
    short, long = args.steps
    (p1, t1), (p2, t2) = train_peak(args.scenario, short), train_peak(args.scenario, long)
    print(f"train {args.scenario} --steps {short:,}: peak RSS {p1 / MIB:.1f} MiB ({t1:.0f} s CPU)")
    print(f"train {args.scenario} --steps {long:,}: peak RSS {p2 / MIB:.1f} MiB ({t2:.0f} s CPU)")
    print(f"difference: {(p2 - p1) / MIB:+.1f} MiB (target <= 8 MiB)")
    if args.app_seconds > 0:
        g = app_growth(args.scenario, args.app_seconds, min(args.warm, args.app_seconds / 2))
        print(
            f"app running {args.scenario} for {g['seconds']:.0f} s ({g['steps']:,.0f} steps): RSS "
            f"{g['rss_start'] / MIB:.1f} MiB after 1 s, {g['rss_warm'] / MIB:.1f} MiB after "
            f"warm-up, {g['rss_end'] / MIB:.1f} MiB at the end"
        )
        print(
            f"app growth after warm-up: {g['per_hour'] / MIB:+.1f} MiB per hour; "
            f"an hour's run extrapolated: {g['hour'] / MIB:.0f} MiB (target < 200 MB)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
