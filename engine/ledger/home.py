"""Where backprop-tui keeps its data: --home DIR, else $BACKPROP_TUI_HOME, else the XDG data dir."""

from __future__ import annotations

import os
from pathlib import Path

ENV = "BACKPROP_TUI_HOME"
APP_DIR = "backprop-tui"


def data_home(override: str | os.PathLike[str] | None = None) -> Path:
    """The data home: ``override`` (--home), $BACKPROP_TUI_HOME, $XDG_DATA_HOME/backprop-tui or
    ~/.local/share/backprop-tui. Nothing is created here."""
    if override is not None and os.fspath(override):
        return Path(override).expanduser()
    env = os.environ.get(ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "")
    # the XDG spec: a relative XDG_DATA_HOME is invalid and must be ignored
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / APP_DIR
