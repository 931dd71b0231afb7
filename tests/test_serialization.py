"""numtorch.save / numtorch.load: safe format, atomic writes, PyTorch files, safetensors."""
import io
import os
import pickle
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import numtorch
from numtorch import serialization
from numtorch.nn.parameter import Parameter


def _checkpoint():
    w = numtorch.randn(3, 4)
    return {
        "model": OrderedDict([("fc.weight", Parameter(numtorch.randn(4, 3))), ("fc.bias", numtorch.zeros(4)),
                              ("bn.num_batches_tracked", numtorch.tensor(7)), ("tied", w), ("tied2", w)]),
        "optimizer": {"state": {0: {"step": numtorch.tensor(3.0), "exp_avg": numtorch.ones(4, 3)}},
                      "param_groups": [{"lr": 0.01, "betas": (0.9, 0.999), "params": [0, 1], "nesterov": False}]},
        "scheduler": {"step_size": 2, "gamma": 0.5, "last_epoch": 4, "_last_lr": [0.0025]},
        "epoch": 5, "loss": float("nan"), "best": float("-inf"), "name": "run-1", "note": None,
        "dtype": numtorch.float64, "shape": numtorch.Size([2, 3]), "np": np.arange(4, dtype=np.int16),
        "scalar": numtorch.tensor(2.5), "empty": numtorch.zeros(0, 3), "t": numtorch.arange(6.0).reshape(2, 3).t(),
        "bools": numtorch.tensor([True, False]), "u8": numtorch.tensor([1, 255], dtype=numtorch.uint8),
        (1, "k"): {1.5, 2.5},
    }


def _assert_same(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, numtorch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and a != a:
        assert b != b
    else:
        assert a == b


def test_roundtrip_checkpoint_path_and_fileobj(tmp_path):
    ck = _checkpoint()
    numtorch.save(ck, tmp_path / "ck.pt")
    got = numtorch.load(tmp_path / "ck.pt")
    _assert_same(ck, got)
    assert got["model"]["tied"] is got["model"]["tied2"]  # shared tensors stay shared
    buf = io.BytesIO()
    numtorch.save(ck, buf)
    buf.seek(0)
    _assert_same(ck, numtorch.load(buf, map_location="cpu"))
    assert os.listdir(tmp_path) == ["ck.pt"]  # no temp files left behind


def test_loaded_tensors_are_writable_and_trainable(tmp_path):
    numtorch.save({"w": Parameter(numtorch.ones(2))}, tmp_path / "p.pt")
    w = numtorch.load(tmp_path / "p.pt")["w"]
    assert isinstance(w, Parameter) and w.requires_grad
    (w * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3, 3])
    with numtorch.no_grad():
        w.add_(1)
    np.testing.assert_array_equal(w.detach().numpy(), [2, 2])


