"""Sharpness: exact Hessian-vector products against dense Hessians, and the power iteration."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Network
from engine.sharpness import (
    HessianOperator,
    SharpnessMeter,
    hvp,
    hvp_fd,
    loss_gradient,
    sharpness,
    top_eigenvalue,
)

Array = np.ndarray

# (hidden, output, loss): every output/loss pair, and every hidden activation at least once
CASES = [
    ("relu", "softmax", "cross_entropy"),
    ("tanh", "softmax", "cross_entropy"),
    ("sigmoid", "sigmoid", "binary_cross_entropy"),
    ("leaky_relu", "sigmoid", "mse"),
    ("tanh", "tanh", "mse"),
    ("sigmoid", "linear", "mse"),
    ("linear", "linear", "mse"),
]
FD_STEP = 1e-5
# A central difference of the gradient has truncation error h^2/6 * |g'''| and rounding error
# about eps_machine * |g| / h; for these nets (|g| and |g'''| of order 1-100) both are below 1e-8.
FD_ATOL = 1e-7


def small_net(hidden: str, output: str, loss: str, reduction: str, seed: int = 3) -> Network:
    n_out = 3 if output == "softmax" else 2
    return Network.from_sizes(
        [3, 4, 3, n_out], hidden, output, loss, seed=seed, reduction=reduction, init_scale=1.0
    )


def small_data(net: Network, seed: int = 4) -> tuple[Array, Array]:
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((9, net.sizes[0]))
    k = net.sizes[-1]
    if net.loss_name == "cross_entropy":
        return X, rng.integers(0, k, 9)
    if net.loss_name == "binary_cross_entropy":
        return X, rng.integers(0, 2, (9, k)).astype(np.float64)
    return X, rng.uniform(-1, 1, (9, k))


def backprop_gradient(net: Network, X: Array, y: Array, params: Array) -> Array:
    """The net's own backprop gradient (not sharpness.py's) at ``params``; the net is restored."""
    saved = net.params.copy()
    net.params[:] = params
    try:
        return np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in net.gradients(X, y)])
    finally:
        net.params[:] = saved


def dense_from_hvp(net: Network, X: Array, y: Array) -> Array:
    return np.stack([hvp(net, X, y, e) for e in np.eye(net.n_params)], axis=1)


def dense_from_fd(net: Network, X: Array, y: Array) -> Array:
    p = net.params.astype(np.float64)
    cols = []
    for e in np.eye(net.n_params):
        gp = backprop_gradient(net, X, y, p + FD_STEP * e)
        gm = backprop_gradient(net, X, y, p - FD_STEP * e)
        cols.append((gp - gm) / (2 * FD_STEP))
    return np.stack(cols, axis=1)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(("hidden", "output", "loss"), CASES)
def test_hvp_matches_dense_hessian(hidden: str, output: str, loss: str, reduction: str) -> None:
    net = small_net(hidden, output, loss, reduction)
    X, y = small_data(net)
    H = dense_from_hvp(net, X, y)
    H_fd = dense_from_fd(net, X, y)
    scale = max(1.0, float(np.abs(H).max()))
    assert np.abs(H - H.T).max() <= 1e-12 * scale  # a Hessian is symmetric
    assert np.abs(H - H_fd).max() <= FD_ATOL * scale
    # a random direction, not only unit vectors: H v is linear in v
    v = np.random.default_rng(5).standard_normal(net.n_params)
    np.testing.assert_allclose(hvp(net, X, y, v), H @ v, rtol=0, atol=1e-12 * scale * 10)
    np.testing.assert_allclose(hvp_fd(net, X, y, v), H @ v, rtol=0, atol=FD_ATOL * scale * 10)


@pytest.mark.parametrize(("hidden", "output", "loss"), CASES)
def test_power_iteration_finds_the_top_eigenpair(hidden: str, output: str, loss: str) -> None:
    net = small_net(hidden, output, loss, "mean")
    X, y = small_data(net)
    H = dense_from_hvp(net, X, y)
    values, vectors = np.linalg.eigh(H)
    e = sharpness(net, X, y, tol=1e-7, max_iter=20_000)
    assert e.converged
    top = values[-1]
    gap = top - values[-2]
    assert e.value == pytest.approx(top, rel=1e-9, abs=1e-12)
    # the residual bounds the eigenvalue's error (Bauer-Fike), and is what stopped the search
    assert e.residual <= 1e-7 * abs(e.value)
    np.testing.assert_allclose(H @ e.vector, e.value * e.vector, atol=1e-6 * abs(top))
    assert np.linalg.norm(e.vector) == pytest.approx(1.0)
    if gap > 1e-3 * abs(top):  # a simple top eigenvalue: its eigenvector is determined
        assert abs(e.vector @ vectors[:, -1]) == pytest.approx(1.0, abs=1e-6)


def test_linear_regression_hessian_is_the_design_gram_matrix() -> None:
    """One linear layer with squared error (mean): H = [X 1]^T [X 1] / n for each output."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3))
    y = rng.standard_normal((20, 1))
    net = Network.from_sizes([3, 1], output="linear", loss="mse", seed=1)
    A = np.hstack([X, np.ones((20, 1))])  # layout [W (3x1), b (1)]
    np.testing.assert_allclose(dense_from_hvp(net, X, y), A.T @ A / 20, rtol=1e-13, atol=1e-14)
    e = sharpness(net, X, y, tol=1e-10, max_iter=10_000)
    assert e.value == pytest.approx(np.linalg.eigvalsh(A.T @ A / 20)[-1], rel=1e-12)


