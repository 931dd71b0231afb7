"""Shared test set-up: single-threaded BLAS, the dataset folder, and PyTorch as the oracle."""
import os
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import numtorch  # noqa: E402

from hypothesis import settings as _hypothesis_settings

# Property tests draw the same examples on every run (CI must not pass or fail by chance); set
# HYPOTHESIS_PROFILE=explore locally to search new examples.
_hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, database=None)
_hypothesis_settings.register_profile("explore", deadline=None)
_hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("NUMTORCH_DATA") or ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder holding mnist/ and fashion-mnist/; missing data is a failure, never a skip."""
    assert (DATA_DIR / "mnist").is_dir(), f"datasets not found in {DATA_DIR}: set NUMTORCH_DATA"
    return DATA_DIR


@pytest.fixture(autouse=True)
def _seed():
    numtorch.manual_seed(0)
    torch.manual_seed(0)
    np.random.seed(0)
