"""The `sweep` command: a grid of lr x batch size x momentum x l2 x seeds, trained as stacks."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from scenarios.schema import ScenarioError

from .args import CMDLINE, add_source_arguments, load_source, option_int, recording
from .errors import EXIT_INTERRUPTED, fail
from .sweep_axes import LIST_HELP, check_each, parse_batches, parse_list
from .sweep_ledger import Recorder, open_ledger
from .sweep_progress import Bar
from .sweep_records import key_of, public, write_csv
from .sweep_report import report_lines
from .sweep_signals import Stopped, stop_signals

MAX_RUNS = 4096  # more than this needs --yes: a typo in a range should not start a day's work


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
        check_each("--lr", lrs, 0.0, None)
        check_each("--momentum", momenta, 0.0, 1.0)
        check_each("--l2", l2s, 0.0, None)
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
        ledger = open_ledger() if recording(args.no_record) else None
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
                    **public(r),
                    "curve": {"steps": at.tolist(), "batch_loss": losses.tolist()},
                }
                print(json.dumps(line), file=out, flush=True)

    try:
        with stop_signals():
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
    records = sorted(result.records, key=lambda r: order[key_of(r)])  # the grid's order
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
            "runs": [public(r) for r in records],
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


def _base_config(scn: Any) -> dict[str, object]:
    from scenarios.overrides import resolved_config

    return resolved_config(scn)


def _use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return stream.isatty()
