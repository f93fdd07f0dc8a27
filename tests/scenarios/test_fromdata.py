"""A CSV without a TOML wrapper: the default scenario scenario_from_data builds for it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scenarios import ScenarioError, build, scenario_from_data
from scenarios.fromdata import infer_task


def write(tmp_path: Path, text: str, name: str = "flowers.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


LABELS = "petal length,petal width,species\n" + "".join(
    f"{i * 0.1:.1f},{(i % 3) * 1.5},{['setosa', 'versicolor', 'virginica'][i % 3]}\n"
    for i in range(30)
)
NUMBERS = "x,y\n" + "".join(f"{i * 0.5},{np.sin(i * 0.5):.4f}\n" for i in range(40))


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["cat", "dog", "cat"], "classification"),
        (["0", "1", "1", "0"], "classification"),
        (["1", "2", "10"], "classification"),
        (["0.0", "1.0"], "classification"),  # integral floats, few of them: labels
        ([str(i) for i in range(21)], "regression"),  # many integers: a quantity
        (["0.5", "1.25", "2"], "regression"),
    ],
)
def test_infer_task(values: list[str], task: str) -> None:
    assert infer_task(values) == task


def test_labels_give_a_softmax_classifier_named_after_the_columns(tmp_path: Path) -> None:
    scn = scenario_from_data(write(tmp_path, LABELS), "species")
    assert scn.name == "flowers" and scn.is_classification
    assert "species" in scn.description
    net = scn.network
    assert (net.hidden, net.activation, net.output, net.loss) == (
        (16,),
        "tanh",
        "softmax",
        "cross_entropy",
    )
    b = build(scn)
    assert b.feature_names == ("petal length", "petal width")  # the map's axes
    assert b.data.class_names == ("setosa", "versicolor", "virginica")
    assert b.net.sizes == [2, 16, 3]
    assert b.data.X_test is not None and len(b.data.X_test) == 6  # 20% held out
    b.stepper.run(10)


def test_numbers_give_a_linear_mse_regression(tmp_path: Path) -> None:
    scn = scenario_from_data(write(tmp_path, NUMBERS, "sine.csv"), "y")
    assert not scn.is_classification
    assert (scn.network.output, scn.network.loss) == ("linear", "mse")
    b = build(scn)
    assert b.feature_names == ("x",) and b.net.sizes == [1, 16, 1]


def test_integer_labels_keep_their_numeric_order(tmp_path: Path) -> None:
    text = "a,grade\n" + "".join(f"{i},{[1, 2, 10][i % 3]}\n" for i in range(12))
    b = build(scenario_from_data(write(tmp_path, text), "grade"))
    assert b.data.class_names == ("1", "2", "10")


@pytest.mark.parametrize(
    ("make", "target", "needles"),
    [
        (lambda d: d / "none.csv", "y", ("none.csv", "data.file", "no such file")),
        (lambda d: d, "y", ("data.file", "is a directory")),
        (lambda d: write(d, LABELS), "colour", ("flowers.csv", "data.target", "'colour'")),
        (lambda d: write(d, "x,y\n1,2\n", "d.txt"), "y", ("d.txt", "a .csv file")),
    ],
)
def test_bad_input_names_the_file_and_key(
    tmp_path: Path, make: object, target: str, needles: tuple[str, ...]
) -> None:
    assert callable(make)
    with pytest.raises(ScenarioError) as exc:
        scenario_from_data(make(tmp_path), target)
    msg = str(exc.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg
