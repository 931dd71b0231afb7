#!/usr/bin/env bash
# Install what the tests need (numtorch, PyTorch 2.13.0 CPU as the oracle, pytest, hypothesis) and run them all.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e ".[test]"
export NUMTORCH_DATA="${NUMTORCH_DATA:-$(cd .. && pwd)/shared/data}"
export NUMTORCH_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
exec python3 -m pytest -n 2 -q "$@"
