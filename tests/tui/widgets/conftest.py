"""Fixtures for the panel tests: real engine snapshots at known points of training."""

from __future__ import annotations

import pytest

from tests.tui.widgets.apps.panel_app import (
    big_stepper,
    five_stepper,
    sine_stepper,
    snap,
    trained_five,
    units,
)


@pytest.fixture(autouse=True)
def _colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests choose NO_COLOR explicitly; a developer's environment must not leak in."""
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="session")
def five_after_loss():
    return snap(trained_five(30, 5))


@pytest.fixture(scope="session")
def five_backward():
    return snap(trained_five(30, 7))  # backward L2/3 just done


@pytest.fixture(scope="session")
def five_updated():
    return snap(trained_five(30, 9))


@pytest.fixture(scope="session")
def five_fresh():
    return snap(five_stepper())


@pytest.fixture(scope="session")
def big_784():
    return snap(units(big_stepper((784, 128, 10)), 7))


@pytest.fixture(scope="session")
def big_512():
    return snap(units(big_stepper((512, 512, 10)), 7))


@pytest.fixture(scope="session")
def sine_loss():
    return snap(units(sine_stepper(), 4))


@pytest.fixture(scope="session")
def five_long():
    return snap(trained_five(300, 0))
