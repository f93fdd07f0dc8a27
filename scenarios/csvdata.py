"""A user's own data: CSV with a header and a named target column, or .npz with X and y."""

from __future__ import annotations

import csv
import io
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from .files import read_bytes, regular_size, size
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
    raw = read_bytes(path, where, MAX_DATA_BYTES, "a CSV file with a header row")
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
    """The header (cells stripped) and the data rows; blank lines are not samples.

    Any line ending is accepted (CRLF, LF, or an old Mac's CR alone); a quote left open at the end
    of the file, a field longer than the csv module's limit or stray text after a closing quote is
    a one-line error naming the line.
    """
    where = str(path)
    # newline="": the csv module splits on \r, \n or \r\n itself, and keeps them inside quotes
    reader = csv.reader(io.StringIO(_text(path), newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        reason = str(exc)
        if "field larger than field limit" in reason:
            found = f"a field longer than {csv.field_size_limit():,} characters"
        elif "unexpected end of data" in reason:
            found = "a quote that is never closed (the file ends inside a quoted field)"
        else:
            found = f"malformed CSV ({reason})"
        raise ScenarioError(where, f"line {reader.line_num}", found, "a CSV file") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise ScenarioError(where, "", "no header row", "a CSV file with a header row")
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


NPZ_KEYS = ("X", "y", "class_names", "feature_names")
NPZ_ALLOWED = "np.savez output with arrays X and y"
HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def _reason(exc: BaseException) -> str:
    return str(exc).split("\n")[0] or type(exc).__name__


def check_npz(path: Path, limit: int | None = None) -> None:
    """Refuse an .npz before loading it: by type, by its zip directory and its .npy headers.

    The sizes a zip entry and an .npy header claim cost nothing to read; a 2 MB zip bomb or a
    header claiming 10^12 elements is refused here, without decompressing or allocating.
    """
    where = str(path)
    limit = MAX_DATA_BYTES if limit is None else limit
    if regular_size(path, where, "", NPZ_ALLOWED) > limit:
        raise ScenarioError(where, "", f"file larger than {size(limit)}", NPZ_ALLOWED)
    try:
        with open(path, "rb") as f:
            magic = f.read(6)
    except OSError as exc:
        raise ScenarioError(where, "", f"cannot be read ({exc.strerror})", "") from None
    if magic == b"\x93NUMPY":
        raise ScenarioError(where, "", "a single .npy array, not an .npz archive", NPZ_ALLOWED)
    total = 0
    try:
        with zipfile.ZipFile(path) as zf:
            entries = {info.filename: info for info in zf.infolist()}
            for key in NPZ_KEYS:
                info = entries.get(f"{key}.npy")
                if info is None:
                    continue
                with zf.open(info) as f:
                    total += _entry_bytes(where, key, f, info.file_size, limit)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError) as exc:
        raise ScenarioError(
            where, "", f"not a readable .npz ({_reason(exc)})", NPZ_ALLOWED
        ) from None
    if total > limit:
        raise ScenarioError(where, "", f"arrays of {size(total)}", f"at most {size(limit)}")


def _entry_bytes(where: str, key: str, f: IO[bytes], stored: int, limit: int) -> int:
    """The bytes one .npy entry's header promises, checked against the entry and ``limit``."""
    try:
        version = np.lib.format.read_magic(f)
        reader = HEADER_READERS.get(version)
        if reader is None:
            raise ValueError(f".npy format version {version[0]}.{version[1]}")
        shape, _fortran, dtype = reader(f)
    except (ValueError, SyntaxError, TypeError, EOFError) as exc:
        raise ScenarioError(
            where, key, f"a malformed .npy header ({_reason(exc)})", NPZ_ALLOWED
        ) from None
    if dtype.hasobject:
        raise ScenarioError(where, key, "found Python objects (pickle)", "numbers or text")
    need = math.prod(shape) * dtype.itemsize
    if need > limit:
        raise ScenarioError(
            where, key, f"header claims shape {shape}, {size(need)}", f"at most {size(limit)}"
        )
    if need > stored:
        raise ScenarioError(
            where,
            key,
            f"header claims shape {shape} ({need:,} bytes) in an entry of {stored:,} bytes",
            NPZ_ALLOWED,
        )
    return need


def load_npz(path: Path, task: str) -> FileData:
    """Read a .npz with arrays X (n, d) and y (n,) or (n, k), without pickle."""
    where = str(path)
    check_npz(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k in NPZ_KEYS}
    except (OSError, ValueError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ScenarioError(
            where, "", f"not a readable .npz ({_reason(exc)})", "np.savez output"
        ) from None
    for key in ("X", "y"):
        if key not in arrays:
            raise ScenarioError(where, key, "missing", "arrays named X and y")
    X, y = arrays["X"], arrays["y"]
    if X.ndim != 2 or X.dtype.kind not in "iuf" or not np.all(np.isfinite(X)):
        raise ScenarioError(
            where, "X", f"found dtype {X.dtype} shape {X.shape}", "a finite numeric (n, d) array"
        )
    if X.shape[0] < 2 or X.shape[1] < 1:
        raise ScenarioError(
            where, "X", f"found shape {X.shape}", "at least 2 rows and 1 feature column"
        )
    if y.dtype.kind not in "biufUS":
        raise ScenarioError(where, "y", f"found dtype {y.dtype}", "numbers or text labels")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ScenarioError(where, "y", "found NaN or infinite values", "finite numbers")
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
