"""What `train` runs: a scenario with the command line's config options, or a resumed run."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import load_checkpoint
from engine.checkpoint import Checkpoint
from engine.ledger import Ledger, LedgerError, RunInfo, fingerprint
from engine.stepper import Stepper
from scenarios import Built, Scenario, ScenarioError, build
from scenarios.overrides import from_config, resolved_config, with_changes

from .args import CMDLINE, option_float, option_int
from .record import Recorder

# The options that change a run's config, and the config key each one sets.
CONFIG_FLAGS = {
    "--optimizer": "training.optimizer",
    "--l1": "training.l1",
    "--l2": "training.l2",
    "--hidden": "network.hidden",
    "--activation": "network.activation",
    "--init": "network.init",
    "--schedule": "training.schedule",
    "--batch-schedule": "training.batch_schedule",
}
# What --resume refuses: a resumed run goes on with its own scenario and settings.
_NOT_WITH_RESUME = (
    ("SCENARIO", "scenario"),
    ("--data", "data"),
    ("--target", "target"),
    ("--lr", "lr"),
    ("--batch-size", "batch_size"),
    ("--momentum", "momentum"),
    ("--seed", "seed"),
    ("--eval-every", "eval_every"),
    *((flag, flag[2:].replace("-", "_")) for flag in CONFIG_FLAGS),
)


def parse_hidden(text: str) -> list[int]:
    """--hidden's text: "16,16", "16 16", "[16, 16]", or "0"/"none"/"" for no hidden layer."""
    t = text.strip().strip("[]").replace(" ", ",")
    if t.lower() in ("", "0", "none"):
        return []
    sizes = []
    for part in filter(None, t.split(",")):
        if not (part.isascii() and part.isdigit()) or int(part) < 1:
            raise ScenarioError(
                CMDLINE,
                "--hidden",
                f"found {text!r}",
                "layer sizes >= 1 separated by commas, e.g. 16,16 (or none)",
            )
        sizes.append(int(part))
    return sizes


def config_overrides(scn: Scenario, args: argparse.Namespace) -> Scenario:
    """The scenario with --optimizer, --l1, --l2, --hidden, --activation, --init, --schedule and
    --batch-schedule applied, each checked as the scenario file's key would be; an error names
    the flag."""
    changes: dict[str, object] = {}
    if args.optimizer is not None:
        changes["training.optimizer"] = args.optimizer
    for flag in ("--l1", "--l2"):
        value = option_float(flag, getattr(args, flag[2:]), low=0.0)
        if value is not None:
            changes[CONFIG_FLAGS[flag]] = value
    if args.hidden is not None:
        changes["network.hidden"] = parse_hidden(args.hidden)
    for flag in ("--activation", "--init", "--schedule", "--batch-schedule"):
        value = getattr(args, flag[2:].replace("-", "_"))
        if value is not None:
            changes[CONFIG_FLAGS[flag]] = value
    if not changes:
        return scn
    flag_of = {key: flag for flag, key in CONFIG_FLAGS.items()}
    try:
        return with_changes(scn, changes, where=CMDLINE)
    except ScenarioError as exc:
        shown = flag_of.get(exc.key.split("[")[0]) or exc.key
        raise ScenarioError(CMDLINE, shown, exc.found, exc.allowed) from None


@dataclass
class Job:
    """A run about to train: its scenario and stepper, how far it goes, and its ledger entry."""

    scn: Scenario
    built: Built
    total: int  # train until this step
    start_step: int = 0
    prior_seconds: float = 0.0  # a resumed run's time so far
    notes: list[str] = field(default_factory=list)  # lines for stderr before training
    recorder: Recorder | None = None
    run_info: RunInfo | None = None  # the ledger run a --resume ID continues
    checkpoint: Checkpoint | None = None
    fingerprint: str = ""

    def checkpoint_meta(self, diverged: bool) -> dict[str, Any]:
        """The checkpoint's "user" metadata: enough to rebuild the run (--resume FILE)."""
        scn = self.scn
        return {
            "scenario": scn.name,
            "source": scn.source,
            "seed": scn.training.seed,
            "diverged": diverged,
            "config": resolved_config(scn),
            "fingerprint": self.fingerprint,
            "run_id": None if self.recorder is None else self.recorder.run_id,
        }


def prepare(scn: Scenario | None, args: argparse.Namespace, built: Built | None) -> Job:
    """The Job for a new run (``scn`` and ``built`` given) or for --resume; ScenarioError,
    CheckpointError or LedgerError (one line each) when it cannot run. Nothing is recorded yet:
    ``record`` does that once every check has passed, so a refused command leaves no run."""
    if args.resume is not None:
        job = _resumed(args)
    else:
        assert scn is not None and built is not None
        st = built.stepper
        job = Job(scn, built, _planned(scn, st))
        job.fingerprint = fingerprint(st.initial_params)
    return job


