"""Named, reproducible training problems: TOML scenarios, their data and how they are built."""

from .build import Built, Dataset, build, build_data
from .loader import DEFAULT_SCENARIO, bundled_names, bundled_scenarios, load_scenario
from .schema import DataSpec, NetworkSpec, Scenario, ScenarioError, TrainingSpec

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
]
