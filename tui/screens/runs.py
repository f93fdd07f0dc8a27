"""The runs screen (`v`): the ledger's runs in a sortable table, overlaid, opened or deleted."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ..runs_view import SORTS, LedgerFollower, RunRow, RunsTable, sort_rows
from .confirm_delete import ConfirmDelete
from .runs_cells import markers, plain, right
from .runs_pins import Pins

if TYPE_CHECKING:
    from ..comparison import Comparison
    from ..overlay import PinnedCurve
    from ..run_files import Opened

POLL_SECONDS = 1.0  # a live run's curve grows about this often (train flushes once a second)
# the columns a header click sorts by (the others keep the order)
HEADER_SORTS = {"id": "newest", **{s: s for s in SORTS if s != "newest"}}


@dataclass
class Polled(Message):
    """The follower's newest reading of the ledger (posted from its worker thread)."""

    table: RunsTable


class RunsScreen(Screen[None]):
    """Every run of the ledger, newest first: the config keys that differ between them, a loss
    sparkline, final and best loss, test accuracy, status. A worker thread follows the ledger
    (a run that a `train` elsewhere writes grows live); nothing here touches SQLite on the UI
    thread."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,v", "close", "back"),
        Binding("space", "toggle_overlay", "overlay", priority=True),
        Binding("enter", "open_run", "open", priority=True),
        Binding("d", "delete_run", "delete"),
        Binding("s", "sort_next", "sort"),
        Binding("S", "sort_reverse", "reverse"),
        Binding("q", "app.quit", "quit", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.table_data: RunsTable | None = None
        self.sort = "newest"
        self.reverse = False
        self.shown: dict[int, tuple[Text | str, ...]] = {}  # id -> the cells on screen
        self._order: list[int] = []
        self._headers: tuple[str, ...] = ()
        self.pins = Pins()  # the overlaid ledger runs (this screen sets them)
        self._follower = LedgerFollower()
        self._polling = False
        self._waiters: list[tuple[int, asyncio.Future[RunsTable]]] = []

    def compose(self) -> ComposeResult:
        yield Static("reading the ledger...", id="runs-message", markup=False)
        table: DataTable[Any] = DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="runs-note", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._sync_pins()
        self._poll()
        self.set_interval(POLL_SECONDS, self._tick)

    def on_screen_resume(self) -> None:
        self._sync_pins()
        self._poll()

    def _sync_pins(self) -> None:
        """The overlaid runs are the comparison's: another scenario's comparison has none."""
        self.pins.sync(self.comparison)

    def _tick(self) -> None:
        """Every POLL_SECONDS: while shown; while hidden (the app keeps this screen) only to
        follow an overlaid live run, whose curve goes on growing on the loss plot."""
        if self.is_current or self._live_pins():
            self._poll()

    def _live_pins(self) -> bool:
        self._sync_pins()
        return self.pins.live(self.table_data)

    def on_unmount(self) -> None:
        follower = self._follower
        self.app.run_worker(follower.close, thread=True, group="runs-close")  # waits for a read

    # ---- following the ledger --------------------------------------------------------------
    def _poll(self) -> None:
        """Read the ledger in a worker thread, unless a read is under way (a slow disk)."""
        if not self._polling:
            self._polling = True
            self._read()

    @work(thread=True, group="runs-follow")
    def _read(self) -> None:
        self.post_message(Polled(self._follower.poll()))

    def poll_now(self) -> None:
        """Read the ledger again at once (after a delete; tests)."""
        self._poll()

    async def next_table(self, timeout: float = 10) -> RunsTable:
        """The first reading begun after this call, once shown (tests wait for it instead of
        sleeping: what they wrote to the ledger before is in it)."""
        begun = self._follower.polls  # a read under way may have begun before the change
        future: asyncio.Future[RunsTable] = asyncio.get_running_loop().create_future()
        self._waiters.append((begun, future))
        self._poll()
        return await asyncio.wait_for(future, timeout)

    def on_polled(self, message: Polled) -> None:
        self._polling = False
        table = message.table
        self.table_data = table
        self._show(table)
        self._refresh_pinned(table)
        for version, future in self._waiters:
            if not future.done() and table.version > version:
                future.set_result(table)
        self._waiters = [(v, f) for v, f in self._waiters if not f.done()]
        if self._waiters or table.pending:
            # a waiter wants a read begun after its call, or curves are still to be read (a
            # big ledger): the next read at once
            self._poll()

    # ---- drawing ------------------------------------------------------------------------------
    @property
    def comparison(self) -> Comparison | None:
        engine = getattr(self.app, "engine", None)
        return getattr(engine, "comparison", None)

    def _show(self, table: RunsTable) -> None:
        dt = self.query_one("#runs-table", DataTable)
        message = table.message
        if table.rows:
            way = "reversed " if self.reverse else ""
            message += f"; sorted by {way}{self.sort} (s: next, S: reverse)"
        self.query_one("#runs-message", Static).update(message)
        dt.display = table.error is None and bool(table.rows)
        rows = sort_rows(table.rows, self.sort, self.reverse)
        marks = markers(self.comparison, self.pins.curves)
        cells = {r.id: (marks.get(r.id, " "), *r.cells(table.mixed)) for r in rows}
        order = [r.id for r in rows]
        if table.headers != self._headers or order != self._order:
            self._rebuild(dt, table.headers, order, cells)
            return
        heads = ("", *table.headers)
        for rid, row in cells.items():  # only the cells that changed: few bytes over SSH
            old = self.shown.get(rid)
            for i, value in enumerate(row):
                if old is None or plain(old[i]) != plain(value):
                    dt.update_cell(str(rid), f"c{i}", right(heads[i], value))
        self.shown = cells

    def _rebuild(
        self,
        dt: DataTable[Any],
        headers: tuple[str, ...],
        order: list[int],
        cells: dict[int, tuple[Text | str, ...]],
    ) -> None:
        current = self._cursor_id()
        dt.clear(columns=headers != self._headers)
        heads = ("", *headers)
        if headers != self._headers:
            # keys by position: two config keys may share a short label (seed, data.seed)
            for i, h in enumerate(heads):
                dt.add_column(h, key=f"c{i}", width=1 if i == 0 else None)
        for rid in order:
            row = cells[rid]
            dt.add_row(*(right(h, v) for h, v in zip(heads, row, strict=True)), key=str(rid))
        self._headers, self._order, self.shown = headers, order, cells
        if current in order:
            dt.move_cursor(row=order.index(current), animate=False)

    def _cursor_id(self) -> int | None:
        dt = self.query_one("#runs-table", DataTable)
        if not self._order or dt.row_count == 0:
            return None
        row = dt.cursor_row
        return self._order[row] if 0 <= row < len(self._order) else None

    def _current(self) -> RunRow | None:
        rid = self._cursor_id()
        if rid is None or self.table_data is None:
            return None
        return self.table_data.row(rid)

    def note(self, text: str) -> None:
        self.query_one("#runs-note", Static).update(text)

    def _redraw(self) -> None:
        if self.table_data is not None:
            self._show(self.table_data)

    # ---- keys --------------------------------------------------------------------------------
    def action_close(self) -> None:
        self.dismiss(None)

    def action_sort_next(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self.reverse = False
        self._redraw()

    def action_sort_reverse(self) -> None:
        self.reverse = not self.reverse
        self._redraw()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = HEADER_SORTS.get(str(event.label.plain))
        if key is not None:
            self.reverse = not self.reverse if key == self.sort else False
            self.sort = key
            self._redraw()

    def action_toggle_overlay(self) -> None:
        """Space: the run's curve on the loss panel, or off it again. A run of the comparison
        is always drawn; a ledger-only run is drawn from its ledger curve (read-only)."""
        row, c = self._current(), self.comparison
        if row is None or c is None:
            return
        pinned, note = self.pins.toggled(row, c)
        if pinned is not None:
            self._pin(pinned)
        self.note(note)

    def _pin(self, pinned: tuple[PinnedCurve, ...]) -> None:
        """The overlaid ledger runs, to the comparison (its engine worker sets them and posts a
        snapshot with the new overlay)."""
        self.pins.curves = pinned
        self.app.engine.put("pin", pinned)  # type: ignore[attr-defined]
        self._redraw()

    def _refresh_pinned(self, table: RunsTable) -> None:
        """An overlaid run that grew (a live `train`): its new curve to the overlay."""
        self._sync_pins()
        c = self.comparison
        if c is None:
            return
        fresh = self.pins.refreshed(table, c)
        if fresh is not None:
            self._pin(fresh)

    def action_open_run(self) -> None:
        """Enter: the run rebuilt from its checkpoint, bit for bit, as the focused run."""
        row = self._current()
        if row is None:
            return
        if row.checkpoint == "missing":
            self.note(f"run #{row.id}: checkpoint missing (space still overlays it)")
            return
        if row.checkpoint != "yes":
            self.note(
                f"run #{row.id} has no checkpoint (w saves the focused run; space overlays it)"
            )
            return
        c = self.comparison
        if c is not None and any(run.record == row.id for run in c.runs):
            self.note(f"run #{row.id} is in the comparison already ({{ }} focus it)")
            return
        self.note(f"opening run #{row.id}...")
        self._open(row.id)

    @work(thread=True, group="runs-open")
    def _open(self, run_id: int) -> None:
        from ..run_files import OpenError, open_run

        try:
            opened = open_run(str(run_id))
        except OpenError as exc:
            self.app.call_from_thread(self.note, str(exc))
            return
        self.app.call_from_thread(self._opened, opened)

    def _opened(self, opened: Opened) -> None:
        c = self.comparison
        engine = self.app.engine  # type: ignore[attr-defined]
        engine.pause()
        if c is not None and c.name == opened.session.name:
            pinned = self.pins.curves
            if any(p.ledger_id == opened.ledger_id for p in pinned):  # drawn as a run now
                self._pin(tuple(p for p in pinned if p.ledger_id != opened.ledger_id))
            engine.put("open", opened)  # joins the comparison, focused (a 9th: a note)
        else:
            engine.put("load", opened.session)  # another scenario: it replaces the runs
        if self.is_current:
            self.dismiss(None)

    def action_delete_run(self) -> None:
        row, c = self._current(), self.comparison
        if row is None:
            return
        if c is not None and any(run.record == row.id for run in c.runs):
            self.note(f"run #{row.id} is in the comparison: x on the main screen drops it first")
            return
        live = " It is still running in another process." if row.status == "running" else ""
        question = (
            f"Delete run #{row.id} ({row.scenario}, {row.steps:,} steps) and its checkpoint?{live}"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(row.id)
            else:
                self.note(f"run #{row.id} kept")

        self.app.push_screen(ConfirmDelete(question), answered)

    @work(thread=True, group="runs-delete")
    def _delete(self, run_id: int) -> None:
        from engine.ledger import Ledger, LedgerError

        try:
            with Ledger.open() as ledger:
                ledger.delete([run_id])
            note = f"run #{run_id} deleted"
        except LedgerError as exc:
            note = str(exc)
        self.app.call_from_thread(self.note, note)
        self.app.call_from_thread(self.poll_now)
