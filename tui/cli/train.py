"""The `train` command: run a scenario headless on the engine's fast path, log, save, report."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any, TextIO

import numpy as np

from engine import CheckpointError, Stepper, save_checkpoint
from engine.atomicfile import TargetError, atomic_open, check_target
from engine.ledger import LedgerError
from scenarios import Scenario, ScenarioError, build
from scenarios.validate import check_batch_size

from .args import CMDLINE, load_source, option_float, option_int, recording
from .diagnostics import Diagnostics, json_float
from .errors import fail
from .progress import Progress, number, share
from .resume import Job, config_overrides, prepare, record

EXIT_INTERRUPTED = 130
# Signals that stop a run like Ctrl-C: finish the step, write the log and checkpoint, exit 128+N.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# How many steps one fast-path call runs between progress redraws, at most; the real chunk
# adapts to about REDRAW seconds so a slow network still redraws and a fast one pays nothing.
MAX_CHUNK = 100_000


def apply_overrides(scn: Scenario, args: argparse.Namespace) -> Scenario:
    """The scenario with the command line's training options in place, each one validated."""
    scn = config_overrides(scn, args)  # optimiser, l1, l2, hidden, activation, init, schedule
    t = scn.training
    changes: dict[str, Any] = {}
    lr = option_float("--lr", args.lr, low=0.0, low_open=True)
    if lr is not None:
        changes["learning_rate"] = lr
    momentum = option_float("--momentum", args.momentum, low=0.0, high=1.0, high_open=True)
    if momentum is not None:
        if t.optimizer != "sgd":
            raise ScenarioError(CMDLINE, "--momentum", f"found {momentum:g}", "only with sgd")
        changes["momentum"] = momentum
    if args.batch_size is not None:
        changes["batch_size"] = check_batch_size(CMDLINE, "--batch-size", args.batch_size)
    steps = option_int("--steps", args.steps, 1)
    epochs = option_int("--epochs", args.epochs, 1)
    if steps is not None or epochs is not None:
        changes["steps"], changes["epochs"] = steps, epochs
    eval_every = option_int("--eval-every", args.eval_every, 1)
    if eval_every is not None:
        changes["eval_every"] = eval_every
    seed = option_int("--seed", args.seed, 0)
    if seed is not None:
        changes["seed"] = seed
    return dataclasses.replace(scn, training=dataclasses.replace(t, **changes))


def _check_output(key: str, path: str | None) -> Path | None:
    """The real file to write (symlinks followed); fail before training, not after it.

    A device node, a FIFO, a directory, a /proc or /sys path, a name too long for its folder or a
    missing or read-only folder would otherwise be found only when the run is over.
    """
    if path is None:
        return None
    try:
        check_target(path)  # atomic_open follows a symlink the same way when it writes
    except TargetError as exc:
        raise ScenarioError(CMDLINE, key, f"found {path!r}: {exc}", "a regular file path") from None
    return Path(path)


