"""Frozen, copied views of a Stepper's state: what the UI renders, safe to hand across threads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import diagnostics
from .history import downsample
from .stepper import Stepper

if TYPE_CHECKING:
    from .probes import Probes

Array = np.ndarray


@dataclass(frozen=True)
class LayerSnap:
    """One layer as of the snapshot. Arrays are copies; None where not computed this iteration."""

    index: int  # 0-based; shown to people as L{index+1}
    activation: str
    W: Array  # (fan_in, fan_out)
    b: Array  # (fan_out,)
    z: Array | None  # (rows, fan_out), first ``rows`` samples of the batch
    a: Array | None
    delta: Array | None  # dL/dz, (rows, fan_out)
    dW: Array | None  # data gradient of this iteration (None before its backward unit)
    db: Array | None
    # gradient of the regularisation term at the weights before the update: after the update the
    # one it used, before it the one it will use (None without l1/l2 or before the backward unit)
    reg_dW: Array | None
    uW: Array | None  # update actually applied to W (after the update unit)
    ub: Array | None
    # What the update of this iteration used (Snapshot.update has its scalars); None before the
    # update unit, and each optimiser's own fields None for the other optimiser.
    grad_W: Array | None  # total gradient used: dW + reg_dW
    grad_b: Array | None  # = db (biases are not regularised)
    vel_W: Array | None  # SGD with momentum: the previous step's Delta W, before this update
    vel_b: Array | None  # uW = -lr grad_W + momentum vel_W (bit for bit)
    m_W: Array | None  # Adam: first moment after this update
    m_b: Array | None
    v_W: Array | None  # Adam: second moment after this update
    v_b: Array | None  # uW = -lr (m_W / bias1) / (sqrt(v_W / bias2) + eps) (bit for bit)
    grad_norm_W: float | None
    grad_norm_b: float | None
    grad_norm_history: Array  # recent ||grad|| of the layer, oldest first
    # ReLU layers: the share of neurons never active on the whole training set (1.0: the layer is
    # dead) at the last evaluation (Curves.eval_step); None for other layers or before one
    dead_fraction: float | None
    # ||uW|| / ||W before the update|| (engine.diagnostics.update_ratio); None before the update
    update_ratio: float | None = None


@dataclass(frozen=True)
class DecisionMap:
    """Network output over a grid of the (2-D) input plane, plus the training points."""

    version: int  # Stepper.version it was computed at: with the grid's shape, identifies it
    xs: Array  # (w,) x1 coordinates of columns
    ys: Array  # (h,) x2 coordinates of rows, top row first
    classes: Array  # (h, w) predicted class per cell
    confidence: Array  # (h, w) probability of the predicted class
    points: Array  # (m, 2) training inputs
    labels: Array  # (m,) their classes


@dataclass(frozen=True)
class Model:
    """What the network and its task are: fixed for a scenario."""

    scenario: str
    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss_name: str
    reduction: str
    optimizer: str
    task: str  # "classification" or "regression"
    class_names: tuple[str, ...] | None
    feature_names: tuple[str, ...] | None  # one per input (a CSV's columns), None: x1, x2, ...
    threshold: float  # one output unit's class boundary (class 1 above it)


@dataclass(frozen=True)
class Progress:
    """Where training is: the iteration, the unit within it, undo and divergence."""

    step: int
    epoch: int
    steps_per_epoch: int
    position: int  # units done in the current iteration
    n_units: int
    last_unit: str | None  # e.g. "forward L2/3", "loss", "update"; None before the first unit
    last_phase: str | None
    last_layer: int | None
    next_unit: str
    diverged: str | None
    undo_count: int  # iterations undo can go back
    deltas_kept: bool  # False when the last iteration ran on the fast path


@dataclass(frozen=True)
class Settings:
    """The hyperparameters in force, and the changes held for the next iteration."""

    lr: float  # in force for the current iteration
    batch_size: int | None  # setting; None = full batch
    momentum: float | None
    pending: tuple[tuple[str, object], ...]  # changes that apply from the next iteration
    schedule: str = ""  # the lr schedule's describe() when not constant ("cosine 5,000")
    base_lr: float | None = None  # what the schedule multiplies (the lr +/-/= set)
    effective_lr: float | None = None  # lr / (1 - momentum) for SGD, lr for Adam (diagnostics)
    # under a batch schedule: the batch in force and the schedule's words ("" when constant)
    batch_in_force: int | None = None
    batch_schedule: str = ""


@dataclass(frozen=True)
class Batch:
    """The current batch: per-row arrays hold its first ``rows`` rows (see take_snapshot)."""

    size: int  # rows in the current batch (the arrays may show fewer)
    X: Array | None  # inputs
    y: Array | None  # targets / labels
    outputs: Array | None  # output activations (probabilities for softmax)
    labels: Array | None  # predicted class per row (classification), the network's own rule
    true_labels: Array | None  # true class per row (classification)
    per_sample_loss: Array | None
    loss: float | None  # mean (or sum) data loss of this batch
    reg_loss: float | None


@dataclass(frozen=True)
class Curves:
    """The training history as plotted: the train loss downsampled, evaluations in full (both
    the whole run: its past as min/max buckets once long, see History)."""

    loss_x: Array  # steps of the downsampled train loss curve
    loss_y: Array
    eval_steps: Array
    test_loss: Array
    test_accuracy: Array
    train_accuracy: Array
    last_eval: dict[str, float | None]  # whole-set figures (Stepper.evaluate) ...
    eval_step: int | None  # ... computed at this step; None before any evaluation


@dataclass(frozen=True)
class UpdateInfo:
    """The scalars of the update the shown iteration applied (LayerSnap has its arrays)."""

    optimizer: str  # "sgd" or "adam"
    lr: float  # the learning rate applied, whatever is set now
    momentum: float | None  # SGD (0 without momentum); None for Adam
    beta1: float | None  # Adam only, like the rest
    beta2: float | None
    eps: float | None
    t: int | None  # Adam's step count, this update included
    bias1: float | None  # 1 - beta1**t
    bias2: float | None  # 1 - beta2**t


@dataclass(frozen=True)
class Snapshot:
    """Everything a panel needs, computed in the worker, rendered as is by the widgets."""

    version: int  # Stepper.version: equal versions, equal training state
    model: Model
    progress: Progress
    settings: Settings
    batch: Batch
    curves: Curves
    layers: tuple[LayerSnap, ...]
    decision: DecisionMap | None
    update: UpdateInfo | None  # what the shown iteration's update used; None before its update
    # the app's diagnostics (engine.probes.Prober.observe): sharpness, histograms, confusion
    probes: Probes | None = None


def _copy(a: Array | None, rows: int | None = None) -> Array | None:
    if a is None:
        return None
    return np.array(a[:rows] if rows is not None else a, copy=True)


def _part(flat: Array | None, sl: slice, shape: tuple[int, ...]) -> Array | None:
    """One layer's W or b out of a flat parameter-sized array, copied."""
    return None if flat is None else flat[sl].reshape(shape).copy()


