"""``numtorch train``: the run folder, its files, exact resume and Ctrl-C."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import numtorch
from numtorch.app.reports import Report

from helpers_app import TINY, assert_png, cli, read_csv, read_json  # noqa: F401  (cli is a fixture)


def test_train_writes_the_run_folder(cli, tmp_path):
    run = tmp_path / "run"
    status, out, err = cli("train", *TINY, "--epochs", "2", "--out", run, "--html")
    assert status == 0, err
    assert "test accuracy" in out and "epoch 2/2" in out
    cfg = read_json(run / "config.json")
    assert cfg["config"]["model"] == "mlp" and cfg["config"]["hidden"] == [16]
    assert cfg["resolved"]["parameters"] == 784 * 16 + 16 + 170 and cfg["resolved"]["train_size"] == 256
    rows = read_csv(run / "metrics.csv")
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert all(0 <= float(r["val_acc"]) <= 1 and float(r["train_loss"]) > 0 for r in rows)
    metrics = read_json(run / "metrics.json")
    assert len(metrics["epochs"]) == 2 and metrics["test"]["count"] == 128
    assert 0.3 < metrics["test"]["accuracy"] <= 1  # 2 epochs on 256 images beat chance clearly
    conf = np.array(metrics["test"]["confusion"])
    assert conf.shape == (10, 10) and conf.sum() == 128
    per_class = read_csv(run / "per_class.csv")
    assert len(per_class) == 10 and sum(int(r["count"]) for r in per_class) == 128
    assert len(read_csv(run / "confusion.csv")) == 10
    for png in ("loss.png", "accuracy.png", "confusion_matrix.png", "per_class_accuracy.png"):
        assert_png(run / png)
    report = (run / "report.md").read_text()
    for png in ("loss.png", "accuracy.png", "confusion_matrix.png"):
        assert f"]({png})" in report
    assert "Test accuracy" in report and "| epoch |" in report
    assert "<img src='loss.png'" in (run / "report.html").read_text()
    last = numtorch.load(str(run / "checkpoints" / "last.pt"))
    assert last["epoch"] == 2 and last["batch"] == 0 and set(last["model"]) == {
        "net.1.weight", "net.1.bias", "net.3.weight", "net.3.bias"}
    best = numtorch.load(str(run / "checkpoints" / "best.pt"))
    assert best["epoch"] in (1, 2) and best["config"]["model"] == "mlp"


def test_train_default_cnn_small(cli, tmp_path):
    """The default model (the CNN) on a small subset: same pipeline, conv layers."""
    run = tmp_path / "cnn"
    status, out, err = cli("train", "--limit-train", "128", "--val-size", "32", "--limit-test", "64",
                           "--epochs", "1", "--width", "4", "--hidden", "16", "--threads", "1", "--no-progress",
                           "--out", run)
    assert status == 0, err
    cfg = read_json(run / "config.json")["config"]
    assert cfg["model"] == "cnn" and cfg["dataset"] == "mnist" and cfg["optimizer"] == "adam"
    assert read_json(run / "metrics.json")["test"]["count"] == 64


def _weights(run: Path) -> dict:
    state = numtorch.load(str(run / "checkpoints" / "last.pt"))["model"]
    return {k: v.numpy().copy() for k, v in state.items()}


RESUME_ARGS = ["--model", "mlp", "--hidden", "24", "--batch-norm", "--dropout", "0.3", "--optimizer", "sgd",
               "--momentum", "0.9", "--scheduler", "step", "--limit-train", "192", "--val-size", "64",
               "--limit-test", "64", "--batch-size", "32", "--epochs", "3", "--threads", "1", "--no-progress"]


def test_resume_mid_epoch_gives_the_uninterrupted_weights(cli, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli("train", *RESUME_ARGS, "--out", a)[0] == 0
    # interrupted twice (6 batches per epoch): in epoch 2 at batch 2, then in epoch 3 at batch 3
    status, out, _ = cli("train", *RESUME_ARGS, "--out", b, "--stop-after-batches", "8")
    assert status == 130 and "numtorch train --resume" in out
    ck = numtorch.load(str(b / "checkpoints" / "last.pt"))
    assert (ck["epoch"], ck["batch"]) == (1, 2)
    assert cli("train", "--resume", b, "--stop-after-batches", "7", "--no-progress")[0] == 130
    status, out, _ = cli("train", "--resume", b, "--no-progress")
    assert status == 0 and "Resuming" in out and "test accuracy" in out
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)
    ra, rb = read_csv(a / "metrics.csv"), read_csv(b / "metrics.csv")
    for x, y in zip(ra, rb):
        assert {k: v for k, v in x.items() if k != "seconds"} == {k: v for k, v in y.items() if k != "seconds"}
    assert read_json(a / "metrics.json")["test"]["accuracy"] == read_json(b / "metrics.json")["test"]["accuracy"]


def test_sigint_saves_a_checkpoint_and_resume_matches(cli, data_dir, tmp_path):
    args = ["--model", "mlp", "--hidden", "16", "--dropout", "0.2", "--limit-train", "256", "--val-size", "32",
            "--limit-test", "32", "--batch-size", "16", "--threads", "1", "--no-progress", "--data", str(data_dir)]
    run = tmp_path / "sig"
    proc = subprocess.Popen([sys.executable, "-m", "numtorch", "train", *args, "--epochs", "500", "--out", str(run)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.time() + 60
        while time.time() < deadline:  # wait until training is under way (first epoch reported)
            line = proc.stdout.readline()
            if line.startswith("epoch 1/") or not line:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Checkpoint saved" in out
    ck = numtorch.load(str(run / "checkpoints" / "last.pt"))
    epochs = int(ck["epoch"]) + 1
    assert cli("train", "--resume", run, "--epochs", epochs, "--no-progress")[0] == 0
    ref = tmp_path / "ref"
    assert cli("train", *args, "--epochs", epochs, "--out", ref)[0] == 0
    wa, wb = _weights(ref), _weights(run)
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)


def test_report_markdown_and_html_blocks():
    rep = Report("T")
    rep.heading("H")
    rep.para("a **b** `c`")
    rep.table(["x", "y"], [[1, "a|b"]])
    rep.image("p.png", "cap")
    md = rep.markdown()
    assert md.startswith("# T") and "| x | y |" in md and "a\\|b" in md and "![cap](p.png)" in md
    html = rep.html()
    assert "<b>b</b>" in html and "<code>c</code>" in html and "<td>a|b</td>" in html
