"""Scripts that print figures (`python -m benchmarks.NAME`); none asserts.

The runs they start (the app under a pilot or a pty, `train`, sweeps) are recorded in a
throwaway ledger, not the user's: a pilot app ends without `q`, so its runs read "interrupted"
there. $BACKPROP_TUI_HOME, when set, still wins. The processes they start inherit it.
"""

import atexit
import os
import shutil
import tempfile

if not os.environ.get("BACKPROP_TUI_HOME"):
    _home = tempfile.mkdtemp(prefix="backprop-tui-bench-")
    os.environ["BACKPROP_TUI_HOME"] = _home
    atexit.register(shutil.rmtree, _home, True)
