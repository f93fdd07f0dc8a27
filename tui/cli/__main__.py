"""`python -m tui.cli`: the same as the `backprop-tui` command."""

from . import entry

entry()
