"""Files it reads: only regular files, sizes checked first, each bad one a single line, exit 2."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

import scenarios.csvdata
import scenarios.loader
from scenarios.schema import printable
from tui.cli import main

NPZ_SCENARIO = """
[data]
file = "{file}"
test_fraction = 0.25
[network]
hidden = [4]
[training]
steps = 5
"""


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in cap.err, cap.err
    assert cap.out == ""
    return lines[0]


def npz_scenario(tmp_path: Path, name: str = "d.npz") -> str:
    p = tmp_path / "s.toml"
    p.write_text(NPZ_SCENARIO.format(file=name))
    return str(p)


def write_npz(tmp_path: Path, name: str = "d.npz", **arrays: np.ndarray) -> Path:
    path = tmp_path / name
    np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds as bool
    return path


def npz_with_entry(tmp_path: Path, raw_x: bytes) -> Path:
    """An .npz whose X.npy is ``raw_x`` as it is (a forged header), y a normal array."""
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros(60, dtype=np.int64))
    path = tmp_path / "d.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("X.npy", raw_x)
        z.writestr("y.npy", buf.getvalue())
    return path


def forged_header(shape: tuple[int, ...], payload: bytes = b"\0" * 64) -> bytes:
    buf = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue() + payload


# ---- not a regular file ----------------------------------------------------------------------


def test_a_fifo_scenario_is_refused_without_opening_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "s.toml"
    os.mkfifo(fifo)
    line = refused(capsys, ["train", str(fifo)])
    assert f"{fifo}: is a FIFO, not a regular file" in line


def test_a_fifo_csv_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "d.csv"
    os.mkfifo(fifo)
    line = refused(capsys, ["train", "--data", str(fifo), "--target", "y"])
    assert f"{fifo}: --data: is a FIFO, not a regular file" in line


@pytest.mark.parametrize("name", ["d.csv", "d.npz"])
def test_a_fifo_data_file_in_a_scenario_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    os.mkfifo(tmp_path / name)
    p = tmp_path / "s.toml"
    target = 'target = "y"\n' if name.endswith(".csv") else ""
    p.write_text(NPZ_SCENARIO.format(file=name).replace("test_fraction", target + "test_fraction"))
    assert "not a regular file" in refused(capsys, ["train", str(p)])


def test_dev_zero_through_a_symlink_is_refused_by_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "z.toml"
    link.symlink_to("/dev/zero")
    assert "is a character device, not a regular file" in refused(capsys, ["train", str(link)])
    csv = tmp_path / "z.csv"
    csv.symlink_to("/dev/zero")
    line = refused(capsys, ["train", "--data", str(csv), "--target", "y"])
    assert "is a character device" in line


# ---- sizes checked before reading --------------------------------------------------------------


def test_a_huge_scenario_is_refused_by_its_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.toml"
    with open(big, "wb") as f:
        f.truncate(scenarios.loader.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    assert "file larger than 1 MiB" in refused(capsys, ["train", str(big)])


def test_a_huge_csv_is_refused_before_reading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.csv"
    big.write_text("a,y\n1,2\n3,4\n")
    monkeypatch.setattr(scenarios.csvdata, "MAX_DATA_BYTES", 8)
    line = refused(capsys, ["train", "--data", str(big), "--target", "y"])
    assert f"{big}: file larger than 8 bytes" in line


def test_a_zip_bomb_is_refused_from_its_headers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 4 MiB of zeros compress to a few KiB; the limit is lowered so the test stays small
    path = tmp_path / "d.npz"
    np.savez_compressed(path, X=np.zeros((65536, 8)), y=np.zeros(65536))
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(scenarios.csvdata, "MAX_DATA_BYTES", 1024**2)
    line = refused(capsys, ["train", npz_scenario(tmp_path)])
    assert f"{path}: X: header claims shape (65536, 8), 4 MiB; allowed: at most 1 MiB" in line


def test_a_header_claiming_10_to_the_12_elements_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = npz_with_entry(tmp_path, forged_header((10**6, 10**6)))
    line = refused(capsys, ["train", npz_scenario(tmp_path)])
    assert f"{path}: X: header claims shape (1000000, 1000000)" in line


def test_a_header_claiming_more_than_its_entry_holds_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = npz_with_entry(tmp_path, forged_header((60, 2), b"\0" * 16))
    line = refused(capsys, ["train", npz_scenario(tmp_path)])
    assert f"{path}: X: header claims shape (60, 2) (960 bytes) in an entry of" in line


# ---- malformed data ------------------------------------------------------------------------------


def test_a_csv_with_cr_only_line_endings_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(b"a,b,y\r" + b"".join(f"{i},{i % 3},{i % 2}\r".encode() for i in range(20)))
    assert main(["train", "--data", str(path), "--target", "y", "--steps", "3"]) == 0
    assert "mac: 3 steps" in capsys.readouterr().out


def test_a_csv_field_over_the_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a,y\n1,0\n" + "2" * 140_000 + ",1\n3,0\n")
    line = refused(capsys, ["train", "--data", str(path), "--target", "y"])
    assert f"{path}: line 3: a field longer than 131,072 characters" in line


def test_an_unterminated_quote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.csv"
    path.write_text('a,y\n1,0\n"2,1\n3,0\n4,1\n')
    line = refused(capsys, ["train", "--data", str(path), "--target", "y"])
    assert f"{path}: line 5: a quote that is never closed" in line


def test_a_npy_renamed_npz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.npz"
    np.save(tmp_path / "d.npy", np.zeros((60, 2)))
    (tmp_path / "d.npy").rename(path)
    line = refused(capsys, ["train", npz_scenario(tmp_path)])
    assert f"{path}: a single .npy array, not an .npz archive" in line


def test_a_malformed_npz_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = npz_with_entry(tmp_path, b"\x93NUMPY\x01\x00\x10\x00{'descr': <<<<}\n" + b"\0" * 64)
    line = refused(capsys, ["train", npz_scenario(tmp_path)])
    assert f"{path}: X: a malformed .npy header" in line


def test_x_with_no_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_npz(tmp_path, X=np.zeros((60, 0)), y=np.zeros(60, dtype=int))
    line = refused(capsys, ["train", npz_scenario(tmp_path)])
    assert f"{path}: X: found shape (60, 0); allowed: at least 2 rows and 1 feature column" in line


@pytest.mark.parametrize(
    ("y", "found"),
    [
        (np.array([0.0, np.nan] * 30), "found NaN or infinite values"),
        (np.array([0, 1j] * 30), "found dtype complex128"),
    ],
)
def test_y_with_nan_or_complex_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], y: np.ndarray, found: str
) -> None:
    path = write_npz(tmp_path, X=np.zeros((60, 2)), y=y)
    assert f"{path}: y: {found}" in refused(capsys, ["train", npz_scenario(tmp_path)])


def test_superscript_two_as_batch_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "s.toml"
    p.write_text('[data]\ngenerator = "xor"\n[training]\nbatch_size = "²"\n')
    line = refused(capsys, ["train", str(p)])
    assert f"{p}: training.batch_size: found '²'" in line
    line = refused(capsys, ["train", "xor", "--batch-size", "²"])
    assert "command line: --batch-size: found '²'" in line


def test_a_toml_with_a_byte_order_mark_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf" + b'name = "bom"\n[data]\ngenerator = "xor"\n')
    assert main(["train", str(p), "--steps", "2"]) == 0
    assert "bom: 2 steps" in capsys.readouterr().out


# ---- control characters --------------------------------------------------------------------------

EVIL = "\x1b]0;owned\x07\x1b[2J"


def test_control_characters_in_a_name_are_escaped_in_train(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "evil.toml"
    p.write_text(f'name = "x{EVIL}"\n[data]\ngenerator = "xor"\n'.replace("\x1b", "\\u001b"))
    p.write_text(p.read_text().replace("\x07", "\\u0007"))
    assert main(["train", str(p), "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "x\\x1b]0;owned\\x07\\x1b[2J: 2 steps" in out


def test_control_characters_are_escaped_in_the_scenarios_listing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "evil.toml").write_text(
        'name = "e\\u001b[31m"\ndescription = "d\\u001b]0;t\\u0007\\u202e"\n'
        '[data]\ngenerator = "xor"\n'
    )
    monkeypatch.setattr(scenarios.loader, "BUNDLED_DIR", tmp_path)
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert out == "e\\x1b[31m  d\\x1b]0;t\\x07\\u202e\n"


def test_control_characters_in_a_file_name_are_escaped_in_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p = tmp_path / "a\x1b[31m.toml"
    p.write_text('[data]\ngenerator = "xor"\n[training]\nsteps = 0\n')
    line = refused(capsys, ["train", str(p)])
    assert "\x1b" not in line and "a\\x1b[31m.toml: training.steps: found 0" in line


def test_printable_keeps_text_and_escapes_controls() -> None:
    assert printable("héllo wörld ✓") == "héllo wörld ✓"
    assert printable("a\tb\x7f\x9b\u2028") == "a\\x09b\\x7f\\x9b\\u2028"
    assert printable("line\nnext", keep="\n") == "line\nnext"
