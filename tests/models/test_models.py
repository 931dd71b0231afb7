"""numtorch.models: shapes, parameter counts (as documented), gradients and the registry."""
import numpy as np
import pytest

import numtorch
from numtorch import nn
from numtorch.models import (MLP, MODELS, SoftmaxRegression, build_model, canonical_name, count_parameters,
                             model_options)

# (model, in_shape) -> parameter count stated in the docstrings
COUNTS = {
    ("softmax", (1, 28, 28)): 7850, ("mlp", (1, 28, 28)): 101770, ("resmlp", (1, 28, 28)): 469258,
    ("lenet5", (1, 28, 28)): 61706, ("lenet5", (3, 32, 32)): 62006, ("cnn", (1, 28, 28)): 206922,
    ("vgg", (1, 28, 28)): 218586, ("vgg", (3, 32, 32)): 280314, ("resnet", (1, 28, 28)): 77754,
    ("resnet", (3, 32, 32)): 78042,
}


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_forward_backward_shapes_and_counts(name, shape):
    model = build_model(name, shape, num_classes=10)
    assert isinstance(model, nn.Module)
    x = numtorch.randn(3, *shape)
    out = model(x)
    assert tuple(out.shape) == (3, 10)
    out.sum().backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and tuple(p.grad.shape) == tuple(p.shape), pname
    if (name, shape) in COUNTS:
        assert count_parameters(model) == COUNTS[(name, shape)]
        assert f"{COUNTS[(name, shape)]:,}" in type(model).__doc__


def test_mlp_options():
    m = MLP(hidden=[256, 128], activation="tanh", batch_norm=True, dropout=0.5)
    kinds = [type(l).__name__ for l in m.net]
    assert kinds == ["Flatten", "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear", "BatchNorm1d", "Tanh",
                     "Dropout", "Linear"]
    assert count_parameters(MLP(hidden=[256, 128])) == 235146
    assert count_parameters(MLP(hidden=[64], depth=3)) == 784 * 64 + 64 + 2 * (64 * 64 + 64) + 650
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        MLP(activation="swish")


def test_softmax_regression_output_softmax_rows_sum_to_one():
    m = SoftmaxRegression(output_softmax=True)
    p = m(numtorch.randn(4, 1, 28, 28)).detach().numpy()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert (p >= 0).all()


def test_registry():
    assert canonical_name("LeNet") == "lenet5" and canonical_name("softmax_regression") == "softmax"
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        canonical_name("nope")
    assert "hidden" in model_options("mlp") and "width" in model_options("cnn")
    # options a model does not take are left out; None means the model's default
    m = build_model("lenet5", (1, 28, 28), 10, hidden=[64], width=None, activation="tanh")
    assert isinstance(m.features[1], nn.Tanh)


def test_eval_mode_is_deterministic_with_dropout_and_batchnorm():
    m = build_model("resmlp", (1, 28, 28), 10, dropout=0.5)
    x = numtorch.randn(8, 1, 28, 28)
    m(x)  # a training step updates the BatchNorm running statistics
    m.eval()
    a, b = m(x).detach().numpy(), m(x).detach().numpy()
    np.testing.assert_array_equal(a, b)
