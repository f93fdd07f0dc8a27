"""The Textual app: panels rendering engine snapshots, keys that step, run and tune training."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Container
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from scenarios.defaults import DEFAULT_SCENARIO  # numpy-free: the app paints first

from .controller import EngineController
from .keys import KEYS, bindings
from .messages import CursorMoved, EngineNote, SampleSelected, SnapshotReady
from .panels import PANELS, make_panels
from .screens.help import HelpScreen
from .screens.lr_input import LrInput
from .widgets.status_line import StatusLine
from .widgets.too_small import MIN_HEIGHT, MIN_WIDTH, TooSmall

if TYPE_CHECKING:  # numpy, plotext and the scenarios load in a worker after the first paint
    from engine.snapshot import Snapshot

    from .session import Session

# While a run goes, the status line shows every snapshot (~9 a second) but each panel at most
# once per this many seconds: a redraw resends the panel's whole region (heatmaps are one colour
# code per cell), and a plotext build costs ~50 ms of main-thread CPU that the run loses to the
# GIL. Paused or stepping, every panel shows every snapshot at once.
# Each redraw also takes the GIL from the run: at 2-3 fps per panel a run keeps ~85-90% of the
# headless speed (status line alone: ~93%).
RUN_PERIOD = {
    "weights": 0.4,
    "outputs": 0.4,
    "gradients": 0.4,
    "loss": 0.5,
    "explain": 0.5,
    "map": 0.5,  # the map itself changes twice a second (engine_worker.MAP_SECONDS)
}
MAX_PANELS_PER_FRAME = 2  # spreads the redraws over the frames instead of bunching them
FRAME_SLACK = 0.05  # snapshots arrive ~0.11 s apart: a panel due within this much is due now

HERE = Path(__file__).parent
PANEL_IDS = tuple(p[0] for p in PANELS)


class MainScreen(Screen[None]):
    """Status line, the panels (a grid when there is room, one at a time otherwise), footer."""

    # Screen classes drive the layout in app.tcss: -w-tiny/-h-tiny show the "enlarge" message,
    # -w-wide with -h-tall (120x30 and up) shows every panel in a grid, anything smaller one
    # chosen panel with Explain under it.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-w-tiny"),
        (MIN_WIDTH, "-w-small"),
        (120, "-w-wide"),
    ]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [
        (0, "-h-tiny"),
        (MIN_HEIGHT, "-h-small"),
        (30, "-h-tall"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = bindings()

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static("", id="panel-tabs")
        with Container(id="panels"):
            if self.app.session is not None:  # type: ignore[attr-defined]
                yield from make_panels()  # else mounted when the worker has loaded them
        yield TooSmall(id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        self.app.main_screen_mounted()  # type: ignore[attr-defined]

    def on_resize(self) -> None:
        for message in self.query(TooSmall):
            message.refresh()  # it prints the terminal's size


class BackpropApp(EngineController):
    """Owns the Session; all engine calls run in thread workers, serialised by session.lock."""

    TITLE = "backprop-tui"
    CSS_PATH: ClassVar = [
        p for p in (HERE / "widgets/panels.tcss", HERE / "app.tcss") if p.exists()
    ]

    def __init__(
        self,
        session: Session | None = None,
        spec: str | None = None,
        throttle: float | None = None,
    ) -> None:
        """Show ``session``, or load scenario ``spec`` after the first paint (start-up time).

        ``throttle=0`` shows every snapshot in every panel even while running (tests: what
        they see does not depend on time); by default a run paces the panels (RUN_PERIOD).
        """
        super().__init__()
        self.spec = spec or DEFAULT_SCENARIO
        self._init_engine(session, self.spec)
        self.throttle = throttle
        self.snapshot: Snapshot | None = None
        self._next_show: dict[str, float] = {}  # while running: when each panel is next due
        self.current_panel = 0
        self._tabs_key: tuple[tuple[str, str], ...] = ()

    def get_default_screen(self) -> Screen[None]:
        return MainScreen()

    def main_screen_mounted(self) -> None:
        if self.session is None:
            self._status.loading_name = self.spec
            # paint the frame first: numpy, plotext and the data load in the worker after it
            self.call_after_refresh(self._release)
        else:
            self._panels_ready()
            self._enqueue("show")

    def _panels_ready(self) -> None:
        # the panels are imported by now, numpy with them (not before the first paint)
        from .widgets.colours import use_standard_colours

        # headless (tests, benchmarks) renders SVG in full colour whatever TERM says
        use_standard_colours(self.console.color_system == "standard" and not self.is_headless)
        self._set_panel(self.current_panel)

    # ---- messages --------------------------------------------------------------------------
    async def on_snapshot_ready(self, message: SnapshotReady) -> None:
        snap = message.snapshot
        self.snapshot = snap
        screen = self.screen_stack[0]
        assert self.session is not None
        container = screen.query_one("#panels")
        if not container.children:  # first snapshot after a deferred load
            await container.mount_all(make_panels())
            self._panels_ready()
            self.call_after_refresh(self._enqueue, "show")  # now the map's size is known
        screen.set_class(snap.decision is None and not self.session.two_d, "-no-map")
        if self.current_panel not in self._visible_panels():  # e.g. the map, after a switch
            self._set_panel(0)
        self._status.n_train = self.session.n_train
        self._status.show(snap)
        for pid in self._due_panels():
            panel = self._panel(pid)
            if hasattr(panel, "show"):
                panel.show(snap)
        self._update_map_size()
        self._update_tabs()

    def _due_panels(self) -> list[str]:
        """The panels to show the new snapshot: all, unless a run is going (see RUN_PERIOD)."""
        if not self.running or self.throttle == 0:
            return list(PANEL_IDS)
        now = time.monotonic()
        if not self._next_show:  # the run's first frame: stagger the panels' turns
            step = 0.11
            self._next_show = {pid: now + k * step for k, pid in enumerate(PANEL_IDS)}
        out = []
        due = []
        for pid in PANEL_IDS:
            if not self._panel(pid).display:
                out.append(pid)  # hidden: nothing goes to the terminal, keep it current
            elif self._next_show[pid] <= now + FRAME_SLACK:
                due.append((self._next_show[pid], pid))
        for _, pid in sorted(due)[:MAX_PANELS_PER_FRAME]:
            out.append(pid)
            self._next_show[pid] = now + RUN_PERIOD.get(pid, 0.33)
        return out

    def _show_all(self) -> None:
        """A run stopped: every panel shows the newest snapshot now."""
        self._next_show = {}
        if self.snapshot is None or not self.screen_stack[0].query("#panels > *"):
            return
        for pid in PANEL_IDS:
            panel = self._panel(pid)
            if hasattr(panel, "show"):
                panel.show(self.snapshot)

    def on_engine_note(self, message: EngineNote) -> None:
        if self.session is None:  # nothing to show: say why on the way out
            self.exit(None, 2, f"backprop-tui: {message.text}")
            return
        self._status.note = message.text

    def on_cursor_moved(self, message: CursorMoved) -> None:
        """The weights cursor moved: Explain shows that unit, Gradients that layer."""
        explain = self._panel("explain")
        if hasattr(explain, "follow_cursor"):
            explain.follow_cursor(message.layer, message.row, message.col, message.kind)
        gradients = self._panel("gradients")
        if hasattr(gradients, "follow_cursor"):
            gradients.follow_cursor(message.layer, message.row, message.col, message.kind)

    def on_sample_selected(self, message: SampleSelected) -> None:
        explain = self._panel("explain")
        if hasattr(explain, "follow_sample"):
            explain.follow_sample(message.index)

    # ---- layout ----------------------------------------------------------------------------
    def _panel(self, pid: str) -> Widget:
        return self.screen_stack[0].query_one(f"#{pid}", Widget)

    def _visible_panels(self) -> list[int]:
        no_map = self.screen_stack[0].has_class("-no-map")
        return [i for i, pid in enumerate(PANEL_IDS) if not (no_map and pid == "map")]

    def _set_panel(self, index: int) -> None:
        self.current_panel = index
        if not self.screen_stack[0].query("#panels > *"):
            return  # the panels mount with the first snapshot
        for i, pid in enumerate(PANEL_IDS):
            self._panel(pid).set_class(i == index, "-current")
        if self.screen is self.screen_stack[0]:
            self._panel(PANEL_IDS[index]).focus()
        self._update_tabs()

    def _update_tabs(self) -> None:
        parts: list[tuple[str, str]] = []
        for i in self._visible_panels():
            title = PANELS[i][1].split()[-1].capitalize()  # "Decision map" -> "Map": fits 80
            parts.append((f" {i + 1} {title} ", "reverse" if i == self.current_panel else ""))
        parts.append(("  tab or 1-6", "dim"))
        key = tuple(parts)
        if key != self._tabs_key:  # Static.update costs a layout pass of the whole screen
            self._tabs_key = key
            self.screen_stack[0].query_one("#panel-tabs", Static).update(Content.assemble(*parts))

    def _update_map_size(self) -> None:
        """Ask for a decision map as big as the panel shows it (half-blocks: 2 rows a cell)."""
        region = self._panel("map").content_region
        if region.width > 0 and region.height > 0:
            self.session.decision_size = (region.width, 2 * region.height)

    def on_resize(self) -> None:
        # the map's size may have changed: ask for a snapshot with a map that fits
        if self.snapshot is not None and not self.running:
            self.call_after_refresh(self._enqueue, "show")

    # ---- actions ---------------------------------------------------------------------------
    def action_iteration(self) -> None:
        self._enqueue("iteration")

    def action_unit(self) -> None:
        self._enqueue("unit")

    def action_forward(self) -> None:
        self._enqueue("forward")

    def action_backward(self) -> None:
        self._enqueue("backward")

    def action_update(self) -> None:
        self._enqueue("update")

    def action_toggle_run(self) -> None:
        if self.running:
            self.pause()
        else:
            self.start_run()

    def action_lr_up(self) -> None:
        self._enqueue("lr_up")

    def action_lr_down(self) -> None:
        self._enqueue("lr_down")

    def action_lr_input(self) -> None:
        current = self.snapshot.lr if self.snapshot else 0.1
        self.push_screen(LrInput(current), self._typed_lr)

    def _typed_lr(self, value: float | None) -> None:
        if value is not None:
            self._enqueue("lr", value)

    def action_batch_up(self) -> None:
        self._enqueue("batch_up")

    def action_batch_down(self) -> None:
        self._enqueue("batch_down")

    def action_undo(self) -> None:
        self._enqueue("undo")

    def action_reset(self) -> None:
        self._enqueue("reset")

    def action_pick_scenario(self) -> None:
        from .screens.scenario_picker import ScenarioPicker  # imports the scenarios package

        name = self.session.name if self.session is not None else self.spec
        self.push_screen(ScenarioPicker(name), self._picked)

    def _picked(self, spec: str | None) -> None:
        if spec:
            self.pause()
            self._enqueue("load", spec)

    def action_log_y(self) -> None:
        for plot in self.screen_stack[0].query("#loss"):  # none until the panels are mounted
            if hasattr(plot, "log_y"):
                plot.log_y = not plot.log_y

    def action_toggle_accuracy(self) -> None:
        for plot in self.screen_stack[0].query("#loss"):
            if hasattr(plot, "show_accuracy"):
                plot.show_accuracy = not plot.show_accuracy

    def action_next_panel(self) -> None:
        self._cycle_panel(1)

    def action_prev_panel(self) -> None:
        self._cycle_panel(-1)

    def _cycle_panel(self, d: int) -> None:
        visible = self._visible_panels()
        pos = visible.index(self.current_panel) if self.current_panel in visible else 0
        self._set_panel(visible[(pos + d) % len(visible)])

    def action_show_panel(self, index: int) -> None:
        if index in self._visible_panels():
            self._set_panel(index)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        self.pause()
        self.exit(0)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for k in KEYS:
            if k.action and k.action != "quit":
                keys = k.keys.replace("question_mark", "?")
                yield SystemCommand(
                    f"{k.title} ({keys})", k.help, getattr(self, f"action_{k.action}")
                )


def run_app(scenario_spec: str | None = None) -> int:
    """Open the app on a scenario name or path; returns the process exit code (q: 0).

    A scenario that fails to load ends the app with code 2 and the one-line error.
    """
    app = BackpropApp(spec=scenario_spec)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(run_app(sys.argv[1] if len(sys.argv) > 1 else None))
