"""The main screen: status line, panel tabs, the panels (routing snapshots and cursors), footer."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, ClassVar, cast

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..keys import bindings
from ..messages import CursorMoved, SampleSelected
from ..panels import PANELS, make_panels
from ..widgets.status_line import StatusLine
from ..widgets.too_small import MIN_HEIGHT, MIN_WIDTH, TooSmall

if TYPE_CHECKING:  # numpy and the panels load in a worker after the first paint
    from engine.snapshot import Snapshot

    from ..app import BackpropApp
    from ..engine_queue import EngineQueue
    from ..overlay import Overlay
    from ..pacing import Pacing
    from ..widgets.base import SnapshotPanel

PANEL_IDS = tuple(p[0] for p in PANELS)


class MainScreen(Screen[None]):
    """Status line, the panels (a grid when there is room, one at a time otherwise), footer.

    It shows each snapshot the engine posts: the status line always, the panels as ``pacing``
    says; it asks ``engine`` for a fresh snapshot when the map's size may have changed.
    """

    # Screen classes drive the layout in app.tcss: -w-tiny/-h-tiny show the "enlarge" message,
    # -w-wide with -h-tall (120x30 and up) shows every panel in a grid, anything smaller one
    # chosen panel with Explain under it.
    # (unannotated: Textual declares them ClassVar | None, which no annotation here can repeat)
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-w-tiny"),
        (MIN_WIDTH, "-w-small"),
        (120, "-w-wide"),
    ]
    VERTICAL_BREAKPOINTS = [  # noqa: RUF012
        (0, "-h-tiny"),
        (MIN_HEIGHT, "-h-small"),
        (30, "-h-tall"),
    ]
    BINDINGS: ClassVar[list[BindingType]] = bindings()
    # keys that only mean something with two runs or more: hidden (footer) and off until then
    COMPARE_ACTIONS: ClassVar[frozenset[str]] = frozenset({"focus_run", "drop_run", "toggle_diff"})

    def __init__(self, engine: EngineQueue, pacing: Pacing) -> None:
        super().__init__()
        self.engine = engine
        self.pacing = pacing
        self.snapshot: Snapshot | None = None  # the newest one
        self.overlay: Overlay | None = None  # the comparison's curves with it (None: one run)
        self.current_panel = 0  # index in PANELS: the one shown (small terminals) and focused
        self._tabs_key: tuple[tuple[str, str], ...] = ()
        # cleared while panels a stop held back wait for their timer (tests wait on it)
        self.late_shown = asyncio.Event()
        self.late_shown.set()

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield Static("", id="panel-tabs")
        with Container(id="panels"):
            if self.engine.session is not None:
                yield from make_panels()  # else mounted when the worker has loaded them
        yield TooSmall(id="too-small")
        yield Footer()

    @property
    def status(self) -> StatusLine:
        return self.query_one("#status", StatusLine)

    def panel(self, pid: str) -> SnapshotPanel:
        return cast("SnapshotPanel", self.query_one(f"#{pid}"))

    @property
    def has_panels(self) -> bool:
        return bool(self.query("#panels > *"))

    def on_mount(self) -> None:
        self.status.speed = self.engine.speed.label
        if self.engine.session is None:
            self.status.loading_name = self.engine.spec
            # paint the frame first: numpy, plotext and the data load in the worker after it
            self.app.call_after_refresh(self.engine.release)
        else:
            self._panels_ready()
            self.engine.put("show")

    def _panels_ready(self) -> None:
        # the panels are imported by now, numpy with them (not before the first paint)
        from ..widgets.colours import use_standard_colours

        # headless (tests, benchmarks) renders SVG in full colour whatever TERM says
        app = self.app
        use_standard_colours(app.console.color_system == "standard" and not app.is_headless)
        self.set_panel(self.current_panel)

    def on_resize(self) -> None:
        for message in self.query(TooSmall):
            message.refresh()  # it prints the terminal's size
        # the map's size may have changed: ask for a snapshot with a map that fits
        if self.snapshot is not None and not self.engine.running:
            self.app.call_after_refresh(self.engine.put, "show")

    # ---- snapshots -------------------------------------------------------------------------
    async def show(self, snap: Snapshot, overlay: Overlay | None = None) -> None:
        """A new snapshot (the focused run's) and the comparison's overlay: the status line shows
        them, and the panels that are due (Pacing)."""
        self.snapshot = snap
        if (overlay is None) != (self.overlay is None):
            self.refresh_bindings()  # the compare keys come (or go) with the second run
        self.overlay = overlay
        session = self.engine.session
        assert session is not None
        found = self.query("#panels")
        if not found:  # the app is closing: the screen's children are gone
            return
        container = found.first()
        if not container.children:  # first snapshot after a deferred load
            await container.mount_all(make_panels())
            self._panels_ready()
            self.app.call_after_refresh(self.engine.put, "show")  # now the map's size is known
        self.set_class(snap.decision is None and not session.two_d, "-no-map")
        if self.current_panel not in self.visible_panels():  # e.g. the map, after a switch
            self.set_panel(0)
        self.status.n_train = session.n_train
        self.status.show(snap, overlay)
        self.panel("loss").show_overlay(overlay)  # drawn when the panel next redraws
        hidden = [pid for pid in PANEL_IDS if not self.panel(pid).display]
        for pid in self.pacing.due(self.engine.paced, hidden):
            self.panel(pid).show(snap)
        self._update_map_size()
        self.call_after_refresh(self._update_map_size)  # once this snapshot's layout settled
        self._update_tabs()

    def show_all(self) -> None:
        """A run stopped: every panel shows the newest snapshot, at once unless it redrew less
        than its pacing period ago; those follow on a timer (Pacing.stop: r pressed at every
        stop sends no more than a steady run)."""
        if self.snapshot is None or not self.has_panels:
            self.pacing.reset()
            return
        hidden = [pid for pid in PANEL_IDS if not self.panel(pid).display]
        now, wait = self.pacing.stop(hidden)
        for pid in now:
            self.panel(pid).show(self.snapshot)
        if wait > 0:
            self.late_shown.clear()
            self.set_timer(wait, self._show_late)

    def _show_late(self) -> None:
        """The panels a stop held back show the newest snapshot (a new run paces them)."""
        self.late_shown.set()
        if self.engine.running or self.snapshot is None or not self.has_panels:
            return
        for pid in self.pacing.late():
            self.panel(pid).show(self.snapshot)

    def on_cursor_moved(self, message: CursorMoved) -> None:
        """The weights cursor moved: Explain shows that unit, Gradients that layer."""
        for pid in ("explain", "gradients"):
            self.panel(pid).follow_cursor(message.layer, message.row, message.col, message.kind)

    def on_sample_selected(self, message: SampleSelected) -> None:
        self.panel("explain").follow_sample(message.index)

    def _update_map_size(self) -> None:
        """Ask for a decision map as big as the panel shows it (half-blocks: 2 rows a cell)."""
        region = self.panel("map").content_region
        comparison = self.engine.comparison
        if region.width > 0 and region.height > 0 and comparison is not None:
            size = (region.width, 2 * region.height)
            if size == comparison.decision_size:
                return
            comparison.decision_size = size  # every run's
            # the layout moved (e.g. the status line took another row when a run stopped):
            # a paused screen must not keep a map computed for the old size
            if not self.engine.running:
                self.app.call_after_refresh(self.engine.put, "show")

    # ---- tabs ------------------------------------------------------------------------------
    def visible_panels(self) -> list[int]:
        no_map = self.has_class("-no-map")
        return [i for i, pid in enumerate(PANEL_IDS) if not (no_map and pid == "map")]

    def set_panel(self, index: int) -> None:
        self.current_panel = index
        if not self.has_panels:
            return  # the panels mount with the first snapshot
        for i, pid in enumerate(PANEL_IDS):
            self.panel(pid).set_class(i == index, "-current")
        if self.app.screen is self:
            # at once, not Widget.focus's call_later: keys that came with the switch (`2 j j j`
            # in one read, common over SSH) are already queued and go to the focused widget
            self.set_focus(self.panel(PANEL_IDS[index]))
        self._update_tabs()

    def _update_tabs(self) -> None:
        parts: list[tuple[str, str]] = []
        visible = self.visible_panels()
        for i in visible:
            title = PANELS[i][1].split()[-1].capitalize()  # "Decision map" -> "Map": fits 80
            parts.append((f" {i + 1} {title} ", "reverse" if i == self.current_panel else ""))
        parts.append((f"  tab or 1-{visible[-1] + 1}", "dim"))  # the map is the last panel
        key = tuple(parts)
        if key != self._tabs_key:  # Static.update costs a layout pass of the whole screen
            self._tabs_key = key
            self.query_one("#panel-tabs", Static).update(Content.assemble(*parts))

    # ---- actions (keys.py binds them without a namespace: they run here) -------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.COMPARE_ACTIONS:  # two runs or more (not ledger runs overlaid: v)
            ov = self.overlay
            return ov is not None and any(c.ledger_id is None for c in ov.curves[:-1])
        return True

    def action_focus_run(self, delta: int) -> None:
        """The next or previous run of the comparison: the panels show it (the engine's)."""
        app = cast("BackpropApp", self.app)
        app.action_engine("focus", delta)

    def action_drop_run(self) -> None:
        app = cast("BackpropApp", self.app)
        app.action_engine("drop")

    def action_toggle_diff(self) -> None:
        if self.has_panels:
            from ..widgets.loss_plot import LossPlot

            plot = self.query_one(LossPlot)
            plot.diff = not plot.diff

    def action_next_panel(self) -> None:
        self._cycle_panel(1)

    def action_prev_panel(self) -> None:
        self._cycle_panel(-1)

    def _cycle_panel(self, d: int) -> None:
        visible = self.visible_panels()
        pos = visible.index(self.current_panel) if self.current_panel in visible else 0
        self.set_panel(visible[(pos + d) % len(visible)])

    def action_show_panel(self, index: int) -> None:
        if index in self.visible_panels():
            self.set_panel(index)

    def action_log_y(self) -> None:
        if self.has_panels:  # the loss plot's module is imported once the panels are
            from ..widgets.loss_plot import LossPlot

            self.query_one(LossPlot).toggle_log_y()

    def action_toggle_accuracy(self) -> None:
        if self.has_panels:
            from ..widgets.loss_plot import LossPlot

            plot = self.query_one(LossPlot)
            plot.show_accuracy = not plot.show_accuracy
