"""The `sweep` command: a grid of lr x batch size x momentum x l2 x seeds, trained as stacks."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import math
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from scenarios.schema import ScenarioError

from .args import CMDLINE, add_source_arguments, load_source, option_int, recording
from .errors import EXIT_INTERRUPTED, fail
from .heatmap_text import Cell, batch_label, cell_of, render
from .progress import REDRAW_SECONDS, number, share

MAX_RUNS = 4096  # more than this needs --yes: a typo in a range should not start a day's work
TABLE_ROWS = 20  # combinations shown in the table (all of them go to --csv and --json)
RUN_KEYS = (
    "lr",
    "batch_size",
    "momentum",
    "l2",
    "seed",
    "initial_loss",
    "train_loss",
    "test_loss",
    "train_accuracy",
    "test_accuracy",
    "steps",
    "diverged",
    "diverged_at",
)
LIST_HELP = "comma-separated values, or A:B:N (N evenly spaced) or A:B:Nlog (N log-spaced)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_source_arguments(p)
    p.add_argument("--lr", metavar="LIST|A:B:Nlog", help=f"learning rates: {LIST_HELP}")
    p.add_argument("--batch-size", metavar="LIST", help="batch sizes: integers or full")
    p.add_argument("--momentum", metavar="LIST", help="SGD momenta in [0, 1)")
    p.add_argument("--l2", metavar="LIST", help="L2 weight decay factors (>= 0)")
    p.add_argument(
        "--seeds", metavar="K", help="seeds per combination: S, S+1, ..., S+K-1 (default 1)"
    )
    p.add_argument("--seed", metavar="S", help="the first seed (default: the scenario's)")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", metavar="N", help="iterations per run")
    length.add_argument("--epochs", metavar="N", help="passes over the training set per run")
    p.add_argument("--workers", metavar="N", help="worker processes (default: the cores)")
    p.add_argument("--json", action="store_true", help="last stdout line: every run as JSON")
    p.add_argument(
        "--json-lines",
        action="store_true",
        help="one JSON line per run on stdout as its stack finishes, then the --json line",
    )
    p.add_argument("--csv", metavar="FILE", help="write every run as a CSV row")
    p.add_argument("--yes", action="store_true", help=f"allow more than {MAX_RUNS:,} runs")
    p.add_argument(
        "--no-record", action="store_true", help="do not record the runs in the run ledger"
    )


# ---- parsing the axes -------------------------------------------------------------------------
def _number(key: str, text: str, whole: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(CMDLINE, key, f"found {whole!r}", LIST_HELP) from None
    if not math.isfinite(value):
        raise ScenarioError(CMDLINE, key, f"found {whole!r}", "finite numbers")
    return value


def _round_unique(values: list[float]) -> list[float]:
    """Generated values to 3 significant digits (what a person types to `train --lr`), more
    where 3 would make two of them equal."""
    for digits in range(3, 18):
        out = [float(f"{v:.{digits}g}") for v in values]
        if len(set(out)) == len(out):
            return out
    return values


def parse_list(key: str, text: str | None) -> list[float] | None:
    """``--key``'s values: a list, A:B:N or A:B:Nlog; None when the option is not given."""
    if text is None:
        return None
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ScenarioError(CMDLINE, key, f"found {text!r}", LIST_HELP)
        a, b = _number(key, parts[0], text), _number(key, parts[1], text)
        count = parts[2].strip().lower()
        log = count.endswith("log")
        count = count.removesuffix("log")
        if not (count.isascii() and count.isdigit()):
            raise ScenarioError(CMDLINE, key, f"found {text!r}", "A:B:N with N an integer >= 2")
        n = int(count)
        if a >= b or n < 2:
            raise ScenarioError(CMDLINE, key, f"found {text!r}", "A:B:N with A < B and N >= 2")
        if log and a <= 0:
            raise ScenarioError(CMDLINE, key, f"found {text!r}", "A:B:Nlog with 0 < A < B")
        if log:
            la, lb = math.log10(a), math.log10(b)
            raw = [10 ** (la + (lb - la) * i / (n - 1)) for i in range(n)]
        else:
            raw = [a + (b - a) * i / (n - 1) for i in range(n)]
        return _round_unique(raw)
    items = [t.strip() for t in text.split(",")]
    if not items or any(not t for t in items):
        raise ScenarioError(CMDLINE, key, f"found {text!r}", f"a non-empty list: {LIST_HELP}")
    values = [_number(key, t, text) for t in items]
    return list(dict.fromkeys(values))  # a value given twice is one column, not two


