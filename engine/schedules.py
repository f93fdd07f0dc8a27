"""Learning-rate schedules: the factor the base lr is multiplied by at each step, and their text."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

KINDS = ("constant", "step", "cosine")
# the text forms, for messages and the docs; N an integer >= 1, F a number
SYNTAX = (
    "constant, step:every=N[,factor=F], cosine:steps=N[,min=F], "
    "warmup:steps=N, or warmup:steps=N+step:... / +cosine:..."
)
MAX_STEPS = 10**12  # as far as a scenario's training.steps goes
MAX_TEXT = 200  # a schedule is a few dozen characters; longer is a mistake (or hostile)


class ScheduleError(ValueError):
    """A schedule text that does not parse; str() is one line: what was found, what is allowed.

    ``found`` and ``allowed`` are kept apart so a caller can name its own place (a flag, a TOML
    key) around them, e.g. ``--schedule: found 'cosin' (did you mean 'cosine'?); allowed: ...``.
    """

    def __init__(self, found: str, allowed: str = SYNTAX) -> None:
        self.found = found
        self.allowed = allowed
        super().__init__(f"{found}; allowed: {allowed}")


@dataclass(frozen=True)
class Schedule:
    """lr(step) = base lr x ``lr_at(step)``, ``step`` counting iterations done (0 for the first).

    A linear warm-up of ``warmup`` steps comes first: factor (step + 1) / warmup, so the first
    iteration trains (base / warmup) and step warmup - 1 reaches the base lr. Then, with t the
    steps since the warm-up ended:

    - ``constant``: 1.
    - ``step``: ``factor`` ** (t // ``every``): x factor every ``every`` steps (step decay).
    - ``cosine``: ``floor`` + (1 - floor) (1 + cos(pi t / steps)) / 2 for t < ``steps``, then
      ``floor``: from 1 down to ``floor`` over ``steps`` (SGDR without restarts).

    The factor depends on the step alone, so undo, reset and a resumed checkpoint (which restore
    the step) get the same lr without any schedule state.
    """

    kind: str = "constant"
    warmup: int = 0
    every: int = 0  # step: decay every this many steps
    factor: float = 0.5  # step: multiplier per decay
    steps: int = 0  # cosine: length of the decay
    floor: float = 0.0  # cosine: the last factor (min= in the text)

    def __post_init__(self) -> None:
        # a Schedule built in code gets the same checks as a parsed one
        if self.kind not in KINDS:
            raise ScheduleError(f"found kind {self.kind!r}{_suggest(self.kind, KINDS)}")
        _check_int("warmup", self.warmup, 0)
        if self.kind == "step":
            _check_int("every", self.every, 1)
            if not (math.isfinite(self.factor) and 0 < self.factor <= 1):
                raise ScheduleError(f"found factor={self.factor!r}", "factor in (0, 1]")
        if self.kind == "cosine":
            _check_int("steps", self.steps, 1)
            if not (math.isfinite(self.floor) and 0 <= self.floor <= 1):
                raise ScheduleError(f"found min={self.floor!r}", "min in [0, 1]")

    @property
    def is_constant(self) -> bool:
        """The factor is 1 at every step: the lr in force is the base lr."""
        return self.kind == "constant" and self.warmup == 0

    def lr_at(self, step: int) -> float:
        """The factor at ``step`` (iterations done before the one it applies to), in (0, 1]."""
        if step < self.warmup:
            return (step + 1) / self.warmup
        t = step - self.warmup
        if self.kind == "step":
            return float(self.factor ** (t // self.every))
        if self.kind == "cosine":
            if t >= self.steps:
                return self.floor
            return self.floor + (1 - self.floor) * 0.5 * (1 + math.cos(math.pi * t / self.steps))
        return 1.0

    def describe(self) -> str:
        """Short words for a status line or a curve label: 'warmup 200 + cosine 5000 to 0.01'."""
        main = ""
        if self.kind == "step":
            main = f"step x{self.factor:g} every {self.every:,}"
        elif self.kind == "cosine":
            main = f"cosine {self.steps:,}" + (f" to {self.floor:g}" if self.floor else "")
        if self.warmup:
            return f"warmup {self.warmup:,}" + (f" + {main}" if main else "")
        return main or "constant"

    def __str__(self) -> str:
        """The canonical text: parse_schedule(str(s)) == s (configs and the ledger store it)."""
        main = "constant"
        if self.kind == "step":
            main = f"step:every={self.every},factor={self.factor!r}"
        elif self.kind == "cosine":
            main = f"cosine:steps={self.steps}" + (f",min={self.floor!r}" if self.floor else "")
        if not self.warmup:
            return main
        return f"warmup:steps={self.warmup}" + ("" if main == "constant" else f"+{main}")


# each kind's keys, and their names on the dataclass
_KEYS: dict[str, dict[str, str]] = {
    "constant": {},
    "step": {"every": "every", "factor": "factor"},
    "cosine": {"steps": "steps", "min": "floor"},
    "warmup": {"steps": "warmup"},
}
_REQUIRED = {"step": "every", "cosine": "steps", "warmup": "steps"}


def parse_schedule(text: str) -> Schedule:
    """A Schedule from its text (see SYNTAX), e.g. ``warmup:steps=200+cosine:steps=5000,min=0.01``.

    Raises ScheduleError (a ValueError) with a one-line message on anything else. Spaces around
    the separators and upper case are accepted; the canonical form is ``str(schedule)``.
    """
    if not isinstance(text, str):
        raise ScheduleError(f"found {text!r}, not text")
    if len(text) > MAX_TEXT:
        raise ScheduleError(f"found {len(text)} characters", f"at most {MAX_TEXT}: {SYNTAX}")
    source = text.strip().lower()
    if not source:
        raise ScheduleError("found an empty schedule")
    pieces = [p.strip() for p in source.split("+")]
    if len(pieces) > 2:
        raise ScheduleError(f"found {len(pieces)} parts in {text.strip()!r}", SYNTAX)
    fields: dict[str, object] = {}
    for i, piece in enumerate(pieces):
        kind, values = _piece(piece)
        if len(pieces) == 2 and (i == 0) != (kind == "warmup"):
            raise ScheduleError(
                f"found {text.strip()!r}", "warmup first, then step or cosine: " + SYNTAX
            )
        if kind != "warmup":
            fields["kind"] = kind
        fields.update(values)
    try:
        return Schedule(**fields)  # type: ignore[arg-type]  # types checked by _piece
    except ScheduleError as e:
        raise ScheduleError(f"{e.found} in {text.strip()!r}", e.allowed) from None


def _piece(piece: str) -> tuple[str, dict[str, object]]:
    """One ``kind[:key=value,...]`` part: its kind and its fields (dataclass names)."""
    kind, _, rest = piece.partition(":")
    kind = kind.strip()
    if kind not in _KEYS:
        valid = (*KINDS, "warmup")
        raise ScheduleError(f"found {kind or piece!r}{_suggest(kind, valid)}")
    keys = _KEYS[kind]
    values: dict[str, object] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = (s.strip() for s in item.partition("="))
        if key not in keys:
            allowed = ", ".join(keys) or "no keys"
            raise ScheduleError(f"found {key!r} in {kind}{_suggest(key, tuple(keys))}", allowed)
        if not eq or not value:
            raise ScheduleError(f"found {item!r} in {kind}", f"{key}=VALUE")
        values[keys[key]] = _number(kind, key, value)
    need = _REQUIRED.get(kind)
    if need and keys[need] not in values:
        raise ScheduleError(f"found {kind} without {need}=", f"{kind}:{need}=N")
    if kind == "warmup" and values["warmup"] == 0:  # (as a field, 0 means no warm-up)
        raise ScheduleError("found warmup:steps=0", "warmup:steps=N with N >= 1")
    if ":" in piece and not rest.strip():
        raise ScheduleError(f"found {piece!r}", f"{kind} alone, or {kind}:key=value,...")
    return kind, values


def _number(kind: str, key: str, value: str) -> int | float:
    """``every`` and ``steps`` are integers (1e3 too, if whole), ``factor`` and ``min`` floats."""
    try:
        x = float(value)
    except ValueError:
        raise ScheduleError(f"found {key}={value!r} in {kind}", f"{key} a number") from None
    if key in ("every", "steps"):
        if not math.isfinite(x) or x != int(x):
            raise ScheduleError(f"found {key}={value} in {kind}", f"{key} a whole number >= 1")
        return int(x)
    return x


def _check_int(name: str, value: int, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_STEPS:
        allowed = f"{name} an integer >= {low} and <= {MAX_STEPS:.0e}"
        raise ScheduleError(f"found {name}={value!r}", allowed)


def _suggest(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


CONSTANT = Schedule()  # the default: the base lr at every step


# ---- batch-size schedules ---------------------------------------------------------------------
BATCH_SYNTAX = "constant, step:every=N,factor=F or step:epochs=E,factor=F (N, E >= 1; F >= 2 whole)"


@dataclass(frozen=True)
class BatchSchedule:
    """batch(step) = base batch x ``factor`` ** k, capped at the training set, k being
    ``step // every`` (iterations done) or ``epoch // epochs`` (epochs done) for ``step``, 0 for
    ``constant``. Integers only (a whole factor), so a batch is always a whole number of rows.

    Like the lr schedule it depends on the state alone (step, epoch), so undo, reset and a
    resumed checkpoint get the same batch without any schedule state. A full-batch base stays
    full. Growing the batch instead of decaying the lr: Smith et al. (2017).
    """

    kind: str = "constant"
    every: int = 0  # grow every this many iterations (0: not by iterations)
    epochs: int = 0  # grow every this many epochs (0: not by epochs)
    factor: int = 2

    def __post_init__(self) -> None:
        if self.kind not in ("constant", "step"):
            raise ScheduleError(
                f"found kind {self.kind!r}{_suggest(self.kind, ('constant', 'step'))}",
                BATCH_SYNTAX,
            )
        if self.kind == "step":
            _check_int("every", self.every, 0)
            _check_int("epochs", self.epochs, 0)
            if (self.every > 0) == (self.epochs > 0):
                raise ScheduleError(
                    f"found every={self.every}, epochs={self.epochs}",
                    "exactly one of every=N or epochs=E: " + BATCH_SYNTAX,
                )
            f = self.factor
            if isinstance(f, bool) or not isinstance(f, int) or not 2 <= f <= 1024:
                raise ScheduleError(f"found factor={f!r}", "factor a whole number in [2, 1024]")

    @property
    def is_constant(self) -> bool:
        return self.kind == "constant"

    def batch_at(self, base: int | None, step: int, epoch: int, n: int) -> int | None:
        """The batch size of the iteration starting after ``step`` iterations and ``epoch``
        completed epochs, from the base ``base`` (None: full batch) on ``n`` training rows."""
        if base is None or self.kind == "constant":
            return base
        k = step // self.every if self.every else epoch // self.epochs
        batch = base
        for _ in range(k):  # at most log2(n) rounds: the cap stops it
            if batch >= n:
                break
            batch *= self.factor
        return min(batch, max(n, base)) if batch > base else base

    def steps_to_epoch(
        self, base: int | None, n: int, epochs: int, step: int = 0, epoch: int = 0, pos: int = 0
    ) -> int:
        """The step at which ``epochs`` epochs are complete, going on from ``step`` with
        ``epoch`` epochs done and ``pos`` rows of the current one drawn (a Batcher's walk: the
        last batch of an epoch may be short). A run told to train E epochs trains this long."""
        if epoch >= epochs:
            return step
        if self.kind == "constant" or base is None:
            b = n if base is None or base >= n else base
            per_epoch = -(-n // b)
            first = -(-(n - pos) // b) if pos else per_epoch  # the rest of the current epoch
            return step + first + (epochs - epoch - 1) * per_epoch
        while epoch < epochs:  # one round per iteration: the batch may change at any step
            grown = self.batch_at(base, step, epoch, n)
            assert grown is not None  # a batch size in, a batch size out
            pos += grown
            step += 1
            if pos >= n:
                pos = 0
                epoch += 1
        return step

    def describe(self) -> str:
        """Short words for a status line: 'batch x2 every 7 epochs'."""
        if self.kind == "constant":
            return "constant"
        unit = f"{self.every:,} steps" if self.every else f"{self.epochs:,} epochs"
        return f"batch x{self.factor} every {unit}"

    def __str__(self) -> str:
        """The canonical text: parse_batch_schedule(str(s)) == s."""
        if self.kind == "constant":
            return "constant"
        key = f"every={self.every}" if self.every else f"epochs={self.epochs}"
        return f"step:{key},factor={self.factor}"


def parse_batch_schedule(text: str) -> BatchSchedule:
    """A BatchSchedule from its text (BATCH_SYNTAX), e.g. ``step:epochs=7,factor=2``.

    Raises ScheduleError (one line) on anything else; spaces and upper case are accepted."""
    if not isinstance(text, str):
        raise ScheduleError(f"found {text!r}, not text", BATCH_SYNTAX)
    if len(text) > MAX_TEXT:
        raise ScheduleError(f"found {len(text)} characters", f"at most {MAX_TEXT}: {BATCH_SYNTAX}")
    source = text.strip().lower()
    if not source:
        raise ScheduleError("found an empty batch schedule", BATCH_SYNTAX)
    kind, colon, rest = (s.strip() for s in source.partition(":"))
    if kind == "constant" and not colon:
        return BatchSchedule()
    if kind != "step" or not rest:
        hint = "" if kind in ("constant", "step") else _suggest(kind, ("constant", "step"))
        raise ScheduleError(f"found {text.strip()!r}{hint}", BATCH_SYNTAX)
    values: dict[str, int] = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = (s.strip() for s in item.partition("="))
        if key not in ("every", "epochs", "factor"):
            keys = ("every", "epochs", "factor")
            raise ScheduleError(f"found {key!r} in step{_suggest(key, keys)}", BATCH_SYNTAX)
        if not eq or not value:
            raise ScheduleError(f"found {item!r} in step", f"{key}=VALUE")
        try:
            x = float(value)
        except ValueError:
            raise ScheduleError(f"found {key}={value!r}", f"{key} a whole number") from None
        low = 2 if key == "factor" else 1
        if not math.isfinite(x) or x != int(x) or x < low:
            raise ScheduleError(f"found {key}={value}", f"{key} a whole number >= {low}")
        values[key] = int(x)
    if "every" not in values and "epochs" not in values:
        raise ScheduleError(f"found {text.strip()!r} without every= or epochs=", BATCH_SYNTAX)
    try:
        return BatchSchedule("step", **values)
    except ScheduleError as e:
        raise ScheduleError(f"{e.found} in {text.strip()!r}", e.allowed) from None


CONSTANT_BATCH = BatchSchedule()  # the default: the base batch at every step