def test_atomic_write_keeps_previous_file_on_crash(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    numtorch.save({"v": numtorch.ones(3)}, path)
    before = path.read_bytes()

    def crash(fh, header, arrays):
        fh.write(b"NUMTORCH partial")
        raise KeyboardInterrupt("simulated crash mid-save")
    monkeypatch.setattr(serialization, "_write_native", crash)
    with pytest.raises(KeyboardInterrupt):
        numtorch.save({"v": numtorch.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.pt"]


@pytest.mark.parametrize("fmt", ["numtorch", "torch", "safetensors"])
def test_truncated_file_fails_cleanly(tmp_path, fmt):
    path = tmp_path / f"cut.{fmt}"
    numtorch.save({"a": numtorch.randn(50, 40), "b": numtorch.randn(30)}, path, format=fmt)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match=r"cut\.%s.*(truncated|corrupted)" % fmt):
        numtorch.load(path)


def test_corrupted_byte_and_foreign_files(tmp_path):
    path = tmp_path / "x.pt"
    numtorch.save(numtorch.arange(100.0), path)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="checksum"):
        numtorch.load(path)
    (tmp_path / "notes.txt").write_text("hello, not a checkpoint")
    with pytest.raises(RuntimeError, match=r"notes\.txt is not a numtorch, PyTorch or safetensors checkpoint"):
        numtorch.load(tmp_path / "notes.txt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(RuntimeError, match="empty"):
        numtorch.load(tmp_path / "empty.pt")
    with pytest.raises(FileNotFoundError):
        numtorch.load(tmp_path / "missing.pt")


class Opaque:
    def __init__(self):
        self.x = 3


def test_arbitrary_objects_need_weights_only_false(tmp_path):
    numtorch.save({"obj": Opaque(), "w": numtorch.ones(2)}, tmp_path / "o.pt")
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        numtorch.load(tmp_path / "o.pt")
    got = numtorch.load(tmp_path / "o.pt", weights_only=False)
    assert got["obj"].x == 3 and got["w"].tolist() == [1.0, 1.0]


def test_map_location_cuda_is_a_clear_error(tmp_path):
    numtorch.save(numtorch.ones(1), tmp_path / "a.pt")
    assert numtorch.load(tmp_path / "a.pt", map_location=lambda s, loc: s).tolist() == [1.0]
    with pytest.raises(RuntimeError, match="CPU only"):
        numtorch.load(tmp_path / "a.pt", map_location="cuda:0")


# --------------------------------------------------------------------------- PyTorch files
def _torch_checkpoint():
    torch.manual_seed(0)
    lin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    opt = torch.optim.Adam(lin.parameters(), lr=0.01)
    lin(torch.randn(5, 3)).sum().backward()
    opt.step()
    sched = torch.optim.lr_scheduler.StepLR(opt, 2)
    x = torch.arange(12.0).reshape(3, 4)
    return {"model": lin.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
            "epoch": 2, "view": x[1:, ::2], "t": x.t(), "x": x, "param": torch.nn.Parameter(torch.ones(2)),
            "half": torch.ones(2, dtype=torch.float16), "long": torch.tensor([1, -2]), "flag": torch.tensor(True),
            "bf16": torch.tensor([1.5, -2.0], dtype=torch.bfloat16), "dtype": torch.float64,
            "size": torch.Size([2, 3]), "names": ["a", "b"], "tuple": (1, 2.5), "none": None}


def _compare_with_torch(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, numtorch.Tensor)
        assert isinstance(ours, Parameter) == isinstance(theirs, torch.nn.Parameter)
        assert tuple(ours.shape) == tuple(theirs.shape)
        expected = theirs.detach().float() if theirs.dtype == torch.bfloat16 else theirs.detach()
        np.testing.assert_array_equal(ours.detach().numpy(), expected.numpy())
        assert str(ours.dtype).split(".")[1] == str(expected.dtype).split(".")[1]
    elif isinstance(theirs, dict):
        assert list(ours.keys()) == list(theirs.keys())
        for k in theirs:
            _compare_with_torch(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)) and not isinstance(theirs, torch.Size):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _compare_with_torch(a, b)
    elif isinstance(theirs, torch.dtype):
        assert ours is numtorch.float64
    elif isinstance(theirs, torch.Size):
        assert isinstance(ours, numtorch.Size) and tuple(ours) == tuple(theirs)
    else:
        assert ours == theirs


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_load_files_written_by_torch_save(tmp_path, zip_format):
    ck = _torch_checkpoint()
    torch.save(ck, tmp_path / "torch_ck.pth", _use_new_zipfile_serialization=zip_format)
    got = numtorch.load(tmp_path / "torch_ck.pth")
    _compare_with_torch(got, ck)
    assert isinstance(got["model"], OrderedDict)
    assert got["x"]._data.flags.writeable


def test_torch_state_dict_loads_into_numtorch_model(tmp_path):
    tm = torch.nn.Linear(3, 2)
    torch.save(tm.state_dict(), tmp_path / "lin.pt")
    m = numtorch.nn.Linear(3, 2)
    m.load_state_dict(numtorch.load(tmp_path / "lin.pt"))
    x = np.random.randn(4, 3).astype(np.float32)
    np.testing.assert_allclose(m(numtorch.from_numpy(x)).detach().numpy(),
                               tm(torch.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-6)


def test_save_torch_format_is_read_by_torch_weights_only(tmp_path):
    ck = _checkpoint()
    del ck["np"], ck[(1, "k")]  # not in torch's weights_only allowlist / not torch-storable
    ck["nested"] = [numtorch.ones(2, dtype=numtorch.float64), (numtorch.tensor([-(2 ** 40)]),)]
    numtorch.save(ck, tmp_path / "for_torch.pt", format="torch")
    got = torch.load(tmp_path / "for_torch.pt", weights_only=True)
    assert isinstance(got["model"]["fc.weight"], torch.nn.Parameter)
    assert got["model"]["tied"].data_ptr() == got["model"]["tied2"].data_ptr()
    assert got["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert got["dtype"] is torch.float64 and got["shape"] == torch.Size([2, 3])
    np.testing.assert_array_equal(got["t"].numpy(), ck["t"].numpy())
    assert got["nested"][1][0].item() == -(2 ** 40) and got["nested"][0].dtype == torch.float64
    assert got["u8"].dtype == torch.uint8 and got["bools"].tolist() == [True, False]
    _assert_same(ck, numtorch.load(tmp_path / "for_torch.pt"))  # and numtorch reads its own torch files


# --------------------------------------------------------------------------- malicious files
class _Evil:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


def _zip_with_pickle(path, payload: bytes):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", payload)
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/version", "3\n")


@pytest.mark.parametrize("layout", ["zip", "legacy", "plain_pickle"])
def test_malicious_pickle_is_refused_and_never_executed(tmp_path, layout):
    marker = tmp_path / "pwned"
    evil = {"state_dict": OrderedDict(w=torch.ones(1)), "x": _Evil(f"touch {marker}")}
    path = tmp_path / "evil.pt"
    if layout == "zip":
        torch.save(evil, path)  # a genuine torch zip whose data.pkl calls os.system
    elif layout == "legacy":
        torch.save(evil, path, _use_new_zipfile_serialization=False)
    else:
        path.write_bytes(pickle.dumps(_Evil(f"touch {marker}"), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=r"(posix|os)\.system.*nothing in the file was executed"):
        numtorch.load(path)
    assert not marker.exists()


def test_malicious_build_and_eval_are_refused(tmp_path):
    marker = tmp_path / "pwned2"
    code = f"open({str(marker)!r}, 'w')".encode()
    path = tmp_path / "eval.pt"
    _zip_with_pickle(path, b"\x80\x02cbuiltins\neval\nX" + len(code).to_bytes(4, "little") + code + b"\x85R.")
    with pytest.raises(pickle.UnpicklingError, match="builtins.eval"):
        numtorch.load(path)
    # BUILD that would overwrite an allowed function's attributes
    bad = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n}X\x0c\x00\x00\x00__defaults__)sb.")
    _zip_with_pickle(path, bad)
    with pytest.raises(pickle.UnpicklingError, match="BUILD"):
        numtorch.load(path)
    assert not marker.exists()


# --------------------------------------------------------------------------- safetensors
def test_safetensors_both_ways(tmp_path):
    from safetensors.numpy import load_file as np_load
    from safetensors.torch import save_file as torch_save_file
    sd = OrderedDict([("w", numtorch.randn(3, 2)), ("b", numtorch.arange(4)), ("m", numtorch.tensor([True]))])
    serialization.save_safetensors(sd, tmp_path / "m.safetensors", metadata={"epoch": 3})
    theirs = np_load(str(tmp_path / "m.safetensors"))
    for k in sd:
        np.testing.assert_array_equal(theirs[k], sd[k].numpy())
    tsd = {"a": torch.randn(2, 3), "h": torch.ones(2, dtype=torch.float16), "bf": torch.ones(2, dtype=torch.bfloat16)}
    torch_save_file(tsd, str(tmp_path / "t.safetensors"))
    for got in (serialization.load_safetensors(tmp_path / "t.safetensors"), numtorch.load(tmp_path / "t.safetensors")):
        np.testing.assert_array_equal(got["a"].numpy(), tsd["a"].numpy())
        assert got["h"].dtype == numtorch.float16 and got["bf"].tolist() == [1.0, 1.0]


def test_torch_checkpoint_with_numpy_values_and_namespace(tmp_path):
    import argparse
    ck = {"best_acc": np.float64(0.93), "steps": np.int64(7), "hist": np.arange(4, dtype=np.float32).reshape(2, 2),
          "w": torch.ones(2)}
    torch.save(ck, tmp_path / "np.pt")
    got = numtorch.load(tmp_path / "np.pt")
    assert got["best_acc"] == np.float64(0.93) and type(got["best_acc"]) is np.float64 and got["steps"] == 7
    np.testing.assert_array_equal(got["hist"], ck["hist"])
    torch.save({"args": argparse.Namespace(lr=0.1), "obj": np.array(["a"], dtype=object)}, tmp_path / "ns.pt")
    with pytest.raises(pickle.UnpicklingError, match="argparse.Namespace"):
        numtorch.load(tmp_path / "ns.pt")
    trusted = numtorch.load(tmp_path / "ns.pt", weights_only=False)  # the caller vouches for the file
    assert trusted["args"].lr == 0.1 and trusted["obj"].tolist() == ["a"]
    torch.save({"args": argparse.Namespace(lr=0.1)}, tmp_path / "ns2.pt")
    with serialization.safe_globals([argparse.Namespace]):  # PyTorch's allowlist API
        assert numtorch.load(tmp_path / "ns2.pt")["args"].lr == 0.1
    assert serialization.get_safe_globals() == []
    with pytest.raises(pickle.UnpicklingError, match="argparse.Namespace"):
        numtorch.load(tmp_path / "ns2.pt")


# --------------------------------------------------------------------------- property test
from hypothesis import given, settings, strategies as st  # noqa: E402

_DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_]


@st.composite
def _tensors(draw):
    dt = draw(st.sampled_from(_DTYPES))
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
    arr = np.asarray(np.random.default_rng(draw(st.integers(0, 2 ** 16))).standard_normal(shape) * 30)
    return numtorch.from_numpy(arr.astype(dt))


_leaves = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=False),
                    st.text(max_size=5), _tensors())
_trees = st.recursive(_leaves, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.tuples(kids, kids),
    st.dictionaries(st.one_of(st.integers(-5, 5), st.text(max_size=3)), kids, max_size=3)), max_leaves=8)


@settings(max_examples=60, deadline=None)
@given(_trees)
def test_roundtrip_property(obj):
    import io as _io
    buf = _io.BytesIO()
    numtorch.save(obj, buf)
    buf.seek(0)
    _assert_same(obj, numtorch.load(buf))
