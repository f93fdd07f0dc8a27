"""The `lessons` command: list the classic-result lessons, or show one with its commands."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import textwrap
from typing import Any, TextIO

from scenarios.lessons import LESSONS, Lesson, find_lesson
from scenarios.schema import ScenarioError

from .errors import fail

WIDTH = 100


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("lesson", nargs="?", metavar="N|ID", help="show one lesson in full")
    p.add_argument("--json", action="store_true", help="stdout: one JSON line")


def as_dict(lesson: Lesson) -> dict[str, Any]:
    """The lesson as JSON-able data, its command lines included."""
    d = dataclasses.asdict(lesson)
    d["runs"] = [{"label": r.label, "changes": dict(r.changes)} for r in lesson.runs]
    d["lr_find"] = None if lesson.lr_find is None else list(lesson.lr_find)
    for key in ("train_args", "sweep"):
        d[key] = list(d[key])
    d["commands"] = lesson.commands()
    return d


def _para(label: str, text: str) -> str:
    pad = " " * (len(label) + 2)
    return textwrap.fill(
        text, WIDTH, initial_indent=f"{label}: ", subsequent_indent=pad, break_on_hyphens=False
    )


def show(lesson: Lesson, out: TextIO) -> None:
    lines = [
        f"{lesson.number}. {lesson.title}  ({lesson.id})",
        _para("claim", f"{lesson.claim} ({lesson.source})"),
        _para("look for", lesson.look_for),
        f"scenario: {lesson.scenario}",
    ]
    if lesson.runs:
        lines.append("runs: " + "; ".join(r.label for r in lesson.runs))
    lines.append(_para("measured here", lesson.measured or "not yet measured"))
    if lesson.note:
        lines.append(_para("note", lesson.note))
    lines.append("reproduce:")
    lines += [f"  {c}" for c in lesson.commands()]
    print("\n".join(lines), file=out)


def run_lessons(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        chosen = [find_lesson(args.lesson)] if args.lesson is not None else list(LESSONS)
    except ScenarioError as exc:
        return fail(str(exc))
    if args.json:
        data: Any = as_dict(chosen[0]) if args.lesson is not None else [as_dict(x) for x in chosen]
        print(json.dumps(data), file=out)
        return 0
    if args.lesson is not None:
        show(chosen[0], out)
        return 0
    width = max(len(x.id) for x in LESSONS) + 2
    for x in LESSONS:
        print(f"{x.number}  {x.id:<{width}}{x.title} [{x.scenario}]", file=out)
    print(
        "backprop-tui lessons N: the claim, what to look for, the figures, the commands", file=out
    )
    return 0
