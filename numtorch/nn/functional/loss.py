"""Loss functions (torch.nn.functional names) with reduction 'none' | 'mean' | 'sum'.

This module is the public face of the losses; the code lives in focused files beside it:

    _loss_common.py           reduction helpers, error wording, SuspiciousLossInputWarning (warn-once machinery)
    _loss_classification.py   cross_entropy (fused log-softmax + NLL, ``CrossEntropy``) and nll_loss (``NLL``)
    _loss_pointwise.py        one elementwise op, ``PointwiseLoss``: mse, l1, smooth_l1, huber, BCE, BCE-with-logits, KL
    _loss_composite.py        losses built from Tensor ops: cosine/ranking/triplet, Poisson/Gaussian NLL, margin losses

Every name this module had (public and the private helpers other code imports) is re-exported here.

Mistake detection (numtorch extra): ``cross_entropy`` warns once when its
input already looks like probabilities (a softmax applied twice), and
``nll_loss`` warns once when its input has positive values (it expects
log-probabilities). Both raise ``SuspiciousLossInputWarning`` (a UserWarning);
silence them with ``warnings.filterwarnings("ignore", category=...)`` or
``numtorch.nn.functional.set_loss_input_checks(False)``.
"""
from __future__ import annotations

from ._loss_common import (  # noqa: F401
    SuspiciousLossInputWarning, _as_operand, _check_reduction, _checks, _dname, _legacy_reduction, _reduce,
    _torch_size, _warn_once, set_loss_input_checks)
from ._loss_classification import (  # noqa: F401
    NLL, CrossEntropy, _CE_PROB_MESSAGE, _NLL_POS_MESSAGE, _ClassesLast, _check_bounds, _check_class_target,
    _check_probabilities, _check_weight, _flatten_classes, _gather, _rowsum, _rowwise, _sub_at, _unflatten_classes,
    _wb, cross_entropy, nll_loss)
from ._loss_pointwise import (  # noqa: F401
    PointwiseLoss, _POINTWISE_NODE_NAMES, _np_to_dtype, _pointwise, _pointwise_grads, _regression,
    binary_cross_entropy, binary_cross_entropy_with_logits, huber_loss, kl_div, l1_loss, mse_loss, smooth_l1_loss)
from ._loss_composite import (  # noqa: F401
    _const, _pairwise_distance, _reduce_tensor, cosine_embedding_loss, gaussian_nll_loss, hinge_embedding_loss,
    margin_ranking_loss, multi_margin_loss, multilabel_soft_margin_loss, poisson_nll_loss, soft_margin_loss,
    triplet_margin_loss)

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss",
           "margin_ranking_loss", "triplet_margin_loss", "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
           "hinge_embedding_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
           "SuspiciousLossInputWarning", "set_loss_input_checks"]
