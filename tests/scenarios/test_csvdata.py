"""A user's own CSV and .npz data: parsing, label mapping, and one-line errors."""

import numpy as np
import pytest

from scenarios import ScenarioError, build, load_scenario

SCENARIO = """
[data]
file = "{file}"
{target}
test_fraction = 0.25
[network]
hidden = [4]
[training]
steps = 5
"""


def scenario(tmp_path, file, target='target = "species"', extra=""):
    p = tmp_path / "s.toml"
    p.write_text(SCENARIO.format(file=file, target=target) + extra)
    return load_scenario(p)


def csv(tmp_path, text, name="d.csv"):
    (tmp_path / name).write_text(text)
    return name


ROWS = "a,b,species\n" + "".join(
    f"{i * 0.1:.1f},{(i % 3) * 1.5},{['cat', 'dog', 'emu'][i % 3]}\n" for i in range(12)
)


def test_csv_string_labels_mapped_sorted(tmp_path):
    b = build(scenario(tmp_path, csv(tmp_path, ROWS)))
    assert b.data.class_names == ("cat", "dog", "emu")
    assert b.data.feature_names == ("a", "b")
    assert b.net.sizes == [2, 4, 3]
    assert len(b.data.X_train) == 9 and len(b.data.X_test) == 3
    # standardisation is on by default for files, fitted on the training part only
    assert np.allclose(b.data.X_train.mean(axis=0), 0)
    b.stepper.run(5)


def test_csv_regression(tmp_path):
    text = "x,y\n" + "".join(f"{i},{i * 2.0}\n" for i in range(10))
    scn = scenario(tmp_path, csv(tmp_path, text), 'target = "y"\ntask = "regression"')
    b = build(scn)
    assert b.net.output == "linear" and b.net.loss_name == "mse"
    assert b.data.y_train.shape == (8, 1)


def err(tmp_path, scn_or_text, target='target = "species"') -> str:
    with pytest.raises(ScenarioError) as exc:
        build(scenario(tmp_path, csv(tmp_path, scn_or_text), target))
    msg = str(exc.value)
    assert "\n" not in msg and "d.csv" in msg
    return msg


def test_non_numeric_feature(tmp_path):
    msg = err(tmp_path, ROWS.replace("0.3,0.0,cat", "0.3,oops,cat"))
    assert "line 5, column 'b'" in msg and "'oops'" in msg and "a number" in msg


def test_missing_target_column(tmp_path):
    msg = err(tmp_path, ROWS, 'target = "label"')
    assert "data.target" in msg and "'label'" in msg and "'species'" in msg


def test_ragged_row_and_empty_csv(tmp_path):
    assert "line 3" in err(tmp_path, ROWS.replace("0.1,1.5,dog", "0.1,dog"))
    assert "empty" in err(tmp_path, "")


def test_npz(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.normal(size=(20, 3)), y=np.arange(20) % 2)
    b = build(scenario(tmp_path, "d.npz", ""))
    assert b.net.sizes == [3, 4, 2]


def test_npz_missing_y_and_corrupt(tmp_path):
    np.savez(tmp_path / "d.npz", X=np.zeros((4, 2)))
    with pytest.raises(ScenarioError, match=r"d\.npz: y: missing"):
        build(scenario(tmp_path, "d.npz", ""))
    (tmp_path / "d.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ScenarioError, match=r"not a readable \.npz"):
        build(scenario(tmp_path, "d.npz", ""))
