"""``numtorch eval``, ``sweep``, ``reproduce``, ``models``, the run/check wiring and the error exits."""
import subprocess
import sys
import types

import numpy as np
import pytest

import numtorch


from helpers_app import TINY, assert_png, cli, read_csv, read_json  # noqa: F401  (cli is a fixture)


@pytest.fixture
def trained(cli, tmp_path):
    run = tmp_path / "run"
    assert cli("train", *TINY, "--out", run)[0] == 0
    return run


def test_eval_run_folder_and_checkpoint(cli, trained, data_dir, tmp_path):
    status, out, err = cli("eval", trained, "--data", data_dir, "--limit-test", "200", "--threads", "1")
    assert status == 0, err
    assert "accuracy" in out and "per-class accuracy" in out and "confusion matrix" in out
    res = read_json(trained / "eval-mnist" / "eval.json")
    assert res["count"] == 200 and res["dataset"] == "mnist" and len(res["per_class"]) == 10
    assert np.array(res["confusion"]).sum() == 200
    assert_png(trained / "eval-mnist" / "confusion_matrix.png")
    # the first 128 test images are the ones training evaluated: same accuracy
    cli("eval", trained, "--data", data_dir, "--limit-test", "128", "--out", tmp_path / "e128")
    assert read_json(tmp_path / "e128" / "eval.json")["accuracy"] == read_json(trained / "metrics.json")["test"][
        "accuracy"]
    # a checkpoint file, on another dataset of the same shape
    status, out, err = cli("eval", trained / "checkpoints" / "last.pt", "--dataset", "fashion-mnist", "--data",
                           data_dir, "--limit-test", "100", "--out", tmp_path / "ev")
    assert status == 0, err
    assert read_json(tmp_path / "ev" / "eval.json")["classes"][0] == "T-shirt/top"
    assert len(read_csv(tmp_path / "ev" / "per_class.csv")) == 10


def test_sweep_grid(cli, tmp_path):
    out = tmp_path / "sweep"
    status, text, err = cli("sweep", "--set", "lr=0.01,0.1", "--set", "hidden=16-8", *TINY, "--out", out)
    assert status == 0, err
    rows = read_csv(out / "results.csv")
    assert [(r["lr"], r["hidden"]) for r in rows] == [("0.01", "16-8"), ("0.1", "16-8")]
    assert all(0 <= float(r["test_acc"]) <= 1 for r in rows)
    md = (out / "results.md").read_text()
    assert "| lr | hidden |" in md and md.count("\n| 0.") == 2
    assert_png(out / "comparison.png")
    assert "comparison.png" in (out / "report.md").read_text()
    for r in rows:
        assert (out / r["run"] / "checkpoints" / "best.pt").is_file()
        cfg = read_json(out / r["run"] / "config.json")["config"]
        assert cfg["lr"] == float(r["lr"]) and cfg["hidden"] == [16, 8]


def test_parse_grid():
    from numtorch.app.config import ConfigError
    from numtorch.app.sweep import parse_grid
    grid = parse_grid(["lr=0.01,0.1", "hidden=64,256-128", "batch-size=32", "batch_norm=true,false"])
    assert grid == {"lr": [0.01, 0.1], "hidden": [[64], [256, 128]], "batch_size": [32], "batch_norm": [True, False]}
    with pytest.raises(ConfigError, match="invalid value 'x' for epochs"):
        parse_grid(["epochs=x"])


def test_reproduce_quick_subset(cli, tmp_path):
    out = tmp_path / "rep"
    status, text, err = cli("reproduce", "--quick", "--only", "2,3", "--limit-train", "256", "--threads", "1",
                            "--no-progress", "--out", out)
    assert status == 0, err
    assert "max gradient error" in text and "central differences" in text
    metrics = read_json(out / "2-sigmoid-mlp-manual" / "metrics.json")
    assert metrics["central_difference_max_rel_error"] < 1e-5
    grad = metrics["gradient_check"]
    for stage in grad.values():
        for k, v in stage.items():
            assert v["max_abs"] < 1e-5 and v["max_rel"] < 1e-3, (k, v)
    rows = read_csv(out / "results.csv")
    assert [r["experiment"] for r in rows] == ["2", "3", "3"]
    report = (out / "report.md").read_text()
    assert "double softmax" in report.lower() and "percentage points" in report and "log(1 + 9/e)" in report
    assert_png(out / "3-double-softmax.png")


