"""torch.cuda / torch.backends stubs and the disabled AMP pass-through that CPU-only PyTorch gives."""
import warnings

import pytest

import numtorch
from numtorch import compat


def test_cuda_and_backends_report_unavailable():
    assert numtorch.cuda.is_available() is False and numtorch.cuda.device_count() == 0
    numtorch.cuda.manual_seed_all(0)
    numtorch.cuda.empty_cache()
    numtorch.cuda.synchronize()
    assert numtorch.backends.mps.is_available() is False and numtorch.backends.cudnn.is_available() is False
    numtorch.backends.cudnn.benchmark = True
    numtorch.backends.cudnn.deterministic = True
    assert numtorch.backends.cudnn.benchmark is True
    numtorch.backends.cudnn.benchmark = False
    with pytest.raises(AssertionError, match="not compiled with CUDA"):
        numtorch.cuda.current_device()
    with pytest.raises(NotImplementedError, match="torch.cuda.nccl_magic"):
        numtorch.cuda.nccl_magic


def test_amp_scaler_and_autocast_pass_through():
    with compat.torch_aliases():
        import torch
        from torch.cuda.amp import GradScaler, autocast
        model = torch.nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            scaler = GradScaler(enabled=True)
            ctx = autocast()
        assert any("CUDA is not available" in str(x.message) for x in w)
        assert not scaler.is_enabled() and scaler.get_scale() == 1.0 and scaler.state_dict() == {}
        w0 = model.weight.detach().clone()
        with ctx:
            loss = model(torch.ones(2, 3)).sum()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        expected = w0 - 0.1 * 2 * torch.ones(1, 3)
        assert torch.allclose(model.weight.detach(), expected)
