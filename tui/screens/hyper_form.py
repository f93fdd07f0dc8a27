"""The `h` modal: every hyperparameter of the focused run in one form (enter applies)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from ..widgets.choice import Choice
from .hyper_values import (
    KEEP_WEIGHTS,
    OPTIMIZERS,
    FormErrors,
    FormValues,
    Plan,
    current_values,
    plan,
)

if TYPE_CHECKING:
    from ..comparison import Comparison

# (field, label, choices: None for a text field); the first block keeps the weights
FIELDS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("lr", "learning rate", None),
    ("schedule", "lr schedule", None),
    ("batch", "batch size", None),
    ("optimizer", "optimiser", OPTIMIZERS),
    ("momentum", "momentum", None),
    ("beta1", "adam beta1", None),
    ("beta2", "adam beta2", None),
    ("l1", "L1", None),
    ("l2", "L2", None),
    ("hidden", "hidden layers", None),
    ("activation", "activation", None),  # choices filled in from the engine at compose
    ("init", "initialiser", None),
    ("seed", "seed", None),
)
HINTS = {
    "schedule": "e.g. cosine:steps=5000",
    "batch": 'or "full"',
    "hidden": "e.g. 16, 16 (empty: none)",
}
SGD_ONLY, ADAM_ONLY = ("momentum",), ("beta1", "beta2")
KEEP = len(KEEP_WEIGHTS)  # FIELDS[:KEEP] keep the weights, the rest need new ones


class HyperForm(ModalScreen[Plan | None]):
    """Dismisses with the engine command that applies the form (see hyper_values.plan), or
    None on escape or when nothing changed. A bad field says why beside it; nothing applies.

    One grid of label, field and note cells (no container per row, choices as one-line
    Choice widgets rather than Selects): the form opens in a fraction of the time.
    """

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, current: FormValues, scenario: object, run: str = "", eps: float = 1e-8):
        super().__init__()
        self.current = current
        self.scenario = scenario
        self.run_name = run
        self.eps = eps
        self._hints: dict[str, str] = {}  # each field's note when it has no error

    def compose(self) -> ComposeResult:
        from engine.activations import HIDDEN
        from engine.initializers import INITIALIZERS

        choices = {"activation": tuple(HIDDEN), "init": tuple(INITIALIZERS)}
        values = self.current.as_dict()
        with VerticalScroll(id="hyper-box") as box:
            box.border_title = "hyperparameters" + (f" of {self.run_name}" if self.run_name else "")
            box.border_subtitle = "enter apply · tab next · ← → choose · esc cancel"
            yield Static("These keep the weights (from the next iteration):", classes="hf-head")
            with Grid(classes="hf-grid"):
                yield from self._rows(FIELDS[:KEEP], values, choices)
            yield Static(
                "These need new weights: a new run, this one stays to compare:", classes="hf-head"
            )
            with Grid(classes="hf-grid"):
                yield from self._rows(FIELDS[KEEP:], values, choices)

    def _rows(
        self,
        fields: tuple[tuple[str, str, tuple[str, ...] | None], ...],
        values: dict[str, str],
        choices: dict[str, tuple[str, ...]],
    ) -> ComposeResult:
        """Label, field and note cells of each field (a row's cells share its row-NAME class)."""
        for name, label, options in fields:
            options = options or choices.get(name)
            row = f"row-{name}"
            yield Label(label, classes=f"hf-label {row}")
            field: Widget
            if options:
                field = Choice(options, values[name], id=f"f-{name}", classes=row)
                hint = " ".join(options)
            else:
                field = Input(values[name], compact=True, id=f"f-{name}", classes=row)
                hint = HINTS.get(name, "")
            field.add_class("hf-field")
            yield field
            self._hints[name] = hint
            yield Static(hint, classes=f"hf-note {row}", id=f"e-{name}", markup=False)

    def on_mount(self) -> None:
        self._show_optimizer(self.current.optimizer)
        self.query_one("#f-lr", Input).focus()

    def _show_optimizer(self, name: str) -> None:
        """Momentum for sgd, the betas for adam: only the optimiser's own fields show."""
        for field in SGD_ONLY:
            self.query(f".row-{field}").set(display=name == "sgd")
        for field in ADAM_ONLY:
            self.query(f".row-{field}").set(display=name == "adam")

    def on_choice_changed(self, event: Choice.Changed) -> None:
        if event.choice.id == "f-optimizer":
            self._show_optimizer(event.value)

    def typed(self) -> FormValues:
        """The fields' contents now."""
        out = {}
        for name, _, _ in FIELDS:
            widget = self.query_one(f"#f-{name}")
            if isinstance(widget, Choice):
                out[name] = widget.value
            else:
                assert isinstance(widget, Input)
                out[name] = widget.value
        return FormValues(**out)

    def on_choice_submitted(self, event: Choice.Submitted) -> None:
        event.stop()
        if self.is_active:  # (as for an Input's enter, below)
            self.action_apply()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.is_active:  # a second enter, queued before the first closed this form
            return
        self.action_apply()

    def action_apply(self) -> None:
        for name, _, _ in FIELDS:
            note = self.query_one(f"#e-{name}", Static)
            if note.has_class("hf-error"):
                note.remove_class("hf-error")
                note.update(self._hints[name])
        try:
            result = plan(self.current, self.typed(), self.scenario, self.eps)  # type: ignore[arg-type]
        except FormErrors as e:
            for name, why in e.errors.items():
                note = self.query_one(f"#e-{name}", Static)
                note.add_class("hf-error")
                note.update(why)
            first = next(iter(e.errors))
            self.query_one(f"#f-{first}").focus()
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


def form_for(comparison: Comparison) -> HyperForm:
    """The form prefilled with the focused run's values now (read on the UI thread: a value
    a running loop changes meanwhile is the one the form then compares with)."""
    run = comparison.focused
    st = run.stepper
    name = f"run {run.id}" if len(comparison) > 1 else ""
    eps = float(getattr(st.opt, "eps", 1e-8))
    return HyperForm(current_values(st, run.session.scenario), run.session.scenario, name, eps)