def decision_map(stepper: Stepper, width: int, height: int, pad: float = 0.1) -> DecisionMap | None:
    """Classify a width x height grid over the training inputs' range (2-D inputs only)."""
    net = stepper.net
    X = stepper.X
    if net.sizes[0] != 2 or stepper.task != "classification" or width < 1 or height < 1:
        return None
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - pad * span, hi + pad * span
    xs = np.linspace(lo[0], hi[0], width)
    ys = np.linspace(hi[1], lo[1], height)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    out = net.forward(grid)
    cls = net.labels(out)
    if out.shape[1] == 1:
        p1 = out[:, 0] if net.output != "tanh" else (out[:, 0] + 1) / 2
        conf = np.where(cls == 1, p1, 1 - p1)
    else:
        conf = out.max(axis=1)
        if net.output != "softmax":
            conf = np.clip(conf, 0, 1)
    labels = np.array(net.true_labels(stepper.y), copy=True)
    return DecisionMap(
        stepper.version,
        xs,
        ys,
        cls.reshape(height, width),
        conf.reshape(height, width),
        X.copy(),
        labels,
    )


def take_snapshot(
    stepper: Stepper,
    scenario: str = "",
    rows: int = 64,
    plot_points: int = 200,
    spark_len: int = 60,
    decision_size: tuple[int, int] | None = None,
    class_names: tuple[str, ...] | None = None,
    feature_names: tuple[str, ...] | None = None,
) -> Snapshot:
    """Copy what the panels show; ``rows`` limits per-sample arrays, ``plot_points`` the curves."""
    st = stepper
    net = st.net
    it = st.it
    hist = st.history
    gn_hist = hist.grad_norms_tail(spark_len)
    layers = []
    ap = it.applied
    # the regularisation gradient the update used; before the update the weights are still the
    # ones it will use, so it is computed from them (once for all layers)
    reg_flat = ap.reg_grad if ap is not None else st.opt.reg_grad(net)
    # without regularisation the update used the data gradient itself (the same buffer): its
    # copy serves as both dW and grad_W, one big-layer copy fewer per snapshot
    same_grad = ap is not None and ap.grad is net.grad
    for i, layer in enumerate(net.layers):
        done = bool(it.grads_done[i]) if it.grads_done else False
        gW, gb = net.grad_views[i]
        ws, bs = net.w_slices[i], net.b_slices[i]
        wshape, bshape = layer.W.shape, layer.b.shape
        upd = it.update
        dW = gW.copy() if done else None
        db = gb.copy() if done else None
        shared = same_grad and done
        layers.append(
            LayerSnap(
                index=i,
                activation=layer.activation,
                W=layer.W.copy(),
                b=layer.b.copy(),
                z=_copy(it.zs[i], rows) if it.zs else None,
                a=_copy(it.acts[i], rows) if it.acts else None,
                delta=_copy(it.deltas[i], rows) if it.deltas else None,
                dW=dW,
                db=db,
                reg_dW=_part(reg_flat, ws, wshape) if done else None,
                uW=_part(upd, ws, wshape),
                ub=_part(upd, bs, bshape),
                grad_W=dW if shared else None if ap is None else _part(ap.grad, ws, wshape),
                grad_b=db if shared else None if ap is None else _part(ap.grad, bs, bshape),
                vel_W=None if ap is None else _part(ap.velocity, ws, wshape),
                vel_b=None if ap is None else _part(ap.velocity, bs, bshape),
                m_W=None if ap is None else _part(ap.m, ws, wshape),
                m_b=None if ap is None else _part(ap.m, bs, bshape),
                v_W=None if ap is None else _part(ap.v, ws, wshape),
                v_b=None if ap is None else _part(ap.v, bs, bshape),
                grad_norm_W=float(np.linalg.norm(gW)) if done else None,
                grad_norm_b=float(np.linalg.norm(gb)) if done else None,
                grad_norm_history=gn_hist[:, i].copy(),
                dead_fraction=st.dead_fraction[i] if i < len(st.dead_fraction) else None,
                update_ratio=None
                if upd is None
                else diagnostics.update_ratio(upd[ws], layer.W.ravel() - upd[ws]),
            )
        )
    cx, cy = hist.loss_curve()  # the whole run, bounded however long it ran
    lx, ly = downsample(cy, plot_points, cx)
    last = st.last_unit
    dec = None
    if decision_size is not None:
        dec = decision_map(st, *decision_size)
    outputs = _copy(it.acts[-1], rows) if it.acts else None
    labels: Array | None = None
    true: Array | None = None
    if st.task == "classification":
        if outputs is not None:
            labels = np.asarray(net.labels(outputs), dtype=np.intp)
        if it.y is not None:
            true = np.array(net.true_labels(it.y[:rows]), dtype=np.intp)
    model = Model(
        scenario=scenario,
        sizes=tuple(net.sizes),
        activations=tuple(net.activations),
        loss_name=net.loss_name,
        reduction=net.reduction,
        optimizer=st.opt.name,
        task=st.task,
        class_names=class_names,
        feature_names=feature_names,
        threshold=net.threshold,
    )
    progress = Progress(
        step=st.step,
        epoch=st.epoch,
        steps_per_epoch=st.steps_per_epoch,
        position=st.position,
        n_units=len(st.units),
        last_unit=None if last is None else last.label(net.n_layers),
        last_phase=None if last is None else last.phase.value,
        last_layer=None if last is None else last.layer,
        next_unit=st.next_unit.label(net.n_layers),
        diverged=None if st.diverged is None else str(st.diverged),
        undo_count=st.undo_count,
        deltas_kept=it.deltas_kept,
    )
    settings = Settings(
        lr=st.lr_in_force,  # a finished iteration: what the next one uses
        batch_size=st.batch_size,
        momentum=getattr(st.opt, "momentum", None),
        pending=tuple(sorted(st.pending.items())),
        schedule="" if st.schedule.is_constant else st.schedule.describe(),
        base_lr=st.lr,
        effective_lr=diagnostics.effective_lr(
            st.opt.name, st.lr_in_force, getattr(st.opt, "momentum", 0.0) or 0.0
        ),
        batch_in_force=st.batch_in_force,
        batch_schedule="" if st.batch_schedule.is_constant else st.batch_schedule.describe(),
    )
    batch = Batch(
        size=int(it.batch_size or st.batcher.effective_batch_size),
        X=_copy(it.X, rows),
        y=_copy(it.y, rows),
        outputs=outputs,
        labels=labels,
        true_labels=true,
        per_sample_loss=_copy(it.per_sample_loss, rows),
        loss=it.loss,
        reg_loss=it.reg_loss,
    )
    ev_steps, ev = hist.eval_curves()
    curves = Curves(
        loss_x=lx + 1,
        loss_y=ly,
        eval_steps=ev_steps,
        test_loss=np.ascontiguousarray(ev[:, 2]),
        test_accuracy=np.ascontiguousarray(ev[:, 3]),
        train_accuracy=np.ascontiguousarray(ev[:, 1]),
        last_eval=dict(st.last_eval),
        eval_step=st.last_eval_step,
    )
    update = None
    if ap is not None:
        update = UpdateInfo(
            optimizer=ap.optimizer,
            lr=ap.lr,
            momentum=ap.momentum,
            beta1=ap.beta1,
            beta2=ap.beta2,
            eps=ap.eps,
            t=ap.t,
            bias1=ap.bias1,
            bias2=ap.bias2,
        )
    return Snapshot(
        version=st.version,
        model=model,
        progress=progress,
        settings=settings,
        batch=batch,
        curves=curves,
        layers=tuple(layers),
        decision=dec,
        update=update,
    )
