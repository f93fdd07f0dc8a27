"""training.batch_schedule in a scenario file: parsed, canonical, validated, built, carried."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.schedules import parse_batch_schedule
from scenarios import ScenarioError, build, load_scenario
from scenarios.overrides import from_config, resolved_config, with_changes

GOOD = """
name = "t"
[data]
generator = "xor"
samples = 40
[network]
hidden = [4]
activation = "tanh"
[training]
learning_rate = 0.5
batch_size = 4
epochs = 6
"""


def write(tmp_path: Path, extra: str) -> Path:
    p = tmp_path / "s.toml"
    p.write_text(textwrap.dedent(GOOD) + extra + "\n")
    return p


def test_default_is_constant(tmp_path: Path) -> None:
    scn = load_scenario(write(tmp_path, ""))
    assert scn.training.batch_schedule == "constant"
    assert build(scn).stepper.batch_schedule.is_constant
    assert resolved_config(scn)["training.batch_schedule"] == "constant"


def test_batch_schedule_is_kept_canonical_and_built(tmp_path: Path) -> None:
    scn = load_scenario(write(tmp_path, 'batch_schedule = " Step: epochs=2 "'))
    assert scn.training.batch_schedule == "step:epochs=2,factor=2"
    st = build(scn).stepper
    assert st.batch_schedule == parse_batch_schedule(scn.training.batch_schedule)
    n = st.batcher.n
    assert st.steps_to_epoch(6) == 2 * -(-n // 4) + 2 * -(-n // 8) + 2 * -(-n // 16)
    st.run(st.steps_to_epoch(6))
    assert st.epoch == 6 and st.batch_in_force == 32 and st.batch_size == 4


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ('"stp:every=3"', "did you mean 'step'"),
        ('"step:every=0"', "every=0"),
        ('"step:every=3,factor=1.5"', "factor=1.5"),
        ("5", "found 5"),
        ('""', "empty"),
    ],
)
def test_bad_batch_schedule_is_one_line_naming_file_and_key(
    tmp_path: Path, value: str, found: str
) -> None:
    path = write(tmp_path, f"batch_schedule = {value}")
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"{path}: training.batch_schedule: ")
    assert found in msg and "allowed:" in msg


def test_overrides_carry_it_through_the_config(tmp_path: Path) -> None:
    scn = load_scenario(write(tmp_path, ""))
    new = with_changes(scn, {"training.batch_schedule": "step:every=5,factor=4"})
    config = resolved_config(new)
    assert config["training.batch_schedule"] == "step:every=5,factor=4"
    assert from_config("t", config, "x").training.batch_schedule == "step:every=5,factor=4"
    with pytest.raises(ScenarioError, match=r"^command line: training.batch_schedule: "):
        with_changes(scn, {"training.batch_schedule": "grow"}, where="command line")
