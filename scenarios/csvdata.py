"""A user's own data: CSV with a header and a named target column, or .npz with X and y."""

from __future__ import annotations

import csv
import io
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .schema import ScenarioError

MAX_DATA_BYTES = 512 * 1024**2


@dataclass(frozen=True)
class FileData:
    """Features, targets and names read from a file (targets not yet encoded for a loss)."""

    X: np.ndarray  # float64 (n, d)
    y: np.ndarray  # int64 labels (n,) for classification; float64 (n,) or (n, k) for regression
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]  # empty for regression


def _text(path: Path) -> str:
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(where, "", f"cannot be read ({exc.strerror})", "") from None
    if not raw.strip():
        raise ScenarioError(where, "", "the file is empty", "a CSV file with a header row")
    if b"\0" in raw[:65536]:
        raise ScenarioError(where, "", "binary data, not text", "a UTF-8 CSV file")
    try:
        return raw.decode("utf-8-sig")  # Excel writes a byte-order mark
    except UnicodeDecodeError as exc:
        raise ScenarioError(where, "", f"not UTF-8 text (byte {exc.start})", "") from None


def _labels(
    values: list[str], where: str, task: str, target: str
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class labels: integers stay themselves, anything else is mapped to 0..k-1 sorted."""
    if task == "regression":
        out = np.empty(len(values))
        for i, v in enumerate(values):
            try:
                out[i] = float(v)
            except ValueError:
                raise ScenarioError(
                    where,
                    f"line {i + 2}, column {target!r}",
                    f"found {v!r}",
                    "a number (the data's task is regression)",
                ) from None
            if not math.isfinite(out[i]):
                raise ScenarioError(
                    where, f"line {i + 2}, column {target!r}", f"found {v!r}", "a finite number"
                )
        return out, ()
    names = sorted(set(values))
    try:
        as_int = sorted({int(v) for v in names})
        if as_int == list(range(len(as_int))):
            # Already 0..k-1: keep the labels the user wrote.
            return np.array([int(v) for v in values], dtype=np.int64), tuple(map(str, as_int))
        # other integers (1, 2, 10) in numeric order, not as text ("1", "10", "2")
        rank = {v: i for i, v in enumerate(as_int)}
        return np.array([rank[int(v)] for v in values], dtype=np.int64), tuple(map(str, as_int))
    except ValueError:
        pass
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[v] for v in values], dtype=np.int64), tuple(names)


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header (cells stripped) and the data rows; blank lines are not samples."""
    rows = list(csv.reader(io.StringIO(_text(path))))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    return [h.strip() for h in rows[0]], rows[1:]


def check_target(where: str, header: list[str], target: str, key: str = "data.target") -> int:
    """The target column's index, or a one-line error listing the columns there are."""
    if target not in header:
        raise ScenarioError(
            where,
            key,
            f"found {target!r}, not in the header",
            f"one of the columns {', '.join(repr(h) for h in header)}",
        )
    return header.index(target)


def load_csv(path: Path, target: str, task: str) -> FileData:
    """Read a CSV: header row, numeric feature columns, ``target`` as labels or numbers."""
    where = str(path)
    header, data_rows = read_rows(path)
    rows = [header, *data_rows]
    check_target(where, header, target)
    if len(rows) < 3:
        raise ScenarioError(where, "", f"found {len(rows) - 1} data rows", "at least 2")
    ti = header.index(target)
    feats = [i for i in range(len(header)) if i != ti]
    if not feats:
        raise ScenarioError(where, "", "only the target column", "at least one feature column")
    X = np.empty((len(rows) - 1, len(feats)))
    ys: list[str] = []
    for r, row in enumerate(rows[1:]):
        line = r + 2
        if len(row) != len(header):
            raise ScenarioError(
                where, f"line {line}", f"found {len(row)} fields", f"{len(header)} like the header"
            )
        for j, i in enumerate(feats):
            try:
                X[r, j] = float(row[i])
            except ValueError:
                raise ScenarioError(
                    where,
                    f"line {line}, column {header[i]!r}",
                    f"found {row[i].strip()!r}",
                    "a number (every column but the target is a numeric feature)",
                ) from None
            if not math.isfinite(X[r, j]):
                raise ScenarioError(
                    where,
                    f"line {line}, column {header[i]!r}",
                    f"found {row[i]!r}",
                    "a finite number",
                )
        ys.append(row[ti].strip())
    y, class_names = _labels(ys, where, task, target)
    return FileData(X, y, tuple(header[i] for i in feats), class_names)


def load_npz(path: Path, task: str) -> FileData:
    """Read a .npz with arrays X (n, d) and y (n,) or (n, k), without pickle."""
    where = str(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k in ("X", "y", "class_names", "feature_names")}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        raise ScenarioError(
            where, "", f"not a readable .npz ({reason})", "np.savez output"
        ) from None
    for key in ("X", "y"):
        if key not in arrays:
            raise ScenarioError(where, key, "missing", "arrays named X and y")
    X, y = arrays["X"], arrays["y"]
    if X.ndim != 2 or X.dtype.kind not in "iuf" or not np.all(np.isfinite(X)):
        raise ScenarioError(
            where, "X", f"found dtype {X.dtype} shape {X.shape}", "a finite numeric (n, d) array"
        )
    if y.shape[:1] != X.shape[:1] or y.ndim > 2:
        raise ScenarioError(where, "y", f"found shape {y.shape}", f"({X.shape[0]},) like X's rows")
    names = tuple(str(s) for s in arrays.get("feature_names", [])) or tuple(
        f"x{i + 1}" for i in range(X.shape[1])
    )
    if task == "regression":
        if y.dtype.kind not in "iuf":
            raise ScenarioError(where, "y", f"found dtype {y.dtype}", "numbers for regression")
        return FileData(X.astype(np.float64), y.astype(np.float64), names, ())
    if y.ndim != 1:
        raise ScenarioError(where, "y", f"found shape {y.shape}", "(n,) class labels")
    labels, class_names = _labels([str(v) for v in y.tolist()], where, task, "y")
    if "class_names" in arrays and len(arrays["class_names"]) == len(class_names):
        class_names = tuple(str(s) for s in arrays["class_names"])
    return FileData(X.astype(np.float64), labels, names, class_names)
