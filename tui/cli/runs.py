"""The `runs` command: list the ledger's runs, show one (config and curves), delete some."""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import json
import math
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, TextIO

from scenarios.overrides import differing_keys, format_value, label

from .errors import PROG, fail
from .progress import number, share

MISSING = "-"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help='one JSON line: {"runs": [...]}')
    sub = p.add_subparsers(dest="runs_command", metavar="{show,rm}")
    show = sub.add_parser("show", help="a run's config and curves")
    show.add_argument("id", metavar="ID", help="the run's id (from `runs`)")
    show.add_argument("--json", action="store_true", dest="show_json", help="one JSON line")
    show.add_argument("--csv", metavar="FILE", help="write the curves as CSV (- for stdout)")
    rm = sub.add_parser("rm", help="delete runs and their checkpoints")
    rm.add_argument("ids", nargs="+", metavar="ID", help="run ids")
    from .args import add_home_argument

    for command in (show, rm):
        add_home_argument(command, argparse.SUPPRESS)


def parse_id(text: str) -> int:
    """A run id from the command line; ValueError with the one-line message otherwise."""
    t = text.strip()
    if not (t.isascii() and t.isdigit()) or int(t) < 1:
        raise ValueError(
            f"command line: run id: found {text!r}; allowed: a run id (an integer >= 1)"
        )
    return int(t)


