"""``numtorch.distributions``: PyTorch's ``torch.distributions`` for the common cases (VAEs, RL, coursework).

Normal, Bernoulli, Categorical, OneHotCategorical, Uniform, Exponential, MultivariateNormal, Gamma,
Poisson, Beta, Dirichlet, Independent, and ``kl_divergence``/``register_kl``. Everything is built
from numtorch Tensor ops, so ``log_prob``, ``entropy``, ``kl_divergence`` and ``rsample`` are
differentiable in the parameters, and sampling draws from numtorch's default generator
(``numtorch.manual_seed`` reproduces it).
"""
from . import constraints, kl, utils  # noqa: F401  (torch.distributions.kl / .utils as submodules)
from .bernoulli import Bernoulli
from .beta import Beta, Dirichlet
from .categorical import Categorical
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .gamma import Gamma, Poisson
from .independent import Independent
from .kl import kl_divergence, register_kl
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Categorical", "Dirichlet", "Distribution", "Exponential", "ExponentialFamily",
           "Gamma", "Independent", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "Uniform",
           "constraints", "kl_divergence", "register_kl"]

from .._missing import module_getattr  # noqa: E402

__getattr__ = module_getattr(__name__)
