"""The Python examples of the engine docs and the README run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# every doc here must hold at least one engine example: a moved or renamed doc fails, not skips
DOCS = [ROOT / "docs" / "engine.md", ROOT / "README.md"]


def _engine_blocks(doc: Path) -> list[str]:
    text = doc.read_text(encoding="utf-8")
    blocks = (m.group(1) for m in re.finditer(r"```python\n(.*?)```", text, re.S))
    return [code for code in blocks if "from engine import" in code]


BLOCKS = [
    (doc.name, i, code)
    for doc in DOCS
    if doc.exists()
    for i, code in enumerate(_engine_blocks(doc))
]


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_doc_has_engine_examples(doc: Path) -> None:
    assert doc.exists(), f"{doc} is gone: update DOCS to where its examples moved"
    assert _engine_blocks(doc), f"{doc} has no ```python block with 'from engine import'"


@pytest.mark.parametrize(("doc", "i", "code"), BLOCKS, ids=[f"{d}-{i}" for d, i, _ in BLOCKS])
def test_readme_example_runs(doc: str, i: int, code: str, capsys: pytest.CaptureFixture) -> None:
    exec(compile(code, f"{doc}[{i}]", "exec"), {"__name__": "__readme__"})
