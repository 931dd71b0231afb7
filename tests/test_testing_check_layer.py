"""numtorch.testing.check_layer on right and typical wrong hand-written layers, and `numtorch check`."""
import sys
from pathlib import Path

import numpy as np
import pytest

import numtorch
from numtorch.testing import FunctionLayer, check_layer, check_main

sys.path.insert(0, str(Path(__file__).parent / "compat_scripts"))
import homework_layers as H  # noqa: E402

LAYERS = Path(__file__).parent / "compat_scripts" / "homework_layers.py"


def _x(*shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("layer,shape", [
    (H.Affine(), (6, 5)), (H.ReLU(), (4, 5)), (H.BatchNorm(5), (6, 5)), (H.MaxPool2x2(), (2, 2, 4, 4)),
    (H.Conv3x3(), (2, 2, 4, 4)), (H.Dropout(0.3), (4, 6))], ids=lambda v: type(v).__name__ if not
    isinstance(v, tuple) else "")
def test_correct_layers_pass(layer, shape):
    report = check_layer(layer, _x(*shape))
    assert report.passed, str(report)
    assert report["dx"].max_rel < 1e-5


def test_params_mapping_and_dict_style_params():
    r = check_layer(H.Affine(), _x(6, 5), params={"W": "dW", "b": "db"})
    assert [c.name for c in r.checks] == ["dx", "dW", "db"] and r.passed
    r = check_layer(H.BatchNorm(5), _x(6, 5))  # params/grads dicts found automatically
    assert {c.name for c in r.checks} == {"dx", "dgamma", "dbeta"}
    with pytest.raises(AttributeError, match="no parameter 'V'"):
        check_layer(H.Affine(), _x(6, 5), params={"V": "dV"})


def test_parameters_are_restored_with_their_dtype():
    layer = H.Affine()
    layer.W = layer.W.astype(np.float32)
    w0 = layer.W.copy()
    check_layer(layer, _x(6, 5))
    assert layer.W.dtype == np.float32 and np.array_equal(layer.W, w0)


def test_transposed_weight_gradient_is_caught_and_named():
    r = check_layer(H.AffineTransposedGrad(), _x(6, 5))
    assert not r.passed and r.failed == ["dW"]
    assert "transposed" in r["dW"].hint
    r = check_layer(H.AffineSquareTransposed(), _x(6, 4))  # same shape: caught by value
    assert r.failed == ["dW"] and "transposed" in r["dW"].hint
    assert "FAILED: dW" in str(r) and "dW.T matches" in str(r)


def test_batchnorm_ignoring_mean_and_variance_paths_is_caught():
    r = check_layer(H.BatchNormNoStatsGrad(5), _x(8, 5))
    assert r.failed == ["dx"]
    assert "mean and the variance" in r["dx"].hint
    assert r["dgamma"].passed and r["dbeta"].passed


def test_pooling_routing_to_wrong_element_is_caught():
    r = check_layer(H.MaxPoolWrongRouting(), _x(2, 2, 4, 4))
    assert r.failed == ["dx"]
    assert "routed to the wrong elements" in r["dx"].hint
    assert len(r["dx"].worst) == 3 and "FAIL dx" in str(r)


def test_reference_autograd_and_functions():
    r = check_layer(H.Affine(), _x(6, 5), reference=lambda x, W, b: x @ W + b)
    assert [c.against for c in r.checks[:4]] == ["reference", "autograd", "autograd", "autograd"] and r.passed
    bad = check_layer(H.AffineSquareTransposed(), _x(6, 4), reference=lambda x, W, b: x @ W + b)
    assert {(c.name, c.against) for c in bad.checks if not c.passed} == {("dW", "autograd"), ("dW", "numerical")}
    r = check_layer(FunctionLayer(H.affine_forward, H.affine_backward), _x(3, 2, 2), _x(4, 5), _x(5), names="xwb")
    assert [c.name for c in r.checks] == ["dx", "dw", "db"] and r.passed


def test_sampling_large_inputs_and_report_text():
    r = check_layer(H.ReLU(), _x(50, 50), max_entries=100)
    assert r.passed and "sampled 100 of 2500" in r["dx"].note
    with pytest.raises(AssertionError, match="FAILED: dx"):
        check_layer(H.MaxPoolWrongRouting(), _x(1, 1, 2, 2)).raise_if_failed()


def test_check_cli(capsys):
    assert check_main([f"{LAYERS}:Conv3x3", "--input", "2,2,4,4", "--kwargs", '{"F": 2}']) == 0
    assert "PASSED" in capsys.readouterr().out
    assert check_main([f"{LAYERS}:BatchNormNoStatsGrad", "-i", "6,3", "--kwargs", '{"D": 3}']) == 1
    out = capsys.readouterr().out
    assert "FAILED: dx" in out and "mean and the variance" in out
    assert check_main([f"{LAYERS}:Affine", "-i", "4,5", "--params", "W:dW,b:db"]) == 0
    assert check_main([f"{LAYERS}:Nope", "-i", "4,5"]) == 2
    assert "has no attribute 'Nope'" in capsys.readouterr().err
    from numtorch.cli import main
    assert main(["check", f"{LAYERS}:MaxPool2x2", "-i", "1,2,4,4"]) == 0


def test_check_cli_module_syntax(monkeypatch, capsys):
    monkeypatch.chdir(LAYERS.parent)
    assert check_main(["homework_layers:AffineTransposedGrad", "-i", "3,5"]) == 1
    assert "dW has the transposed shape" in capsys.readouterr().out


def test_loss_layer_without_dout_and_float32_warning():
    y = np.array([0, 2, 1, 2])
    r = check_layer(H.SoftmaxLoss(), _x(4, 3), y)  # integer labels get no gradient check
    assert r.passed and [c.name for c in r.checks] == ["dx"]
    r = check_layer(H.Float32Affine(), _x(6, 5))
    assert any("float32" in w for w in r.warnings) and "warning: forward returned float32" in str(r)
