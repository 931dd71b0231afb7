"""Attention as functions: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``
(what ``nn.MultiheadAttention`` and the Transformer layers call)."""
from __future__ import annotations

import math

from ..._backend import xp
from ...tensor import Tensor
from .activation import softmax

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _additive_mask(mask, dtype, keep_true: bool):
    """A bool or float mask as an additive float array: -inf where masked (bool), the values themselves (float)."""
    m = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    if m.dtype == xp.bool_:
        blocked = ~m if keep_true else m
        return xp.where(blocked, -xp.inf, 0.0).astype(dtype)
    return m.astype(dtype, copy=False)


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V.  query (*, L, E), key (*, S, E), value (*, S, Ev) -> (*, L, Ev).

    A bool ``attn_mask`` marks the positions that may be attended to (True = keep); a float one is added.
    ``is_causal`` masks out the future (j > i). ``dropout_p`` always applies, as in PyTorch.
    """
    from ...tensor import _make
    from .dropout import dropout
    lq, s = query._data.shape[-2], key._data.shape[-2]
    scale_factor = 1.0 / math.sqrt(query._data.shape[-1]) if scale is None else scale
    bias = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True")
        bias = xp.where(xp.tril(xp.ones((lq, s), dtype=bool)), 0.0, -xp.inf).astype(query._data.dtype)
    if attn_mask is not None:
        bias = _additive_mask(attn_mask, query._data.dtype, keep_true=True)
    if enable_gqa and key._data.ndim >= 3 and key._data.shape[-3] != query._data.shape[-3]:
        rep = query._data.shape[-3] // key._data.shape[-3]
        idx = _make(xp.repeat(xp.arange(key._data.shape[-3]), rep))
        key, value = key.index_select(-3, idx), value.index_select(-3, idx)
    scores = (query @ key.transpose(-2, -1)) * scale_factor
    if bias is not None:
        scores = scores + _make(bias)
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value


def multi_head_attention_forward(query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int,
                                 num_heads: int, in_proj_weight: Tensor | None, in_proj_bias: Tensor | None,
                                 bias_k: Tensor | None, bias_v: Tensor | None, add_zero_attn: bool,
                                 dropout_p: float, out_proj_weight: Tensor, out_proj_bias: Tensor | None,
                                 training: bool = True, key_padding_mask: Tensor | None = None,
                                 need_weights: bool = True, attn_mask: Tensor | None = None,
                                 use_separate_proj_weight: bool = False, q_proj_weight: Tensor | None = None,
                                 k_proj_weight: Tensor | None = None, v_proj_weight: Tensor | None = None,
                                 static_k: Tensor | None = None, static_v: Tensor | None = None,
                                 average_attn_weights: bool = True, is_causal: bool = False):
    """Multi-head attention on sequence-first inputs.  query (L, N, E) [or (L, E)], key/value (S, N, Ek/Ev).

    Returns (output (L, N, E), weights (N, L, S) averaged over heads, (N, H, L, S) otherwise, or None).
    Masks: bool True = masked out (the opposite of scaled_dot_product_attention); float masks are added.
    """
    from ...tensor import _make
    from ... import cat, zeros
    from .dropout import dropout
    from .linear import linear
    if static_k is not None or static_v is not None:
        raise NotImplementedError("numtorch's multi_head_attention_forward does not support static_k/static_v")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    unbatched = query.dim() == 2
    if unbatched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query._data.shape
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    dt = q._data.dtype
    mask = _additive_mask(attn_mask, dt, keep_true=False) if attn_mask is not None else None
    if mask is not None and mask.ndim == 2:
        mask = mask[None]  # (1, L, S)
    kpm = _additive_mask(key_padding_mask, dt, keep_true=False) if key_padding_mask is not None else None
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        mask = xp.pad(mask, [(0, 0), (0, 0), (0, 1)]) if mask is not None else None
        kpm = xp.pad(kpm, [(0, 0), (0, 1)]) if kpm is not None else None
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)  # (N*H, L, hd)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)  # (N*H, S, hd)
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if add_zero_attn:
        k = cat([k, zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)], dim=1)
        v = cat([v, zeros(bsz * num_heads, 1, head_dim, dtype=v.dtype)], dim=1)
        mask = xp.pad(mask, [(0, 0), (0, 0), (0, 1)]) if mask is not None else None
        kpm = xp.pad(kpm, [(0, 0), (0, 1)]) if kpm is not None else None
    src_len = k._data.shape[1]
    if kpm is not None:  # (N, S) -> (N*H, 1, S), merged into the attention mask
        kpm = xp.broadcast_to(kpm[:, None, None, :], (bsz, num_heads, 1, src_len)).reshape(-1, 1, src_len)
        mask = kpm if mask is None else mask + kpm
    scores = (q * (1.0 / math.sqrt(head_dim))) @ k.transpose(1, 2)  # (N*H, L, S)
    if mask is not None:
        scores = scores + _make(mask)
    weights = softmax(scores, -1)
    if dropout_p > 0.0 and training:
        weights = dropout(weights, dropout_p)
    out = (weights @ v).transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if unbatched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(1)
    if unbatched:
        weights = weights.squeeze(0)
    return out, weights
