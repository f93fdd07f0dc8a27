"""Fixtures of the runs screen's tests: a ledger of four real `train` runs, copied per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.runs_helpers import copy_home, fill


@pytest.fixture(scope="session")
def runs_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The filled ledger, once per session and worker (each `train` is a process: ~1 s)."""
    return fill(tmp_path_factory.mktemp("ledger"))


@pytest.fixture
def runs_home(runs_template: Path, _data_home: Path) -> Path:
    """This test's data home with a copy of the filled ledger."""
    copy_home(runs_template, _data_home)
    return _data_home
