"""One open scenario: its stepper, the lock that serialises engine calls, commands, snapshots."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from os import PathLike
from typing import cast

import numpy as np

from engine import Phase, Stepper
from engine.probes import Prober
from engine.snapshot import DecisionMap, Snapshot, decision_map, take_snapshot
from scenarios import Built, Scenario, build, load_scenario

from .ladders import batch_down, batch_up, format_batch, format_lr, lr_down, lr_up
from .probe_settings import PROBES
from .run_loop import late_evaluation


class Session:
    """A scenario's engine objects. Only worker threads call ``do``/``run``, under ``lock``."""

    def __init__(self, scenario: Scenario, built: Built) -> None:
        self.scenario = scenario
        self.built = built
        self.stepper: Stepper = built.stepper
        self.name = scenario.name
        # a Comparison gives all its runs its own (fair) lock
        self.lock: AbstractContextManager[bool] = threading.Lock()
        names = built.data.class_names
        self.class_names: tuple[str, ...] | None = tuple(names) if names else None
        net = self.stepper.net
        self.two_d = net.sizes[0] == 2 and self.stepper.task == "classification"
        # set by the app from the map panel's size (cells wide, half-blocks high)
        self.decision_size: tuple[int, int] = (48, 32)
        self._map: DecisionMap | None = None
        self._map_key: tuple[int, tuple[int, int]] | None = None
        self._evaluated: int | None = None
        # a big network's whole-set figures come after a command's snapshot (evaluate_late)
        self.late_eval = late_evaluation(self.stepper)
        self.prober = Prober(self.stepper.net.n_layers)  # diagnostics, recorded per snapshot
        self.evaluate()

    @classmethod
    def open(cls, spec: str | PathLike[str]) -> Session:
        """Load and build a scenario; raises ScenarioError with a one-line message."""
        scenario = load_scenario(spec)
        return cls(scenario, build(scenario))

    @property
    def n_train(self) -> int:
        return self.stepper.batcher.n

    def evaluate(self, force: bool = False) -> None:
        """Full-set train loss and test accuracy for the status line, once per finished step
        (also mid-iteration: the weights are those after the last finished step until the update
        unit, so `b f f` reads step 2's loss, not step 0's)."""
        st = self.stepper
        if force or self._evaluated != st.step:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                st.evaluate()  # a diverging net's loss may overflow; the status shows inf
            self._evaluated = st.step

    def do(self, command: str, arg: object = None) -> str:
        """Run one command on the stepper; returns a short note for the status line ('' if none)."""
        st = self.stepper
        note = ""
        if command == "iteration":
            st.step_iteration()
        elif command == "unit":
            st.step_unit()
        elif command == "forward":
            st.run_until(Phase.LOSS)
        elif command == "backward":
            st.run_until(Phase.BACKWARD)
        elif command == "update":
            st.run_until(Phase.UPDATE)
        elif command == "undo":
            note = "undone" if st.undo() else "nothing to undo"
            self._evaluated = None
        elif command == "reset":
            st.reset()
            self._evaluated = None
            note = "reset to the initial weights"
        elif command in ("lr_up", "lr_down", "lr"):
            current = float(cast(float, st.pending.get("lr", st.lr)))  # a held change counts
            if command == "lr":
                new = float(cast(float, arg))
            else:
                new = lr_up(current) if command == "lr_up" else lr_down(current)
            now = st.set_lr(new)
            note = f"lr {format_lr(new)}" + ("" if now else " from next step")
        elif command in ("batch_up", "batch_down"):
            size = cast("int | None", st.pending.get("batch_size", st.batch_size))
            ladder = batch_up if command == "batch_up" else batch_down
            batch = ladder(size, self.n_train)
            now = st.set_batch_size(batch)
            note = format_batch(batch, self.n_train) + ("" if now else " from next step")
        elif command == "set":
            note = self._set_many(cast("dict[str, object]", arg))
        else:
            raise ValueError(f"unknown command {command!r}")
        if not self.late_eval:
            self.evaluate()
        return note

    def evaluation_job(self) -> Callable[[], Callable[[], None]] | None:
        """A big net's whole-set evaluation in two halves: call the result without the lock (it
        computes on a copy of the weights), then what it returns under the lock (it stores the
        figures). None when this step's figures are in."""
        st = self.stepper
        if self._evaluated == st.step:
            return None
        job = st.evaluation_job()

        def compute() -> Callable[[], None]:
            res, dead = job.run()

            def store() -> None:
                if st.store_evaluation(job.step, res, dead):
                    self._evaluated = job.step

            return store

        return compute

    def evaluate_late(self) -> bool:
        """A big network's whole-set figures, once its command's snapshot is out (the status
        line meanwhile names the step they are from); True when it evaluated."""
        if not self.late_eval or self._evaluated == self.stepper.step:
            return False
        self.evaluate()
        return True

    def _set_many(self, changes: dict[str, object]) -> str:
        """Hyperparameters that keep the weights, each through the Stepper's setter (held to
        the end of an iteration begun): keys lr, batch_size, momentum, l1, l2, schedule,
        optimizer (an engine Optimizer: applied first, its lr the base lr). All are checked
        before any applies, so a bad value changes nothing (ValueError)."""
        st = self.stepper
        keys = {"lr", "batch_size", "momentum", "l1", "l2", "schedule", "optimizer"}
        unknown = sorted(set(changes) - keys)
        if unknown:
            raise ValueError(f"cannot change {', '.join(unknown)} without new weights")
        from engine.data import check_batch_size
        from engine.optimizers import HYPER_CHECKS

        for name in ("lr", "momentum", "l1", "l2"):
            if name in changes:
                HYPER_CHECKS[name](name, cast(float, changes[name]))
        from engine import Optimizer

        opt = changes.get("optimizer", st.opt)
        if not isinstance(opt, Optimizer):
            raise ValueError(f"not an optimiser: {opt!r}")
        if "momentum" in changes and not hasattr(opt, "momentum"):
            raise ValueError(f"{opt.name} has no momentum")
        from engine.schedules import Schedule

        if not isinstance(changes.get("schedule", st.schedule), Schedule):
            raise ValueError(f"not a schedule: {changes['schedule']!r}")
        if "batch_size" in changes:
            check_batch_size(changes["batch_size"])
        now = True
        if "optimizer" in changes:
            now = st.set_optimizer(opt)
        if "lr" in changes:
            now = st.set_lr(float(cast(float, changes["lr"])))
        if "batch_size" in changes:
            now = st.set_batch_size(cast("int | None", changes["batch_size"]))
        if "momentum" in changes:
            now = st.set_momentum(float(cast(float, changes["momentum"])))
        if "l1" in changes or "l2" in changes:
            l1, l2 = changes.get("l1"), changes.get("l2")
            now = st.set_regularization(
                None if l1 is None else float(cast(float, l1)),
                None if l2 is None else float(cast(float, l2)),
            )
        if "schedule" in changes:
            now = st.set_schedule(changes["schedule"])  # type: ignore[arg-type]
        names = ", ".join(sorted(changes))
        return f"{names} set" + ("" if now else " from next step")

    def current_map(self, refresh: bool = True) -> DecisionMap | None:
        """The decision map, recomputed only when asked and the weights or size changed."""
        if not self.two_d:
            return None
        st = self.stepper
        key = (st.version, self.decision_size)
        if refresh and (self._map is None or key != self._map_key):
            self._map = decision_map(st, *self.decision_size)
            self._map_key = key
        return self._map

    def snapshot(self, refresh_map: bool = True) -> Snapshot:
        """A frozen copy for the panels; the decision map may be the last one computed."""
        snap = take_snapshot(
            self.stepper,
            scenario=self.name,
            class_names=self.class_names,
            feature_names=self.built.feature_names,
        )
        dec = self.current_map(refresh_map)
        probes = self.prober.observe(
            self.stepper, PROBES.sharpness_every, PROBES.confusion, PROBES.histograms
        )
        return dataclasses.replace(snap, decision=dec, probes=probes)
