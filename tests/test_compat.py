"""The compat runner: torch/torchvision aliasing, clear missing-API errors, and PyTorch-style scripts run unchanged."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import numtorch
from numtorch import compat

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).parent / "compat_scripts"


def test_aliases_resolve_and_are_removed_afterwards():
    real_torch = sys.modules.get("torch")
    with compat.torch_aliases():
        import torch
        import torch.nn.functional as F
        import torchvision.transforms as T
        from torch.utils.data import DataLoader
        from torchvision import datasets
        assert torch is numtorch and F is numtorch.nn.functional
        assert T is numtorch.vision.transforms and datasets is numtorch.vision.datasets
        assert DataLoader is numtorch.utils.data.DataLoader
        assert torch.cuda.is_available() is False and torch.backends.mps.is_available() is False
        torch.backends.cudnn.benchmark = True
        assert numtorch.nn.functional.__spec__.name == "numtorch.nn.functional"
    assert sys.modules.get("torch") is real_torch
    assert "torch.nn.functional" not in sys.modules or sys.modules["torch.nn.functional"] is not numtorch.nn.functional


def test_missing_api_names_the_attribute():
    with compat.torch_aliases():
        import torch
        with pytest.raises(NotImplementedError, match=r"^numtorch does not support torch.fft_magic yet$"):
            torch.fft_magic
        assert not hasattr(torch, "fft_magic") and getattr(torch.backends, "xla", None) is None
        with pytest.raises(NotImplementedError, match=r"torch\.nn\.functional\.frobnicate"):
            torch.nn.functional.frobnicate
        with pytest.raises(NotImplementedError, match=r"torch\.Tensor\.frobnicate"):
            torch.ones(1).frobnicate()
        with pytest.raises(ImportError, match="numtorch does not support torch.distributed yet"):
            import torch.distributed.rpc  # noqa: F401
        with pytest.raises(NotImplementedError, match="torchvision.zzz"):
            import torchvision
            torchvision.zzz
    assert "__getattr__" not in numtorch.Tensor.__dict__
    assert not any(getattr(m.__dict__.get("__getattr__"), "_numtorch_compat", False)
                   for n, m in list(sys.modules.items()) if n.startswith("numtorch"))  # the runner cleaned up


def test_missing_error_prints_as_not_implemented_error():
    from numtorch._missing import MissingAPIError
    import traceback
    text = "".join(traceback.format_exception_only(MissingAPIError, MissingAPIError("numtorch does not support "
                                                                                  "torch.x yet")))
    assert text.startswith("NotImplementedError: numtorch does not support torch.x yet")
    with pytest.raises(NotImplementedError, match="torch.definitely_missing"):
        numtorch.definitely_missing
    assert numtorch.cuda.device_count() == 0 and numtorch.testing.assert_close  # lazily imported submodules


def test_runner_argv_exit_codes_and_traceback(tmp_path, capsys):
    script = tmp_path / "s.py"
    script.write_text("import sys, torch\nprint(torch.__name__, sys.argv[1:], __name__)\n"
                      "if sys.argv[1] == 'exit': sys.exit(3)\n"
                      "if sys.argv[1] == 'boom': torch.nn.NoSuchLayer(3)\n")
    assert compat.main([str(script), "a", "--b"]) == 0
    assert capsys.readouterr().out.strip() == "numtorch ['a', '--b'] __main__"
    assert compat.main([str(script), "exit"]) == 3
    assert compat.main([str(script), "boom"]) == 1
    err = capsys.readouterr().err
    assert "NotImplementedError: numtorch does not support torch.nn.NoSuchLayer yet" in err
    assert 's.py", line 4' in err and "runpy" not in err and "compat.py" not in err
    assert compat.main([str(tmp_path / "missing.py")]) == 2
    from numtorch.cli import main as cli_main
    assert cli_main(["run", str(script), "x"]) == 0


def _run(args, timeout=120, data_dir=None):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    if data_dir is not None:
        env["NUMTORCH_DATA"] = str(data_dir)
    p = subprocess.run([sys.executable, *args], cwd=str(ROOT), env=env, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout + p.stderr


TORCH_SCRIPTS = ["api_surface.py", "api_extended.py", "mlp_manual_backward.py", "bn_cnn_checkpoint.py",
                 "poly_regression.py", "advanced_autograd.py"]


def test_scripts_are_valid_pytorch():
    """The scripts are real PyTorch programs: they reach their stated results under PyTorch itself."""
    code = ("import runpy, sys\n"
            f"for s in {[str(SCRIPTS / n) for n in TORCH_SCRIPTS]!r}:\n"
            "    sys.argv = [s]\n"
            "    runpy.run_path(s, run_name='__main__')\n")
    rc, out = _run(["-c", code], timeout=300)
    assert rc == 0, out
    assert out.count("RESULT ok") + out.count("all API checks passed") == len(TORCH_SCRIPTS), out


@pytest.mark.parametrize("name,args", [
    ("api_surface.py", []),
    ("poly_regression.py", []),
    ("advanced_autograd.py", []),
    ("vae_mnist.py", ["--data", "{data}"]),
    ("api_extended.py", []),
    ("mlp_manual_backward.py", []),
    ("bn_cnn_checkpoint.py", []),
    ("softmax_regression.py", ["--data", "{data}"]),
    # pytorch/examples' MNIST program; smaller batches and subsets keep it to ~10 s of CPU
    ("mnist_cnn_adadelta.py", ["--data", "{data}", "--batch-size", "32", "--train-size", "960",
                               "--test-size", "500", "--test-batch-size", "500", "--log-interval", "100"]),
])
def test_script_runs_unchanged_on_numtorch(name, args, data_dir):
    args = [a.format(data=data_dir) for a in args]
    rc, out = _run(["-m", "numtorch.compat", str(SCRIPTS / name), *args], timeout=300, data_dir=data_dir)
    assert rc == 0, out
    assert "RESULT ok" in out or "all API checks passed" in out


def test_compile_returns_the_model_unchanged_and_checks_arguments():
    import numtorch
    model = numtorch.nn.Linear(3, 2)
    assert numtorch.compile(model) is model
    assert numtorch.compile(model, mode="max-autotune", fullgraph=True) is model

    @numtorch.compile
    def f(x):
        return x * 2

    @numtorch.compile(mode="reduce-overhead")
    def g(x):
        return x + 1

    assert f(numtorch.ones(2)).tolist() == [2.0, 2.0] and g(numtorch.ones(1)).tolist() == [2.0]
    with pytest.raises(RuntimeError, match="Invalid backend: 'nope'"):
        numtorch.compile(model, backend="nope")
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast"):
        numtorch.compile(model, mode="fast")
    with pytest.raises(AssertionError, match="A callable function is expected"):
        numtorch.compile(3)
