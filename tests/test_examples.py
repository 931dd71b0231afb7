"""Every example in examples/ runs to the end in quick mode (each asserts its own results)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("[0-9]*.py"))


def test_examples_exist_as_percent_notebooks():
    assert len(EXAMPLES) >= 6
    for path in EXAMPLES:
        text = path.read_text()
        assert text.startswith("# %% [markdown]") and text.count("\n# %%") >= 3, path.name
        assert "QUICK" in text, path.name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_in_quick_mode(path, data_dir):
    env = dict(os.environ, NUMTORCH_QUICK="1", NUMTORCH_DATA=str(data_dir), OMP_NUM_THREADS="1",
               PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    p = subprocess.run([sys.executable, path.name], cwd=str(path.parent), env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
