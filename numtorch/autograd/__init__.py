"""numtorch.autograd: Function, backward, grad, gradient modes, gradcheck, anomaly detection and ``functional``
(jacobian, hessian, vjp, jvp, hvp, vhp)."""
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, \
    set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # binds the functions over the submodule name
from . import functional

__all__ = ["Function", "backward", "grad", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled", "gradcheck", "gradgradcheck", "GradcheckError", "functional"]
