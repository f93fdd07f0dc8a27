"""The engine README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "README-engine.md", ROOT / "README.md"]


def _engine_blocks() -> list[tuple[str, int, str]]:
    out = []
    for doc in DOCS:
        if not doc.exists():
            continue
        text = doc.read_text(encoding="utf-8")
        for i, m in enumerate(re.finditer(r"```python\n(.*?)```", text, re.S)):
            code = m.group(1)
            if "from engine import" in code:
                out.append((doc.name, i, code))
    return out


BLOCKS = _engine_blocks()


@pytest.mark.skipif(not BLOCKS, reason="no engine examples found in the READMEs")
@pytest.mark.parametrize(("doc", "i", "code"), BLOCKS, ids=[f"{d}-{i}" for d, i, _ in BLOCKS])
def test_readme_example_runs(doc: str, i: int, code: str, capsys: pytest.CaptureFixture) -> None:
    exec(compile(code, f"{doc}[{i}]", "exec"), {"__name__": "__readme__"})