class JsonlLog:
    """Lines go to a temporary file beside the target; close() renames it into place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._open = contextlib.ExitStack()
        self.f: IO[str] = self._open.enter_context(atomic_open(path, "w", encoding="utf-8"))

    def write(self, record: dict[str, Any]) -> None:
        self.f.write(json.dumps(record) + "\n")

    def close(self) -> None:
        self._open.close()  # flush, fsync, rename over the target

    def abort(self) -> None:
        """Remove the temporary file: the run failed, the old target stays as it was."""
        exc = RuntimeError("aborted")
        self._open.__exit__(type(exc), exc, None)


def run_train(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # looked up per call, so a test's captured stdout is used
    try:
        if args.resume is None:
            scn = apply_overrides(load_source(args.scenario, args.data, args.target), args)
        target = option_float(
            "--target-accuracy", args.target_accuracy, low=0.0, high=1.0, low_open=True
        )
        save = _check_output("--save", args.save)
        log_path = _check_output("--log", args.log)
        if args.resume is None:
            job = prepare(scn, args, build(scn, undo_depth=0))  # no undo in a headless run
        else:
            job = prepare(None, args, None)
        scn = job.scn
        if target is not None and not scn.is_classification:
            raise ScenarioError(
                CMDLINE,
                "--target-accuracy",
                f"found {target:g} for the regression scenario {scn.name}",
                "only for classification",
            )
        diag = Diagnostics.from_args(args, scn.training.seed)
        if recording(args.no_record):
            record(job)  # last: a command refused above leaves no run in the ledger
    except (ScenarioError, CheckpointError, LedgerError) as exc:
        return fail(str(exc))
    except (ValueError, MemoryError) as exc:  # the engine's own checks, as a last line of defence
        return fail(f"{args.scenario or args.data or args.resume}: {exc}")
    for line in job.notes:
        print(f"{scn.name}: {line}", file=sys.stderr)
    # A diverging run overflows on purpose; the stepper reports it, numpy need not warn.
    with (
        np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"),
        StopFlag() as stop,
    ):
        return _loop(job, target, save, log_path, args.json, out, stop, diag)


class StopFlag:
    """Ctrl-C, SIGTERM and SIGHUP set a flag that the stepper polls between iterations.

    An interrupt can then never land halfway through an update (leaving the weights and the step
    counter out of step) nor halfway through writing the log or the checkpoint: the handlers stay
    in place until the files are written, and a second signal changes nothing. ``signum`` is the
    first signal received, None while the run goes on.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    def set(self, signum: int) -> None:
        if self.signum is None:
            self.signum = signum
        self.event.set()

    def __enter__(self) -> StopFlag:
        if threading.current_thread() is threading.main_thread():  # signal() works only there
            for sig in STOP_SIGNALS:
                if signal.getsignal(sig) is signal.SIG_IGN:
                    # ignored by whoever started us: `nohup backprop-tui train ... &` must
                    # outlive the SSH session whose end sends SIGHUP
                    continue
                self._old[sig] = signal.signal(sig, lambda signum, _frame: self.set(signum))
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)
        self._old.clear()


def _loop(
    job: Job,
    target: float | None,
    save: Path | None,
    log_path: Path | None,
    as_json: bool,
    out: TextIO,
    stop: StopFlag,
    diag: Diagnostics,
) -> int:
    scn, st, total, rec = job.scn, job.built.stepper, job.total, job.recorder
    t = scn.training
    # With --json stdout carries exactly one line; the progress goes to stderr instead.
    pout = sys.stderr if as_json else out
    progress = Progress(pout, total, tty=pout.isatty())
    log = JsonlLog(log_path) if log_path else None
    seconds = 0.0  # wall time of the loop: fast-path runs plus evaluation, logging, progress
    ev: dict[str, float | None] = {}
    reached = False
    chunk = 50
    t0 = time.perf_counter()
    try:
        diag.observe(st)
        while st.step < total:
            to_eval = t.eval_every - st.step % t.eval_every
            n = min(chunk, to_eval, total - st.step, diag.until_due(st.step))
            res = st.run(n, should_stop=stop.event.is_set)
            if stop.event.is_set():
                break
            seconds = time.perf_counter() - t0
            if res.seconds > 0:  # aim for one redraw per chunk
                chunk = max(1, min(MAX_CHUNK, int(n * 0.1 / res.seconds)))
            if res.diverged is not None:
                break
            diag.observe(st)
            evaluated = st.step % t.eval_every == 0
            if evaluated:
                ev = st.last_eval
                if log is not None:
                    log.write(log_record(st, ev, seconds) | diag.log_fields())
                if target is not None and (ev.get("train_accuracy") or 0.0) >= target:
                    reached = True
            rate = (st.step - job.start_step) / seconds if seconds else 0.0
            progress.update(st.step, st.epoch, ev, rate, evaluated)
            if rec is not None:
                rec.maybe_flush(job.prior_seconds + seconds)
            if reached:
                break
    except KeyboardInterrupt:  # no handler outside the main thread: Python's own Ctrl-C
        stop.set(signal.SIGINT)
    except BaseException:
        if log is not None:
            log.abort()  # no temp file survives a crash
        raise
    seconds = time.perf_counter() - t0
    try:
        progress.close()
        final = st.evaluate()
        if stop.signum is None:  # a stopped run exits now, not after one more measurement
            diag.observe(st, final=True)
        if log is not None and (not ev or st.history.eval_steps[-1:].tolist() != [st.step]):
            log.write(log_record(st, final, seconds) | diag.log_fields())
    except BaseException:
        if log is not None:
            log.abort()
        raise
    return _finish(job, final, seconds, reached, stop.signum, save, log, as_json, out, diag)


