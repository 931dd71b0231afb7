"""Course-style PyTorch scripts (tests/course_scripts/) run unchanged on numtorch, and are valid PyTorch.

Each script asserts its own results (loss bounds, hand gradients vs autograd, accuracy on a subset)
and prints ``RESULT ok`` at the end. The same file is run under ``python -m numtorch.compat`` and
under real PyTorch, so a passing numtorch run means numtorch behaves as PyTorch does there.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).parent / "course_scripts"
NAMES = sorted(p.name for p in SCRIPTS.glob("*.py"))
NEEDS_DATA = {"nn_really.py", "fashion_softmax.py"}


def _run(args, data_dir, timeout=240):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT), NUMTORCH_DATA=str(data_dir))
    p = subprocess.run([sys.executable, *args], cwd=str(ROOT), env=env, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def _args(name, data_dir):
    return ["--data", str(data_dir)] if name in NEEDS_DATA else []


def test_there_are_enough_scripts():
    assert len(NAMES) >= 6, NAMES


@pytest.mark.parametrize("name", NAMES)
def test_course_script_runs_on_numtorch(name, data_dir):
    rc, out = _run(["-m", "numtorch.compat", str(SCRIPTS / name), *_args(name, data_dir)], data_dir)
    assert rc == 0, out
    assert out.rstrip().endswith("RESULT ok"), out
    assert "Warning" not in out, out  # PyTorch prints no warnings for these scripts; neither may numtorch


def test_course_scripts_are_valid_pytorch(data_dir):
    """One interpreter runs every script under real PyTorch (saves paying torch's import per script)."""
    code = ("import runpy, sys, torch\n"
            "assert 'numtorch' not in torch.__file__\n"
            "torch.set_num_threads(1)\n"
            f"for s, extra in {[(str(SCRIPTS / n), _args(n, data_dir)) for n in NAMES]!r}:\n"
            "    sys.argv = [s, *extra]\n"
            "    runpy.run_path(s, run_name='__main__')\n")
    rc, out = _run(["-c", code], data_dir, timeout=400)
    assert rc == 0, out
    assert out.count("RESULT ok") == len(NAMES), out
