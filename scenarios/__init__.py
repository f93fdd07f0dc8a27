"""Named, reproducible training problems: TOML scenarios, their data and how they are built.

Only ``DEFAULT_SCENARIO`` is loaded with the package; the rest (numpy and the engine) loads on
first use, so the CLI's ``--help`` and the app's first paint do not wait for numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .defaults import DEFAULT_SCENARIO

if TYPE_CHECKING:
    from .builder import Built, Dataset, build, build_data
    from .fromdata import scenario_from_data
    from .loader import bundled_names, bundled_scenarios, load_scenario
    from .schema import DataSpec, NetworkSpec, Scenario, ScenarioError, TrainingSpec

# Each public name and the submodule that defines it.
_LAZY = {
    "Built": "builder",
    "Dataset": "builder",
    "build": "builder",
    "build_data": "builder",
    "bundled_names": "loader",
    "bundled_scenarios": "loader",
    "load_scenario": "loader",
    "scenario_from_data": "fromdata",
    "DataSpec": "schema",
    "NetworkSpec": "schema",
    "Scenario": "schema",
    "ScenarioError": "schema",
    "TrainingSpec": "schema",
}

__all__ = [
    "DEFAULT_SCENARIO",
    "Built",
    "DataSpec",
    "Dataset",
    "NetworkSpec",
    "Scenario",
    "ScenarioError",
    "TrainingSpec",
    "build",
    "build_data",
    "bundled_names",
    "bundled_scenarios",
    "load_scenario",
    "scenario_from_data",
]


def __getattr__(name: str) -> Any:
    """Load a public name's submodule when the name is first used (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
