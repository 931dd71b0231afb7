"""Plots (matplotlib, Agg) and reports (``report.md``, optional ``report.html``) for runs, sweeps and reproduce."""
from __future__ import annotations

import csv
import html as _html
import math
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
from matplotlib.figure import Figure  # the object API draws with Agg; no GUI backend is touched


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(str(path), dpi=110)
    return Path(path)


def _epochs(history: Sequence[dict]) -> list:
    return [h["epoch"] for h in history]


def plot_metric(history: Sequence[dict], metric: str, path: Path, title: str) -> Path:
    """Train and validation ``metric`` ("loss" or "acc") against the epoch, on one chart."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    ep = _epochs(history)
    scale = 100.0 if metric == "acc" else 1.0
    for split, style in (("train", "o-"), ("val", "s--")):
        ys = [h[f"{split}_{metric}"] * scale for h in history]
        if not all(math.isnan(y) for y in ys):
            ax.plot(ep, ys, style, label="train" if split == "train" else "validation")
    ax.set_title(title)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)" if metric == "acc" else "cross-entropy loss")
    ax.grid(alpha=0.3)
    if len(ep) <= 20:
        ax.set_xticks(ep)
    ax.legend()
    return _save(fig, path)


def plot_confusion(confusion: np.ndarray, classes: Sequence[str], path: Path, title: str) -> Path:
    """Confusion matrix coloured by the fraction of each true class, with the counts written in."""
    c = len(classes)
    fig = Figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot()
    rows = confusion.sum(axis=1, keepdims=True)
    frac = confusion / np.maximum(rows, 1)
    im = ax.imshow(frac, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(im, ax=ax, label="fraction of true class")
    for i in range(c):
        for j in range(c):
            if confusion[i, j]:
                ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if frac[i, j] > 0.5 else "black")
    ax.set_xticks(range(c))
    ax.set_yticks(range(c))
    ax.set_xticklabels(classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticklabels(classes, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    return _save(fig, path)


def plot_per_class(per_class: dict, path: Path, title: str) -> Path:
    """Per-class accuracy bars; ``per_class`` maps a label (e.g. a model) to an array over ``classes``."""
    items = list(per_class.items())
    classes = items[0][1][0]
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    w = 0.8 / len(items)
    x = np.arange(len(classes))
    for k, (label, (_, acc)) in enumerate(items):
        ax.bar(x + (k - (len(items) - 1) / 2) * w, 100 * np.nan_to_num(np.asarray(acc, float)), w, label=label)
    ax.set_xticks(x)
    ax.set_xticklabels(classes, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_xlabel("true class")
    ax.set_ylim(0, 100 + 8 * ((len(items) + 2) // 3))
    ax.set_yticks(range(0, 101, 20))
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", ncol=min(3, len(items)))
    return _save(fig, path)


def plot_runs(runs: dict, path: Path, title: str) -> Path:
    """Validation accuracy and loss curves of several runs (``label -> history``), side by side."""
    fig = Figure(figsize=(11, 4.2))
    axes = fig.subplots(1, 2)
    for label, history in runs.items():
        ep = _epochs(history)
        axes[0].plot(ep, [100 * h["val_acc"] for h in history], "o-", ms=3, label=label)
        axes[1].plot(ep, [h["val_loss"] for h in history], "o-", ms=3, label=label)
    for ax, name in zip(axes, ("validation accuracy (%)", "validation loss")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(f"{title}: {name.split(' (')[0]}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return _save(fig, path)


def plot_study(groups: dict, path: Path, title: str) -> Path:
    """One panel per hyperparameter: final validation/test accuracy against its value (log x for numbers)."""
    fig = Figure(figsize=(4 * len(groups), 3.8))
    axes = np.atleast_1d(fig.subplots(1, len(groups)))
    for ax, (name, points) in zip(axes, groups.items()):
        xs, ys = zip(*points)
        ax.plot(xs, [100 * y for y in ys], "o-")
        ax.set_xscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([str(x) for x in xs])
        ax.minorticks_off()
        ax.set_xlabel(name)
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{title}: {name}")
        ax.grid(alpha=0.3)
    return _save(fig, path)


class Report:
    """A report built from blocks, written as Markdown and (optionally) HTML."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.blocks: list = []

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(("h", level, text))

    def para(self, text: str) -> None:
        self.blocks.append(("p", text))

    def table(self, header: Sequence[str], rows: Sequence[Sequence]) -> None:
        self.blocks.append(("t", list(header), [[str(c) for c in r] for r in rows]))

    def image(self, path: str, caption: str) -> None:
        self.blocks.append(("i", path, caption))

    def code(self, text: str) -> None:
        self.blocks.append(("c", text))

    def markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for b in self.blocks:
            if b[0] == "h":
                out += ["#" * b[1] + " " + b[2], ""]
            elif b[0] == "p":
                out += [b[1], ""]
            elif b[0] == "t":
                out.append("| " + " | ".join(b[1]) + " |")
                out.append("|" + "|".join("---" for _ in b[1]) + "|")
                out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in b[2]]
                out.append("")
            elif b[0] == "i":
                out += [f"![{b[2]}]({b[1]})", ""]
            else:
                out += ["```", b[1], "```", ""]
        return "\n".join(out)

    def html(self) -> str:
        e = _html.escape
        out = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>", f"<title>{e(self.title)}</title>",
               "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;padding:0 1em}"
               "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
               "img{max-width:100%}pre{background:#f4f4f4;padding:8px;overflow-x:auto}</style></head><body>",
               f"<h1>{e(self.title)}</h1>"]
        for b in self.blocks:
            if b[0] == "h":
                out.append(f"<h{b[1]}>{e(b[2])}</h{b[1]}>")
            elif b[0] == "p":
                out.append(f"<p>{_inline(b[1])}</p>")
            elif b[0] == "t":
                out.append("<table><tr>" + "".join(f"<th>{_inline(h)}</th>" for h in b[1]) + "</tr>")
                out += ["<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in b[2]]
                out.append("</table>")
            elif b[0] == "i":
                out.append(f"<figure><img src='{e(b[1])}' alt='{e(b[2])}'><figcaption>{e(b[2])}</figcaption>"
                           "</figure>")
            else:
                out.append(f"<pre>{e(b[1])}</pre>")
        out.append("</body></html>")
        return "\n".join(out)

    def write(self, folder: Path, name: str = "report", html: bool = False) -> Path:
        path = Path(folder) / f"{name}.md"
        path.write_text(self.markdown())
        if html:
            (Path(folder) / f"{name}.html").write_text(self.html())
        return path


def _inline(text: str) -> str:
    """Escape text for HTML, keeping Markdown's **bold** and `code`."""
    import re
    t = _html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", t)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", t)


