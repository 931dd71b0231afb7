"""numtorch.autograd.detect_anomaly names the op whose forward or backward produced NaN/Inf."""
import warnings

import pytest
import torch

import numtorch


def _torch_message():
    x = torch.tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.autograd.detect_anomaly():
            with pytest.raises(RuntimeError) as e:
                (torch.sqrt(x) * 0).sum().backward()
    return str(e.value)


def test_backward_nan_names_the_op_like_pytorch():
    x = numtorch.tensor([0.0, 4.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with numtorch.autograd.detect_anomaly():
            assert numtorch.autograd.is_anomaly_enabled()
            with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward0' returned nan values in its 0th output"
                               ) as e:
                (numtorch.sqrt(x) * 0).sum().backward()
    assert _torch_message().startswith("Function 'SqrtBackward0' returned nan values in its 0th output")
    assert "(2,)" in str(e.value)  # the shape involved
    assert not numtorch.autograd.is_anomaly_enabled()


def test_backward_inf_and_forward_from_finite_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with numtorch.autograd.detect_anomaly():
            x = numtorch.tensor([0.0, 1.0], requires_grad=True)
            with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward0' returned inf values"):
                numtorch.sqrt(x).sum().backward()
            w = numtorch.ones(3, 2, requires_grad=True)
            with pytest.raises(RuntimeError, match=r"'Log\w*'.*forward output of shape \(2, 2\) "
                                                   r"from finite inputs of shapes \(2, 2\)"):
                numtorch.log(numtorch.zeros(2, 3) @ w)
            # NaN already in the input is not blamed on the op that passes it on
            z = numtorch.tensor([float("nan")], requires_grad=True)
            (z * 2).sum().backward()
            assert z.grad.tolist() == [2.0]


def test_off_by_default_and_decorator_forms():
    x = numtorch.tensor([0.0], requires_grad=True)
    numtorch.sqrt(x).sum().backward()  # no anomaly mode: inf gradient, no error
    assert x.grad.tolist() == [float("inf")]

    @numtorch.autograd.detect_anomaly()
    def step(t):
        numtorch.sqrt(t).sum().backward()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="SqrtBackward0"):
            step(numtorch.tensor([0.0], requires_grad=True))
        numtorch.autograd.set_detect_anomaly(True)
        try:
            assert numtorch.autograd.is_anomaly_enabled()
        finally:
            numtorch.autograd.set_detect_anomaly(False)
    assert not numtorch.autograd.is_anomaly_enabled()
