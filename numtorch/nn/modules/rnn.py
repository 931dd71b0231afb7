"""Recurrent layers: RNN (tanh/relu), LSTM, GRU and their single-step cells.

Shapes (PyTorch's; L = sequence length, N = batch, D = 2 if bidirectional else 1):
  input  (L, N, H_in), or (N, L, H_in) with batch_first, or unbatched (L, H_in)
  h_0    (D * num_layers, N, H_out)  (unbatched: (D * num_layers, H_out)); zeros when omitted
  output (L, N, D * H_out)  (batch_first: (N, L, D * H_out))
  h_n    (D * num_layers, N, H_out); LSTM also returns c_n of the same shape.

Each layer-direction projects the whole sequence through weight_ih at once (one differentiable
linear), then one fused autograd node (_RNNLayer/_LSTMLayer/_GRULayer) loops over time with the
recurrent matmul and, in backward, runs BPTT in reverse. The cells are composed of ordinary ops. Gate layout
and parameter names/shapes/init follow PyTorch exactly (weight_ih_l{k}[_reverse] is
(gates * H, H_in) with gates ordered (i, f, g, o) for LSTM and (r, z, n) for GRU), so state_dicts
load both ways.
"""
from __future__ import annotations

import math
import numbers
import warnings

from ... import creation
from ..._backend import xp
from ...autograd.function import ArrayFunction
from ...ops.layout import unbind
from ...ops.shape import cat, stack
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# ------------------------------------------------------------------------------ one time step
def _rnn_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh, relu: bool) -> Tensor:
    """h' = act(gi + h W_hh^T + b_hh).  gi (N, H) is x W_ih^T + b_ih; h (N, H) -> (N, H)."""
    pre = gi + F.linear(h, w_hh, b_hh)
    return pre.relu() if relu else pre.tanh()


def _lstm_step(gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh) -> tuple[Tensor, Tensor]:
    """gates = gi + h W_hh^T + b_hh split as (i, f, g, o); c' = f*c + i*g; h' = o*tanh(c').

    gi (N, 4H), h (N, H), c (N, H) -> h' (N, H), c' (N, H).
    """
    i, f, g, o = (gi + F.linear(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def _gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh) -> Tensor:
    """r = s(gi_r + gh_r); z = s(gi_z + gh_z); n = tanh(gi_n + r*gh_n); h' = (1-z)*n + z*h = n + z*(h-n).

    gi (N, 3H) is x W_ih^T + b_ih, gh = h W_hh^T + b_hh; h (N, H) -> (N, H).
    """
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return n + z * (h - n)


# ------------------------------------------------------------------------------ fused whole-sequence layers
# One layer-direction over the whole sequence as one autograd node: the forward loop keeps the gate
# activations, backward runs BPTT in reverse and does the weight gradient in one matmul at the end.
# gi (L, N, G*H) = x W_ih^T + b_ih comes in precomputed (a differentiable linear over all steps).
# Outputs: hs (L, N, H) (hs[t] is the state after step t, in input time order), h_T (N, H) [, c_T (N, H)].
def _sigmoid(x):
    """Overflow-free logistic: 1/(1+exp(-x)) = (1 + tanh(x/2)) / 2."""
    return 0.5 + 0.5 * xp.tanh(0.5 * x)


def _order(length: int, reverse: bool):
    return range(length - 1, -1, -1) if reverse else range(length)


def _h_prev(hs, h0, reverse: bool):
    """The state each step read: (L, N, H) array of h_{t-1} (h_{t+1} when running in reverse)."""
    return xp.concatenate([hs[1:], h0[None]], 0) if reverse else xp.concatenate([h0[None], hs[:-1]], 0)


class _RNNLayer(ArrayFunction):
    """h_t = act(gi_t + h_{t-1} W_hh^T + b_hh), act = tanh or relu.  gi (L, N, H), h0 (N, H) -> hs, h_T."""

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, relu: bool, reverse: bool):
        hs = xp.empty(gi.shape[:2] + (h0.shape[1],), dtype=gi.dtype)
        h = h0
        for t in _order(gi.shape[0], reverse):
            pre = gi[t] + h @ w_hh.T
            if b_hh is not None:
                pre += b_hh
            h = xp.maximum(pre, 0) if relu else xp.tanh(pre)
            hs[t] = h
        ctx.save_for_backward(hs, h0, w_hh)
        ctx.relu, ctx.reverse, ctx.bias = relu, reverse, b_hh is not None
        return hs, h

    @staticmethod
    def backward(ctx, g_hs, g_hT):
        hs, h0, w_hh = ctx.saved
        dpre = xp.empty_like(hs)
        dh = g_hT
        for t in _order(hs.shape[0], not ctx.reverse):      # reverse of the forward order
            dh = dh + g_hs[t]
            dpre[t] = dh * (hs[t] > 0) if ctx.relu else dh * (1 - hs[t] * hs[t])
            dh = dpre[t] @ w_hh
        flat = dpre.reshape(-1, dpre.shape[-1])
        dw = flat.T @ _h_prev(hs, h0, ctx.reverse).reshape(-1, hs.shape[-1])
        return dpre, dh, dw, flat.sum(0) if ctx.bias else None, None, None


