"""Recording a sweep's finished runs in the run ledger, as one sweep."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import Any

from scenarios.schema import ScenarioError

from .args import CMDLINE
from .heatmap_text import batch_label


def open_ledger() -> Any:
    """The run ledger, opened before anything runs: a foreign or newer file is one line, exit 2."""
    from engine.ledger import Ledger, LedgerError

    try:
        return Ledger.open()
    except LedgerError as exc:
        raise ScenarioError(
            CMDLINE, "ledger", str(exc), "a backprop-tui ledger, or --no-record"
        ) from None


class Recorder:
    """Every finished run into the ledger, as one sweep (one id shared by its runs), each with
    the config `train` would record for it."""

    def __init__(
        self, ledger: Any, scn: Any, config: dict[str, object], setup: Any, epochs: int | None
    ) -> None:
        import secrets

        self.ledger = ledger
        self.scn = scn
        self.config = config  # the scenario's resolved config; each run changes its own keys
        self.setup = setup
        self.epochs = epochs
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.sweep = f"{scn.name}-{stamp}-{secrets.token_hex(2)}"
        self.count = 0
        self.failed = False

    def record(self, records: Sequence[dict[str, Any]]) -> None:
        from engine.ledger import LedgerError, fingerprint

        if self.failed:
            return
        try:
            for r in records:
                self._one(r, fingerprint)
        except (LedgerError, OSError) as exc:  # keep the sweep's results; say so once
            self.failed = True
            print(f"{self.scn.name}: not recorded in the ledger: {exc}", file=sys.stderr)

    def _one(self, r: dict[str, Any], fingerprint: Any) -> None:
        config = dict(self.config)
        config.update(
            {
                "training.lr": r["lr"],
                "training.batch_size": batch_label(r["batch_size"]),
                "training.momentum": r["momentum"],
                "training.l2": r["l2"],
                "seed": r["seed"],
                "training.steps": None if self.epochs is not None else r["planned_steps"],
                "training.epochs": self.epochs,
            }
        )
        run_id = self.ledger.start_run(
            self.scn.name,
            config,
            seed=r["seed"],
            fingerprint=fingerprint(self.setup.initial[r["seed"]]),
            sweep=self.sweep,
            origin="sweep",
            source=self.scn.source,
        )
        steps, losses = r["curve"]
        if len(steps):
            self.ledger.append(run_id, {"batch_loss": (steps, losses)})
        self.ledger.finish(
            run_id,
            "diverged" if r["diverged"] else "finished",
            steps=r["steps"],
            epochs=r["steps"] // self.setup.steps_per_epoch(r["batch_size"]),
            figures={
                k: r[k] for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
            },
            diverged_at=r["diverged_at"],
        )
        self.count += 1
