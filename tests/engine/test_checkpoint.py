"""Checkpoints: round trip, atomic write, and clear errors for bad files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine import SGD, Adam, CheckpointError, Network, Stepper, load_checkpoint, save_checkpoint
from tests.engine.engine_helpers import make_data, net_for


def _trained(opt, dtype: str = "float64") -> Stepper:
    net = net_for([3, 5, 4, 3], "relu", dtype=dtype, seed=1)
    X, y = make_data(net, 17, seed=2)
    st = Stepper(net, opt, X, y, batch_size=5, seed=3)
    st.run(9)
    return st


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optname", ["sgd", "adam"])
def test_round_trip(tmp_path: Path, optname: str, dtype: str) -> None:
    opt = SGD(lr=0.05, momentum=0.9, l2=1e-3) if optname == "sgd" else Adam(lr=0.01, l1=1e-4)
    st = _trained(opt, dtype)
    path = tmp_path / "run.npz"
    save_checkpoint(path, st, metadata={"scenario": "xor", "note": "ünïcode"})
    with np.load(path, allow_pickle=False) as z:
        names = set(z.files)
    assert {"W0", "b0", "W1", "b1", "W2", "b2", "meta"} <= names
    ck = load_checkpoint(path)
    assert ck.net.sizes == st.net.sizes and ck.net.activations == st.net.activations
    assert ck.net.dtype == np.dtype(dtype)
    assert ck.net.loss_name == st.net.loss_name and ck.net.reduction == st.net.reduction
    np.testing.assert_array_equal(ck.net.params, st.net.params)
    assert (ck.step, ck.epoch, ck.batch_size) == (9, st.epoch, 5)
    assert ck.metadata == {"scenario": "xor", "note": "ünïcode"}
    assert type(ck.optimizer) is type(opt) and ck.optimizer.hyper() == opt.hyper()
    for k, v in opt.state().items():
        np.testing.assert_array_equal(ck.optimizer.state()[k], v)
    # restore into a fresh stepper and keep training: same as the original going on
    net2 = net_for([3, 5, 4, 3], "relu", dtype=dtype, seed=99)
    st2 = Stepper(net2, type(opt)(**opt.hyper()), st.X, st.y, batch_size=5, seed=3)
    ck.restore_into(st2)
    np.testing.assert_array_equal(st2.net.params, st.net.params)
    assert st2.step == 9 and st2.epoch == st.epoch
    for k, v in opt.state().items():
        np.testing.assert_array_equal(st2.opt.state()[k], v)


def test_network_only_checkpoint(tmp_path: Path) -> None:
    net = Network.from_sizes(
        [2, 3, 1], hidden="tanh", output="sigmoid", loss="binary_cross_entropy"
    )
    save_checkpoint(tmp_path / "n.npz", net, step=4, epoch=2)
    ck = load_checkpoint(tmp_path / "n.npz")
    np.testing.assert_array_equal(ck.net.params, net.params)
    assert ck.optimizer is None and (ck.step, ck.epoch) == (4, 2)


def test_restore_into_a_different_net_is_refused(tmp_path: Path) -> None:
    st = _trained(SGD())
    save_checkpoint(tmp_path / "a.npz", st)
    other = net_for([3, 6, 3], "relu")
    X, y = make_data(other, 5)
    with pytest.raises(CheckpointError, match="3-5-4-3"):
        load_checkpoint(tmp_path / "a.npz").restore_into(Stepper(other, SGD(), X, y))


def test_atomic_write_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    st = _trained(SGD())
    save_checkpoint(path, st)
    save_checkpoint(path, st)  # overwrite
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]


def test_atomic_write_uses_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    calls = []
    real = os.replace

    def spy(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    save_checkpoint(tmp_path / "r.npz", _trained(SGD()))
    assert len(calls) == 1
    src, dst = calls[0]
    assert dst == "r.npz" and src != dst and src.endswith(".tmp")


def test_loaded_without_pickle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    real = np.load

    def spy(*a, **k):
        seen.append(k.get("allow_pickle"))
        return real(*a, **k)

    save_checkpoint(tmp_path / "p.npz", _trained(SGD()))
    monkeypatch.setattr(np, "load", spy)
    load_checkpoint(tmp_path / "p.npz")
    assert seen == [False]


# ---- bad files ------------------------------------------------------------------------------
@pytest.fixture
def good(tmp_path: Path) -> Path:
    path = tmp_path / "good.npz"
    save_checkpoint(path, _trained(Adam()))
    return path


def _rewrite(src: Path, dst: Path, change) -> Path:
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    np.savez(dst, **arrays)
    return dst


def _expect(path: Path, match: str) -> None:
    with pytest.raises(CheckpointError) as exc:
        load_checkpoint(path)
    assert path.name in str(exc.value)
    assert match.lower() in str(exc.value).lower(), str(exc.value)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated(good: Path, tmp_path: Path, keep: float) -> None:
    data = good.read_bytes()
    bad = tmp_path / "trunc.npz"
    bad.write_bytes(data[: int(len(data) * keep)])
    _expect(bad, "trunc")


@pytest.mark.parametrize("offset", [0.05, 0.2, 0.4, 0.6, 0.8])
def test_corrupt_bytes(good: Path, tmp_path: Path, offset: float) -> None:
    data = bytearray(good.read_bytes())
    i = int(len(data) * offset)
    for j in range(i, min(i + 32, len(data))):
        data[j] ^= 0xA5
    bad = tmp_path / "corrupt.npz"
    bad.write_bytes(bytes(data))
    _expect(bad, "corrupt.npz")


def test_not_a_zip(tmp_path: Path) -> None:
    bad = tmp_path / "notes.npz"
    bad.write_text("just some text, not a checkpoint\n")
    _expect(bad, "notes.npz")


def test_plain_npy_file(tmp_path: Path) -> None:
    bad = tmp_path / "array.npz"
    with open(bad, "wb") as f:
        np.save(f, np.arange(5.0))
    _expect(bad, "array.npz")


def test_empty_file_missing_file_and_directory(tmp_path: Path) -> None:
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    _expect(empty, "empty.npz")
    _expect(tmp_path / "missing.npz", "no such file")
    d = tmp_path / "dir.npz"
    d.mkdir()
    _expect(d, "directory")


def test_foreign_npz_without_meta(tmp_path: Path) -> None:
    bad = tmp_path / "foreign.npz"
    np.savez(bad, W0=np.zeros((3, 5)))
    _expect(bad, "meta")


def test_wrong_format_tag(good: Path, tmp_path: Path) -> None:
    def change(a):
        meta = json.loads(str(a["meta"]))
        meta["format"] = "something-else"
        a["meta"] = np.array(json.dumps(meta))

    _expect(_rewrite(good, tmp_path / "fmt.npz", change), "meta")


@pytest.mark.parametrize("meta", ["not json {", "[1, 2, 3]", "42", '{"format": 1}'])
def test_bad_metadata(good: Path, tmp_path: Path, meta: str) -> None:
    def change(a):
        a["meta"] = np.array(meta)

    _expect(_rewrite(good, tmp_path / "meta.npz", change), "meta")


def test_numeric_meta_entry(good: Path, tmp_path: Path) -> None:
    def change(a):
        a["meta"] = np.arange(3.0)

    _expect(_rewrite(good, tmp_path / "meta2.npz", change), "meta2.npz")


def test_mismatched_shape(good: Path, tmp_path: Path) -> None:
    def change(a):
        a["W1"] = np.zeros((5, 7))

    _expect(_rewrite(good, tmp_path / "shape.npz", change), "'W1' has shape (5, 7)")


def test_missing_array(good: Path, tmp_path: Path) -> None:
    _expect(_rewrite(good, tmp_path / "miss.npz", lambda a: a.pop("b2")), "missing array 'b2'")


def test_non_finite_weights(good: Path, tmp_path: Path) -> None:
    def change(a):
        a["W0"] = a["W0"].copy()
        a["W0"][0, 0] = np.nan

    _expect(_rewrite(good, tmp_path / "nan.npz", change), "non-finite")


def test_mismatched_optimizer_state(good: Path, tmp_path: Path) -> None:
    def change(a):
        a["opt_m"] = np.zeros(3)

    _expect(_rewrite(good, tmp_path / "opt.npz", change), "opt_m")


def test_object_arrays_are_refused(good: Path, tmp_path: Path) -> None:
    def change(a):
        a["W0"] = np.array([{"x": 1}], dtype=object)

    bad = tmp_path / "pickle.npz"
    with np.load(good, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    change(arrays)
    np.savez(bad, **arrays)  # object arrays are pickled inside the .npy
    _expect(bad, "pickle.npz")


def test_zip_of_something_else(tmp_path: Path) -> None:
    bad = tmp_path / "other.npz"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("readme.txt", "hello")
    _expect(bad, "other.npz")


def _meta_change(**fields):
    def change(a):
        meta = json.loads(str(a["meta"]))
        meta.update(fields)
        a["meta"] = np.array(json.dumps(meta))

    return change


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"step": "x"}, "'step' is 'x'"),
        ({"step": 1.5}, "'step' is 1.5"),
        ({"step": -1}, "'step' is -1"),
        ({"step": True}, "'step' is True"),
        ({"epoch": [1]}, "'epoch' is [1]"),
        ({"epoch": None}, "'epoch' is None"),
        ({"batch_size": 0}, "'batch_size' is 0"),
        ({"user": [1, 2]}, "'user' is [1, 2]"),
        ({"user": "me"}, "'user' is 'me'"),
        ({"sizes": [10**6, 10**6]}, "'W0' has shape (3, 5), expected (1000000, 1000000)"),
        ({"sizes": 5}, "'sizes' is 5"),
        ({"sizes": [3, "5", 4, 3]}, "'sizes' holds '5'"),
        ({"sizes": [3, 5, 4, 3], "activations": ["relu"]}, "do not fit"),
        ({"activations": 7}, "meta"),
        ({"loss": None}, "meta"),
        ({"dtype": "complex"}, "meta"),
        ({"optimizer": "sgd"}, "'optimizer' is 'sgd'"),
        ({"optimizer": {"name": "sgd", "lr": "fast"}}, "optimiser"),
        ({"optimizer": {"name": "sgd", "bogus": 1}}, "optimiser"),
    ],
)
def test_every_bad_metadata_is_a_checkpoint_error(
    good: Path, tmp_path: Path, fields: dict[str, object], match: str
) -> None:
    _expect(_rewrite(good, tmp_path / "m.npz", _meta_change(**fields)), match)


def test_deeply_nested_metadata(good: Path, tmp_path: Path) -> None:
    def change(a):
        a["meta"] = np.array("[" * 100_000 + "]" * 100_000)

    _expect(_rewrite(good, tmp_path / "deep.npz", change), "meta")


def test_a_header_claiming_10_to_the_12_elements(good: Path, tmp_path: Path) -> None:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)}
    )
    bad = tmp_path / "huge.npz"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            raw = buf.getvalue() + b"\0" * 64 if info.filename == "W0.npy" else src.read(info)
            dst.writestr(info.filename, raw)
    _expect(bad, "header claims shape (1000000, 1000000)")


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    _expect(fifo, "not a regular file")


def test_string_weights_are_refused(good: Path, tmp_path: Path) -> None:
    def change(a):
        a["W0"] = np.full((3, 5), "x")

    _expect(_rewrite(good, tmp_path / "str.npz", change), "non-numeric")
