"""The scenario the app and the CLI open by default and where the bundled ones live (no numpy)."""

from pathlib import Path

DEFAULT_SCENARIO = "five-classes"
BUNDLED_DIR = Path(__file__).parent / "bundled"
