"""Evaluating a classifier: loss, accuracy, per-class accuracy and the confusion matrix."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

import numtorch
from numtorch import nn

from .data import eval_batches


@dataclass
class EvalResult:
    loss: float
    accuracy: float                      # fraction in [0, 1]
    confusion: np.ndarray                # (C, C): rows true class, columns predicted class
    classes: Sequence[str] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return int(self.confusion.sum())

    @property
    def per_class(self) -> np.ndarray:
        """Accuracy of each true class (recall), NaN for classes absent from the data."""
        totals = self.confusion.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, np.diag(self.confusion) / np.maximum(totals, 1), np.nan)

    def to_dict(self) -> dict:
        return {"loss": self.loss, "accuracy": self.accuracy, "count": self.count,
                "per_class": {c: (None if np.isnan(a) else float(a)) for c, a in zip(self.classes, self.per_class)},
                "confusion": self.confusion.tolist(), "classes": list(self.classes)}


def evaluate(model: nn.Module, x, y, classes: Sequence[str], criterion: Optional[nn.Module] = None,
             batch_size: int = 1000) -> EvalResult:
    """Run ``model`` in eval mode over ``(x, y)``; returns mean loss, accuracy and the confusion matrix."""
    criterion = criterion or nn.CrossEntropyLoss()
    c = len(classes)
    was_training = model.training
    model.eval()
    loss_sum, counts = 0.0, np.zeros(c * c, dtype=np.int64)
    with numtorch.no_grad():
        for xb, yb in eval_batches(x, y, batch_size):
            out = model(xb)
            loss_sum += float(criterion(out, yb).item()) * len(yb)
            pred = out.argmax(dim=1).numpy().astype(np.int64)
            counts += np.bincount(yb.numpy().astype(np.int64) * c + pred, minlength=c * c)
    model.train(was_training)
    confusion = counts.reshape(c, c)
    n = max(int(confusion.sum()), 1)
    return EvalResult(loss_sum / n, float(np.trace(confusion)) / n, confusion, tuple(classes))


def format_eval(result: EvalResult, title: str = "test") -> str:
    """A plain-text summary: accuracy, loss, per-class accuracy and the confusion matrix."""
    lines = [f"{title}: accuracy {100 * result.accuracy:.2f}%  loss {result.loss:.4f}  ({result.count} images)",
             "per-class accuracy:"]
    width = max(len(c) for c in result.classes)
    for cls, acc in zip(result.classes, result.per_class):
        lines.append(f"  {cls:<{width}}  {'n/a' if np.isnan(acc) else f'{100 * acc:6.2f}%'}")
    lines.append("confusion matrix (rows: true class, columns: predicted):")
    cw = max(5, len(str(result.confusion.max())) + 1)
    lines.append(" " * (width + 2) + "".join(f"{i:>{cw}}" for i in range(len(result.classes))))
    for i, (cls, row) in enumerate(zip(result.classes, result.confusion)):
        lines.append(f"  {cls:<{width}}" + "".join(f"{v:>{cw}}" for v in row))
    return "\n".join(lines)