def test_gradient_check_catches_a_wrong_backward(monkeypatch):
    from numtorch.app.reproduce import SigmoidMLP, gradient_check, numerical_check
    numtorch.manual_seed(0)
    model = SigmoidMLP((12, 6, 3))
    x, y = numtorch.randn(5, 12), numtorch.tensor([0, 1, 2, 1, 0])
    assert max(v["max_abs"] for v in gradient_check(model, x, y).values()) < 1e-6
    assert numerical_check(model, x, y, entries=6) < 1e-6
    right = SigmoidMLP.backward

    def wrong(self, logits, y):  # forgets the sigmoid's derivative h * (1 - h) on the way to W1
        grads = right(self, logits, y)
        dz2 = (logits.softmax(dim=1) - numtorch.nn.functional.one_hot(y, 3).float()) / len(y)
        grads["W1"] = self.x.T @ (dz2 @ self.params["W2"].T)
        return grads
    monkeypatch.setattr(SigmoidMLP, "backward", wrong)
    errors = gradient_check(model, x, y)
    assert errors["W1"]["max_rel"] > 0.1 and errors["W2"]["max_abs"] < 1e-6
    assert numerical_check(model, x, y, entries=6) > 0.01


@pytest.mark.slow
def test_reproduce_all_six_tiny(cli, tmp_path):
    out = tmp_path / "rep"
    status, text, err = cli("reproduce", "--quick", "--limit-train", "128", "--threads", "1", "--no-progress",
                            "--out", out, "--html")
    assert status == 0, err
    rows = read_csv(out / "results.csv")
    assert sorted({int(r["experiment"]) for r in rows}) == [1, 2, 3, 4, 5, 6]
    for png in ("3-double-softmax.png", "4-per-class.png", "4-curves.png", "6-study.png"):
        assert_png(out / png)
    assert (out / "report.html").is_file()


def test_models_command(cli):
    status, out, _ = cli("models")
    assert status == 0 and "lenet5" in out and "61,706" in out


def test_run_and_check_are_wired(cli, monkeypatch):
    seen = {}
    monkeypatch.setitem(sys.modules, "numtorch.compat",
                        types.SimpleNamespace(main=lambda argv: seen.setdefault("run", argv) and 3))
    monkeypatch.setitem(sys.modules, "numtorch.testing",
                        types.SimpleNamespace(check_main=lambda argv: seen.setdefault("check", argv) and 0))
    assert cli("run", "script.py", "--lr", "0.1")[0] == 3
    assert cli("check", "mod:Layer", "--input", "4,3,8,8")[0] == 0
    assert seen == {"run": ["script.py", "--lr", "0.1"], "check": ["mod:Layer", "--input", "4,3,8,8"]}


@pytest.mark.parametrize("args, message", [
    (["train", "--model", "nope"], "unknown model 'nope'"),
    (["train", "--dataset", "svhn"], "unknown dataset 'svhn'"),
    (["train", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["train", "--batch-size", "0"], "expected a positive integer, got 0"),
    (["train", "--optimizer", "lion"], "unknown optimizer 'lion'"),
    (["train", "--resume", "/nonexistent/run"], "no resumable run in /nonexistent/run"),
    (["eval", "/nonexistent/run"], "no run folder or checkpoint at /nonexistent/run"),
    (["sweep", "--set", "colour=red"], "unknown setting 'colour'"),
    (["sweep", "--set", "lr"], "--set expects KEY=V1,V2"),
    (["reproduce", "--only", "9"], "experiment numbers 1 to 6"),
    (["bogus"], "invalid choice: 'bogus'"),
])
def test_bad_arguments_exit_2_with_one_line(cli, args, message):
    status, out, err = cli(*args)
    assert status == 2
    assert message in err and err.count("\n") == 1 and err.startswith("numtorch"), err


def test_missing_data_gives_the_datasets_error(cli, tmp_path):
    status, out, err = cli("train", *TINY, "--data", tmp_path / "empty", "--out", tmp_path / "r")
    assert status == 1 and err.count("\n") == 1 and "MNIST" in err and str(tmp_path / "empty") in err
    assert not (tmp_path / "r").exists()


def test_eval_refuses_a_file_that_is_not_a_checkpoint(cli, tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    status, _, err = cli("eval", bad)
    assert status == 2 and err.startswith("numtorch eval: error: cannot read checkpoint") and err.count("\n") == 1


def test_resume_rejects_new_settings(cli, trained):
    status, _, err = cli("train", "--resume", trained, "--lr", "0.5")
    assert status == 2 and "--lr" in err


def test_python_dash_m_help():
    proc = subprocess.run([sys.executable, "-m", "numtorch", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for cmd in ("train", "eval", "sweep", "reproduce", "run", "check"):
        assert cmd in proc.stdout
