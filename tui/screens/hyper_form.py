"""The `h` modal: every hyperparameter of the focused run in one form (enter applies)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from .hyper_values import OPTIMIZERS, FormErrors, FormValues, Plan, current_values, plan

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


class HyperForm(ModalScreen[Plan | None]):
    """Dismisses with the engine command that applies the form (see hyper_values.plan), or
    None on escape or when nothing changed. A bad field says why beside it; nothing applies."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, current: FormValues, scenario: object, run: str = "", eps: float = 1e-8):
        super().__init__()
        self.current = current
        self.scenario = scenario
        self.run_name = run
        self.eps = eps

    def compose(self) -> ComposeResult:
        from engine.activations import HIDDEN
        from engine.initializers import INITIALIZERS

        choices = {"activation": tuple(HIDDEN), "init": tuple(INITIALIZERS)}
        values = self.current.as_dict()
        with VerticalScroll(id="hyper-box") as box:
            box.border_title = "hyperparameters" + (f" of {self.run_name}" if self.run_name else "")
            box.border_subtitle = "enter apply · tab next · esc cancel"
            yield Static("These keep the weights (from the next iteration):", classes="hf-head")
            for name, label, options in FIELDS:
                if name == "hidden":
                    yield Static(
                        "These need new weights: a new run, this one stays to compare:",
                        classes="hf-head",
                    )
                options = options or choices.get(name)
                with Horizontal(classes="hf-row", id=f"row-{name}"):
                    yield Label(label, classes="hf-label")
                    widget: Widget
                    if options:
                        widget = Select(
                            [(o, o) for o in options],
                            value=values[name],
                            allow_blank=False,
                            compact=True,
                            id=f"f-{name}",
                            classes="hf-field",
                        )
                    else:
                        widget = Input(
                            values[name], compact=True, id=f"f-{name}", classes="hf-field"
                        )
                    yield widget
                    yield Static(
                        HINTS.get(name, ""), classes="hf-note", id=f"e-{name}", markup=False
                    )

    def on_mount(self) -> None:
        self._show_optimizer(self.current.optimizer)
        self.query_one("#f-lr", Input).focus()

    def _show_optimizer(self, name: str) -> None:
        """Momentum for sgd, the betas for adam: only the optimiser's own fields show."""
        for field in SGD_ONLY:
            self._row(field).display = name == "sgd"
        for field in ADAM_ONLY:
            self._row(field).display = name == "adam"

    def _row(self, name: str) -> Widget:
        return self.query_one(f"#row-{name}")

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "f-optimizer" and isinstance(event.value, str):
            self._show_optimizer(event.value)

    def typed(self) -> FormValues:
        """The fields' contents now."""
        out = {}
        for name, _, _ in FIELDS:
            widget = self.query_one(f"#f-{name}")
            if isinstance(widget, Select):
                out[name] = str(widget.value)
            else:
                assert isinstance(widget, Input)
                out[name] = widget.value
        return FormValues(**out)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.is_active:  # a second enter, queued before the first closed this form
            return
        self.action_apply()

    def action_apply(self) -> None:
        for name, _, _ in FIELDS:
            note = self.query_one(f"#e-{name}", Static)
            note.remove_class("hf-error")
            note.update(HINTS.get(name, ""))
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
