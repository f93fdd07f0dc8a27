"""training.schedule in a scenario file: parsed, canonical, validated, built into the Stepper."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from engine.schedules import parse_schedule
from scenarios import ScenarioError, build, load_scenario

GOOD = """
name = "t"
[data]
generator = "xor"
[network]
hidden = [4]
activation = "tanh"
[training]
learning_rate = 0.5
batch_size = "full"
steps = 10
"""


def write(tmp_path: Path, extra: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(textwrap.dedent(GOOD) + extra + "\n")
    return p


def test_default_is_constant(tmp_path: Path) -> None:
    scn = load_scenario(write(tmp_path, ""))
    assert scn.training.schedule == "constant"
    assert build(scn).stepper.schedule.is_constant


def test_schedule_is_kept_canonical_and_built(tmp_path: Path) -> None:
    scn = load_scenario(write(tmp_path, 'schedule = "Warmup: steps=2 + cosine:steps=6"'))
    assert scn.training.schedule == "warmup:steps=2+cosine:steps=6"
    st = build(scn).stepper
    assert st.schedule == parse_schedule(scn.training.schedule)
    st.run(8)
    assert np.array_equal(st.history.lr, [0.5 * st.schedule.lr_at(k) for k in range(8)])


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ('"cosin:steps=4"', "did you mean 'cosine'"),
        ('"step:every=0"', "every=0"),
        ("5", "found 5"),
        ('""', "empty"),
    ],
)
def test_bad_schedule_is_one_line_naming_file_and_key(
    tmp_path: Path, value: str, found: str
) -> None:
    path = write(tmp_path, f"schedule = {value}")
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{path}: training.schedule: ")
    assert found in msg and "allowed:" in msg


def test_typo_in_the_key_suggests_schedule(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="did you mean 'schedule'"):
        load_scenario(write(tmp_path, 'schedul = "constant"'))