class _LSTMLayer(ArrayFunction):
    """gates = gi_t + h W_hh^T + b_hh as (i, f, g, o); c_t = f c + i g; h_t = o tanh(c_t).  -> hs, h_T, c_T."""

    @staticmethod
    def forward(ctx, gi, h0, c0, w_hh, b_hh, reverse: bool):
        L, N = gi.shape[:2]
        H = h0.shape[1]
        acts = xp.empty_like(gi)                               # activated gates, (L, N, 4H)
        cs = xp.empty((L, N, H), dtype=gi.dtype)
        hs = xp.empty((L, N, H), dtype=gi.dtype)
        h, c = h0, c0
        for t in _order(L, reverse):
            z = gi[t] + h @ w_hh.T
            if b_hh is not None:
                z += b_hh
            a = acts[t]
            a[:, :2 * H] = _sigmoid(z[:, :2 * H])              # i, f
            a[:, 2 * H:3 * H] = xp.tanh(z[:, 2 * H:3 * H])     # g
            a[:, 3 * H:] = _sigmoid(z[:, 3 * H:])              # o
            c = a[:, H:2 * H] * c + a[:, :H] * a[:, 2 * H:3 * H]
            h = a[:, 3 * H:] * xp.tanh(c)
            cs[t], hs[t] = c, h
        ctx.save_for_backward(acts, cs, hs, h0, c0, w_hh)
        ctx.reverse, ctx.bias = reverse, b_hh is not None
        return hs, h, c

    @staticmethod
    def backward(ctx, g_hs, g_hT, g_cT):
        acts, cs, hs, h0, c0, w_hh = ctx.saved
        L, N, H = hs.shape
        reverse = ctx.reverse
        dz = xp.empty_like(acts)
        dh, dc = g_hT, g_cT
        for t in _order(L, not reverse):
            a = acts[t]
            i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            prev = t + 1 if reverse else t - 1
            c_prev = cs[prev] if 0 <= prev < L else c0
            tc = xp.tanh(cs[t])
            dh = dh + g_hs[t]
            dc = dc + dh * o * (1 - tc * tc)
            d = dz[t]
            d[:, :H] = dc * g * i * (1 - i)
            d[:, H:2 * H] = dc * c_prev * f * (1 - f)
            d[:, 2 * H:3 * H] = dc * i * (1 - g * g)
            d[:, 3 * H:] = dh * tc * o * (1 - o)
            dc = dc * f
            dh = d @ w_hh
        flat = dz.reshape(-1, 4 * H)
        dw = flat.T @ _h_prev(hs, h0, reverse).reshape(-1, H)
        return dz, dh, dc, dw, flat.sum(0) if ctx.bias else None, None


class _GRULayer(ArrayFunction):
    """r, z = s(gi + gh) parts; n = tanh(gi_n + r gh_n); h_t = n + z (h - n); gh = h W_hh^T + b_hh.  -> hs, h_T."""

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, reverse: bool):
        L, N = gi.shape[:2]
        H = h0.shape[1]
        rzn = xp.empty_like(gi)                                # r, z, n activations, (L, N, 3H)
        ghn = xp.empty((L, N, H), dtype=gi.dtype)              # gh_n, needed for dr
        hs = xp.empty((L, N, H), dtype=gi.dtype)
        h = h0
        for t in _order(L, reverse):
            gh = h @ w_hh.T
            if b_hh is not None:
                gh += b_hh
            a = rzn[t]
            a[:, :2 * H] = _sigmoid(gi[t, :, :2 * H] + gh[:, :2 * H])
            ghn[t] = gh[:, 2 * H:]
            a[:, 2 * H:] = xp.tanh(gi[t, :, 2 * H:] + a[:, :H] * ghn[t])
            n = a[:, 2 * H:]
            h = n + a[:, H:2 * H] * (h - n)
            hs[t] = h
        ctx.save_for_backward(rzn, ghn, hs, h0, w_hh)
        ctx.reverse, ctx.bias = reverse, b_hh is not None
        return hs, h

    @staticmethod
    def backward(ctx, g_hs, g_hT):
        rzn, ghn, hs, h0, w_hh = ctx.saved
        L, N, H = hs.shape
        reverse = ctx.reverse
        hp = _h_prev(hs, h0, reverse)
        dgi = xp.empty_like(rzn)
        dgh = xp.empty_like(rzn)
        dh = g_hT
        for t in _order(L, not reverse):
            a = rzn[t]
            r, z, n = a[:, :H], a[:, H:2 * H], a[:, 2 * H:]
            dh = dh + g_hs[t]
            dn = dh * (1 - z) * (1 - n * n)
            dgi[t, :, :H] = dgh[t, :, :H] = dn * ghn[t] * r * (1 - r)
            dgi[t, :, H:2 * H] = dgh[t, :, H:2 * H] = dh * (hp[t] - n) * z * (1 - z)
            dgi[t, :, 2 * H:] = dn
            dgh[t, :, 2 * H:] = dn * r
            dh = dh * z + dgh[t] @ w_hh
        flat = dgh.reshape(-1, 3 * H)
        return dgi, dh, flat.T @ hp.reshape(-1, H), flat.sum(0) if ctx.bias else None, None


