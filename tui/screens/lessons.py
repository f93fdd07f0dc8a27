"""The `t` screen: pick a lesson; enter loads its scenario and sets up its preset comparison."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from scenarios import Scenario
    from scenarios.lessons import Lesson

Command = tuple[str, object]  # an EngineQueue command and its argument

# `train` flags of a lesson's train_args that are scenario keys (scenarios.lessons.TRAIN_FLAGS
# the other way round is the rest); --sharpness-every turns on the loss plot's sharpness
SHARPNESS_FLAG = "--sharpness-every"


def _value(text: str) -> object:
    """A flag's text as the config value it stands for: full -> None, 1,2 -> [1, 2], numbers."""
    if text == "full":
        return None
    if "," in text:
        return [int(v) for v in text.split(",") if v]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def flag_changes(train_args: tuple[str, ...]) -> tuple[dict[str, object], int | None]:
    """A lesson's extra `train` flags as dotted config changes, and its --sharpness-every.

    Flags that are not config keys (--eval-every, --target-accuracy) are left out: the app
    evaluates and stops by its own rules.
    """
    from scenarios.lessons import TRAIN_FLAGS

    by_flag = {flag: key for key, flag in TRAIN_FLAGS.items()}
    changes: dict[str, object] = {}
    every: int | None = None
    for flag, text in zip(train_args[::2], train_args[1::2], strict=False):
        if flag == SHARPNESS_FLAG:
            every = int(text)
        elif flag in by_flag:
            changes[by_flag[flag]] = _value(text)
    return changes, every


def lesson_plan(lesson: Lesson, base: Scenario) -> list[Command]:
    """The engine commands that set up ``lesson`` on its scenario ``base`` (loaded as is).

    Each preset run is "add"ed as the scenario with its changes (the same seed: the same
    initial weights and batch order, like a fork), then the plain scenario "load" made is
    dropped, so the comparison holds the lesson's runs and nothing else, the first focused. A
    lesson without runs (a sweep or lr-find preset) is its scenario with the lesson's flags.
    """
    from scenarios.overrides import with_changes

    common, _ = flag_changes(lesson.train_args)
    plan: list[Command] = [("load", lesson.scenario)]
    runs = [dict(r.changes) for r in lesson.runs] or [{}]
    for changes in runs:
        plan.append(("add", with_changes(base, {**common, **changes})))
    plan += [("focus", 1), ("drop", None)]  # the focus wraps from the last run to the first
    return plan


def describe(lesson: Lesson) -> Content:
    """The lesson's text for the screen: claim, source, what to look for, the figures, how."""
    parts: list[str | tuple[str, str]] = [
        (f"{lesson.number}. {lesson.title}\n", "bold"),
        (f"{lesson.source}\n\n", "dim"),
        ("claim  ", "bold"),
        f"{lesson.claim}\n\n",
        ("look for  ", "bold"),
        f"{lesson.look_for}\n\n",
        ("measured here  ", "bold"),
        f"{lesson.measured or 'not measured yet'}\n",
    ]
    if lesson.note:
        parts += [("note  ", "bold"), f"{lesson.note}\n"]
    runs = ", ".join(r.label for r in lesson.runs)
    parts.append(("\nenter: ", "bold"))
    if runs:
        parts.append(f"open {lesson.scenario} with the runs {runs} (r runs them side by side)\n")
    else:
        parts.append(f"open {lesson.scenario}\n")
    parts.append(("\nfrom a shell:\n", "bold"))
    parts += [(f"  {c}\n", "dim") for c in lesson.commands()]
    return Content.assemble(*parts)


class LessonsScreen(ModalScreen["Lesson | None"]):
    """Arrows choose a lesson (its text below), enter opens it, escape goes back."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def compose(self) -> ComposeResult:
        from scenarios.lessons import LESSONS

        with Vertical(id="lessons-box") as box:
            box.border_title = "lessons: classic results to reproduce"
            yield OptionList(
                *(Option(f"{x.number}. {x.title}", id=x.id) for x in LESSONS), id="lessons-list"
            )
            with VerticalScroll(id="lessons-detail"):
                yield Static(describe(LESSONS[0]), id="lessons-text")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        from scenarios.lessons import find_lesson

        if event.option.id is not None:
            self.query_one("#lessons-text", Static).update(describe(find_lesson(event.option.id)))
            self.query_one("#lessons-detail", VerticalScroll).scroll_home(animate=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from scenarios.lessons import find_lesson

        if not self.is_active or event.option.id is None:  # a second, queued enter
            return
        self.dismiss(find_lesson(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)
