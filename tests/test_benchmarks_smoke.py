"""Smoke run of the benchmark suite (benchmarks/) at --quick sizes: it runs end to end; no timing assertions."""
import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/ is not an installed package
from benchmarks import data, run, workloads  # noqa: E402


def test_flop_counts_are_analytic():
    # MLP 784-128-10: forward 2*(784*128 + 128*10); weight grads the same; input grad of the second layer only
    assert workloads.train_flops_per_sample(workloads.MLP_MACS) == 2 * (101632 + 101632 + 1280)
    # classic CNN forward: conv2 dominates (24*24*64*32*9 MACs)
    assert workloads.infer_flops_per_sample(workloads.CLASSIC_CNN_MACS) == 2 * (
        26 * 26 * 32 * 9 + 24 * 24 * 64 * 32 * 9 + 9216 * 128 + 128 * 10)


def test_torch_pipeline_matches_the_shared_arrays(data_dir):
    """Workload 5's PyTorch Dataset produces exactly the normalised images the other workloads use."""
    images, labels, _ = data.raw_mnist(train=True, n=3)
    ds = workloads._torch_mnist_dataset(torch, np.ascontiguousarray(images), labels)
    img, label = ds[1]
    assert img.shape == (1, 28, 28) and img.dtype == torch.float32 and label == 0
    expected = (images[1].astype(np.float32) / 255 - data.MEAN) / data.STD
    np.testing.assert_allclose(img[0].numpy(), expected, rtol=1e-6, atol=1e-6)


def _run(tmp_path, capsys, *args):
    out_json, out_png = tmp_path / "r.json", tmp_path / "r.png"
    rc = run.main(["--quick", "--threads", "1", "--json", str(out_json), "--png", str(out_png), *args])
    printed = capsys.readouterr().out
    assert rc == 0, printed
    return json.loads(out_json.read_text()), out_png.read_bytes(), printed


def test_quick_run_numtorch_every_workload(tmp_path, capsys, data_dir):
    res, png, printed = _run(tmp_path, capsys, "--frameworks", "numtorch")
    names = [e["name"] for e in res["workloads"]]
    assert names == [w.name for w in workloads.workloads()]
    for e in res["workloads"]:
        nt = e["results"]["numtorch"]
        assert nt["median_s"] > 0 and nt["items"] > 0 and nt["peak_rss_mb"] >= nt["import_rss_mb"] > 0
        assert nt["threads"] == 1
        assert (nt["gflops"] is None) == (e["flops_per_item"] == 0)
    assert res["meta"]["threads"] == 1 and res["meta"]["quick"] is True
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| workload |" in printed and "1 thread(s)" in printed


def test_quick_run_side_by_side_with_pytorch(tmp_path, capsys, data_dir):
    res, png, printed = _run(tmp_path, capsys, "--only", "mlp_b64", "--clock", "cpu", "--repeats", "2")
    for e in res["workloads"]:
        assert set(e["results"]) == {"numtorch", "torch"}
        nt, pt = e["results"]["numtorch"], e["results"]["torch"]
        assert nt["items"] == pt["items"]  # same work on both sides
        assert nt["threads"] == pt["threads"] == 1
        assert nt["times_s"] == nt["cpu_s"] and len(nt["wall_s"]) == 2  # --clock cpu times CPU seconds
        assert e["ratio_time"] == nt["median_s"] / pt["median_s"]
        assert e["ratio_peak_rss"] > 0
    assert res["meta"]["clock"] == "cpu"
    assert "ratio nt/pt" in printed and "CPU s" in printed and png[:4] == b"\x89PNG"