def record(job: Job) -> None:
    """Give the job its ledger entry: a new run, or the run it continues (claimed by this
    process); LedgerError when the ledger cannot be used."""
    st = job.built.stepper
    ledger = Ledger.open()  # the home: --home set $BACKPROP_TUI_HOME for this process
    info = job.run_info
    if info is not None and ledger.has(info.id):
        ledger.claim(info.id)
        job.recorder = Recorder(ledger, info.id, st)
        return
    user = {} if job.checkpoint is None else job.checkpoint.metadata
    run_id = user.get("run_id")
    parent = None
    if job.checkpoint is not None and isinstance(run_id, int) and ledger.has(run_id):
        prior = ledger.run(run_id)
        same = prior.fingerprint == user.get("fingerprint") and prior.steps == job.start_step
        if same and prior.status not in ("running", "paused"):
            # the file is that run's latest state: it goes on, as --resume ID would
            ledger.claim(run_id)
            job.recorder = Recorder(ledger, run_id, st)
            job.prior_seconds = prior.seconds or 0.0
            return
        parent = run_id
    new_id = ledger.start_run(
        job.scn.name,
        resolved_config(job.scn),
        seed=job.scn.training.seed,
        fingerprint=job.fingerprint,
        forked_from=parent,
        origin="train",
        source=job.scn.source,
    )
    job.recorder = Recorder(ledger, new_id, st)
    if job.checkpoint is not None:
        job.recorder.import_history(job.checkpoint.history)


def load_run(spec: str, key: str) -> tuple[Scenario, Checkpoint, RunInfo | None]:
    """A run to go on from: a ledger run id (its checkpoint) or a checkpoint file, with the
    scenario rebuilt from the config it recorded. ``key`` names the option in errors.

    ScenarioError, CheckpointError or LedgerError (one line): an unknown id, a run another
    process is writing, a missing checkpoint ("checkpoint missing"), a file without a config.
    """
    info = None
    if spec.strip().isascii() and spec.strip().isdigit():
        with Ledger.open() as ledger:
            info = ledger.run(int(spec))
            if info.status in ("running", "paused"):
                raise LedgerError(
                    f"{ledger.path}: run {info.id} is {info.status} in another process; "
                    "stop it first"
                )
            path = ledger.checkpoint_dir / Path(info.checkpoint or f"{info.id}.npz").name
            if not path.is_file():
                raise LedgerError(f"{ledger.path}: run {info.id}: checkpoint missing ({path})")
    else:
        path = Path(spec)
    ck = load_checkpoint(path)
    user = ck.metadata
    config = user.get("config")
    if not isinstance(config, dict):
        if info is None:
            raise ScenarioError(
                str(path),
                key,
                "a checkpoint without its run's config (written before version 2 by train --save)",
                "a checkpoint written by this version, or a ledger run id",
            )
        config = info.config
    name = user.get("scenario") if isinstance(user.get("scenario"), str) else None
    scn = from_config(name or (info.scenario if info else path.stem), config, str(path))
    return scn, ck, info


def _planned(scn: Scenario, st: Stepper) -> int:
    """The run's planned length in steps: training.steps, or its epochs (under a batch schedule,
    the step at which they are complete: a growing batch makes later epochs shorter)."""
    t = scn.training
    if t.epochs is not None and not st.batch_schedule.is_constant:
        return st.steps_to_epoch(t.epochs, from_start=True)
    return t.total_steps(st.steps_per_epoch)


def _resumed(args: argparse.Namespace) -> Job:
    for flag, dest in _NOT_WITH_RESUME:
        if getattr(args, dest, None) is not None:
            raise ScenarioError(
                CMDLINE,
                flag,
                "found with --resume",
                "--steps N, --epochs N, --target-accuracy, --log, --save, --json, --no-record "
                "(a resumed run keeps its own scenario and settings)",
            )
    scn, ck, info = load_run(args.resume, "--resume")
    built = build(scn, undo_depth=0)
    st = built.stepper
    job = Job(scn, built, 0, checkpoint=ck, run_info=info)
    job.fingerprint = fingerprint(st.initial_params)
    saved = ck.metadata.get("fingerprint") or (info.fingerprint if info else None)
    if saved and saved != job.fingerprint:
        job.notes.append(
            "the rebuilt initial weights differ from the run's (its data or this version "
            "changed); going on from the checkpoint's weights"
        )
    ck.restore_into(st)
    job.start_step = st.step
    job.prior_seconds = (info.seconds or 0.0) if info else 0.0
    more = option_int("--steps", args.steps, 1)
    epochs = option_int("--epochs", args.epochs, 1)
    if more is not None:
        job.total = st.step + more
    elif epochs is not None:
        job.total = (
            st.step + epochs * st.steps_per_epoch
            if st.batch_schedule.is_constant
            else st.steps_to_epoch(st.epoch + epochs)
        )
    else:
        job.total = _planned(scn, st)
        if st.step >= job.total:
            raise ScenarioError(
                CMDLINE,
                "--resume",
                f"found a run at step {st.step:,}, past its planned {job.total:,} steps",
                "--steps N or --epochs N to run that many more",
            )
    # the run's planned length follows what it is told to do now
    training = dataclasses.replace(scn.training, steps=job.total, epochs=None)
    job.scn = dataclasses.replace(scn, training=training)
    return job
