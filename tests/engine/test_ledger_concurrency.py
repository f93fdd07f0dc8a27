"""The ledger under several writer processes at once, and a reader while they write."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from engine.ledger import Ledger

WRITERS = 4
RUNS_EACH = 3
APPENDS = 40

WRITER = textwrap.dedent(
    """
    import sys
    from engine.ledger import Ledger

    home, tag = sys.argv[1], sys.argv[2]
    led = Ledger.open(home)
    for r in range({runs}):
        rid = led.start_run("xor", {{"writer": tag, "run": r}}, origin="test")
        for k in range({appends}):
            led.append(rid, {{"batch_loss": ([k + 1], [1.0 / (k + 1)])}}, steps=k + 1)
        led.finish(rid, steps={appends}, figures={{"train_loss": 0.5}})
    led.close()
    """
).format(runs=RUNS_EACH, appends=APPENDS)


def test_concurrent_writers_in_separate_processes_lose_nothing(tmp_path: Path) -> None:
    Ledger.open(tmp_path).close()  # created first, so the writers race on rows, not on DDL
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(i)])
        for i in range(WRITERS)
    ]
    # a reader in this process reads while they write
    with Ledger.open(tmp_path) as reader:
        while any(p.poll() is None for p in procs):
            for info in reader.runs():
                reader.curve(info.id)
    assert [p.wait() for p in procs] == [0] * WRITERS
    with Ledger.open(tmp_path) as led:
        runs = led.runs()
        assert len(runs) == WRITERS * RUNS_EACH
        assert {(r.config["writer"], r.config["run"]) for r in runs} == {
            (str(w), r) for w in range(WRITERS) for r in range(RUNS_EACH)
        }
        for info in runs:
            assert info.status == "finished" and info.steps == APPENDS
            x, _ = led.curve(info.id)["batch_loss"]
            assert x.tolist() == list(range(1, APPENDS + 1))
        assert led.integrity() == "ok"


def test_concurrent_creation_of_a_new_ledger(tmp_path: Path) -> None:
    code = (
        "import sys; from engine.ledger import Ledger; Ledger.open(sys.argv[1]).start_run('x', {})"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)]) for _ in range(4)]
    assert [p.wait() for p in procs] == [0] * 4
    with Ledger.open(tmp_path) as led:
        assert len(led.runs()) == 4
        assert led.integrity() == "ok"
