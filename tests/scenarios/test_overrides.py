"""scenarios.overrides: resolved configs, validated changes, difference labels, new-weight keys."""

from __future__ import annotations

import json

import pytest

from scenarios import ScenarioError, bundled_names, load_scenario
from scenarios.overrides import (
    LENGTH_KEYS,
    describe_difference,
    differing_keys,
    needs_new_weights,
    resolved_config,
    with_changes,
)


@pytest.mark.parametrize("name", bundled_names())
def test_no_change_gives_the_same_scenario(name: str) -> None:
    scn = load_scenario(name)
    assert with_changes(scn, {}) == scn
    config = resolved_config(scn)
    assert json.loads(json.dumps(config)) == config  # JSON-able as it is


def test_resolved_config_has_the_documented_keys() -> None:
    config = resolved_config(load_scenario("xor"))
    for key in (
        "training.lr",
        "training.batch_size",
        "training.momentum",
        "training.optimizer",
        "training.l1",
        "training.l2",
        "network.hidden",
        "network.activation",
        "network.init",
        "seed",
    ):
        assert key in config
    assert config["training.lr"] == 0.1
    assert config["network.hidden"] == [8]
    assert config["training.batch_size"] == 10


def test_changes_apply_and_round_trip() -> None:
    scn = load_scenario("xor")
    new = with_changes(scn, {"training.lr": 0.2, "training.batch_size": "full", "seed": 3})
    assert new.training.learning_rate == 0.2
    assert new.training.batch_size is None
    assert new.training.seed == 3
    assert scn.training.learning_rate == 0.1  # the original is untouched
    config = resolved_config(new)
    assert config["training.batch_size"] == "full"
    # the long names are accepted too, and a config applied to its scenario gives it back
    assert with_changes(scn, {"training.learning_rate": 0.2}).training.learning_rate == 0.2
    assert with_changes(scn, config) == new
    assert with_changes(new, {"training.batch_size": None}).training.batch_size is None


def test_hidden_and_optimizer_switch() -> None:
    scn = load_scenario("xor")
    new = with_changes(scn, {"network.hidden": [16, 16], "training.optimizer": "adam"})
    assert new.network.hidden == (16, 16)
    assert new.training.optimizer == "adam"
    back = with_changes(new, {"training.optimizer": "sgd", "training.momentum": 0.5})
    assert back.training.momentum == 0.5


def test_steps_and_epochs_replace_each_other() -> None:
    scn = load_scenario("xor")
    by_epochs = with_changes(scn, {"training.epochs": 3})
    assert (by_epochs.training.steps, by_epochs.training.epochs) == (None, 3)
    by_steps = with_changes(by_epochs, {"training.steps": 7})
    assert (by_steps.training.steps, by_steps.training.epochs) == (7, None)


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"training.lr": -1}, "training.lr", "> 0"),
        ({"training.learning_rate": 0}, "training.learning_rate", "> 0"),
        ({"training.lrr": 1}, "training.lrr", "did you mean 'training.lr'"),
        ({"network.hidden": [0]}, "network.hidden[0]", "integer >= 1"),
        ({"seed": -1}, "seed", "integer >= 0"),
        ({"training.batch_size": "x"}, "training.batch_size", '"full"'),
        ({"network.activation": "relu6"}, "network.activation", "tanh"),
        ({"training.optimizer": "adam", "training.momentum": 0.5}, "training.momentum", "adam"),
    ],
)
def test_bad_changes_name_the_key(changes: dict[str, object], key: str, words: str) -> None:
    scn = load_scenario("xor")
    with pytest.raises(ScenarioError) as info:
        with_changes(scn, changes, where="command line")
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"command line: {key}: ")
    assert words in msg


def test_differing_keys_and_labels() -> None:
    scn = load_scenario("xor")
    base = resolved_config(scn)
    a = resolved_config(with_changes(scn, {"training.lr": 0.2}))
    b = resolved_config(with_changes(scn, {"training.batch_size": 32, "training.momentum": 0.5}))
    c = resolved_config(with_changes(scn, {"training.steps": 5}))
    assert differing_keys([base]) == []
    assert differing_keys([base, a, b, c]) == [
        "training.batch_size",
        "training.lr",
        "training.momentum",
    ]
    assert "training.steps" in differing_keys([base, c], ignore=frozenset())
    assert describe_difference(a, base) == "lr 0.2"
    assert describe_difference(b, base) == "batch 32, momentum 0.5"
    assert describe_difference(base, base) == ""
    assert describe_difference(c, base) == ""  # the run's length is not a hyperparameter
    h = resolved_config(with_changes(scn, {"network.hidden": [16, 16], "training.l2": 1e-4}))
    assert describe_difference(h, base) == "hidden 16,16, l2 0.0001"
    assert "training.steps" in LENGTH_KEYS


def test_needs_new_weights() -> None:
    for keys in (
        ["training.lr"],
        ["training.batch_size", "training.momentum", "training.l1", "training.l2"],
        ["training.schedule", "training.optimizer", "training.beta1"],
        ["training.steps", "training.eval_every"],
        [],
    ):
        assert not needs_new_weights(keys), keys
    for keys in (
        ["network.hidden"],
        ["network.activation"],
        ["network.init"],
        ["seed"],
        ["training.seed"],
        ["training.lr", "data.noise"],
    ):
        assert needs_new_weights(keys), keys


def test_schedule_is_text_and_checked() -> None:
    scn = load_scenario("xor")
    if "training.schedule" not in resolved_config(scn):
        pytest.skip("scenarios have no lr schedule yet")
    assert resolved_config(scn)["training.schedule"] == "constant"
    new = with_changes(scn, {"training.schedule": "cosine:steps=100"})
    config = resolved_config(new)
    assert config["training.schedule"] == new.training.schedule  # canonical text
    assert "schedule" in describe_difference(config, resolved_config(scn))
    with pytest.raises(ScenarioError, match=r"^command line: training.schedule: "):
        with_changes(scn, {"training.schedule": "cosin"}, where="command line")
