"""The `backprop-tui` command: open the terminal app, list scenarios, or train headless."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from scenarios.defaults import BUNDLED_DIR, DEFAULT_SCENARIO

# Textual is imported only when the app opens: a headless `train` must not pay for it.
from .args import CMDLINE, HOME_ENV, NO_RECORD_ENV, add_home_argument
from .errors import EXIT_INTERRUPTED, PROG, OneLineParser, fail


def make_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog=PROG,
        description="Watch a neural network learn, one backprop phase at a time.",
        epilog="With no command, opens the terminal app on --scenario (default five-classes).",
    )
    p.add_argument("--scenario", metavar="NAME|PATH", help="scenario to open the app on")
    from tui.pacing import fps_argument  # stdlib only

    p.add_argument(
        "--fps",
        type=fps_argument,
        metavar="N",
        help="the app's panels redraw at most N times a second while running (slow links)",
    )
    add_home_argument(p, None)
    p.add_argument(
        "--no-record",
        dest="app_no_record",  # apart from train's and sweep's own --no-record
        action="store_true",
        help="the app records no run in the ledger (nor do the sweeps it starts)",
    )
    p.add_argument(
        "--open",
        metavar="ID|FILE.npz",
        help="open a recorded run (a ledger id) or a checkpoint in the app, where it left off",
    )
    from .args import add_data_arguments

    add_data_arguments(p, dest="app_")  # the app's own: train's --data/--target are its own
    sub = p.add_subparsers(
        dest="command", metavar="{scenarios,train,gradcheck,serve,sweep,lr-find,runs,lessons}"
    )
    sub.add_parser("scenarios", help="list the bundled scenarios")
    from .args import add_arguments

    add_arguments(sub.add_parser("train", help="train a scenario headless"))
    from .gradcheck import add_arguments as add_gradcheck_arguments

    add_gradcheck_arguments(
        sub.add_parser("gradcheck", help="check backprop against finite differences, with costs")
    )
    from .serve import add_arguments as add_serve_arguments

    add_serve_arguments(sub.add_parser("serve", help="serve the app to a browser (textual-serve)"))
    from .sweep import add_arguments as add_sweep_arguments

    add_sweep_arguments(  # no abbreviations: --seed and --seeds are both real options
        sub.add_parser("sweep", help="train a grid of settings x seeds at once", allow_abbrev=False)
    )
    from .lr_find import add_arguments as add_lr_find_arguments

    add_lr_find_arguments(sub.add_parser("lr-find", help="the learning-rate range test"))
    from .runs import add_arguments as add_runs_arguments

    add_runs_arguments(sub.add_parser("runs", help="the ledger's runs: list, show, rm"))
    from .lessons import add_arguments as add_lessons_arguments

    add_lessons_arguments(sub.add_parser("lessons", help="classic results to reproduce"))
    for command in sub.choices.values():  # --home after any command too
        add_home_argument(command, argparse.SUPPRESS)
    return p


def cmd_scenarios() -> int:
    from scenarios import ScenarioError, bundled_scenarios
    from scenarios.schema import printable

    try:
        scns = bundled_scenarios()
    except ScenarioError as exc:  # a broken install, not the user's fault, but still one line
        return fail(str(exc))
    width = max(len(s.name) for s in scns) + 2
    for s in scns:  # the loader escaped control characters; printable() again costs nothing
        print(f"{printable(s.name):<{width}}{printable(s.description)}")
    return 0


def _found(spec: str) -> bool:
    """A bundled name or a scenario file, found without loading the scenarios (numpy).

    A .csv or .npz is never a scenario (a data file or a checkpoint): the loader says what it
    is before the terminal is taken over.
    """
    if Path(spec).suffix.lower() in (".csv", ".npz"):
        return False
    return (BUNDLED_DIR / f"{spec}.toml").is_file() or Path(spec).is_file()


def open_app_on_data(
    spec: str | None, data: str | None, target: str | None, fps: float | None = None
) -> int:
    """The app on a CSV's default scenario, built (and its errors reported) before it opens."""
    from scenarios import ScenarioError, build

    from .args import load_source

    try:
        scn = load_source(spec, data, target)
        built = build(scn)
    except ScenarioError as exc:
        return fail(str(exc))
    except (ValueError, MemoryError) as exc:
        return fail(f"{data}: {exc}")
    from tui.terminal import check_terminal, run_in_terminal  # stdlib only

    if problem := check_terminal():  # before Textual: it would spin on a pipe, draw on a file
        return fail(problem)
    try:
        from tui.app import BackpropApp
        from tui.session import Session
    except ImportError as exc:
        return fail(f"the terminal app is not available ({exc}); `train` works headless")
    app = BackpropApp(session=Session(scn, built), fps=fps)
    return run_in_terminal(app, app.engine.pause)


