"""PyTorch-style ``repr`` for tensors: ``tensor([[1., 2.], [3., 4.]], requires_grad=True)``."""
from __future__ import annotations

import numpy as np

PRINT_OPTIONS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80, "sci_mode": None}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None):
    for key, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                       ("linewidth", linewidth)):
        if value is not None:
            PRINT_OPTIONS[key] = value
    PRINT_OPTIONS["sci_mode"] = sci_mode


def _float_formatter(arr: np.ndarray):
    """PyTorch's choice: integer style ("1.") when every finite value is whole, scientific when the
    finite magnitudes span more than 1000x or exceed 1e8 (or fall below 1e-4), fixed otherwise.
    The column width comes from the finite values; nan/inf are printed as they are."""
    p = PRINT_OPTIONS["precision"]
    finite = np.abs(arr[np.isfinite(arr)]).astype(np.float64)
    nonzero = finite[finite != 0]
    sci = PRINT_OPTIONS["sci_mode"]
    int_mode = finite.size > 0 and bool(np.all(finite == np.round(finite)))
    if sci is None:
        if nonzero.size == 0:
            sci = False
        elif int_mode:
            sci = nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8
        else:
            sci = nonzero.max() / nonzero.min() > 1000.0 or nonzero.max() > 1e8 or nonzero.min() < 1e-4

    def special(x):
        return "nan" if np.isnan(x) else "inf" if x > 0 else "-inf"

    if sci:
        base = lambda x: f"{x:.{p}e}"
    elif int_mode:
        base = lambda x: f"{x:.0f}."
    else:
        base = lambda x: f"{x:.{p}f}"
    fmt = lambda x: base(x) if np.isfinite(x) else special(x)
    sample = arr.reshape(-1)[:2000]
    sample = sample[np.isfinite(sample)]
    width = max((len(fmt(x)) for x in sample), default=0)
    return fmt, width


def format_array(arr: np.ndarray, indent: int) -> str:
    if arr.dtype.kind == "f":
        fmt, width = _float_formatter(arr)
        formatter = {"float_kind": lambda x: fmt(x).rjust(width)}
    elif arr.dtype.kind == "b":
        width = 5 if not arr.all() and arr.size > 1 else 4
        formatter = {"bool": lambda x: ("True" if x else "False").rjust(width)}
    else:
        width = max((len(str(x)) for x in arr.reshape(-1)[:2000]), default=0)
        formatter = {"int": lambda x: str(x).rjust(width)}
    if arr.ndim == 0:
        return formatter[next(iter(formatter))](arr.item()).strip()
    text = np.array2string(arr, separator=", ", prefix=" " * indent, formatter=formatter,
                           threshold=PRINT_OPTIONS["threshold"], edgeitems=PRINT_OPTIONS["edgeitems"],
                           max_line_width=PRINT_OPTIONS["linewidth"])
    # PyTorch prints an elided run inside a row as " ..." (two spaces after the comma)
    return text.replace(", ..., ", ",  ..., ")


def _default_float_name() -> str:
    from ._dtype import get_default_dtype
    return get_default_dtype().np.name


def format_tensor(t, prefix: str = "tensor(") -> str:
    arr = t._data
    suffixes = []
    if arr.size == 0 and arr.ndim != 1:
        body = "[]"
        suffixes.append(f"size={tuple(arr.shape)}")
    else:
        body = format_array(arr, len(prefix))
    if arr.dtype.name != _default_float_name() and (arr.size == 0 or arr.dtype.name not in ("int64", "bool")):
        suffixes.append(f"dtype=numtorch.{arr.dtype.name}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, len(prefix))


def _add_suffixes(text: str, suffixes, indent: int) -> str:
    """", dtype=..., requires_grad=True)": a suffix that would pass the line width goes on its own line."""
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1  # PyTorch's measure (it counts 2 extra with no newline)
    for suffix in suffixes:
        n = len(suffix.replace("numtorch.", "torch."))  # lay out as PyTorch does for the same tensor
        if last_line_len + n + 2 > PRINT_OPTIONS["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + n
        else:
            parts.append(", " + suffix)
            last_line_len += n + 2
    parts.append(")")
    return "".join(parts)
