"""Gradients against PyTorch autograd in float64, for every valid (output, loss) pair."""

from __future__ import annotations

import numpy as np
import pytest

from engine import HIDDEN, VALID_PAIRS, Network
from tests.engine.engine_helpers import make_data, randomize

torch = pytest.importorskip("torch")

RTOL = 1e-12
ATOL = 1e-14


def torch_grads(net: Network, X: np.ndarray, y: np.ndarray) -> tuple[float, list]:
    acts = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "leaky_relu": lambda z: torch.nn.functional.leaky_relu(z, 0.01),
        "linear": lambda z: z,
    }
    params = [
        (
            torch.tensor(layer.W, dtype=torch.float64, requires_grad=True),
            torch.tensor(layer.b, dtype=torch.float64, requires_grad=True),
        )
        for layer in net.layers
    ]
    a = torch.tensor(X, dtype=torch.float64)
    for i, (W, b) in enumerate(params):
        z = a @ W + b
        a = z if i == len(params) - 1 else acts[net.activations[i]](z)
    red = net.reduction
    if net.loss_name == "cross_entropy":
        loss = torch.nn.functional.cross_entropy(a, torch.tensor(y), reduction=red)
    elif net.loss_name == "binary_cross_entropy":
        t = torch.tensor(y, dtype=torch.float64)
        per = torch.nn.functional.binary_cross_entropy_with_logits(a, t, reduction="none")
        per = per.sum(dim=1)
        loss = per.mean() if red == "mean" else per.sum()
    else:
        out = acts[net.output](a)
        per = 0.5 * ((out - torch.tensor(y, dtype=torch.float64)) ** 2).sum(dim=1)
        loss = per.mean() if red == "mean" else per.sum()
    loss.backward()
    return float(loss.detach()), [(W.grad.numpy(), b.grad.numpy()) for W, b in params]


CASES = [
    (h, pair, red, sizes)
    for pair in VALID_PAIRS
    for red in ("mean", "sum")
    for h, sizes in [("tanh", [5, 3])] + [(h, [5, 8, 6, 3]) for h in HIDDEN]
]


@pytest.mark.parametrize(
    ("hidden", "pair", "reduction", "sizes"),
    CASES,
    ids=[f"{h}-{o}-{lo}-{r}-{len(s) - 1}L" for h, (o, lo), r, s in CASES],
)
def test_gradients_match_torch_autograd(
    hidden: str, pair: tuple[str, str], reduction: str, sizes: list[int]
) -> None:
    output, loss = pair
    net = Network.from_sizes(
        sizes, hidden=hidden, output=output, loss=loss, reduction=reduction, seed=0
    )
    randomize(net, seed=len(hidden) + len(output))
    X, y = make_data(net, 16, seed=3)
    tloss, tgrads = torch_grads(net, X, y)
    np.testing.assert_allclose(net.loss(X, y), tloss, rtol=RTOL, atol=ATOL)
    for (dW, db), (tW, tb) in zip(net.gradients(X, y), tgrads, strict=True):
        np.testing.assert_allclose(dW, tW, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(db, tb, rtol=RTOL, atol=ATOL)


def max_difference() -> float:
    """Largest |engine - torch| over every case's gradients (for the report)."""
    worst = 0.0
    for hidden, (output, loss), red, sizes in CASES:
        net = randomize(
            Network.from_sizes(sizes, hidden=hidden, output=output, loss=loss, reduction=red),
            seed=len(hidden) + len(output),
        )
        X, y = make_data(net, 16, seed=3)
        _, tg = torch_grads(net, X, y)
        for (dW, db), (tW, tb) in zip(net.gradients(X, y), tg, strict=True):
            worst = max(worst, float(np.abs(dW - tW).max()), float(np.abs(db - tb).max()))
    return worst


if __name__ == "__main__":
    print(f"max |engine - torch| over all gradients: {max_difference():.3e}")
