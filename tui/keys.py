"""Every key binding in one table: the footer, the `?` help and the command palette read it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Key:
    keys: str  # comma-separated Textual keys
    # the binding's action: "app.<action>" runs on the App (the engine, the modal screens),
    # a bare name on the main screen (panels and tabs); "" for keys bound elsewhere
    action: str
    short: str  # footer label
    title: str  # command palette title
    help: str  # one line for the `?` screen
    group: str = ""  # consecutive keys sharing a group show as one footer entry
    show: bool = True  # in the footer


KEYS: tuple[Key, ...] = (
    # help and quit first: a narrow footer cuts off the right end
    Key("question_mark", "app.help", "help", "Help", "this help"),
    Key("q", "app.quit", "quit", "Quit", "quit (exit code 0)"),
    # a comparison's keys next: hidden with one run, and in reach of a narrow footer with more
    Key(
        "left_curly_bracket",
        "focus_run(-1)",
        "run",
        "Focus the previous run",
        "focus the previous run of the comparison (the panels show the focused run)",
        "run",
    ),
    Key(
        "right_curly_bracket",
        "focus_run(1)",
        "run",
        "Focus the next run",
        "focus the next run of the comparison",
        "run",
    ),
    Key(
        "x",
        "drop_run",
        "drop",
        "Drop the focused run",
        "drop the focused run from the comparison (the ledger keeps it)",
    ),
    Key(
        "space",
        "app.engine('iteration')",
        "iter",
        "Step one iteration",
        "one whole iteration (finishes the current one if started)",
        "step",
    ),
    Key(
        "n",
        "app.engine('unit')",
        "unit",
        "Step one unit",
        "next unit: batch, one layer forward, loss, one layer backward, or update",
        "step",
    ),
    Key(
        "f",
        "app.engine('forward')",
        "fwd",
        "Finish forward pass",
        "finish the forward pass through the loss"
        " (past the loss: finish this iteration, then the next forward pass)",
        "step",
    ),
    Key(
        "b",
        "app.engine('backward')",
        "bwd",
        "Finish backward pass",
        "finish the backward pass (runs the forward pass and loss first if needed)",
        "step",
    ),
    Key(
        "u",
        "app.engine('update')",
        "upd",
        "Apply the update",
        "apply the optimiser's update and finish the iteration"
        " (sgd: Δw = -lr·g + α·Δw_prev; adam: Δw = -lr·m̂/(√v̂ + ε))",
        "step",
    ),
    Key(
        "r",
        "app.toggle_run",
        "run",
        "Run / pause",
        "run to the end of the scenario's schedule (or its target accuracy), then pause;"
        " r again runs one more schedule length; r while running pauses (so does any step key)",
    ),
    Key(
        "g",
        "app.run_for",
        "run for",
        "Run for N iterations or to the epoch's end",
        "type a stop condition and run: 500 (iterations) or epoch (to the end of the epoch)",
    ),
    Key(
        "e",
        "app.run_epoch",
        "epoch",
        "Run to the end of the epoch",
        "run to the end of the epoch in progress (from an epoch's start: one whole epoch)",
        show=False,
    ),
    Key(
        "comma",
        "app.speed(-1)",
        "slower",
        "Run slower",
        "run speed down: max, 1000 100 10 5 2 1 iterations/s, then one unit at a time at"
        " 4 2 1 units/s (every panel shows each unit: watch the passes flow through the layers)",
        "speed",
    ),
    Key(
        "full_stop",
        "app.speed(1)",
        "faster",
        "Run faster",
        "run speed up, back towards max (as fast as the machine allows)",
        "speed",
    ),
    Key(
        "+",
        "app.engine('lr_up')",
        "lr+",
        "Learning rate up",
        "learning rate up the 1-2-5 ladder (0.00001 ... 0.001 0.002 0.005 0.01 ... 10)",
        "lr",
    ),
    Key(
        "-",
        "app.engine('lr_down')",
        "lr-",
        "Learning rate down",
        "learning rate down the 1-2-5 ladder",
        "lr",
    ),
    Key(
        "=,L",
        "app.lr_input",
        "lr=",
        "Type a learning rate",
        "type a learning rate (any number > 0)",
        "lr",
    ),
    Key(
        "h",
        "app.hyper_form",
        "hyper",
        "Hyperparameters form",
        "every hyperparameter in one form: lr, schedule, batch, optimiser, momentum, L1, L2"
        " apply to this run; hidden sizes, activation, init, seed start a new run beside it",
        show=False,
    ),
    Key(
        "]",
        "app.engine('batch_up')",
        "batch+",
        "Batch size up",
        "batch size up: 1, 2, 4, ..., full",
        "batch",
    ),
    Key("[", "app.engine('batch_down')", "batch-", "Batch size down", "batch size down", "batch"),
    Key(
        "z",
        "app.engine('undo')",
        "undo",
        "Undo",
        "undo one iteration (or abandon the one in progress)",
    ),
    Key(
        "R",
        "app.engine('reset')",
        "reset",
        "Reset weights",
        "reset to the scenario's initial weights (same seed; lr and batch stay)",
    ),
    Key(
        "c",
        "app.engine('fork')",
        "fork",
        "Fork the run (compare)",
        "fork the focused run: a new run from the same initial weights and batch order with"
        " its hyperparameters, then change them (+ - = [ ]); runs train in lockstep, up to 8",
        show=False,
    ),
    Key(
        "d",
        "toggle_diff",
        "diff",
        "Toggle the difference to run 1",
        "loss plot of a comparison: each run's loss minus the first run's, step by step",
        show=False,
    ),
    Key("s", "app.pick_scenario", "scenario", "Choose a scenario", "choose another scenario"),
    Key(
        "t",
        "app.lessons",
        "lessons",
        "Lessons",
        "lessons: classic results (lr range test, linear scaling, edge of stability, the 1986"
        " symmetry net, ...), each a scenario with its preset runs to compare",
    ),
    Key(
        "v",
        "app.runs_screen",
        "runs",
        "Runs (the ledger)",
        "the ledger's runs: a sortable table (s S); space overlays a run on the loss plot,"
        " enter opens it from its checkpoint, d deletes it",
    ),
    Key(
        "w",
        "app.engine('save')",
        "save",
        "Save a checkpoint",
        "save the focused run's checkpoint to the ledger (weights, optimiser state, batch"
        " order, history); backprop-tui --open ID resumes it bit for bit",
        show=False,
    ),
    Key(
        "C",
        "app.gradcheck",
        "gradcheck",
        "Check the gradient",
        "check backprop's gradient of the current batch against finite differences, layer by"
        " layer, with the cost of each (escape cancels; the run is not touched)",
        show=False,
    ),
    Key(
        "E",
        "app.sharpness",
        "sharpness",
        "Toggle the sharpness",
        "loss plot: measure the sharpness (top Hessian eigenvalue) every 25 steps and draw it"
        " against 2/lr, the edge of stability (2(1+b)/lr with momentum b)",
        show=False,
    ),
    Key(
        "S",
        "app.sweep",
        "sweep",
        "Sweep lr x batch size",
        "sweep the scenario: lr x batch size x momentum x L2 x seeds in a subprocess, the"
        " final loss as a heatmap; the cursor cell's curves; enter opens a cell as a run",
        show=False,
    ),
    Key(
        "F",
        "app.lr_find",
        "lr find",
        "Learning-rate range test",
        "the lr range test from the current weights (on a copy): loss against an lr rising"
        " from 1e-7 to 10, the suggested lr marked; enter sets it",
        show=False,
    ),
    Key(
        "i",
        "",
        "",
        "",
        "inside views of the focused panel: Outputs shows the hidden activations or the"
        " confusion matrix, Gradients the histograms of |W| and |dL/dW| over time with the"
        " update/weight ratio",
        show=False,
    ),
    Key("l", "log_y", "log-y", "Toggle log-y", "loss plot: toggle a logarithmic y axis"),
    Key(
        "a",
        "toggle_accuracy",
        "accuracy",
        "Toggle accuracy",
        "loss plot: show or hide the accuracy curves",
        show=False,
    ),
    Key(
        "tab",
        "next_panel",
        "panel",
        "Next panel",
        "next panel (shift+tab: previous); arrows move inside a panel",
        show=False,
    ),
    Key("shift+tab", "prev_panel", "panel", "Previous panel", "previous panel", show=False),
    Key(
        "1,2,3,4,5,6",
        "",
        "",
        "",
        "show panel 1-6 (weights, outputs, gradients, loss, explain, map)",
        show=False,
    ),
)

GROUPS = {
    "step": Binding.Group("step"),
    "lr": Binding.Group("lr", compact=True),
    "batch": Binding.Group("batch", compact=True),
    "speed": Binding.Group("speed"),
    "run": Binding.Group("run", compact=True),
}


def bindings() -> list[BindingType]:
    """Bindings for the main screen: the engine's keys go to the App, which owns the queue."""
    out: list[BindingType] = []
    for k in KEYS:
        if not k.action:
            continue
        out.append(
            Binding(
                k.keys,
                k.action,
                k.short,
                show=k.show,
                group=GROUPS.get(k.group),
                tooltip=k.help,
            )
        )
    for i in range(1, 7):
        out.append(Binding(str(i), f"show_panel({i - 1})", f"panel {i}", show=False))
    return out


def key_label(keys: str) -> str:
    """How a key is written in the help screen."""
    names = {
        "question_mark": "?",
        "full_stop": ".",
        "comma": ",",
        "left_curly_bracket": "{",
        "right_curly_bracket": "}",
    }
    return " ".join(names.get(k, k) for k in keys.split(","))