def _check_each(key: str, values: list[float], low: float, high: float | None) -> None:
    for v in values:
        if v < low or (high is not None and v >= high) or (key == "--lr" and v <= 0):
            allowed = {"--lr": "numbers > 0", "--momentum": "numbers in [0, 1)"}.get(
                key, "numbers >= 0"
            )
            raise ScenarioError(CMDLINE, key, f"found {v:g}", allowed)


def parse_batches(text: str | None, n_train: int) -> list[int | None] | None:
    """Batch sizes: integers from 1 to the training set's size, or full."""
    if text is None:
        return None
    items = [t.strip() for t in text.split(",")]
    if any(not t for t in items):
        raise ScenarioError(
            CMDLINE, "--batch-size", f"found {text!r}", "a list of integers or full"
        )
    out: list[int | None] = []
    for t in items:
        if t.lower() == "full":
            out.append(None)
            continue
        if not (t.isascii() and t.isdigit()) or int(t) < 1:
            raise ScenarioError(CMDLINE, "--batch-size", f"found {t!r}", "integers >= 1, or full")
        if int(t) > n_train:
            raise ScenarioError(
                CMDLINE,
                "--batch-size",
                f"found {t}",
                f"at most the training set's {n_train:,} samples (or full)",
            )
        out.append(int(t))
    return list(dict.fromkeys(out))


