"""The `backprop-tui` command: open the terminal app, list scenarios, or train headless."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from scenarios.defaults import BUNDLED_DIR, DEFAULT_SCENARIO

# Textual is imported only when the app opens: a headless `train` must not pay for it.
from .errors import PROG, OneLineParser, fail


def make_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog=PROG,
        description="Watch a neural network learn, one backprop phase at a time.",
        epilog="With no command, opens the terminal app on --scenario (default five-classes).",
    )
    p.add_argument("--scenario", metavar="NAME|PATH", help="scenario to open the app on")
    sub = p.add_subparsers(dest="command", metavar="{scenarios,train,gradcheck}")
    sub.add_parser("scenarios", help="list the bundled scenarios")
    from .args import add_arguments

    add_arguments(sub.add_parser("train", help="train a scenario headless"))
    from .gradcheck import add_arguments as add_gradcheck_arguments

    add_gradcheck_arguments(
        sub.add_parser("gradcheck", help="check backprop against finite differences, with costs")
    )
    return p


def cmd_scenarios() -> int:
    from scenarios import ScenarioError, bundled_scenarios

    try:
        scns = bundled_scenarios()
    except ScenarioError as exc:  # a broken install, not the user's fault, but still one line
        return fail(str(exc))
    width = max(len(s.name) for s in scns) + 2
    for s in scns:
        print(f"{s.name:<{width}}{s.description}")
    return 0


def _found(spec: str) -> bool:
    """A bundled name or an existing file, found without loading the scenarios (numpy)."""
    return (BUNDLED_DIR / f"{spec}.toml").is_file() or Path(spec).is_file()


def open_app(spec: str | None) -> int:
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
    try:
        from tui.app import run_app
    except ImportError as exc:
        return fail(f"the terminal app is not available ({exc}); `train` works headless")
    return int(run_app(spec) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        if args.command == "scenarios":
            return cmd_scenarios()
        if args.command == "train":
            from .train import run_train

            return run_train(args)
        if args.command == "gradcheck":
            from .gradcheck import run_gradcheck

            return run_gradcheck(args)
        return open_app(args.scenario)
    except BrokenPipeError:
        # `backprop-tui scenarios | head -1`: the reader left; that is not an error.
        sys.stderr.close()
        return 0
