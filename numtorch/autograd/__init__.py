"""numtorch.autograd: Function, backward, grad, gradient modes, gradcheck and anomaly detection."""
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "gradcheck"]


def __getattr__(name):
    if name in ("gradcheck", "gradgradcheck"):
        from . import gradcheck as _gc
        return getattr(_gc, name)
    raise AttributeError(f"module 'numtorch.autograd' has no attribute '{name}'")