# ---- the command --------------------------------------------------------------------------------
def run_sweep_command(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    from engine.atomicfile import TargetError, check_target
    from scenarios import build

    try:
        scn = load_source(args.scenario, args.data, args.target)
        t = scn.training
        lrs = parse_list("--lr", args.lr) or [t.learning_rate]
        momenta = parse_list("--momentum", args.momentum)
        if momenta is not None and t.optimizer != "sgd":
            raise ScenarioError(CMDLINE, "--momentum", f"found {args.momentum}", "only with sgd")
        momenta = momenta or [t.momentum if t.optimizer == "sgd" else 0.0]
        l2s = parse_list("--l2", args.l2) or [t.l2]
        _check_each("--lr", lrs, 0.0, None)
        _check_each("--momentum", momenta, 0.0, 1.0)
        _check_each("--l2", l2s, 0.0, None)
        seeds_n = option_int("--seeds", args.seeds, 1) or 1
        first_seed = option_int("--seed", args.seed, 0)
        first_seed = t.seed if first_seed is None else first_seed
        steps = option_int("--steps", args.steps, 1)
        epochs = option_int("--epochs", args.epochs, 1)
        workers = option_int("--workers", args.workers, 1)
        if args.csv is not None:
            try:
                check_target(args.csv)
            except TargetError as exc:
                raise ScenarioError(
                    CMDLINE, "--csv", f"found {args.csv!r}: {exc}", "a file path"
                ) from None
        first = build(scn, seed=first_seed, undo_depth=0)
        n_train = int(first.data.X_train.shape[0])
        batches = parse_batches(args.batch_size, n_train) or [t.batch_size]
        seeds = [first_seed + i for i in range(seeds_n)]
        n_runs = len(lrs) * len(batches) * len(momenta) * len(l2s) * len(seeds)
        if n_runs > MAX_RUNS and not args.yes:
            raise ScenarioError(
                CMDLINE,
                "--lr/--batch-size/--momentum/--l2/--seeds",
                f"found {n_runs:,} runs",
                f"at most {MAX_RUNS:,} without --yes",
            )
        setup = _setup(scn, first, seeds)
        config = _base_config(scn)
        ledger = _open_ledger() if recording(args.no_record) else None
    except ScenarioError as exc:
        return fail(str(exc))
    except (ValueError, MemoryError) as exc:
        return fail(f"{args.scenario or args.data}: {exc}")
    from engine.sweep import SMALL_SWEEP, default_workers, grid, plan, run_sweep

    def steps_of(bs: int | None) -> int:
        if steps is not None:
            return steps
        if epochs is not None:
            return epochs * setup.steps_per_epoch(bs)
        return t.total_steps(setup.steps_per_epoch(bs))

    runs = grid(lrs, batches, momenta, l2s, seeds)
    n_workers = workers or default_workers()
    n_params = int(next(iter(setup.initial.values())).size)
    tasks = plan(runs, steps_of, n_workers, n_params)
    if workers is None and sum(t.model_steps for t in tasks) < SMALL_SWEEP:
        n_workers = 1  # the processes would cost more than they save
        tasks = plan(runs, steps_of, 1, n_params)
    machine = args.json or args.json_lines
    human = sys.stderr if machine else out
    bar = Bar(sys.stderr, len(runs))

    recorder = Recorder(ledger, scn, config, setup, epochs) if ledger is not None else None

    def stream(records: list[dict[str, Any]]) -> None:
        bar.runs_done += len(records)
        if recorder is not None:
            recorder.record(records)
        if args.json_lines:
            for r in records:
                at, losses = r["curve"]
                line = {
                    **_public(r),
                    "curve": {"steps": at.tolist(), "batch_loss": losses.tolist()},
                }
                print(json.dumps(line), file=out, flush=True)

    try:
        with _stop_signals():
            result = run_sweep(setup, tasks, n_workers, bar.update, stream)
    except (KeyboardInterrupt, Stopped) as exc:
        bar.close()
        kept = f"; {recorder.count:,} finished runs recorded" if recorder else ""
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        how = (
            "interrupted"
            if signum == signal.SIGINT
            else f"stopped by {signal.Signals(signum).name}"
        )
        print(f"{scn.name}: sweep {how}{kept}", file=sys.stderr)
        return EXIT_INTERRUPTED if signum == signal.SIGINT else 128 + signum
    finally:
        if ledger is not None:
            ledger.close()
    bar.close()
    order = {(r.lr, r.batch_size, r.momentum, r.l2, r.seed): i for i, r in enumerate(runs)}
    records = sorted(result.records, key=lambda r: order[_key(r)])  # the grid's order
    rate = sum(r["steps"] for r in records) / result.seconds if result.seconds > 0 else None
    if args.csv is not None:
        try:
            write_csv(Path(args.csv), records)
        except OSError as exc:
            return fail(f"{CMDLINE}: cannot write {exc.filename or args.csv}: {exc.strerror}")
    color = _use_color(human)
    width = shutil.get_terminal_size((80, 24)).columns if human.isatty() else None
    lines = report_lines(scn.name, records, lrs, batches, momenta, l2s, len(seeds), color, width)
    for line in lines:
        print(line, file=human)
    print(
        f"{len(records):,} runs in {result.seconds:.2f} s ({rate or 0:,.0f} model steps/s, "
        f"{min(n_workers, len(tasks))} worker{'s' if min(n_workers, len(tasks)) > 1 else ''})"
        + (f"; wrote {args.csv}" if args.csv else "")
        + (f"; recorded as sweep {recorder.sweep}" if recorder and recorder.count else ""),
        file=human,
    )
    if machine:
        summary = {
            "runs": [_public(r) for r in records],
            "seconds": round(result.seconds, 6),
            "model_steps_per_second": None if rate is None else round(rate, 1),
        }
        print(json.dumps(summary), file=out, flush=True)
    return 0


def _setup(scn: Any, first: Any, seeds: Sequence[int]) -> Any:
    """Data once; per seed, the initial weights and batch-order generator `train` would use."""
    import copy

    from engine.sweep import NetSpec, SweepSetup
    from scenarios import build

    initial, rngs = {}, {}
    for s in seeds:
        built = first if s == seeds[0] else build(scn, seed=s, undo_depth=0)
        initial[s] = built.net.params.copy()
        rngs[s] = copy.deepcopy(built.stepper.batcher.rng)
    st, t = first.stepper, scn.training
    return SweepSetup(
        NetSpec.of(first.net),
        st.X,
        st.y,
        st.X_test,
        st.y_test,
        st.task,
        t.optimizer,
        t.l1,
        initial,
        rngs,
        t.beta1,
        t.beta2,
        t.eps,
        getattr(t, "schedule", "constant"),
        getattr(t, "batch_schedule", "constant"),
    )


class Stopped(Exception):
    """SIGTERM or SIGHUP during a sweep: stop the workers, exit 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _stop_signals() -> Iterator[None]:
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


def _base_config(scn: Any) -> dict[str, object]:
    from scenarios.overrides import resolved_config

    return resolved_config(scn)


def _open_ledger() -> Any:
    """The run ledger, opened before anything runs: a foreign or newer file is one line, exit 2."""
    from engine.ledger import Ledger, LedgerError

    try:
        return Ledger.open()
    except LedgerError as exc:
        raise ScenarioError(
            CMDLINE, "ledger", str(exc), "a backprop-tui ledger, or --no-record"
        ) from None


class Recorder:
    """Every finished run into the ledger, as one sweep (one id shared by its runs), each with
    the config `train` would record for it."""

    def __init__(
        self, ledger: Any, scn: Any, config: dict[str, object], setup: Any, epochs: int | None
    ) -> None:
        import secrets

        self.ledger = ledger
        self.scn = scn
        self.config = config  # the scenario's resolved config; each run changes its own keys
        self.setup = setup
        self.epochs = epochs
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.sweep = f"{scn.name}-{stamp}-{secrets.token_hex(2)}"
        self.count = 0
        self.failed = False

    def record(self, records: Sequence[dict[str, Any]]) -> None:
        from engine.ledger import LedgerError, fingerprint

        if self.failed:
            return
        try:
            for r in records:
                self._one(r, fingerprint)
        except (LedgerError, OSError) as exc:  # keep the sweep's results; say so once
            self.failed = True
            print(f"{self.scn.name}: not recorded in the ledger: {exc}", file=sys.stderr)

    def _one(self, r: dict[str, Any], fingerprint: Any) -> None:
        config = dict(self.config)
        config.update(
            {
                "training.lr": r["lr"],
                "training.batch_size": batch_label(r["batch_size"]),
                "training.momentum": r["momentum"],
                "training.l2": r["l2"],
                "seed": r["seed"],
                "training.steps": None if self.epochs is not None else r["planned_steps"],
                "training.epochs": self.epochs,
            }
        )
        run_id = self.ledger.start_run(
            self.scn.name,
            config,
            seed=r["seed"],
            fingerprint=fingerprint(self.setup.initial[r["seed"]]),
            sweep=self.sweep,
            origin="sweep",
            source=self.scn.source,
        )
        steps, losses = r["curve"]
        if len(steps):
            self.ledger.append(run_id, {"batch_loss": (steps, losses)})
        self.ledger.finish(
            run_id,
            "diverged" if r["diverged"] else "finished",
            steps=r["steps"],
            epochs=r["steps"] // self.setup.steps_per_epoch(r["batch_size"]),
            figures={
                k: r[k] for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
            },
            diverged_at=r["diverged_at"],
        )
        self.count += 1


def _key(r: dict[str, Any]) -> tuple[float, int | None, float, float, int]:
    return (r["lr"], r["batch_size"], r["momentum"], r["l2"], r["seed"])


def _clean(x: object) -> object:
    # JSON has no NaN or Infinity
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _public(r: dict[str, Any]) -> dict[str, Any]:
    return {k: _clean(r[k]) for k in RUN_KEYS}


def write_csv(path: Path, records: Sequence[dict[str, Any]]) -> None:
    from engine.atomicfile import atomic_open

    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=RUN_KEYS, extrasaction="ignore")
    w.writeheader()
    for r in records:
        row = {k: ("" if _clean(r[k]) is None else r[k]) for k in RUN_KEYS}
        row["batch_size"] = batch_label(r["batch_size"])
        w.writerow(row)
    with atomic_open(path, "wb") as f:
        f.write(buf.getvalue().encode("utf-8"))


def _use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


# ---- the report -------------------------------------------------------------------------------
def combos(
    records: Sequence[dict[str, Any]],
) -> dict[tuple[float, int | None, float, float], list[dict[str, Any]]]:
    """Runs grouped by their settings (the seeds of one combination together)."""
    out: dict[tuple[float, int | None, float, float], list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault((r["lr"], r["batch_size"], r["momentum"], r["l2"]), []).append(r)
    return out


def _cell(rs: Sequence[dict[str, Any]]) -> Cell:
    return cell_of([r["train_loss"] for r in rs], [r["diverged"] for r in rs])


def _mean(values: Sequence[float | None]) -> float | None:
    ok = [v for v in values if v is not None and math.isfinite(v)]
    return sum(ok) / len(ok) if ok else None


def table_lines(records: Sequence[dict[str, Any]], n_seeds: int) -> list[str]:
    """One row per combination, best mean final loss first, diverged last."""
    rows = []
    for (lr, bs, mom, l2), rs in combos(records).items():
        c = _cell(rs)
        live = [r for r in rs if not r["diverged"]]
        rows.append(
            (
                math.inf if c.mean is None else c.mean,
                [
                    f"{lr:.4g}",
                    batch_label(bs),
                    f"{mom:g}",
                    f"{l2:g}",
                    number(c.mean),
                    "" if c.spread is None else f"±{100 * c.spread:.0f}%",
                    number(_mean([r["test_loss"] for r in live])),
                    share(_mean([r["test_accuracy"] for r in live])),
                    f"{c.diverged}/{c.seeds}" if n_seeds > 1 else ("yes" if c.diverged else "-"),
                ],
            )
        )
    rows.sort(key=lambda r: r[0])
    head = ["lr", "batch", "momentum", "l2", "train loss", "spread", "test loss", "test acc"]
    head.append("diverged")
    shown = [r[1] for r in rows[:TABLE_ROWS]]
    widths = [max(len(h), *(len(r[i]) for r in shown)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    for cells in shown:
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    if len(rows) > TABLE_ROWS:
        lines.append(f"... {len(rows) - TABLE_ROWS:,} more combinations (--csv FILE has every run)")
    return lines


def report_lines(
    name: str,
    records: Sequence[dict[str, Any]],
    lrs: Sequence[float],
    batches: Sequence[int | None],
    momenta: Sequence[float],
    l2s: Sequence[float],
    n_seeds: int,
    color: bool,
    width: int | None = None,
) -> list[str]:
    """The table, then one heatmap per (momentum, l2) pair (at most four), fitted to ``width``
    columns when given (a terminal)."""
    seeds = f"mean of {n_seeds} seeds, ±: their spread" if n_seeds > 1 else "one seed"
    lines = [f"{name}: final train loss by setting ({seeds})", *table_lines(records, n_seeds)]
    groups = combos(records)
    pairs = [(m, l2) for m in momenta for l2 in l2s]
    for m, l2 in pairs[:4]:
        cells = {
            (lr, bs): _cell(groups[(lr, bs, m, l2)])
            for lr in lrs
            for bs in batches
            if (lr, bs, m, l2) in groups
        }
        title = "final train loss over lr x batch size"
        if len(pairs) > 1:
            title += f" (momentum {m:g}, l2 {l2:g})"
        lines.append("")
        lines.extend(render(cells, sorted(lrs), batches, color, title, width))
    if len(pairs) > 4:
        lines.append(f"({len(pairs) - 4} more momentum x l2 maps left out: see the table)")
    return lines


class Bar:
    """One progress bar on stderr over all the sweep's model-steps (a terminal only)."""

    def __init__(self, out: TextIO, n_runs: int) -> None:
        self.out = out
        self.tty = out.isatty()
        self.n_runs = n_runs
        self.runs_done = 0
        self._last = 0.0
        self._drawn = False

    def update(self, state: Any) -> None:
        now = time.perf_counter()
        if not self.tty or now - self._last < REDRAW_SECONDS:
            return
        self._last = now
        total = max(state.total_model_steps, 1)
        done = min(1.0, state.done_model_steps / total)
        rate = state.done_model_steps / state.seconds if state.seconds else 0.0
        width = shutil.get_terminal_size((80, 24)).columns
        text = f" {100 * done:3.0f}% runs {self.runs_done:,}/{self.n_runs:,} {rate:,.0f} steps/s"
        bar_w = max(10, min(30, width - 3 - len(text)))
        filled = int(bar_w * done)
        line = f"[{'#' * filled}{'.' * (bar_w - filled)}]{text}"
        self.out.write("\r" + line[: width - 1] + "\x1b[K")
        self.out.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.out.write("\r\x1b[K")
            self.out.flush()
            self._drawn = False
