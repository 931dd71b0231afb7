"""Convolution kernels on arrays: im2col/col2im by kernel-offset slicing and one GEMM per convolution.

Layouts (G groups, Cg = C/G input channels per group, Og = O/G output channels per group, KK = KH*KW):

* ``col``: ``(G, KK*Cg [+1], B*L)``, kernel-offset-major (rows ordered ``(kh, kw, c)``), so that every
  kernel offset ``k`` owns one contiguous block ``col[:, k*Cg:(k+1)*Cg]``. im2col and col2im loop over
  the KK offsets only; each step is one strided slice copy (or ``+=``) of the whole batch. An optional
  last row of ones carries the bias through the GEMM (and gives its gradient with dW).
* ``L``: the output pixels of one image in "wide" rows. For stride 1 along H the padded image is
  handled as one flat row of ``R*Wr`` values: output ``(oh, ow)`` of offset ``(i, j)`` reads flat index
  ``sw*(oh*Wq + ow) + i*dh*Wr + j*dw (+ D - pl)``, a single 1-D strided slice per offset. Each output row
  then carries ``Wq - OW`` extra "garbage" columns (read from the padding, cropped from the result, and
  given zero gradient), which makes the copies long and contiguous. With a vertical stride > 1 the
  2-D slices are used instead (``Wq = OW``, no garbage).
* weights: ``(G, Og, KK*Cg)`` (a small reordered copy of ``(O, Cg, KH, KW)``).

forward:  out(G, Og, B*L) = W2 @ col                         one (batched over groups) GEMM
backward: dW2 = col @ g2^T ;  dcol = W2^T @ g2 ;  dx = col2im(dcol)   (dcol kernel-offset-major)

Unit-stride, unit-W-dilation, one-group convolutions (padded or not) run "by row shifts" instead: the KW
column offsets move into the GEMM (forward: ``P = W3 @ xr`` over the KH row offsets, then KW-1 shifted
adds; backward: one stack g3 of KW shifted copies of the wide gradient serves both dW = g3 @ xr^T and
dx = Wx @ g3 followed by KH shifted adds), so im2col copies KH offsets instead of KH*KW.

Two variants, chosen by geometry (see ``conv_forward_blocked``): output-dominated convolutions
(KK*C <= O) use an image-major col so that the GEMM writes NCHW directly, and a batch whose col
exceeds ``COL_BUDGET`` runs in cache-sized blocks of images (one GEMM per block).
"""
from __future__ import annotations

from .._backend import xp