def test_l2_adds_its_curvature_to_the_weights_only() -> None:
    net = small_net("tanh", "linear", "mse", "mean")
    X, y = small_data(net)
    v = np.random.default_rng(2).standard_normal(net.n_params)
    diff = hvp(net, X, y, v, l2=0.3) - hvp(net, X, y, v)
    np.testing.assert_allclose(diff, np.where(net.weight_mask, 0.3 * v, 0.0), atol=1e-15)


def test_gradient_agrees_with_backprop_and_nothing_is_written() -> None:
    net = small_net("tanh", "softmax", "cross_entropy", "mean")
    X, y = small_data(net)
    params = net.params.copy()
    g = loss_gradient(net, X, y)
    np.testing.assert_array_equal(g, backprop_gradient(net, X, y, params))  # writes net.grad
    grad = net.grad.copy()
    sharpness(net, X, y)
    np.testing.assert_array_equal(net.params, params)
    np.testing.assert_array_equal(net.grad, grad)


def test_float32_net_is_measured_in_float64() -> None:
    net64 = small_net("tanh", "linear", "mse", "mean")
    net32 = Network(net64.sizes, net64.activations, net64.loss_fn, "float32")
    net32.params[:] = net64.params
    X, y = small_data(net64)
    v = np.random.default_rng(1).standard_normal(net64.n_params)
    out = hvp(net32, X, y, v, params=net32.params.astype(np.float64))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, hvp(net64, X, y, v, params=net32.params), atol=1e-12)


def test_negative_dominant_eigenvalue_still_gives_the_largest() -> None:
    """Power iteration alone would answer -5 (largest magnitude); the shifted search answers 2."""
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((6, 6)))[0]
    A = Q @ np.diag([-5.0, -1.0, 0.5, 1.0, 1.5, 2.0]) @ Q.T
    e = top_eigenvalue(lambda v: A @ v, 6, tol=1e-9, max_iter=10_000)
    assert e.converged
    assert e.value == pytest.approx(2.0, rel=1e-9)
    # a plateau: every eigenvalue near 0 beside one negative; the top is found to tol x 5
    B = Q @ np.diag([-5.0, -1.0, 0.0, 1e-6, 2e-6, 3e-6]) @ Q.T
    e = top_eigenvalue(lambda v: B @ v, 6, tol=1e-6, max_iter=100_000)
    assert e.converged and abs(e.value - 3e-6) <= 5 * 1e-6


def test_seeded_start_is_reproducible_and_warm_start_is_cheap() -> None:
    net = small_net("tanh", "tanh", "mse", "mean")
    X, y = small_data(net)
    a = sharpness(net, X, y, seed=7)
    b = sharpness(net, X, y, seed=7)
    assert a.value == b.value and a.iterations == b.iterations
    np.testing.assert_array_equal(a.vector, b.vector)
    meter = SharpnessMeter(seed=7, tol=1e-6, max_iter=5000)
    cold = meter.measure(net, X, y, step=0)
    warm = meter.measure(net, X, y, step=1)  # same weights: the start is the answer already
    assert warm.iterations == 1 < cold.iterations
    assert warm.value == pytest.approx(cold.value, rel=1e-6)
    assert meter.steps == [0, 1] and meter.last == warm.value
    assert meter.products == cold.iterations + warm.iterations


def test_non_finite_weights_give_nan_not_a_hang() -> None:
    net = small_net("tanh", "linear", "mse", "mean")
    X, y = small_data(net)
    net.params[0] = np.nan
    e = sharpness(net, X, y, max_iter=50)
    assert not e.converged and not np.isfinite(e.value)


PAIRS = [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"), ("sigmoid", "mse"),
         ("tanh", "mse"), ("linear", "mse")]  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hidden=st.lists(st.integers(1, 5), min_size=0, max_size=3),
    act=st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "linear"]),
    pair=st.sampled_from(PAIRS),
    reduction=st.sampled_from(["mean", "sum"]),
    seed=st.integers(0, 2**16),
)
def test_hessian_products_are_symmetric_and_linear(
    hidden: list[int], act: str, pair: tuple[str, str], reduction: str, seed: int
) -> None:
    """u.Hv == v.Hu and H(a u + v) == a Hu + Hv on random nets: H is a symmetric linear map."""
    output, loss = pair
    n_out = 3 if output == "softmax" else 2
    net = Network.from_sizes(
        [2, *hidden, n_out], act, output, loss, seed=seed, reduction=reduction, init_scale=1.0
    )
    X, y = small_data(net, seed)
    op = HessianOperator(net, X, y)
    rng = np.random.default_rng(seed)
    u, v = rng.standard_normal((2, net.n_params))
    Hu, Hv = op(u), op(v)
    scale = max(1.0, float(np.abs(Hu).max()), float(np.abs(Hv).max()))
    tol = 1e-12 * scale * net.n_params
    assert abs(u @ Hv - v @ Hu) <= tol
    np.testing.assert_allclose(op(2.5 * u + v), 2.5 * Hu + Hv, rtol=0, atol=tol)
