"""The `h` form's logic without Textual: prefill, parsing, and the command applying a form."""

from __future__ import annotations

import dataclasses

import pytest

from engine import Adam
from engine.schedules import parse_schedule
from scenarios import Scenario
from tests.tui.app_helpers import open_session
from tui.screens.hyper_values import FormErrors, FormValues, current_values, parse_field, plan


def _current() -> tuple[FormValues, Scenario]:
    session = open_session("five-classes")
    return current_values(session.stepper, session.scenario), session.scenario


def _set(values: FormValues, typed: FormValues, scn: Scenario) -> dict[str, object]:
    result = plan(values, typed, scn)
    assert result is not None and result[0] == "set" and isinstance(result[1], dict)
    return result[1]


def _add(values: FormValues, typed: FormValues, scn: Scenario) -> Scenario:
    result = plan(values, typed, scn)
    assert result is not None and result[0] == "add" and isinstance(result[1], Scenario)
    return result[1]


def test_prefill_is_exact_and_counts_held_changes() -> None:
    session = open_session("five-classes")
    st = session.stepper
    st.step_unit()
    st.set_lr(0.1 / 3)  # held: the form shows what the next iteration gets
    values = current_values(st, session.scenario)
    assert float(values.lr) == 0.1 / 3 and values.momentum == "0.9" and values.batch == "16"


def test_nothing_changed_is_none() -> None:
    values, scn = _current()
    assert plan(values, values, scn) is None
    same = dataclasses.replace(values, lr="5e-2", hidden="8 8", batch=" 16")
    assert plan(values, same, scn) is None


def test_weight_keeping_changes_are_one_set_with_only_what_changed() -> None:
    values, scn = _current()
    typed = dataclasses.replace(values, lr="0.2", schedule="warmup:steps=5", l2="1e-4")
    assert plan(values, typed, scn) == (
        "set",
        {"lr": 0.2, "schedule": parse_schedule("warmup:steps=5"), "l2": 1e-4},
    )
    assert plan(values, dataclasses.replace(values, batch="full"), scn) == (
        "set",
        {"batch_size": None},
    )


def test_switching_optimizer_gives_a_configured_optimizer() -> None:
    values, scn = _current()
    typed = dataclasses.replace(values, optimizer="adam", lr="0.001", beta1="0.8", momentum="x")
    opt = _set(values, typed, scn)["optimizer"]
    assert isinstance(opt, Adam) and (opt.lr, opt.beta1, opt.beta2) == (0.001, 0.8, 0.999)
    back = dataclasses.replace(values, momentum="0.5", l1="0.001")
    assert _set(values, back, scn) == {"momentum": 0.5, "l1": 0.001}  # same kind: plain settings
    sgd = plan(values, dataclasses.replace(values, optimizer="sgd"), scn)
    assert sgd is None


def test_new_weights_give_a_new_scenario_with_every_field() -> None:
    values, scn = _current()
    typed = dataclasses.replace(values, hidden="4, 4, 4", lr="0.3", seed="7", init="glorot")
    new = _add(values, typed, scn)
    assert new.network.hidden == (4, 4, 4) and new.network.init == "glorot"
    assert new.training.learning_rate == 0.3 and new.training.seed == 7
    assert new.training.momentum == 0.9 and new.source == scn.source


def test_a_new_run_switching_to_adam_drops_momentum() -> None:
    values, scn = _current()
    typed = dataclasses.replace(values, activation="tanh", optimizer="adam", beta2="0.99")
    new = _add(values, typed, scn)
    assert new.training.optimizer == "adam" and new.training.beta2 == 0.99


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("lr", "0", "> 0"),
        ("lr", "inf", "finite"),
        ("momentum", "1", "< 1"),
        ("l1", "-1", ">= 0"),
        ("batch", "0", '"full"'),
        ("batch", "²", '"full"'),
        ("hidden", "8,0", "whole numbers"),
        ("hidden", " ".join(["2"] * 33), "at most 32"),
        ("seed", "-1", "whole number"),
        ("schedule", "step", "without every="),
        ("activation", "gelu", "one of"),
    ],
)
def test_bad_fields_say_why(name: str, text: str, says: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_field(name, text)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_every_bad_field_is_reported_at_once_and_a_hidden_field_is_ignored() -> None:
    values, scn = _current()
    typed = dataclasses.replace(values, lr="x", l2="-1", beta1="bad")  # beta1: sgd hides it
    with pytest.raises(FormErrors) as e:
        plan(values, typed, scn)
    assert set(e.value.errors) == {"lr", "l2"}


def test_a_network_too_big_is_the_hidden_fields_error() -> None:
    values, scn = _current()
    with pytest.raises(FormErrors) as e:
        plan(values, dataclasses.replace(values, hidden="100000, 100000"), scn)
    assert list(e.value.errors) == ["hidden"] and "GiB" in e.value.errors["hidden"]
