"""Every test gets its own data home: nothing a test runs writes to the user's run ledger."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _data_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    # $BACKPROP_TUI_HOME (engine.ledger.home.ENV): inherited by the processes a test starts
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BACKPROP_TUI_HOME", str(home))
    return home