class ConvGeometry:
    """Shapes, paddings and flat offsets of one 2-D convolution (NCHW input, OIHW weight)."""

    __slots__ = ("B", "C", "H", "W", "O", "Cg", "Og", "G", "KH", "KW", "sh", "sw", "dh", "dw",
                 "pt", "pb", "pl", "pr", "OH", "OW", "flat", "R", "Wr", "Wq", "L", "offs", "D")

    def __init__(self, x_shape, w_shape, stride, pads, dilation, groups: int, out_hw=None) -> None:
        self.B, self.C, self.H, self.W = x_shape
        self.O, self.Cg, self.KH, self.KW = w_shape
        self.G = groups
        self.Og = self.O // groups
        self.sh, self.sw = stride
        self.dh, self.dw = dilation
        self.pt, self.pb, self.pl, self.pr = pads
        Hp, Wp = self.H + self.pt + self.pb, self.W + self.pl + self.pr
        self.OH = (Hp - self.dh * (self.KH - 1) - 1) // self.sh + 1
        self.OW = (Wp - self.dw * (self.KW - 1) - 1) // self.sw + 1
        if out_hw is not None:  # a transposed convolution fixes the output size (output_padding >= stride)
            self.OH, self.OW = min(self.OH, out_hw[0]), min(self.OW, out_hw[1])
        self.flat = self.sh == 1
        if self.flat:
            # Rows of pitch Wr hold [left zeros | W values | right zeros]; the right padding of a row is
            # the left padding of the next one, so only max(pl, pr) zero columns per row are needed.
            self.D = max(self.pl, self.pr)
            self.Wr = -(-max(self.W + self.D, self.sw * self.OW) // self.sw) * self.sw
            self.Wq = self.Wr // self.sw
            self.L = self.OH * self.Wq
            base = self.D - self.pl
            self.offs = [i * self.dh * self.Wr + j * self.dw + base for i in range(self.KH) for j in range(self.KW)]
            need = self.offs[-1] + self.sw * (self.L - 1) + 1
            self.R = max(Hp, -(-need // self.Wr))
        else:
            self.D, self.Wr, self.R, self.Wq = self.pl, Wp, Hp, self.OW
            self.L = self.OH * self.OW
            self.offs = None

    def with_batch(self, n: int) -> "ConvGeometry":
        """The same convolution over a batch of ``n`` images."""
        g = object.__new__(ConvGeometry)
        for name in ConvGeometry.__slots__:
            setattr(g, name, getattr(self, name))
        g.B = n
        return g

    def chunk(self, budget: int, itemsize: int) -> int:
        """Images per block so that one block's col stays within ``budget`` bytes (cache-sized)."""
        per_image = self.G * (self.KH * self.KW * self.Cg + 1) * self.L * itemsize
        return max(1, min(self.B, budget // per_image))

    @property
    def out_shape(self):
        return (self.B, self.O, self.OH, self.OW)

    def _windows(self):
        """(k, row slice, col slice) of every kernel offset in the padded image (2-D mode)."""
        k = 0
        for i in range(self.KH):
            r0 = i * self.dh
            rows = slice(r0, r0 + self.sh * (self.OH - 1) + 1, self.sh)
            for j in range(self.KW):
                c0 = j * self.dw
                yield k, rows, slice(c0, c0 + self.sw * (self.OW - 1) + 1, self.sw)
                k += 1


def pad_input(x, g: ConvGeometry):
    """(B, C, H, W) -> (B, C, R, Wr): the image at rows [pt, pt+H), columns [D, D+W), zeros elsewhere."""
    if g.R == g.H and g.Wr == g.W and (not g.flat or x.flags.c_contiguous):
        return x
    out = xp.zeros((g.B, g.C, g.R, g.Wr), dtype=x.dtype)
    out[:, :, g.pt:g.pt + g.H, g.D:g.D + g.W] = x
    return out


def im2col(x, g: ConvGeometry, ones: bool = False):
    """x: (B, C, H, W) -> col: (G, KK*Cg [+1], B*L), one strided slice copy per kernel offset.

    With ``ones`` a last row of ones is appended per group, so that a bias column in the weight
    matrix adds the bias inside the GEMM and ``col @ g2^T`` yields the bias gradient with dW.
    """
    offs = g.offs
    KK = g.KH * g.KW
    xpad = x if (g.flat and _unpadded(g)) else pad_input(x, g)
    rows = KK * g.Cg + ones
    col = xp.empty((g.G, rows, g.B * g.L), dtype=x.dtype)
    if ones:
        col[:, -1] = 1
    if g.flat:
        cv = col[:, :KK * g.Cg].reshape(g.G, KK, g.Cg, g.B, g.L)
        if _unpadded(g):
            # Read x itself: the last offsets would run past the image only into columns that the
            # zero padding fills; they get zeros here instead, and no padded copy of x is made.
            P = g.H * g.W
            xf = x.reshape(g.B, g.G, g.Cg, P).transpose(1, 2, 0, 3)
            for k, off in enumerate(offs):
                n = _fit(off, g, P)
                cv[:, k, ..., :n] = xf[..., off:off + g.sw * (n - 1) + 1:g.sw]
                if n < g.L:
                    cv[:, k, ..., n:] = 0
            return col
        xf = xpad.reshape(g.B, g.G, g.Cg, g.R * g.Wr).transpose(1, 2, 0, 3)
        span = g.sw * (g.L - 1) + 1
        for k, off in enumerate(offs):
            cv[:, k] = xf[..., off:off + span:g.sw]
    else:
        xv = xpad.reshape(g.B, g.G, g.Cg, g.R, g.Wr).transpose(1, 2, 0, 3, 4)
        cv = col[:, :KK * g.Cg].reshape(g.G, KK, g.Cg, g.B, g.OH, g.OW)
        for k, rows_, cols in g._windows():
            cv[:, k] = xv[..., rows_, cols]
    return col


def col2im(dcol, g: ConvGeometry, out=None):
    """dcol: (G, KK*Cg, B*L) -> dx: (B, C, H, W) (into ``out`` if given); adjoint of im2col, one ``+=`` per offset."""
    KK = g.KH * g.KW
    dcol = dcol.reshape(g.G, KK, g.Cg, g.B, g.L)
    if g.flat and _unpadded(g):
        return _col2im_unpadded(dcol, g, out)
    dpad = xp.zeros((g.B, g.C, g.R, g.Wr), dtype=dcol.dtype)
    if g.flat:
        df = dpad.reshape(g.B, g.G, g.Cg, g.R * g.Wr).transpose(1, 2, 0, 3)
        span = g.sw * (g.L - 1) + 1
        for k, off in enumerate(g.offs):
            df[..., off:off + span:g.sw] += dcol[:, k]
    else:
        dv = dpad.reshape(g.B, g.G, g.Cg, g.R, g.Wr).transpose(1, 2, 0, 3, 4)
        dc = dcol.reshape(g.G, KK, g.Cg, g.B, g.OH, g.OW)
        for k, rows, cols in g._windows():
            dv[..., rows, cols] += dc[:, k]
    crop = dpad if (g.R == g.H and g.Wr == g.W) else dpad[:, :, g.pt:g.pt + g.H, g.D:g.D + g.W]
    if out is not None:
        xp.copyto(out, crop)
        return out
    return crop if crop is dpad else xp.ascontiguousarray(crop)


def _unpadded(g: ConvGeometry) -> bool:
    """No padding and row pitch W: the flat rows are x's own rows (valid convolutions)."""
    return not (g.pt or g.pb or g.pl or g.pr) and g.Wr == g.W


def _fit(off: int, g: ConvGeometry, P: int) -> int:
    """How many of an offset's L flat reads (off + sw*l) fall inside the P = H*W image values."""
    return min(g.L, (P - off + g.sw - 1) // g.sw)


def _col2im_unpadded(dcol, g: ConvGeometry, out):
    """col2im of a valid convolution straight into (B, C, H, W): the reads past the image (zero padding
    in im2col) are dropped instead of summed into a padded buffer and cropped. With sw = 1 the first
    offset (flat 0..L-1) is assigned rather than added to zeros."""
    P = g.H * g.W
    if out is None:
        out = xp.empty((g.B, g.C, g.H, g.W), dtype=dcol.dtype)
    df = out.reshape(g.B, g.G, g.Cg, P).transpose(1, 2, 0, 3)
    start = 0
    if g.sw == 1 and g.offs[0] == 0:
        n = _fit(0, g, P)
        df[..., :n] = dcol[:, 0, ..., :n]
        df[..., n:] = 0
        start = 1
    else:
        df[...] = 0
    for k in range(start, len(g.offs)):
        off = g.offs[k]
        n = _fit(off, g, P)
        df[..., off:off + g.sw * (n - 1) + 1:g.sw] += dcol[:, k, ..., :n]
    return out


def weight_matrix(w, g: ConvGeometry):
    """(O, Cg, KH, KW) -> (G, Og, KK*Cg) with columns ordered (kh, kw, c) like col's rows."""
    return w.reshape(g.G, g.Og, g.Cg, g.KH * g.KW).transpose(0, 1, 3, 2).reshape(g.G, g.Og, -1)


def weight_from_matrix(dw2, g: ConvGeometry):
    """(G, KK*Cg, Og) -> (O, Cg, KH, KW)."""
    dw = dw2.reshape(g.G, g.KH * g.KW, g.Cg, g.Og).transpose(0, 3, 2, 1)
    return xp.ascontiguousarray(dw).reshape(g.O, g.Cg, g.KH, g.KW)


def _mm(a, b):
    """Batched-over-groups matmul; a plain 2-D GEMM when there is one group."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return xp.matmul(a, b)


def wide_to_output(out, g: ConvGeometry, res=None):
    """(G, Og, B*L) GEMM result -> (B, O, OH, OW) contiguous (written into ``res`` if given), garbage dropped."""
    y = out.reshape(g.O, g.B, g.OH, g.Wq)[..., :g.OW].transpose(1, 0, 2, 3)
    if res is None:
        res = xp.empty((g.B, g.O, g.OH, g.OW), dtype=out.dtype)
    xp.copyto(res, y)
    return res


def output_to_wide(gy, g: ConvGeometry, out=None):
    """(B, O, OH, OW) -> (G, Og, B*L) with zeros in the garbage columns (written into ``out`` if given)."""
    g2 = xp.empty((g.O, g.B, g.OH, g.Wq), dtype=gy.dtype) if out is None else out.reshape(g.O, g.B, g.OH, g.Wq)
    if g.Wq > g.OW:
        g2[..., g.OW:] = 0
    g2[..., :g.OW] = gy.transpose(1, 0, 2, 3)
    return g2.reshape(g.G, g.Og, g.B * g.L)


def _weights_with_bias(w, bias, g: ConvGeometry):
    w2 = weight_matrix(w, g)
    if bias is None:
        return w2
    return xp.concatenate([w2, bias.reshape(g.G, g.Og, 1)], axis=2)


def conv_forward(x, w, bias, g: ConvGeometry):
    """x (B, C, H, W), w (O, Cg, KH, KW), bias (O,) or None -> (out (B, O, OH, OW), col).

    The bias rides in the GEMM as an extra weight column against col's row of ones.
    """
    col = im2col(x, g, bias is not None)
    return wide_to_output(_mm(_weights_with_bias(w, bias, g), col), g), col


def conv_grad_weight(col, g2, g: ConvGeometry):
    """col (G, KK*Cg [+1], B*L), wide grad (G, Og, B*L) -> dW (O, Cg, KH, KW) [, db (O,) from the ones row]."""
    dw2 = _mm(col, g2.transpose(0, 2, 1))
    KKC = g.KH * g.KW * g.Cg
    dw = weight_from_matrix(dw2[:, :KKC], g)
    if dw2.shape[1] > KKC:
        return dw, dw2[:, KKC].reshape(g.O)
    return dw, None


def conv_grad_input(g2, w, g: ConvGeometry, out=None, wmat=None):
    """wide grad (G, Og, B*L), w (O, Cg, KH, KW) -> dx (B, C, H, W) (into ``out`` if given).

    ``wmat``: the matrix ``input_grad_matrix(w, g)``, when the caller reuses it across blocks.
    """
    if wmat is None:
        wmat = input_grad_matrix(w, g)
    if not _row_shifts(g):
        return col2im(_mm(wmat, g2), g, out)
    g3 = xp.empty((g.KW, g.O, g.B * g.L), dtype=g2.dtype)
    g3[0] = g2.reshape(g.O, -1)
    return _grad_input_row_shifts(_fill_shifts(g3), wmat, g, out)


def wide_grads(gy, g: ConvGeometry, need_x: bool):
    """gy (B, O, OH, OW) -> (g2 (G, Og, B*L), g3 or None): with row shifts, g2 is written straight
    into the unshifted slot g3[0] of the shifted stack that ``conv_grad_input`` needs (one copy less)."""
    if not (need_x and _row_shifts(g)):
        return output_to_wide(gy, g), None
    g3 = xp.empty((g.KW, g.O, g.B * g.L), dtype=gy.dtype)
    output_to_wide(gy, g, g3[0])
    return g3[0].reshape(1, g.O, -1), _fill_shifts(g3)


def _fill_shifts(g3):
    """g3 (KW, O, N) with g3[0] filled -> g3[j] = g3[0] shifted right by j (zeros shifted in)."""
    N = g3.shape[2]
    for j in range(1, g3.shape[0]):
        g3[j, :, :j] = 0
        g3[j, :, j:] = g3[0, :, :N - j]
    return g3


def input_grad_matrix(w, g: ConvGeometry):
    """The left GEMM operand of ``conv_grad_input``: W2^T (G, KK*Cg, Og), or for row shifts the
    (KH*Cg, KW*O) matrix ``[i*Cg + c, j*O + o] = w[o, c, i, j]``."""
    if _row_shifts(g):
        return xp.ascontiguousarray(w.transpose(2, 1, 3, 0)).reshape(g.KH * g.Cg, g.KW * g.O)
    return weight_matrix(w, g).transpose(0, 2, 1)


def _row_shifts(g: ConvGeometry) -> bool:
    """dx by row shifts applies: one group, flat layout, unit stride and dilation along W.

    A shift by j < KW moves each wide row's first j values in from the previous row's last columns:
    that is the flat layout's own adjacency within an image; across images the values come from the
    previous image's last row, whose first Wq - OW columns are zero garbage and whose others land only
    in padding columns (< D, since pl + pr <= 2D) of the padded buffer, which is cropped.
    """
    return g.G == 1 and g.KW > 1 and g.flat and g.sw == 1 and g.dw == 1


def _grad_input_row_shifts(g3, wmat, g: ConvGeometry, out):
    """dx of a stride-1 convolution (``_row_shifts``) without the KH*KW-offset col2im.

    dx[c, p] = sum_{i,j,o} w[o,c,i,j] g2[o, p - offs(i, j)] over each image's flat (padded) pixels p.
    The KW column shifts go into the GEMM: g3[j] = g2 shifted right by j (``wide_grads``), so one GEMM
    (KH*Cg, KW*O) @ (KW*O, B*L) gives the KH row-offset parts, which are then added at the flat row
    offsets (KH adds of Cg rows instead of KH*KW); a padded convolution sums into the padded grid and
    crops it.
    """
    N = g.B * g.L
    parts = (wmat @ g3.reshape(g.KW * g.O, N)).reshape(g.KH, g.C, g.B, g.L)
    padded = not _unpadded(g)
    if padded:   # sum into the (R, Wr) padded grid, then crop (padding 1: 3 adds instead of 9 + zeroing)
        buf = xp.empty((g.B, g.C, g.R, g.Wr), dtype=g3.dtype)
    else:
        buf = out if out is not None else xp.empty((g.B, g.C, g.H, g.W), dtype=g3.dtype)
    df = buf.reshape(g.B, g.C, -1).transpose(1, 0, 2)
    o0 = g.offs[0]
    if o0:
        df[..., :o0] = 0
    df[..., o0:o0 + g.L] = parts[0]
    df[..., o0 + g.L:] = 0
    for i in range(1, g.KH):
        off = g.offs[i * g.KW]
        df[..., off:off + g.L] += parts[i]
    if not padded:
        return buf
    crop = buf[:, :, g.pt:g.pt + g.H, g.D:g.D + g.W]
    if out is None:
        return xp.ascontiguousarray(crop)
    xp.copyto(out, crop)
    return out


# ------------------------------------------------------------------------------------ blocked driver
# A convolution whose col would exceed COL_BUDGET bytes runs over blocks of images so that each
# block's col stays in the core's cache: one GEMM per block instead of one over a col that streams
# through memory (measured here: 25-45% faster for the 32->64 MNIST convolution, and less memory).
# Backward rebuilds each block's col from the saved input.
COL_BUDGET = 4 << 20


def conv_forward_blocked(x, w, bias, g: ConvGeometry, keep_col: bool):
    """Like ``conv_forward``; returns (out, col) where col is None when the batch ran in blocks or by
    row shifts (backward then rebuilds what it needs block by block)."""
    if is_thin(g):
        return _thin_forward(x, w, bias, g, keep_col)
    n = g.chunk(COL_BUDGET, x.itemsize)
    if _row_shifts(g):
        return _forward_row_shifts(x, w, bias, g, n), None
    if n >= g.B:
        out, col = conv_forward(x, w, bias, g)
        return out, (col if keep_col else None)
    w2 = _weights_with_bias(w, bias, g)
    out = xp.empty(g.out_shape, dtype=x.dtype)
    for s in range(0, g.B, n):
        gb = g.with_batch(min(n, g.B - s))
        wide_to_output(_mm(w2, im2col(x[s:s + gb.B], gb, bias is not None)), gb, out[s:s + gb.B])
    return out, None


def _forward_row_shifts(x, w, bias, g: ConvGeometry, n: int):
    """Forward with the KW column shifts moved out of im2col into the output (``_row_shifts`` geometries).

    out[o, l] = sum_j P[j*O + o, l + j] with P = W3 @ xr: W3 (KW*O, KH*C [+1]) holds
    ``w[o, c, i, j]`` at ``[j*O + o, i*C + c]`` (bias in the j = 0 rows), and xr is im2col over the KH
    offsets (i, 0) only (3 slice copies instead of 9 for 3x3), each image's columns followed by KW-1
    zero columns so that a shift never reads the next image (those reads are padding: zero). Then KW-1
    contiguous shifted adds and one cropping copy build the NCHW output. Same values up to summation order.
    """
    KHC = g.KH * g.C
    w3 = w.transpose(3, 0, 2, 1).reshape(g.KW * g.O, KHC)
    if bias is not None:
        w3 = xp.concatenate([w3, xp.zeros((g.KW * g.O, 1), dtype=w3.dtype)], axis=1)
        w3[:g.O, KHC] = bias
    Lp = g.L + g.KW - 1
    out = xp.empty(g.out_shape, dtype=x.dtype)
    for s in range(0, g.B, n):
        gb = g.with_batch(min(n, g.B - s))
        xr = _row_col(x[s:s + gb.B], gb, bias is not None, Lp)
        P = (w3 @ xr).reshape(g.KW, g.O, gb.B * Lp)
        M = gb.B * Lp
        for j in range(1, g.KW):                   # contiguous shifted adds into the j = 0 part
            xp.add(P[0, :, :M - j], P[j, :, j:], out=P[0, :, :M - j])
        v = P[0].reshape(g.O, gb.B, Lp)[:, :, :g.L].reshape(g.O, gb.B, g.OH, g.Wq)[..., :g.OW]
        xp.copyto(out[s:s + gb.B], v.transpose(1, 0, 2, 3))
    return out


def _row_col(x, g: ConvGeometry, ones: bool, pitch: int):
    """im2col over the KH offsets (i, 0) with ``pitch`` >= L columns per image (zeros past L):
    (B, C, H, W) -> (KH*C [+1], B*pitch)."""
    rows = g.KH * g.C
    col = xp.empty((rows + ones, g.B, pitch), dtype=x.dtype)
    if ones:
        col[rows] = 1
    col[:rows, :, g.L:] = 0
    cv = col[:rows].reshape(g.KH, g.C, g.B, pitch)
    offs = g.offs[::g.KW]
    if _unpadded(g):
        P = g.H * g.W
        xf = x.reshape(g.B, g.C, P).transpose(1, 0, 2)
        for i, off in enumerate(offs):
            m = _fit(off, g, P)
            cv[i, ..., :m] = xf[..., off:off + m]
            if m < g.L:
                cv[i, ..., m:g.L] = 0
    else:
        xf = pad_input(x, g).reshape(g.B, g.C, g.R * g.Wr).transpose(1, 0, 2)
        for i, off in enumerate(offs):
            cv[i, ..., :g.L] = xf[..., off:off + g.L]
    return col.reshape(rows + ones, g.B * pitch)


def conv_backward_blocked(gy, x, col, w, g: ConvGeometry, need_x: bool, need_w: bool, with_bias: bool):
    """Gradients (dx, dW, db) of a convolution from its output gradient gy (B, O, OH, OW).

    ``col`` is the forward's col when it was kept (one block), else None: rebuilt block by block from x
    (rebuilding a cache-sized block is cheaper than keeping them all: fresh memory costs page faults).
    db comes from col's row of ones when dW is computed, else it is None.
    """
    if is_thin(g):
        return _thin_backward(gy, x, col, w, g, need_x, need_w, with_bias)
    if col is not None:
        g2, g3 = wide_grads(gy, g, need_x)
        dx = (_grad_input_row_shifts(g3, input_grad_matrix(w, g), g, None) if g3 is not None
              else conv_grad_input(g2, w, g) if need_x else None)
        dw, db = conv_grad_weight(col, g2, g) if need_w else (None, None)
        return dx, dw, db
    n = g.chunk(COL_BUDGET, gy.itemsize)
    dx = xp.empty((g.B, g.C, g.H, g.W), dtype=gy.dtype) if need_x else None
    wmat = input_grad_matrix(w, g) if need_x else None
    shifts = _row_shifts(g)
    dw2 = None
    for s in range(0, g.B, n):
        gb = g.with_batch(min(n, g.B - s))
        g2, g3 = wide_grads(gy[s:s + gb.B], gb, need_x or (need_w and shifts))
        if need_w:
            if g3 is not None:   # row-shift dW: the KW column shifts are g3's, col needs KH offsets only
                xr = _row_col(x[s:s + gb.B], gb, with_bias, gb.L)
                part = g3.reshape(g.KW * g.O, -1) @ xr.T                      # (KW*O, KH*C [+1])
            else:
                part = _mm(im2col(x[s:s + gb.B], gb, with_bias), g2.transpose(0, 2, 1))
            dw2 = part if dw2 is None else xp.add(dw2, part, out=dw2)
        if need_x:
            if g3 is not None:
                _grad_input_row_shifts(g3, wmat, gb, dx[s:s + gb.B])
            else:
                conv_grad_input(g2, w, gb, dx[s:s + gb.B], wmat)
    dw = db = None
    if need_w and shifts:
        KHC = g.KH * g.C
        dw = xp.ascontiguousarray(dw2[:, :KHC].reshape(g.KW, g.O, g.KH, g.C).transpose(1, 3, 2, 0))
        db = dw2[:g.O, KHC].copy() if with_bias else None
    elif need_w:
        KKC = g.KH * g.KW * g.Cg
        dw = weight_from_matrix(dw2[:, :KKC], g)
        db = dw2[:, KKC].reshape(g.O) if with_bias else None
    return dx, dw, db


# ------------------------------------------------------------------------------ image-major (thin) path
# When the output dominates (KH*KW*C <= O, one group: first layers, 1x1 convolutions) the costs are
# the (O, B) <-> (B, O) transposes of the channel-major layout, not the GEMM. Image-major col
# (B, KK*C [+1], OH*OW) without garbage columns makes the GEMM output (B, O, OH*OW) the NCHW result
# itself and the incoming gradient usable as is: one matmul call over the batch, no transposes.
def is_thin(g: ConvGeometry) -> bool:
    return g.G == 1 and g.KH * g.KW * g.Cg <= g.O


def im2col_images(x, g: ConvGeometry, ones: bool):
    """(B, C, H, W) -> (B, KK*C [+1], OH*OW), rows ordered (kh, kw, c); one slice copy per kernel offset."""
    KKC = g.KH * g.KW * g.C
    xpad = _pad_plain(x, g)
    col = xp.empty((g.B, KKC + ones, g.OH * g.OW), dtype=x.dtype)
    if ones:
        col[:, -1] = 1
    cv = col[:, :KKC].reshape(g.B, g.KH * g.KW, g.C, g.OH, g.OW)
    for k, rows, cols in _plain_windows(g):
        cv[:, k] = xpad[:, :, rows, cols]
    return col


def _thin_chunk(g: ConvGeometry, itemsize: int) -> int:
    """Images per block of the image-major col (B, KK*C+1, OH*OW) within ``COL_BUDGET``."""
    return max(1, min(g.B, COL_BUDGET // ((g.KH * g.KW * g.C + 1) * g.OH * g.OW * itemsize)))


def _thin_forward(x, w, bias, g: ConvGeometry, keep_col: bool):
    """Image-major forward; a large batch runs in blocks of images whose col stays cache-sized (a whole-
    batch col is 27 MB for the first MNIST conv at batch 1000, and freed heap memory stays resident)."""
    w2 = _weights_with_bias(w, bias, g)[0]
    n = _thin_chunk(g, x.itemsize)
    if n >= g.B:
        col = im2col_images(x, g, bias is not None)
        return xp.matmul(w2, col).reshape(g.out_shape), (col if keep_col else None)
    out = xp.empty(g.out_shape, dtype=x.dtype)
    o3 = out.reshape(g.B, g.O, g.OH * g.OW)
    for s in range(0, g.B, n):
        gb = g.with_batch(min(n, g.B - s))
        xp.matmul(w2, im2col_images(x[s:s + gb.B], gb, bias is not None), out=o3[s:s + gb.B])
    return out, None


def _thin_backward(gy, x, col, w, g: ConvGeometry, need_x: bool, need_w: bool, with_bias: bool):
    g3 = gy.reshape(g.B, g.O, g.OH * g.OW)
    dx = dw = db = None
    if need_x:
        dcol = xp.matmul(weight_matrix(w, g)[0].T, g3)            # (B, KK*C, OH*OW)
        dx = fold(dcol.reshape(g.B, g.KH * g.KW, g.C, g.OH, g.OW).transpose(0, 2, 1, 3, 4), g)
    if need_w:
        if col is None:                                           # forward ran in blocks: rebuild per block
            n = _thin_chunk(g, gy.itemsize)
            dw2 = None
            for s in range(0, g.B, n):
                gb = g.with_batch(min(n, g.B - s))
                part = xp.matmul(g3[s:s + gb.B], im2col_images(x[s:s + gb.B], gb, with_bias).transpose(0, 2, 1))
                part = part.sum(axis=0)
                dw2 = part if dw2 is None else xp.add(dw2, part, out=dw2)
        else:
            dw2 = xp.matmul(g3, col.transpose(0, 2, 1)).sum(axis=0)   # (O, KK*C [+1])
        KKC = g.KH * g.KW * g.C
        dw = weight_from_matrix(dw2[:, :KKC].T[None], g)
        db = dw2[:, KKC].copy() if with_bias else None
    return dx, dw, db


def unfold(x, g: ConvGeometry):
    """F.unfold layout: (B, C, H, W) -> (B, C*KH*KW, OH*OW), rows ordered (c, kh, kw)."""
    KK = g.KH * g.KW
    xpad = _pad_plain(x, g)
    out = xp.empty((g.B, g.C, KK, g.OH, g.OW), dtype=x.dtype)
    for k, rows, cols in _plain_windows(g):
        out[:, :, k] = xpad[:, :, rows, cols]
    return out.reshape(g.B, g.C * KK, g.OH * g.OW)


def fold(cols, g: ConvGeometry):
    """Adjoint of ``unfold``: (B, C*KH*KW, OH*OW) -> (B, C, H, W), summing overlapping values."""
    KK = g.KH * g.KW
    Hp, Wp = g.H + g.pt + g.pb, g.W + g.pl + g.pr
    out = xp.zeros((g.B, g.C, Hp, Wp), dtype=cols.dtype)
    cv = cols.reshape(g.B, g.C, KK, g.OH, g.OW)
    for k, rows, cls in _plain_windows(g):
        out[:, :, rows, cls] += cv[:, :, k]
    return xp.ascontiguousarray(out[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W])


def _pad_plain(x, g: ConvGeometry):
    if not (g.pt or g.pb or g.pl or g.pr):
        return x
    out = xp.zeros((g.B, g.C, g.H + g.pt + g.pb, g.W + g.pl + g.pr), dtype=x.dtype)
    out[:, :, g.pt:g.pt + g.H, g.pl:g.pl + g.W] = x
    return out


def _plain_windows(g: ConvGeometry):
    k = 0
    for i in range(g.KH):
        rows = slice(i * g.dh, i * g.dh + g.sh * (g.OH - 1) + 1, g.sh)
        for j in range(g.KW):
            yield k, rows, slice(j * g.dw, j * g.dw + g.sw * (g.OW - 1) + 1, g.sw)
            k += 1
