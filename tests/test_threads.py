"""numtorch.set_num_threads / get_num_threads: PyTorch's interface over NumPy's BLAS thread pool."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import threadpoolctl
import torch

import numtorch
from numtorch import _threads

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _restore_threads():
    before = numtorch.get_num_threads()
    yield
    numtorch.set_num_threads(before)


def _numpy_blas_threads():
    """Thread counts threadpoolctl reads, independently, from every BLAS loaded in the process."""
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


def test_a_blas_is_controlled():
    ctl = _threads.blas_controllers()
    assert ctl, "numtorch found no BLAS library to control"
    assert any("openblas" in os.path.basename(path) for path, _, _ in ctl)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_get_reflects_set_and_the_blas_agrees(n):
    numtorch.set_num_threads(n)
    assert numtorch.get_num_threads() == n
    assert isinstance(numtorch.get_num_threads(), int)
    assert _numpy_blas_threads() and all(k == n for k in _numpy_blas_threads())


def test_numpy_integer_accepted():
    numtorch.set_num_threads(np.int64(2))
    assert numtorch.get_num_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, "a", 2.0, True])
def test_errors_match_pytorch(bad):
    with pytest.raises(RuntimeError) as theirs:
        torch.set_num_threads(bad)
    before = numtorch.get_num_threads()
    with pytest.raises(RuntimeError) as ours:
        numtorch.set_num_threads(bad)
    assert str(ours.value) == str(theirs.value)
    assert numtorch.get_num_threads() == before


def test_ctypes_fallback_finds_and_sets_the_same_library():
    """Without threadpoolctl, numtorch calls OpenBLAS's own entry points through ctypes."""
    found = _threads._from_ctypes()
    assert found
    path, setter, getter = found[0]
    assert os.path.basename(path).startswith(("libopenblas", "libscipy_openblas"))
    setter(1)
    assert getter() == 1 and all(k == 1 for k in _numpy_blas_threads())
    setter(2)
    assert getter() == 2 and all(k == 2 for k in _numpy_blas_threads())


def _cpu_ticks_per_thread():
    ticks = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[int(tid)] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="per-thread CPU times need Linux /proc")
def test_matmul_runs_on_one_thread_after_set_num_threads_1():
    """A BLAS-heavy matmul burns CPU only in the calling thread once the pool is limited to 1."""
    import threading
    numtorch.set_num_threads(2)
    a = numtorch.randn(512, 512)
    (a @ a).sum()  # starts OpenBLAS's worker threads, if it has any
    numtorch.set_num_threads(1)
    assert numtorch.get_num_threads() == 1
    time.sleep(0.4)  # OpenBLAS workers busy-wait ~0.1 s after their last job before sleeping
    me = threading.get_native_id()
    before = _cpu_ticks_per_thread()
    t0 = time.process_time()
    while time.process_time() - t0 < 0.3:
        a @ a
    after = _cpu_ticks_per_thread()
    mine = after[me] - before[me]
    others = sum(v - before.get(tid, 0) for tid, v in after.items() if tid != me)
    assert mine >= 10, (mine, others)  # ticks are 10 ms: the matmuls did run here
    assert others <= 0.2 * mine, f"other threads used {others} ticks while the caller used {mine}"


def _run(code, env_value):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}
    env[_threads.ENV_VAR] = env_value
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_environment_variable_read_at_import():
    code = ("import numtorch, threadpoolctl\n"
            "print(numtorch.get_num_threads(), [i['num_threads'] for i in threadpoolctl.threadpool_info()"
            " if i['user_api'] == 'blas'])")
    r = _run(code, "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split(None, 1) == ["1", "[1]\n"]
    r = _run("import numtorch", "many")
    assert r.returncode == 0, r.stderr
    assert "NUMTORCH_NUM_THREADS" in r.stderr and "'many'" in r.stderr


def test_interop_threads_recorded_once_like_pytorch(monkeypatch):
    monkeypatch.setattr(_threads, "_interop", None)
    assert _threads.get_num_interop_threads() >= 1
    with pytest.raises(RuntimeError, match="set_num_interop_threads expects a positive integer"):
        _threads.set_num_interop_threads(0)
    _threads.set_num_interop_threads(3)
    assert _threads.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="cannot set number of interop threads"):
        _threads.set_num_interop_threads(2)
