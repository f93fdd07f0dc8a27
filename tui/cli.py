"""The `backprop-tui` command: open the terminal app, list scenarios, or train headless."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

# Textual is imported only when the app opens: a headless `train` must not pay for it.
from .cli_errors import PROG, OneLineParser, fail


def make_parser() -> argparse.ArgumentParser:
    p = OneLineParser(
        prog=PROG,
        description="Watch a neural network learn, one backprop phase at a time.",
        epilog="With no command, opens the terminal app on --scenario (default five-classes).",
    )
    p.add_argument("--scenario", metavar="NAME|PATH", help="scenario to open the app on")
    sub = p.add_subparsers(dest="command", metavar="{scenarios,train}")
    sub.add_parser("scenarios", help="list the bundled scenarios")
    from .cli_train import add_arguments

    add_arguments(sub.add_parser("train", help="train a scenario headless"))
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


def open_app(spec: str | None) -> int:
    from scenarios import DEFAULT_SCENARIO, ScenarioError, load_scenario

    spec = spec or DEFAULT_SCENARIO
    try:
        load_scenario(spec)  # a bad scenario fails here, before the terminal is taken over
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
            from .cli_train import run_train

            return run_train(args)
        return open_app(args.scenario)
    except BrokenPipeError:
        # `backprop-tui scenarios | head -1`: the reader left; that is not an error.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
