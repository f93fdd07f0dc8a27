"""One-line error reporting for the CLI: an argparse parser that never prints a usage block."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from scenarios.schema import printable  # numpy-free

PROG = "backprop-tui"
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a Ctrl-C


class OneLineParser(argparse.ArgumentParser):
    """argparse prints the whole usage before an error; scripts and people want one line."""

    def error(self, message: str) -> NoReturn:
        text = printable(" ".join(message.split()))
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {text} (see {self.prog} --help)\n")


def fail(message: str) -> int:
    """Print one line on stderr and return the bad-input exit code."""
    # a file name or a value from the command line may hold an escape sequence: shown, not run
    print(f"{PROG}: {printable(' '.join(str(message).split()))}", file=sys.stderr)
    return EXIT_BAD_INPUT
