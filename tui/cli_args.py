"""The `train` subcommand's arguments, apart from its numpy-importing code (fast `--help`, app)."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", metavar="SCENARIO|PATH", help="a bundled name or a .toml file")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", metavar="N", help="iterations to run")
    length.add_argument("--epochs", metavar="N", help="passes over the training set")
    p.add_argument("--lr", metavar="F", help="learning rate (> 0)")
    p.add_argument("--batch-size", metavar="N|full", help="samples per iteration, or full")
    p.add_argument("--momentum", metavar="F", help="SGD momentum in [0, 1)")
    p.add_argument("--seed", metavar="N", help="seed for weight init and shuffling")
    p.add_argument(
        "--target-accuracy", metavar="F", help="stop once training accuracy reaches F (0-1]"
    )
    p.add_argument("--eval-every", metavar="N", help="evaluate every N iterations")
    p.add_argument("--log", metavar="FILE.jsonl", help="one JSON line per evaluation")
    p.add_argument("--save", metavar="FILE.npz", help="write the final state as a checkpoint")
    p.add_argument("--json", action="store_true", help="last stdout line: one JSON summary")