def run_runs(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from engine.ledger import Ledger, LedgerError

    out = out or sys.stdout
    try:
        ids = [parse_id(t) for t in (getattr(args, "ids", None) or [])]
        if getattr(args, "id", None) is not None:
            ids = [parse_id(args.id)]
        with Ledger.open(args.home) as ledger:
            if args.runs_command == "show":
                return _show(ledger, ids[0], args.show_json, args.csv, out)
            if args.runs_command == "rm":
                return _rm(ledger, ids, out)
            return _list(ledger, args.json, out)
    except (LedgerError, ValueError) as exc:
        return fail(str(exc))


# ---- the table ------------------------------------------------------------------------------
def config_columns(runs: Sequence[Any]) -> list[str]:
    """The config keys that differ between runs of one scenario (runs of different scenarios
    differ in everything about their data and network; only like compares with like)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault(r.scenario, []).append(r.config)
    keys: set[str] = set()
    for configs in groups.values():
        keys.update(differing_keys(configs))
    return sorted(keys, key=lambda k: (label(k) != "lr", label(k) != "batch", k))


def _cell(x: float | None, fmt: Any = number) -> str:
    return MISSING if x is None or (isinstance(x, float) and not math.isfinite(x)) else fmt(x)


def table(runs: Sequence[Any]) -> list[str]:
    """The runs as aligned text rows, a header first."""
    keys = config_columns(runs)
    header = ["id", "scenario", *(label(k) for k in keys)]
    header += ["steps", "loss", "best", "test acc", "status"]
    rows = [header]
    for r in runs:
        cells = [str(r.id), r.scenario]
        cells += [format_value(r.config[k]) if k in r.config else MISSING for k in keys]
        cells += [
            f"{r.steps:,}",
            _cell(r.train_loss),
            _cell(r.best_train_loss),
            _cell(r.test_accuracy, share),
            r.status + (f" at {r.diverged_at:,}" if r.diverged_at is not None else ""),
        ]
        rows.append(cells)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = {0, *range(2 + len(keys), 2 + len(keys) + 4)}  # id and the figures: right-aligned
    lines = []
    for row in rows:
        parts = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
    return lines


def _list(ledger: Any, as_json: bool, out: TextIO) -> int:
    runs = ledger.runs()
    if as_json:
        print(json.dumps({"runs": [r.to_json() for r in runs]}, allow_nan=False), file=out)
        return 0
    if not runs:
        print(f"no runs yet in {ledger.path}", file=out)
        return 0
    from scenarios.schema import printable

    for line in table(runs):
        print(printable(line), file=out)
    return 0


# ---- one run --------------------------------------------------------------------------------
def aligned_curve(curve: dict[str, tuple[Any, Any]]) -> dict[str, list[Any]]:
    """Every series on the union of their steps: {"step": [...], name: [value or None, ...]}."""
    from engine.ledger import SERIES

    steps = sorted({int(s) for xs, _ in curve.values() for s in xs.tolist()})
    index = {s: i for i, s in enumerate(steps)}
    out: dict[str, list[Any]] = {"step": steps}
    names = [s for s in SERIES if s in curve] + sorted(set(curve) - set(SERIES))
    for name in names:
        col: list[float | None] = [None] * len(steps)
        xs, ys = curve[name]
        for s, v in zip(xs.tolist(), ys.tolist(), strict=True):
            col[index[s]] = v if math.isfinite(v) else None
        out[name] = col
    return out


def _when(t: float | None) -> str:
    if t is None:
        return MISSING
    return datetime.datetime.fromtimestamp(t).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _checkpoint_state(ledger: Any, info: Any) -> tuple[str | None, bool]:
    if not info.checkpoint:
        return None, False
    path = ledger.checkpoint_dir / Path(info.checkpoint).name
    return str(path), path.is_file()


def _show(ledger: Any, run_id: int, as_json: bool, csv_path: str | None, out: TextIO) -> int:
    info = ledger.run(run_id)
    curve = aligned_curve(ledger.curve(run_id))
    if csv_path is not None:
        code = _write_csv(csv_path, curve, out)
        if code or csv_path == "-":
            return code
    ck, ck_ok = _checkpoint_state(ledger, info)
    if as_json:
        record = info.to_json()
        record["checkpoint"] = ck
        record["checkpoint_missing"] = ck is not None and not ck_ok
        record["curve"] = curve
        print(json.dumps(record, allow_nan=False), file=out)
        return 0
    from scenarios.schema import printable

    lines = [
        f"run {info.id}: {info.scenario} ({info.origin}), {info.status}"
        + (f" at step {info.diverged_at:,}" if info.diverged_at is not None else ""),
        f"  steps {info.steps:,}, epochs {info.epochs:,}"
        + (f", {info.seconds:.2f} s" if info.seconds is not None else ""),
        f"  train loss {_cell(info.train_loss)} (best {_cell(info.best_train_loss)}), "
        f"accuracy {_cell(info.train_accuracy, share)}",
        f"  test loss {_cell(info.test_loss)} (best {_cell(info.best_test_loss)}), "
        f"accuracy {_cell(info.test_accuracy, share)} "
        f"(best {_cell(info.best_test_accuracy, share)})",
        f"  started {_when(info.created)}, last written {_when(info.updated)}",
        f"  seed {info.seed if info.seed is not None else MISSING}, initial weights "
        f"{info.fingerprint or MISSING}"
        + (f", forked from run {info.forked_from}" if info.forked_from is not None else "")
        + (f", sweep {info.sweep}" if info.sweep else ""),
        "  checkpoint "
        + (MISSING if ck is None else ck + ("" if ck_ok else " (checkpoint missing)")),
        "config:",
        *(f"  {k} = {format_value(v)}" for k, v in sorted(info.config.items())),
        "curves:",
    ]
    steps = curve["step"]
    for name, col in curve.items():
        if name == "step":
            continue
        have = [(s, v) for s, v in zip(steps, col, strict=True) if v is not None]
        if have:
            lines.append(
                f"  {name}: {len(have)} points, step {have[0][0]:,} {number(have[0][1])} .. "
                f"step {have[-1][0]:,} {number(have[-1][1])}"
            )
    if len(lines) and lines[-1] == "curves:":
        lines.append("  none yet")
    for line in lines:
        print(printable(line), file=out)
    return 0


@contextlib.contextmanager
def _csv_target(path: str, out: TextIO) -> Iterator[IO[str]]:
    if path == "-":
        yield out
        return
    from engine.atomicfile import atomic_open

    with atomic_open(path, "w", encoding="utf-8") as f:
        yield f


def _write_csv(path: str, curve: dict[str, list[Any]], out: TextIO) -> int:
    from engine.atomicfile import TargetError, check_target

    if path != "-":
        try:
            check_target(path)
        except TargetError as exc:
            return fail(f"command line: --csv: found {path!r}: {exc}; allowed: a regular file path")
    names = list(curve)
    try:
        with _csv_target(path, out) as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(names)
            for row in zip(*(curve[n] for n in names), strict=True):
                w.writerow(["" if v is None else repr(v) for v in row])
    except OSError as exc:
        return fail(f"command line: --csv: cannot write {path}: {exc.strerror}")
    except TargetError as exc:
        return fail(f"command line: --csv: cannot write {path}: {exc}")
    return 0


def _rm(ledger: Any, ids: list[int], out: TextIO) -> int:
    from engine.ledger import LedgerError

    for i in ids:
        info = ledger.run(i)  # an unknown id fails before anything is deleted
        if info.status in ("running", "paused"):
            raise LedgerError(
                f"{ledger.path}: run {i} is {info.status} in another process; stop it first "
                f"(then it is interrupted) and delete it then; nothing deleted"
            )
    done = ledger.delete(ids)
    print(
        f"{PROG}: deleted run{'s' if len(done) > 1 else ''} {', '.join(map(str, done))}", file=out
    )
    return 0
