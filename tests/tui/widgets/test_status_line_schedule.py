"""StatusLine with an lr schedule: the lr in force, then the base lr and the schedule."""

from __future__ import annotations

from engine.schedules import parse_schedule
from tests.tui.widgets.apps.panel_app import five_stepper, snap, units
from tui.widgets.status_line import status_parts


def _text(parts: list[tuple[str, str]]) -> str:
    return "  ".join(t for t, _ in parts)


def test_constant_schedule_shows_the_lr_alone() -> None:
    st = five_stepper()
    st.run(3)
    text = _text(status_parts(snap(st), False, 160))
    assert "lr 0.1  " in text and " x " not in text


def test_scheduled_lr_shows_in_force_base_and_schedule() -> None:
    st = five_stepper()
    st.set_schedule(parse_schedule("warmup:steps=10+cosine:steps=100"))
    st.run(3)
    text = _text(status_parts(snap(st), False, 160))
    assert "lr 0.04 " in text  # step 3: the fourth warm-up step, 0.1 x 4/10
    assert "(0.1 x warmup 10 + cosine 100)" in text


def test_a_changing_lr_keeps_its_room() -> None:
    """The lr in force changes every step; its segment keeps one width, so the line stays."""
    st = five_stepper()
    st.set_schedule(parse_schedule("warmup:steps=12+cosine:steps=70,min=0.0001"))
    widths = set()
    lrs = set()
    for _ in range(90):
        st.run(1)
        for s in (snap(st), snap(units(st, 1))):  # at the boundary and mid-iteration
            parts = status_parts(s, False, 160)
            lr = next(t for t, _ in parts if t.startswith("lr "))
            widths.add(len(lr))
            lrs.add(s.settings.lr)
    assert len(lrs) > 50 and widths == {len("lr 1.234e-05")}


def test_a_batch_schedule_shows_the_batch_in_force_then_its_base() -> None:
    """Under a batch schedule the status line says the batch the step uses, not the base."""
    from engine.schedules import parse_batch_schedule

    st = five_stepper()
    st.set_batch_schedule(parse_batch_schedule("step:every=5,factor=2"))
    st.run(12)  # steps 10-14 use 16 x 2^2 = 64
    s = snap(st)
    assert s.settings.batch_in_force == 64 and s.settings.batch_size == 16
    text = _text(status_parts(s, False, 160))
    assert "batch 64  (16, batch x2 every 5 steps)" in text, text
    st2 = five_stepper()
    st2.run(12)
    assert "batch 16  " in _text(status_parts(snap(st2), False, 160))
