"""The `h` form: prefilled from the focused run; what keeps the weights applies to it, the rest
starts a new run beside it; a bad field says why and nothing applies."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from engine import SGD, Adam
from engine.schedules import parse_schedule
from tests.tui.app_helpers import (
    TestApp,
    key_event,
    new_app,
    press,
    settle,
    status_text,
    stepper_of,
)
from tui.screens.hyper_form import HyperForm
from tui.widgets.choice import Choice

SIZE = (80, 24)


def form(app: TestApp) -> HyperForm:
    assert isinstance(app.screen, HyperForm)
    return app.screen


def field(app: TestApp, name: str) -> Input:
    return form(app).query_one(f"#f-{name}", Input)


async def close_with(pilot: Pilot[int], key: str) -> None:
    """Press a key that closes the form, wait until it is gone, then settle.

    (settle right after the key may wait for a refresh of the form being dismissed: when the
    form closes from a binding, that refresh never comes.)
    """
    app = pilot.app
    app.post_message(key_event(key))
    while isinstance(app.screen, HyperForm):
        await pilot.pause()
    await settle(pilot)


def note(app: TestApp, name: str) -> str:
    return str(form(app).query_one(f"#e-{name}").render())


async def test_h_opens_the_form_prefilled_with_the_runs_values() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "+", "h")  # the lr key's change shows in the form
        values = form(app).typed()
        assert (values.lr, values.batch, values.momentum) == ("0.1", "16", "0.9")
        assert (values.optimizer, values.hidden, values.activation) == ("sgd", "8, 8", "relu")
        assert (values.schedule, values.init, values.seed) == ("constant", "he", "0")
        assert app.screen.focused is field(app, "lr")
        assert form(app).query_one("#f-momentum").display
        assert not form(app).query_one("#f-beta1").display  # adam's own fields hidden
        await close_with(pilot, "escape")
        assert not isinstance(app.screen, HyperForm) and stepper_of(app).lr == 0.1


async def test_lr_momentum_and_schedule_apply_to_the_run_keeping_its_weights() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space", "space")
        params = stepper_of(app).net.params.copy()
        await press(pilot, "h")
        field(app, "lr").value = "0.02"
        field(app, "momentum").value = "0.5"
        field(app, "schedule").value = "cosine:steps=100"
        await close_with(pilot, "enter")
        assert not isinstance(app.screen, HyperForm)
        st = stepper_of(app)
        assert (st.lr, st.opt.momentum, st.step) == (0.02, 0.5, 2)  # type: ignore[attr-defined]
        assert st.schedule == parse_schedule("cosine:steps=100")
        assert (st.net.params == params).all()
        assert len(app.engine.comparison or ()) == 1  # no new run
        assert "(0.02 x cosine 100)" in status_text(app)
        await press(pilot, "space")
        assert st.history.lr[-1] == 0.02 * parse_schedule("cosine:steps=100").lr_at(2)


async def test_switching_to_adam_keeps_the_weights() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space", "h")
        params = stepper_of(app).net.params.copy()
        form(app).query_one("#f-optimizer", Choice).value = "adam"
        await pilot.pause()
        assert form(app).query_one("#f-beta1").display
        assert not form(app).query_one("#f-momentum").display
        field(app, "lr").value = "0.003"
        field(app, "beta2").value = "0.99"
        field(app, "lr").focus()
        await close_with(pilot, "enter")
        st = stepper_of(app)
        assert isinstance(st.opt, Adam) and (st.lr, st.opt.beta2) == (0.003, 0.99)
        assert (st.net.params == params).all() and st.step == 1


async def test_new_hidden_sizes_start_a_new_run_and_the_old_one_stays() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space", "space", "space")
        old = stepper_of(app)
        await press(pilot, "h")
        field(app, "hidden").value = "12"
        field(app, "lr").value = "0.2"
        field(app, "hidden").focus()
        await close_with(pilot, "enter")
        comparison = app.engine.comparison
        assert comparison is not None and len(comparison) == 2
        new = stepper_of(app)  # the new run is focused
        assert new is not old and new.net.sizes == [2, 12, 5] and new.step == 0
        assert new.lr == 0.2 and isinstance(new.opt, SGD) and new.opt.momentum == 0.9
        assert old.step == 3 and old.net.sizes == [2, 8, 8, 5]  # the old run stays as it was
        assert comparison.focused.session.scenario.network.hidden == (12,)


async def test_invalid_values_say_why_and_nothing_applies() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "h")
        field(app, "lr").value = "-1"
        field(app, "schedule").value = "cosin:steps=3"
        field(app, "hidden").value = "8, x"
        field(app, "momentum").value = "0.7"  # a good one: not applied either
        await press(pilot, "enter")
        assert isinstance(app.screen, HyperForm)  # still open
        assert "> 0" in note(app, "lr")
        assert "did you mean 'cosine'" in note(app, "schedule")
        assert "whole numbers" in note(app, "hidden")
        assert app.screen.focused is field(app, "lr")  # on the first bad field
        st = stepper_of(app)
        assert (st.lr, st.opt.momentum) == (0.05, 0.9)  # type: ignore[attr-defined]
        assert len(app.engine.comparison or ()) == 1
        field(app, "lr").value = "0.01"
        field(app, "schedule").value = "constant"
        field(app, "hidden").value = "8, 8"
        await close_with(pilot, "enter")  # now it applies
        assert not isinstance(app.screen, HyperForm)
        assert (st.lr, st.opt.momentum) == (0.01, 0.7)


async def test_tab_moves_between_fields_and_escape_cancels_changes() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "h")
        await press(pilot, "tab")
        assert app.screen.focused is field(app, "schedule")
        await press(pilot, "tab", "tab")
        assert app.screen.focused is form(app).query_one("#f-optimizer")
        await press(pilot, "right")  # a choice: arrows change it, and the fields follow
        assert form(app).query_one("#f-optimizer", Choice).value == "adam"
        await press(pilot, "tab")
        assert app.screen.focused is field(app, "beta1")  # momentum is hidden now
        await press(pilot, "shift+tab", "s")  # a letter jumps to the word starting with it
        assert form(app).query_one("#f-optimizer", Choice).value == "sgd"
        await press(pilot, "tab")
        assert app.screen.focused is field(app, "momentum")  # the hidden betas are skipped
        await press(pilot, "5")
        await close_with(pilot, "escape")
        assert not isinstance(app.screen, HyperForm)
        assert stepper_of(app).opt.momentum == 0.9  # type: ignore[attr-defined]


async def test_a_fork_after_switching_to_adam_is_adam_too() -> None:
    """c copies the optimiser the form chose (kind and settings), from zero state."""
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "space", "h")
        form(app).query_one("#f-optimizer", Choice).value = "adam"
        await pilot.pause()
        field(app, "lr").value = "0.004"
        field(app, "beta1").value = "0.7"
        field(app, "lr").focus()
        await close_with(pilot, "enter")
        await press(pilot, "c")
        comparison = app.engine.comparison
        assert comparison is not None and len(comparison) == 2
        fork = stepper_of(app)
        assert isinstance(fork.opt, Adam) and (fork.lr, fork.opt.beta1) == (0.004, 0.7)
        assert fork.step == 0 and not fork.opt.state()["m"].any()


async def test_enter_on_a_choice_applies_the_form() -> None:
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "h")
        field(app, "l2").value = "0.001"
        form(app).query_one("#f-activation", Choice).focus()
        await close_with(pilot, "enter")
        assert stepper_of(app).opt.l2 == 0.001 and len(app.engine.comparison or ()) == 1


async def test_the_lr_box_starts_from_the_base_lr_under_a_schedule() -> None:
    """= shows the lr it sets: the base, not the lr in force (base x schedule)."""
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "h")
        field(app, "schedule").value = "warmup:steps=10"
        await close_with(pilot, "enter")
        await press(pilot, "space", "=")
        box = app.screen.query_one("#lr-value", Input)
        assert box.value == "0.05" and stepper_of(app).lr_in_force == 0.05 * (2 / 10)
        await press(pilot, "enter")
        assert stepper_of(app).lr == 0.05  # unchanged


async def test_the_form_applies_while_a_run_goes_on() -> None:
    """Like + while running: the change lands between iterations, the run keeps going."""
    app = new_app()
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "comma", "comma", "comma")  # 10 iterations/s: still running below
        app.post_message(key_event("r"))
        await app.snapshot_where(lambda s: s.progress.step > 0)
        app.post_message(key_event("h"))
        while not isinstance(app.screen, HyperForm):
            await pilot.pause()
        field(app, "lr").value = "0.02"
        field(app, "lr").focus()
        app.post_message(key_event("enter"))
        changed = await app.snapshot_where(lambda s: s.settings.base_lr == 0.02)
        assert not isinstance(app.screen, HyperForm) and app.engine.running
        await app.snapshot_where(lambda s: s.progress.step > changed.progress.step)
        app.engine.pause()
        await settle(pilot)
        assert stepper_of(app).lr == 0.02 and stepper_of(app).history.lr[-1] == 0.02
