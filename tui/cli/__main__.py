"""`python -m tui.cli`: the same as the `backprop-tui` command."""

import sys

from . import main

sys.exit(main())
