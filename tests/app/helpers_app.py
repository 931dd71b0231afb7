"""Helpers for the app tests: run the CLI in-process and check the files it writes."""
import csv
import json
from pathlib import Path

import pytest

from numtorch.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# a run small enough to take about a second: 256 training images, tiny MLP, one epoch
TINY = ["--model", "mlp", "--hidden", "16", "--limit-train", "256", "--val-size", "64", "--limit-test", "128",
        "--epochs", "1", "--batch-size", "32", "--threads", "1", "--no-progress"]


@pytest.fixture
def cli(data_dir, capsys):
    """``cli(*args)`` runs ``numtorch args...`` in-process; returns (status, stdout, stderr)."""
    def run(*args):
        status = main([str(a) for a in args] + ([] if args[0] in ("models", "run", "check") or "--data" in args
                                                else ["--data", str(data_dir)] if args[0] != "eval" else []))
        out, err = capsys.readouterr()
        return status, out, err
    return run


def assert_png(path: Path, min_bytes: int = 2000) -> None:
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert len(data) >= min_bytes, f"{path} is only {len(data)} bytes"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 300 and height >= 200, (width, height)


def read_csv(path: Path) -> list:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def read_json(path: Path):
    return json.loads(Path(path).read_text())
