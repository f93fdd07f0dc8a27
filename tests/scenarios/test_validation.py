"""Every problem in a scenario file is one ScenarioError line: file, key path, found, allowed."""

import textwrap

import pytest

from scenarios import ScenarioError, load_scenario

GOOD = """
name = "t"
[data]
generator = "xor"
samples = 40
[network]
hidden = [4]
activation = "tanh"
[training]
learning_rate = 0.1
batch_size = 8
steps = 10
"""


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


def error(path) -> str:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    msg = str(exc.value)
    assert "\n" not in msg
    assert str(path) in msg
    return msg


def test_good_file_loads(tmp_path):
    scn = load_scenario(write(tmp_path, GOOD))
    assert scn.name == "t" and scn.network.hidden == (4,) and scn.training.steps == 10


@pytest.mark.parametrize(
    ("old", "new", "key", "found", "allowed"),
    [
        ("learning_rate = 0.1", "learning_rate = -0.1", "training.learning_rate", "-0.1", "> 0"),
        ("learning_rate = 0.1", "learning_rate = nan", "training.learning_rate", "nan", "finite"),
        ("learning_rate = 0.1", "learning_rate = 0", "training.learning_rate", "0", "> 0"),
        ("learning_rate = 0.1", 'learning_rate = "fast"', "training.learning_rate", "'fast'", ""),
        ("batch_size = 8", "batch_size = 0", "training.batch_size", "0", '"full"'),
        ("batch_size = 8", 'batch_size = "lots"', "training.batch_size", "'lots'", '"full"'),
        ("batch_size = 8", "batch_size = 2.5", "training.batch_size", "2.5", "integer"),
        ("steps = 10", "steps = true", "training.steps", "true", "integer"),
        ('activation = "tanh"', 'activation = "tanhh"', "network.activation", "tanh", "relu"),
        ("hidden = [4]", 'hidden = [4, "x"]', "network.hidden[1]", "'x'", "integer"),
        ("hidden = [4]", "hidden = 4", "network.hidden", "4", "list"),
        ("hidden = [4]", "hidden = [100000, 100000]", "network.hidden", "GiB", "GiB"),
        ("samples = 40", "samples = -3", "data.samples", "-3", "integer >= 2"),
        ('generator = "xor"', 'generator = "xnor"', "data.generator", "xor", "spiral"),
        ("steps = 10", "stepz = 10", "training.stepz", "unknown key", "steps"),
        ('name = "t"', 'name = "t"\ncolour = 1', "colour", "unknown key", "description"),
        (
            'activation = "tanh"',
            'activation = "tanh"\nloss = "cross_entropy"\noutput = "tanh"',
            "network.loss",
            "cross_entropy",
            "softmax with cross_entropy",
        ),
    ],
)
def test_bad_values_name_file_key_found_allowed(tmp_path, old, new, key, found, allowed):
    assert old in GOOD
    msg = error(write(tmp_path, GOOD.replace(old, new, 1)))
    assert f": {key}: " in msg
    assert found in msg and allowed in msg
    assert "allowed:" in msg


def test_typo_gets_a_suggestion(tmp_path):
    msg = error(write(tmp_path, GOOD.replace("learning_rate", "learning_rte")))
    assert "did you mean 'learning_rate'" in msg


def test_missing_data_table(tmp_path):
    assert ": data: missing" in error(write(tmp_path, 'name = "x"\n'))


def test_generator_and_file_together(tmp_path):
    text = GOOD.replace('generator = "xor"', 'generator = "xor"\nfile = "a.csv"')
    msg = error(write(tmp_path, text))
    assert "data.file" in msg and "exactly one" in msg


def test_fixed_pattern_set_refuses_samples(tmp_path):
    msg = error(write(tmp_path, GOOD.replace('"xor"', '"symmetry-6bit"')))
    assert "data.samples" in msg and "fixed" in msg


def test_steps_and_epochs_together(tmp_path):
    msg = error(write(tmp_path, GOOD.replace("steps = 10", "steps = 10\nepochs = 2")))
    assert "training.epochs" in msg


@pytest.mark.parametrize(
    ("content", "found"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"\x00\x01\x02PK\x03\x04", "binary"),
        (b"\xff\xfe\xfa name", "not UTF-8"),
        (b'name = "x"\n[data\n', "TOML syntax error"),
        (b'name = "x"\nname = "y"\n', "TOML syntax error"),
    ],
)
def test_unreadable_files(tmp_path, content, found):
    p = tmp_path / "bad.toml"
    p.write_bytes(content)
    assert found in error(p)


def test_missing_file_and_directory(tmp_path):
    assert "no such file" in error(tmp_path / "nope.toml")
    assert "is a directory" in error(tmp_path)


def test_unknown_bundled_name_suggests():
    with pytest.raises(ScenarioError) as exc:
        load_scenario("digit")
    msg = str(exc.value)
    assert msg.startswith("digit: unknown scenario") and "'digits'" in msg
    assert "five-classes" in msg


def test_data_file_relative_to_scenario_and_must_exist(tmp_path):
    text = GOOD.replace('generator = "xor"\nsamples = 40', 'file = "d.csv"\ntarget = "y"')
    msg = error(write(tmp_path, text))
    assert "data.file" in msg and "no such file" in msg