# ------------------------------------------------------------------------------ multi-layer modules
class RNNBase(Module):
    """Shared constructor, parameters, checks and the layer/direction loop of RNN, LSTM and GRU."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 proj_size: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of "
                             "an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size != 0:
            raise NotImplementedError("numtorch does not support LSTM proj_size yet (proj_size must be 0)")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_in = input_size if layer == 0 else hidden_size * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih_l{}{}", (gate_size, layer_in)), ("weight_hh_l{}{}", (gate_size, hidden_size))]
                if bias:
                    shapes += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                names = []
                for fmt, shape in shapes:
                    name = fmt.format(layer, suffix)
                    self.register_parameter(name, Parameter(creation.empty(shape, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """No-op (cuDNN weight compaction has no NumPy counterpart); kept so scripts calling it run."""

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # -- checks (PyTorch's wording) --------------------------------------------------------
    def _check_input(self, input: Tensor) -> None:
        w = self._parameters[self._flat_weights_names[0]]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). "
                             f"Convert input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        if input.dim() != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError("input.size(-1) must be equal to input_size. "
                               f"Expected {self.input_size}, got {input.size(-1)}")

    def _expected_hidden_size(self, input: Tensor) -> tuple[int, int, int]:
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        return (self.num_layers * (2 if self.bidirectional else 1), mini_batch, self.hidden_size)

    @staticmethod
    def _check_hidden_size(hx: Tensor, expected: tuple, msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != expected:
            raise RuntimeError(msg.format(expected, list(hx.size())))

    def _prepare(self, input, name: str):
        """Check the input's rank, add the batch dim to unbatched input; return (input, is_batched)."""
        if not isinstance(input, Tensor):
            raise NotImplementedError(f"numtorch {name} does not support {type(input).__name__} input "
                                      "(packed sequences) yet; pass a padded Tensor")
        if input.dim() not in (2, 3):
            tail = " tensor instead" if name == "RNN" else " instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D{tail}")
        is_batched = input.dim() == 3
        if not is_batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        return input, is_batched

    def _zeros(self, input: Tensor) -> Tensor:
        return creation.zeros(self._expected_hidden_size(input), dtype=input.dtype)

    # -- the layer/direction loop -------------------------------------------------------------
    def _run(self, input: Tensor, hiddens: list[tuple]) -> tuple[Tensor, list[tuple]]:
        """input (L, N, H_in) time-major; hiddens[k] = state tuple of layer-direction k, each (N, H).

        Returns output (L, N, D*H) and the final state tuples in the same order.
        """
        num_directions = 2 if self.bidirectional else 1
        params = self._parameters
        finals = []
        layer_input = input
        for layer in range(self.num_layers):
            outs = []
            for direction in range(num_directions):
                names = self._all_weights[layer * num_directions + direction]
                w_ih, w_hh = params[names[0]], params[names[1]]
                b_ih, b_hh = (params[names[2]], params[names[3]]) if self.bias else (None, None)
                gi = F.linear(layer_input, w_ih, b_ih)           # (L, N, G*H): every step's input part at once
                out, *state = self._layer(gi, hiddens[layer * num_directions + direction], w_hh, b_hh,
                                          direction == 1)
                outs.append(out)
                finals.append(tuple(state))
            layer_input = outs[0] if num_directions == 1 else cat(outs, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, finals

    def _layer(self, gi, state, w_hh, b_hh, reverse: bool):
        """One layer-direction over the sequence: -> (hs (L, N, H), *final state tensors)."""
        raise NotImplementedError

    def _forward_single(self, input, hx, name: str):
        """Shared forward for RNN and GRU (one hidden-state tensor)."""
        input, is_batched = self._prepare(input, name)
        if hx is not None:
            if is_batched and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            if not is_batched:
                if hx.dim() != 2:
                    raise RuntimeError(
                        f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = hx.unsqueeze(1)
        else:
            hx = self._zeros(input)
        self._check_input(input)
        self._check_hidden_size(hx, self._expected_hidden_size(input))
        x = input.transpose(0, 1) if self.batch_first else input
        out, finals = self._run(x, [(h,) for h in unbind(hx, 0)])
        h_n = stack([s[0] for s in finals], 0)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not is_batched:
            out = out.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
        return out, h_n


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu.

    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True, batch_first=False,
    dropout=0.0, bidirectional=False).  forward(input, hx=None) -> (output, h_n); shapes in the module doc.
    """

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def _layer(self, gi, state, w_hh, b_hh, reverse: bool):
        return _RNNLayer.apply(gi, state[0], w_hh, b_hh, self.mode == "RNN_RELU", reverse)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward_single(input, hx, "RNN")


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n as in PyTorch).  forward(input, hx=None) -> (output, h_n)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def _layer(self, gi, state, w_hh, b_hh, reverse: bool):
        return _GRULayer.apply(gi, state[0], w_hh, b_hh, reverse)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward_single(input, hx, "GRU")


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o as in PyTorch).

    forward(input, (h_0, c_0)=None) -> (output, (h_n, c_n)); proj_size > 0 raises NotImplementedError.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def _layer(self, gi, state, w_hh, b_hh, reverse: bool):
        return _LSTMLayer.apply(gi, state[0], state[1], w_hh, b_hh, reverse)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        input, is_batched = self._prepare(input, "LSTM")
        if hx is None:
            hx = (self._zeros(input), self._zeros(input))
        else:
            h0, c0 = hx
            if is_batched and (h0.dim() != 3 or c0.dim() != 3):
                raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                   f"({h0.dim()}-D, {c0.dim()}-D) tensors")
            if not is_batched:
                if h0.dim() != 2 or c0.dim() != 2:
                    raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                       f"({h0.dim()}-D, {c0.dim()}-D) tensors")
                hx = (h0.unsqueeze(1), c0.unsqueeze(1))
        self._check_input(input)
        expected = self._expected_hidden_size(input)
        self._check_hidden_size(hx[0], expected, "Expected hidden[0] size {}, got {}")
        self._check_hidden_size(hx[1], expected, "Expected hidden[1] size {}, got {}")
        x = input.transpose(0, 1) if self.batch_first else input
        out, finals = self._run(x, list(zip(unbind(hx[0], 0), unbind(hx[1], 0))))
        h_n = stack([s[0] for s in finals], 0)
        c_n = stack([s[1] for s in finals], 0)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not is_batched:
            out, h_n, c_n = out.squeeze(0 if self.batch_first else 1), h_n.squeeze(1), c_n.squeeze(1)
        return out, (h_n, c_n)


# ------------------------------------------------------------------------------ cells
class RNNCellBase(Module):
    """Parameters weight_ih (G*H, H_in), weight_hh (G*H, H), bias_ih, bias_hh (G*H,), ~U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(creation.empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(creation.empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def _check(self, name: str, input: Tensor, hx, what: str = "hidden") -> bool:
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if input.size(-1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(-1)} "
                               f"expected {self.input_size}")
        return input.dim() == 2

    def _gi(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight_ih, self.bias_ih)

    def _check_hidden(self, input: Tensor, hx: Tensor, label: str = "hidden0") -> None:
        if hx.size(0) != input.size(0) or hx.dim() != 2:
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match {label} batch size {hx.size(0)}")
        if hx.size(1) != self.hidden_size:
            raise RuntimeError(f"{label} has inconsistent hidden_size: got {hx.size(1)}, "
                               f"expected {self.hidden_size}")


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh).  input (N, H_in) or (H_in,), hx (N, H) -> (N, H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        batched = self._check("RNNCell", input, hx)
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        if not batched:
            input = input.unsqueeze(0)
        hx = (creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype) if hx is None
              else (hx if batched else hx.unsqueeze(0)))
        self._check_hidden(input, hx)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        h = _rnn_step(self._gi(input), hx, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step.  input (N, H_in) or (H_in,), hx = (h, c) each (N, H) or None -> (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        batched = self._check("LSTMCell", input, hx)
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead")
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype)
            hx = (z, z)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check_hidden(input, hx[0], "hidden0")
        self._check_hidden(input, hx[1], "hidden1")
        h, c = _lstm_step(self._gi(input), hx[0], hx[1], self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step.  input (N, H_in) or (H_in,), hx (N, H) or None -> (N, H)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        batched = self._check("GRUCell", input, hx)
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        if not batched:
            input = input.unsqueeze(0)
        hx = (creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype) if hx is None
              else (hx if batched else hx.unsqueeze(0)))
        self._check_hidden(input, hx)
        h = _gru_step(self._gi(input), hx, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)