def pct(x: Optional[float]) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.2f}%"


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence]) -> Path:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return Path(path)


def write_eval_files(folder: Path, result, title: str) -> dict:
    """per_class.csv, confusion.csv and the confusion-matrix and per-class plots for one evaluation."""
    folder = Path(folder)
    classes = list(result.classes)
    write_csv(folder / "per_class.csv", ["class", "accuracy", "count"],
              [[c, f"{a:.6f}", int(n)] for c, a, n in zip(classes, result.per_class, result.confusion.sum(axis=1))])
    write_csv(folder / "confusion.csv", ["true\\predicted", *classes],
              [[c, *map(int, row)] for c, row in zip(classes, result.confusion)])
    plot_confusion(result.confusion, classes, folder / "confusion_matrix.png", f"{title}: confusion matrix")
    plot_per_class({title: (classes, result.per_class)}, folder / "per_class_accuracy.png",
                   f"{title}: per-class accuracy")
    return {"confusion": "confusion_matrix.png", "per_class": "per_class_accuracy.png"}


def write_run_report(run_dir: Path, cfg, result, html: bool = False) -> Path:
    """Plots and ``report.md`` for one finished training run."""
    run_dir = Path(run_dir)
    name = f"{cfg.model} on {cfg.dataset}"
    plot_metric(result.history, "loss", run_dir / "loss.png", f"{name}: loss")
    plot_metric(result.history, "acc", run_dir / "accuracy.png", f"{name}: accuracy")
    test = result.test
    write_eval_files(run_dir, test, name)
    rep = Report(f"Training report: {name}")
    rep.para(f"Test accuracy **{pct(test.accuracy)}** (loss {test.loss:.4f}, {test.count} test images) with the "
             f"best checkpoint (epoch {result.best_epoch}, validation accuracy {pct(result.best_val_acc)}); "
             f"{result.parameters:,} parameters, {result.seconds:.1f} s of training.")
    rep.heading("Configuration")
    cfgd = cfg.to_dict()
    cfgd["lr"] = cfg.resolved_lr
    rep.table(["setting", "value"], [[k, v] for k, v in cfgd.items() if v not in (None, {}, [])])
    rep.heading("Per-epoch metrics")
    rep.table(["epoch", "train loss", "train acc", "val loss", "val acc", "lr", "time (s)"],
              [[h["epoch"], f"{h['train_loss']:.4f}", pct(h["train_acc"]), f"{h['val_loss']:.4f}",
                pct(h["val_acc"]), f"{h['lr']:.3g}", f"{h['seconds']:.1f}"] for h in result.history])
    rep.image("loss.png", "Training and validation loss")
    rep.image("accuracy.png", "Training and validation accuracy")
    rep.heading("Test set")
    rep.table(["class", "accuracy", "images"],
              [[c, pct(a), int(n)] for c, a, n in zip(test.classes, test.per_class, test.confusion.sum(axis=1))])
    rep.image("per_class_accuracy.png", "Per-class test accuracy")
    rep.image("confusion_matrix.png", "Confusion matrix (rows: true class, columns: predicted)")
    rep.para("Files: `config.json` (resolved configuration), `metrics.csv` / `metrics.json` (per epoch and test), "
             "`per_class.csv`, `confusion.csv`, `checkpoints/last.pt` (resumable) and `checkpoints/best.pt`.")
    return rep.write(run_dir, html=html)