def log_record(st: Stepper, ev: dict[str, float | None], seconds: float) -> dict[str, Any]:
    """One line of the --log file: where the run is, its evaluation, its settings."""
    return {
        "step": st.step,
        "epoch": st.epoch,
        "train_loss": json_float(ev.get("train_loss")),
        "train_accuracy": json_float(ev.get("train_accuracy")),
        "test_loss": json_float(ev.get("test_loss")),
        "test_accuracy": json_float(ev.get("test_accuracy")),
        "lr": st.lr,
        "batch_size": st.batch_size,
        "seconds": round(seconds, 6),
    }


def _finish(
    job: Job,
    final: dict[str, float | None],
    seconds: float,
    reached: bool,
    signum: int | None,
    save: Path | None,
    log: JsonlLog | None,
    as_json: bool,
    out: TextIO,
    diag: Diagnostics,
) -> int:
    scn, st, rec = job.scn, job.built.stepper, job.recorder
    msgs = sys.stderr if as_json else out
    code = 0
    if st.diverged is not None:
        # the explosion rule keeps every committed step (finite, but past the limit); a
        # non-finite one rejects the iteration that broke
        kept = "the state" if st.diverged.limit is not None else "the last finite state"
        print(f"{scn.name}: {st.diverged}; stopped, keeping {kept} (step {st.step:,})", file=msgs)
    if signum == signal.SIGINT:
        print(f"{scn.name}: interrupted at step {st.step:,}", file=msgs)
        code = EXIT_INTERRUPTED
    elif signum is not None:
        name = signal.Signals(signum).name
        print(f"{scn.name}: stopped by {name} at step {st.step:,}", file=msgs)
        code = 128 + signum  # the shell's convention: 143 for SIGTERM, 129 for SIGHUP
    meta = job.checkpoint_meta(st.diverged is not None)
    status = "interrupted" if signum is not None else "finished"
    if st.diverged is not None:
        status = "diverged"
    if rec is not None:
        # the ledger's own checkpoint first: a failing --save must not lose the run's
        ck_name: str | None = None
        try:
            path = rec.ledger.checkpoint_path(rec.run_id)
            save_checkpoint(path, st, meta)
            ck_name = path.name
        except (OSError, TargetError, CheckpointError) as exc:
            print(f"{scn.name}: run {rec.run_id}: no checkpoint written: {exc}", file=msgs)
        rec.finish(status, final, job.prior_seconds + seconds, ck_name)
        if rec.error is not None:
            print(f"{scn.name}: not recorded in the run ledger: {rec.error}", file=msgs)
    try:
        if log is not None:
            log.close()
        if save is not None:
            save_checkpoint(save, st, meta)
    except OSError as exc:
        return fail(f"{CMDLINE}: cannot write {exc.filename or save}: {exc.strerror}")
    except TargetError as exc:  # the target was replaced by a FIFO or a device during the run
        return fail(f"{CMDLINE}: cannot write: {exc}")
    summary = {
        "scenario": scn.name,
        "seed": scn.training.seed,
        "steps": st.step,
        "epochs": st.epoch,
        "train_loss": json_float(final["train_loss"]),
        "train_accuracy": json_float(final["train_accuracy"]),
        "test_loss": json_float(final["test_loss"]),
        "test_accuracy": json_float(final["test_accuracy"]),
        "seconds": round(seconds, 6),
        "steps_per_second": round((st.step - job.start_step) / seconds, 1) if seconds > 0 else None,
        "diverged": st.diverged is not None,
        "diverged_at": None if st.diverged is None else st.diverged.step,
        "run": None if rec is None else rec.run_id,
        **diag.summary(st, len(job.built.data.class_names)),
    }
    stop = " (target accuracy reached)" if reached else ""
    print(
        f"{scn.name}: {st.step:,} steps ({st.epoch:,} epochs) in {seconds:.2f} s{stop}; "
        f"train loss {number(final['train_loss'])} accuracy {share(final['train_accuracy'])}; "
        f"test loss {number(final['test_loss'])} accuracy {share(final['test_accuracy'])}"
        + (f"; saved {save}" if save is not None else "")
        + (f"; run {rec.run_id}" if rec is not None and rec.error is None else ""),
        file=msgs,
    )
    if as_json:
        print(json.dumps(summary), file=out, flush=True)
    return code
