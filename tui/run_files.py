"""A run's checkpoint from the app (`w`) and a run reopened from one (`--open`, the runs screen)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from engine import Stepper
    from engine.ledger import Ledger
    from scenarios import Scenario

    from .comparison_run import Run
    from .session import Session

PLOT_POINTS = 1024  # batch-loss points a new ledger entry gets from the app's history
_EVAL_SERIES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


class OpenError(ValueError):
    """A run that cannot be opened: str() is one line (an unknown id, a missing checkpoint)."""


@dataclass(frozen=True)
class Opened:
    """A run rebuilt from its checkpoint: the session goes on bit for bit from ``step``."""

    session: Session
    ledger_id: int | None  # the ledger run it continues (None: a file of no known run)
    path: Path
    step: int

    @property
    def note(self) -> str:
        what = f"run #{self.ledger_id}" if self.ledger_id is not None else self.path.name
        return f"{what} opened from its checkpoint at step {self.step:,}"


def live_config(scenario: Scenario, st: Stepper) -> dict[str, object]:
    """The scenario's resolved config with the hyperparameters the run has now (lr keys, the h
    form): what the runs table compares."""
    from scenarios.overrides import resolved_config

    from .run_settings import settings_of

    config = resolved_config(scenario)
    s = settings_of(st)
    config["training.optimizer"] = s["optimizer"]
    config["training.lr"] = float(s["lr"])  # type: ignore[arg-type]
    config["training.batch_size"] = s["batch"]
    for name in ("momentum", "l1", "l2"):
        if name in s:
            config[f"training.{name}"] = float(s[name])  # type: ignore[arg-type]
    if "schedule" in s:
        config["training.schedule"] = str(s["schedule"])
    return config


def history_points(st: Stepper) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The stepper's curves as ledger points (steps as the ledger counts them: the loss of
    iteration k at step k)."""
    import numpy as np

    from engine.history import downsample

    h = st.history
    offset = st.step - h.recorded  # a reopened run's history starts at its checkpoint's step
    points: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    x, y = h.loss_curve()
    if len(x):
        bx, by = downsample(y, PLOT_POINTS, x + 1 + offset)
        points["batch_loss"] = (bx.astype(np.int64), by)
    es, ev = h.eval_curves()
    for k, name in enumerate(_EVAL_SERIES):
        xs, ys = es.astype(np.int64), ev[:, k] if len(es) else np.zeros(0)
        at = st.last_eval_step
        last = st.last_eval.get(name) if at is not None else None
        if last is not None and at is not None and at not in xs:
            # the status line's figures (the app evaluates after each step, the history
            # every eval_every steps): the table's final loss and accuracy are the app's
            xs = np.append(xs, np.int64(at))
            ys = np.append(ys, float(last))
        keep = ~np.isnan(ys)
        if keep.any():
            points[name] = (xs[keep], ys[keep])
    return points


def ledger_entry(run: Run, ledger: Ledger, recorder: object = None) -> int:
    """The run's ledger id: the recorder's (``run.record``, or the entry its ``entry(run)``
    makes now), else a new entry ("paused", owned by this app) with the run's history so far."""
    from engine.ledger import fingerprint

    entry = getattr(recorder, "entry", None)
    if not isinstance(run.record, int) and callable(entry):
        entry(run)  # the recorder's own entry, which it goes on writing
    if isinstance(run.record, int) and ledger.has(run.record):
        return run.record
    st = run.stepper
    scn = run.session.scenario
    run_id = ledger.start_run(
        scn.name,
        live_config(scn, st),
        seed=scn.training.seed,
        fingerprint=fingerprint(st.initial_params),
        origin="app",
        source=scn.source,
        status="paused",
    )
    run.record = run_id
    return run_id


def save_run(run: Run, recorder: object = None) -> str:
    """`w`: the run's checkpoint (weights, optimiser state, batch order, history, config) in
    the ledger's checkpoint folder, recorded on its ledger entry; returns the status note.
    Called by the engine worker under the comparison's lock, between iterations."""
    from engine.checkpoint import CheckpointError
    from engine.checkpoint_save import save_checkpoint
    from engine.ledger import Ledger, LedgerError, fingerprint
    from scenarios.overrides import resolved_config

    st = run.stepper
    if not st.at_boundary:
        return "w: an iteration is in progress; finish it first (u or space), then w"
    scn = run.session.scenario
    try:
        with Ledger.open() as ledger:
            run_id = ledger_entry(run, ledger, recorder)
            path = ledger.checkpoint_path(run_id)
            meta: dict[str, Any] = {
                "scenario": scn.name,
                "source": scn.source,
                "seed": scn.training.seed,
                "diverged": st.diverged is not None,
                # the scenario's own config: restoring applies the run's settings after it
                "config": resolved_config(scn),
                "fingerprint": fingerprint(st.initial_params),
                "run_id": run_id,
            }
            save_checkpoint(path, st, meta)
            ledger.append(run_id, history_points(st), steps=st.step, epochs=st.epoch)
            ledger.set_checkpoint(run_id, path.name)
    except (LedgerError, CheckpointError, OSError) as exc:
        return f"w: not saved: {exc}"
    where = f"ledger run #{run_id}, {path}"
    return f"run {run.id} saved at step {st.step:,} ({where}): backprop-tui --open {run_id}"


def checkpoint_of(spec: str) -> tuple[Path, int | None]:
    """The checkpoint file a ``--open ID|FILE.npz`` names, and the ledger run (or None)."""
    from engine.ledger import Ledger, LedgerError

    text = spec.strip()
    if text.isascii() and text.isdigit():
        try:
            with Ledger.open() as ledger:
                info = ledger.run(int(text))
                path = ledger.checkpoint_dir / Path(info.checkpoint or f"{info.id}.npz").name
        except LedgerError as exc:
            raise OpenError(str(exc)) from None
        if not path.is_file():
            raise OpenError(f"run {info.id}: checkpoint missing ({path})")
        return path, info.id
    path = Path(spec)
    if not path.is_file():
        raise OpenError(f"{spec}: no such checkpoint file")
    return path, None


def open_run(spec: str) -> Opened:
    """A run rebuilt from a checkpoint (a ledger run id or an .npz file): the scenario from
    the config it recorded, the stepper restored bit for bit. OpenError (one line) otherwise."""
    from engine.checkpoint import CheckpointError
    from engine.checkpoint_load import load_checkpoint
    from scenarios import ScenarioError, build
    from scenarios.overrides import from_config

    from .session import Session

    path, ledger_id = checkpoint_of(spec)
    try:
        ck = load_checkpoint(path)
        user = ck.metadata
        config = user.get("config")
        if not isinstance(config, dict):
            raise OpenError(
                f"{path}: a checkpoint without its run's config (written before version 2)"
            )
        name = user.get("scenario") if isinstance(user.get("scenario"), str) else path.stem
        scn = from_config(str(name), config, str(path))
        built = build(scn)
        ck.restore_into(built.stepper)
    except (CheckpointError, ScenarioError) as exc:
        raise OpenError(str(exc)) from None
    return Opened(Session(scn, built), ledger_id, path, built.stepper.step)