def open_app(spec: str | None, fps: float | None = None) -> int:
    spec = spec or DEFAULT_SCENARIO
    if not _found(spec):
        # an unknown name or a missing file: say so (with "did you mean") before the terminal
        # is taken over; a scenario that is found opens the app at once, which loads it after
        # its first paint and ends with the same one-line error (exit 2) if it is invalid
        from scenarios import ScenarioError, load_scenario

        try:
            load_scenario(spec)
        except ScenarioError as exc:
            return fail(str(exc))
    from tui.terminal import check_terminal  # stdlib only

    if problem := check_terminal():
        return fail(problem)
    try:
        from tui.app import run_app
    except ImportError as exc:
        return fail(f"the terminal app is not available ({exc}); `train` works headless")
    return int(run_app(spec, fps=fps) or 0)


def entry() -> None:
    """The `backprop-tui` console script and `python -m tui.cli`: ``main``, then the exit.

    Once the terminal app has run, the process ends at once (terminal.end_process), so `q`
    exits within half a second on a big network; headless commands exit as usual.
    """
    code = main()
    from tui import terminal  # stdlib only

    if terminal.app_ended:
        terminal.end_process(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.home is not None:
        if not args.home:
            return fail(f"{CMDLINE}: --home: found ''; allowed: a directory path")
        # for everything this process starts too: the app's ledger, sweep workers
        os.environ[HOME_ENV] = args.home
    if args.app_no_record:
        os.environ[NO_RECORD_ENV] = "1"  # the app reads it, and the sweeps it starts
    needs_source = args.command in ("train", "gradcheck", "sweep", "lr-find")
    resuming = args.command == "train" and args.resume is not None
    if needs_source and args.scenario is None and args.data is None and not resuming:
        # argparse's own wording: the positional is optional only because --data can replace it
        parser.error(
            f"{args.command}: the following arguments are required: SCENARIO|PATH "
            "(or --data FILE.csv --target COLUMN"
            + (", or --resume ID|FILE.npz)" if args.command == "train" else ")")
        )
    if args.open is not None and (args.command or args.scenario or args.app_data):
        what = args.command or ("--scenario" if args.scenario else "--data")
        return fail(f"{CMDLINE}: --open: found with {what}; allowed: --open ID|FILE.npz alone")
    if args.command is not None and (args.app_data or args.app_target):
        # `backprop-tui --data f.csv train`: the options before a command open the app
        return fail(f"{CMDLINE}: --data and --target go after the command: {args.command} --data")
    try:
        if args.command == "scenarios":
            return cmd_scenarios()
        if args.command == "train":
            from .train import run_train

            return run_train(args)
        if args.command == "gradcheck":
            from .gradcheck import run_gradcheck

            return run_gradcheck(args)
        if args.command == "lr-find":
            from .lr_find import run_lr_find

            return run_lr_find(args)
        if args.command == "sweep":
            from .sweep import run_sweep_command

            return run_sweep_command(args)
        if args.command == "serve":
            from .serve import run_serve

            return run_serve(args)
        if args.command == "runs":
            from .runs import run_runs

            return run_runs(args)
        if args.command == "lessons":
            from .lessons import run_lessons

            return run_lessons(args)
        if args.open is not None:
            from .open_run import open_app_on_run

            return open_app_on_run(args.open, args.fps)
        if args.app_data or args.app_target:
            return open_app_on_data(args.scenario, args.app_data, args.app_target, args.fps)
        return open_app(args.scenario, args.fps)
    except BrokenPipeError:
        # `backprop-tui scenarios | head -1`: the reader left; that is not an error.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        # Ctrl-C while loading or checking: the shell's convention, no traceback
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
