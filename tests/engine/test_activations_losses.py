"""Activations' derivatives and losses' deltas against finite differences; stability; pairs."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

from engine import ACTIVATIONS, LOSSES, OUTPUTS, VALID_PAIRS, Loss, Network, softmax
from engine.activations import get_activation

EPS = 1e-6


def _z(rng: np.random.Generator, shape=(7, 5)) -> np.ndarray:
    z = rng.normal(0.0, 2.0, size=shape)
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the ReLU kink
    return z


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_derivative_matches_finite_differences(name: str) -> None:
    act = ACTIVATIONS[name]
    z = _z(np.random.default_rng(0))
    fd = (act.f(z + EPS) - act.f(z - EPS)) / (2 * EPS)
    analytic = np.asarray(act.grad(z, act.f(z)), dtype=np.float64)
    np.testing.assert_allclose(analytic, fd, rtol=1e-8, atol=1e-10)
    assert act.f(z).shape == z.shape


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_keeps_dtype(name: str, dtype: str) -> None:
    z = _z(np.random.default_rng(1)).astype(dtype)
    act = ACTIVATIONS[name]
    assert act.f(z).dtype == np.dtype(dtype)
    g = np.asarray(act.grad(z, act.f(z)))
    assert g.dtype in (np.dtype(dtype), np.dtype(bool))


def test_activation_values() -> None:
    z = np.array([-2.0, -0.5, 0.5, 3.0])
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"].f(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    np.testing.assert_array_equal(ACTIVATIONS["relu"].f(z), [0, 0, 0.5, 3.0])
    np.testing.assert_allclose(ACTIVATIONS["leaky_relu"].f(z), [-0.02, -0.005, 0.5, 3.0])
    np.testing.assert_array_equal(ACTIVATIONS["linear"].f(z), z)
    np.testing.assert_array_equal(ACTIVATIONS["tanh"].f(z), np.tanh(z))


def test_sigmoid_and_softmax_extremes_are_finite() -> None:
    z = np.array([[-1e4, 0.0, 1e4], [-800.0, 800.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            s = ACTIVATIONS["sigmoid"].f(z)
            p = softmax(z)
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(p))
    np.testing.assert_array_equal(s[0], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)


def test_unknown_activation() -> None:
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        get_activation("swish")


# ---- losses --------------------------------------------------------------------------------
def _targets(loss: str, rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    if loss == "cross_entropy":
        return rng.integers(0, k, size=n)
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=(n, k)).astype(np.float64)
    return rng.uniform(-0.5, 0.5, size=(n, k))


def _out(output: str, z: np.ndarray) -> np.ndarray:
    return softmax(z) if output == "softmax" else ACTIVATIONS[output].f(z)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("pair", VALID_PAIRS, ids=[f"{o}-{lo}" for o, lo in VALID_PAIRS])
def test_loss_delta_matches_finite_differences(pair: tuple[str, str], reduction: str) -> None:
    output, name = pair
    loss = Loss(name, output, reduction)
    rng = np.random.default_rng(3)
    n, k = 6, 4
    z = rng.normal(0.0, 1.5, size=(n, k))
    y = _targets(name, rng, n, k)

    def total(zz: np.ndarray) -> float:
        return loss.reduce(loss.per_sample(zz, _out(output, zz), y))

    fd = np.empty_like(z)
    for ix in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[ix] += EPS
        zm[ix] -= EPS
        fd[ix] = (total(zp) - total(zm)) / (2 * EPS)
    delta = loss.delta(z, _out(output, z), y)
    np.testing.assert_allclose(delta, fd, rtol=1e-7, atol=1e-9)


def test_loss_values_match_formulas() -> None:
    z = np.array([[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0]])
    y = np.array([1, 2])
    ce = Loss("cross_entropy", "softmax")
    p = softmax(z)
    np.testing.assert_allclose(ce.per_sample(z, p, y), -np.log(p[[0, 1], [1, 2]]), rtol=1e-14)
    t = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    bce = Loss("binary_cross_entropy", "sigmoid", "sum")
    s = 1 / (1 + np.exp(-z))
    expected = -(t * np.log(s) + (1 - t) * np.log(1 - s)).sum(axis=1)
    np.testing.assert_allclose(bce.per_sample(z, s, t), expected, rtol=1e-14)
    assert bce.reduce(bce.per_sample(z, s, t)) == pytest.approx(expected.sum(), rel=1e-14)
    mse = Loss("mse", "linear")
    np.testing.assert_allclose(mse.per_sample(z, z, t), 0.5 * ((z - t) ** 2).sum(axis=1))
    assert mse.reduce(mse.per_sample(z, z, t)) == pytest.approx(
        0.5 * ((z - t) ** 2).sum() / 2, rel=1e-15
    )


@pytest.mark.parametrize("pair", VALID_PAIRS, ids=[f"{o}-{lo}" for o, lo in VALID_PAIRS])
def test_losses_stable_at_huge_logits(pair: tuple[str, str]) -> None:
    output, name = pair
    loss = Loss(name, output)
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [800.0, -800.0, 5.0]])
    y = (
        np.array([1, 0, 1])
        if name == "cross_entropy"
        else np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            a = _out(output, z)
            per = loss.per_sample(z, a, y)
            d = loss.delta(z, a, y)
    assert np.all(np.isfinite(per)) and np.all(per >= 0)
    assert np.all(np.isfinite(d))
    if name == "cross_entropy":
        # wrong by a margin of 2e4: the loss is that margin (log-sum-exp), not inf
        np.testing.assert_allclose(per[:2], [2e4, 2e4 + np.log(2)], rtol=1e-15)
    if name == "binary_cross_entropy":
        np.testing.assert_allclose(per[:2], [2e4 + np.log(2), 3e4], rtol=1e-15)


def test_cross_entropy_certain_and_right_is_zero_not_nan() -> None:
    loss = Loss("cross_entropy", "softmax")
    z = np.array([[1e4, -1e4]])
    with np.errstate(all="raise", under="ignore"):
        per = loss.per_sample(z, softmax(z), np.array([0]))
    assert per[0] == 0.0


def test_every_invalid_pair_raises_naming_it_and_the_valid_ones() -> None:
    outputs = [*OUTPUTS, "relu", "leaky_relu"]
    for output, name in itertools.product(outputs, LOSSES):
        if (output, name) in VALID_PAIRS:
            Loss(name, output)
            continue
        with pytest.raises(ValueError) as exc:
            Loss(name, output)
        msg = str(exc.value)
        assert f"({output}, {name})" in msg
        for o, lo in VALID_PAIRS:
            assert f"({o}, {lo})" in msg


@pytest.mark.parametrize(
    ("output", "loss"),
    [("sigmoid", "cross_entropy"), ("softmax", "mse"), ("tanh", "binary_cross_entropy")],
)
def test_from_sizes_rejects_invalid_pairs(output: str, loss: str) -> None:
    with pytest.raises(ValueError, match=r"softmax, cross_entropy\)") as exc:
        Network.from_sizes([2, 3, 2], output=output, loss=loss)
    assert f"({output}, {loss})" in str(exc.value)


def test_unknown_reduction_and_hidden() -> None:
    with pytest.raises(ValueError, match="reduction"):
        Loss("mse", "linear", "median")
    with pytest.raises(ValueError, match="softmax"):
        Network.from_sizes([2, 3, 2], hidden="softmax")
    with pytest.raises(ValueError, match="dtype"):
        Network.from_sizes([2, 3, 2], dtype="float16")
