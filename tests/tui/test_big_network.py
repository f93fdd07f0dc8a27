"""Issue 9 §5: a 784-512-512-10 network at 120x36 answers space, + and q with the right engine
state (no timing here: benchmarks.tui big measures it), and its whole-set figures come late."""

from __future__ import annotations

import asyncio

from tests.tui.app_helpers import (
    FIXTURES,
    TestApp,
    key_event,
    open_session,
    press,
    settle,
    snapshot_of,
    stepper_of,
)
from tui.ladders import lr_up
from tui.run_loop import LATE_EVAL_MACS, late_evaluation
from tui.session import Session

BIG = FIXTURES / "big-784.toml"
SIZE = (120, 36)


def big_app() -> TestApp:
    return TestApp(Session.open(BIG))


def test_the_big_fixture_is_the_size_issue_9_names_and_evaluates_late() -> None:
    session = Session.open(BIG)
    st = session.stepper
    assert st.net.sizes == [784, 512, 512, 10]
    n_test = 0 if st.X_test is None else len(st.X_test)
    assert len(st.X) + n_test == 2000
    assert late_evaluation(st) and session.late_eval
    small = open_session("five-classes")  # every small net evaluates with its command, as before
    assert not late_evaluation(small.stepper) and not small.late_eval
    assert (len(st.X) + n_test) * st.net.params.size > LATE_EVAL_MACS


def test_a_big_nets_command_leaves_the_figures_to_evaluate_late() -> None:
    session = Session.open(BIG)
    st = session.stepper
    assert st.last_eval_step == 0  # opening evaluates once
    session.do("iteration")
    assert st.step == 1 and st.last_eval_step == 0  # not yet: the snapshot goes out first
    assert session.evaluate_late() is True
    assert st.last_eval_step == 1
    assert session.evaluate_late() is False  # once per step
    small = open_session("five-classes")
    small.do("iteration")
    assert small.stepper.last_eval_step == 1 and small.evaluate_late() is False


async def test_space_steps_the_big_net_and_the_figures_follow() -> None:
    app = big_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "space")
        st = stepper_of(app)
        assert st.step == 1 and st.at_boundary
        snap = snapshot_of(app)  # settled: the late figures' snapshot is the one shown
        assert snap.version == st.version and snap.progress.step == 1
        assert snap.curves.eval_step == 1
        for pid in ("weights", "gradients", "outputs", "explain", "loss"):
            shown = app.main.panel(pid).snapshot
            assert shown is not None and shown.progress.step == 1


async def test_plus_while_the_big_net_runs_changes_the_lr_and_the_run_goes_on() -> None:
    app = big_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        st = stepper_of(app)
        lr0 = st.lr
        await press(pilot, "g")
        for ch in "100000":
            app.post_message(key_event(ch))
        app.post_message(key_event("enter"))
        await app.snapshot_where(lambda s: s.progress.step > 0)
        assert app.engine.running
        app.post_message(key_event("plus"))
        want = lr_up(lr0)
        snap = await app.snapshot_where(
            lambda s: dict(s.settings.pending).get("lr", s.settings.lr) == want
        )
        assert app.engine.running  # + does not pause
        step = snap.progress.step
        await app.snapshot_where(lambda s: s.progress.step > step)  # and it trains on
        app.post_message(key_event("r"))
        await settle(pilot)
        assert not app.engine.running
        assert st.lr == want and not st.pending
        assert snapshot_of(app).version == st.version
        assert snapshot_of(app).curves.eval_step == st.step  # a stop evaluates


async def test_q_while_the_big_net_runs_quits_with_the_run_stopped() -> None:
    app = big_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "g")
        for ch in "100000":
            app.post_message(key_event(ch))
        app.post_message(key_event("enter"))
        await app.snapshot_where(lambda s: s.progress.step > 0)
        assert app.engine.running
        await pilot.press("q")
        await asyncio.to_thread(app.run_idle.wait, 10)
    assert app.return_code == 0
    assert app.run_idle.is_set() and not app.engine.running
