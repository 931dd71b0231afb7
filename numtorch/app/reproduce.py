"""``numtorch reproduce``: the six course experiments end to end, into one report with a table and figures.

1. MLP 784-128-10 (ReLU, plain SGD) on MNIST, accuracy before and after training.
2. Sigmoid MLP 784-256-10 trained with a hand-written backward, checked against autograd.
3. Softmax regression on Fashion-MNIST: the correct loss against the double-softmax mistake.
4. A 2-layer network, a residual MLP (BatchNorm, Dropout) and a CNN on Fashion-MNIST, per class.
5. A CNN on MNIST.
6. A study of learning rate, hidden size and batch size (MLP on MNIST).
``--quick`` runs each on a subset for an epoch or two (minutes instead of the better part of an hour).
"""
from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

import numtorch
import numtorch.nn.functional as F

from .config import TrainConfig
from .data import eval_batches, load_splits, train_loader
from .reports import Report, pct, plot_metric, plot_per_class, plot_runs, plot_study, write_csv
from .training import echo, set_threads, train

TARGETS = {"mlp-mnist": 0.98, "cnn-mnist": 0.993, "softmax-fashion": 0.84, "cnn-fashion": 0.92}


@dataclass
class Ctx:
    out: Path
    quick: bool
    data: Optional[str]
    progress: Optional[bool]
    html: bool
    log: Callable[[str], None]
    report: Report
    rows: list
    threads: Optional[int] = None
    limit: Optional[int] = None     # at most this many training images per experiment, one epoch (for tests)

    def sizes(self, full: dict, quick: dict) -> dict:
        d = dict(quick if self.quick else full)
        if self.limit:
            d.update(limit_train=self.limit, val_size=max(self.limit // 4, 16), limit_test=self.limit, epochs=1)
        return d

    def cfg(self, full: dict, quick: dict, **common) -> TrainConfig:
        """A config: ``common`` settings plus the full or quick sizes."""
        base = dict(val_size=5000, data=self.data, threads=self.threads)
        base.update(common)
        base.update(self.sizes(full, quick))
        return TrainConfig(**base)

    def run(self, name: str, cfg: TrainConfig):
        self.log(f"--- {name}")
        res = train(cfg, self.out / name, progress=self.progress, html=self.html,
                    log=lambda s: None if s.startswith(("Report", "Run folder")) else self.log(s))
        if res.status != "completed":
            raise KeyboardInterrupt
        return res

    def row(self, exp: int, what: str, dataset: str, acc: float, target: Optional[str] = None, note: str = ""):
        met = ""
        if target is not None:
            met = "yes" if acc >= TARGETS[target] else ("no (quick)" if self.quick else "no")
        self.rows.append({"experiment": exp, "model": what, "dataset": dataset, "test_acc": acc,
                          "target": TARGETS.get(target) if target else None, "met": met, "note": note})


QUICK = dict(limit_train=4000, val_size=1000, limit_test=2000, epochs=1)


def exp1(c: Ctx) -> None:
    cfg = c.cfg(dict(epochs=20), dict(QUICK, epochs=2), model="mlp", dataset="mnist", hidden=[128],
                activation="relu", optimizer="sgd", lr=0.1, momentum=0.0, batch_size=32, scheduler="cosine")
    before = _accuracy_before(cfg)
    res = c.run("1-mlp-mnist", cfg)
    c.report.heading("1. MLP 784-128-10 with ReLU and plain SGD on MNIST")
    c.report.para(f"Test accuracy before training **{pct(before)}** (chance is 10%), after {cfg.epochs} epochs of "
                  f"SGD (lr {cfg.lr} with cosine decay, batch {cfg.batch_size}, no momentum) "
                  f"**{pct(res.test.accuracy)}**.")
    c.report.image("1-mlp-mnist/accuracy.png", "MLP on MNIST: accuracy per epoch")
    c.row(1, "MLP 784-128-10 (ReLU, SGD), before training", "MNIST", before)
    c.row(1, "MLP 784-128-10 (ReLU, SGD)", "MNIST", res.test.accuracy, "mlp-mnist")


def _accuracy_before(cfg: TrainConfig) -> float:
    from .training import make_model
    from .evaluation import evaluate
    splits = load_splits(cfg.dataset, cfg.data, cfg.val_size, cfg.limit_train, cfg.limit_test)
    numtorch.manual_seed(cfg.seed)  # the same initial weights as the training run
    return evaluate(make_model(cfg, splits), splits.x_test, splits.y_test, splits.classes).accuracy


class SigmoidMLP:
    """784-256-10 sigmoid MLP with a hand-written forward and backward (no autograd).

    forward: ``z1 = x W1 + b1``, ``h = sigmoid(z1)``, ``z2 = h W2 + b2``; x ``(N, 784)`` -> logits ``(N, 10)``.
    backward of the mean cross-entropy: ``dz2 = (softmax(z2) - onehot(y)) / N``, ``dW2 = h^T dz2``,
    ``db2 = sum(dz2)``, ``dh = dz2 W2^T``, ``dz1 = dh * h * (1 - h)``, ``dW1 = x^T dz1``, ``db1 = sum(dz1)``.
    """

    def __init__(self, sizes=(784, 256, 10)) -> None:
        self.params = {}
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
            bound = 1 / math.sqrt(fan_in)  # nn.Linear's initialisation
            self.params[f"W{i}"] = (numtorch.rand(fan_in, fan_out) * 2 - 1) * bound
            self.params[f"b{i}"] = (numtorch.rand(fan_out) * 2 - 1) * bound

    def forward(self, x):
        p = self.params
        self.x = x.reshape(len(x), -1)
        self.h = (self.x @ p["W1"] + p["b1"]).sigmoid()
        return self.h @ p["W2"] + p["b2"]

    def backward(self, logits, y) -> dict:
        n, c = logits.shape
        onehot = (y.reshape(-1, 1) == numtorch.arange(c).reshape(1, -1)).to(logits.dtype)
        dz2 = (logits.softmax(dim=1) - onehot) / n
        dh = dz2 @ self.params["W2"].T
        dz1 = dh * self.h * (1 - self.h)
        return {"W2": self.h.T @ dz2, "b2": dz2.sum(dim=0), "W1": self.x.T @ dz1, "b1": dz1.sum(dim=0)}


def gradient_check(model: SigmoidMLP, x, y) -> dict:
    """Max absolute and relative difference between the hand-written and autograd gradients, per parameter."""
    with numtorch.no_grad():
        manual = model.backward(model.forward(x), y)
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in model.params.items()}
    xf = x.reshape(len(x), -1)
    logits = (xf @ leaves["W1"] + leaves["b1"]).sigmoid() @ leaves["W2"] + leaves["b2"]
    F.cross_entropy(logits, y).backward()
    out = {}
    for k, g in manual.items():
        a = leaves[k].grad
        err = float((g - a).abs().max().item())
        out[k] = {"max_abs": err, "max_rel": err / max(float(a.abs().max().item()), 1e-30)}
    return out


def numerical_check(model: SigmoidMLP, x, y, entries: int = 8, eps: float = 1e-5, seed: int = 0) -> float:
    """Max relative error of the hand-written gradients against float64 central differences.

    ``entries`` random entries per parameter; relative error ``|num - g| / max(|num| + |g|, 1e-12)``.
    """
    base = {k: v.numpy().astype(np.float64) for k, v in model.params.items()}
    probe = SigmoidMLP.__new__(SigmoidMLP)
    x64 = x.double()

    def use(params: dict) -> None:
        probe.params = {k: numtorch.from_numpy(v) for k, v in params.items()}

    def loss(params: dict) -> float:
        use(params)
        return float(F.cross_entropy(probe.forward(x64), y).item())

    use(base)
    with numtorch.no_grad():
        grads = {k: g.numpy() for k, g in probe.backward(probe.forward(x64), y).items()}
    rng = np.random.default_rng(seed)
    worst = 0.0
    for k, v in base.items():
        for flat in rng.choice(v.size, min(entries, v.size), replace=False):
            i = np.unravel_index(flat, v.shape)
            shifted = []
            for sign in (1, -1):
                w = v.copy()
                w[i] += sign * eps
                shifted.append(loss({**base, k: w}))
            num = (shifted[0] - shifted[1]) / (2 * eps)
            worst = max(worst, abs(num - grads[k][i]) / max(abs(num) + abs(grads[k][i]), 1e-12))
    return worst


def exp2(c: Ctx) -> None:
    kw = c.sizes(dict(epochs=15), dict(QUICK, epochs=2))
    epochs, lr, bs = kw["epochs"], 0.5, 64
    splits = load_splits("mnist", c.data, kw.get("val_size", 5000), kw.get("limit_train"), kw.get("limit_test"))
    numtorch.manual_seed(0)
    model = SigmoidMLP()
    xb, yb = splits.x_train[:256], splits.y_train[:256]
    check_before = gradient_check(model, xb, yb)
    numeric = numerical_check(model, xb[:64], yb[:64])
    gen = numtorch.Generator()
    gen.manual_seed(0)
    history = []
    c.log("--- 2-sigmoid-mlp-manual")
    for epoch in range(epochs):
        t0, loss_sum, correct, seen = time.perf_counter(), 0.0, 0, 0
        with numtorch.no_grad():
            for xb_, yb_ in train_loader(splits.x_train, splits.y_train, bs, gen):
                logits = model.forward(xb_)
                grads = model.backward(logits, yb_)
                for k, g in grads.items():
                    model.params[k] -= lr * g
                loss_sum += float(F.cross_entropy(logits, yb_).item()) * len(yb_)
                correct += int((logits.argmax(dim=1) == yb_).sum().item())
                seen += len(yb_)
        val_loss, val_acc = _manual_eval(model, splits.x_val, splits.y_val)
        history.append({"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_acc": correct / seen,
                        "val_loss": val_loss, "val_acc": val_acc, "lr": lr, "seconds": time.perf_counter() - t0})
        c.log(f"epoch {epoch + 1}/{epochs}  train loss {loss_sum / seen:.4f}  val acc {100 * val_acc:.2f}%")
    check_after = gradient_check(model, xb, yb)
    _, test_acc = _manual_eval(model, splits.x_test, splits.y_test)
    folder = c.out / "2-sigmoid-mlp-manual"
    folder.mkdir(parents=True, exist_ok=True)
    plot_metric(history, "acc", folder / "accuracy.png", "Sigmoid MLP (hand-written backward): accuracy")
    (folder / "metrics.json").write_text(json.dumps({"epochs": history, "test_acc": test_acc,
                                                     "gradient_check": {"initial": check_before,
                                                                        "trained": check_after},
                                                     "central_difference_max_rel_error": numeric}, indent=2))
    worst = max(max(v["max_abs"] for v in chk.values()) for chk in (check_before, check_after))
    c.log(f"hand-written backward vs autograd: max gradient error {worst:.3e}; "
          f"vs float64 central differences: max relative error {numeric:.3e}")
    c.report.heading("2. Sigmoid MLP 784-256-10 with a hand-written backward")
    c.report.para(f"Trained with SGD (lr {lr}, batch {bs}, {epochs} epochs) using only the hand-written gradients; "
                  f"test accuracy **{pct(test_acc)}**. The backward was checked against autograd on a batch of "
                  f"256 images, at initialisation and after training: **max gradient error {worst:.2e}** "
                  f"(float32)" + (" — zero because autograd evaluates exactly the same expressions, in the same "
                                  "order." if worst == 0 else ".") +
                  f" Against float64 central differences (8 random entries per parameter, 64 images) the "
                  f"largest relative error is **{numeric:.1e}**.")
    c.report.table(["parameter", "max abs error (init)", "max rel error (init)", "max abs error (trained)",
                    "max rel error (trained)"],
                   [[k, f"{check_before[k]['max_abs']:.2e}", f"{check_before[k]['max_rel']:.2e}",
                     f"{check_after[k]['max_abs']:.2e}", f"{check_after[k]['max_rel']:.2e}"] for k in check_before])
    c.report.image("2-sigmoid-mlp-manual/accuracy.png", "Sigmoid MLP trained with the hand-written backward")
    c.row(2, "Sigmoid MLP 784-256-10 (hand-written backward)", "MNIST", test_acc,
          note=f"max gradient error {worst:.1e} (autograd), {numeric:.1e} (central differences, relative)")


def _manual_eval(model: SigmoidMLP, x, y) -> tuple:
    loss_sum, correct = 0.0, 0
    with numtorch.no_grad():
        for xb, yb in eval_batches(x, y):
            logits = model.forward(xb)
            loss_sum += float(F.cross_entropy(logits, yb).item()) * len(yb)
            correct += int((logits.argmax(dim=1) == yb).sum().item())
    return loss_sum / len(y), correct / len(y)


def exp3(c: Ctx) -> None:
    common = dict(model="softmax", dataset="fashion-mnist", optimizer="sgd", lr=0.02, momentum=0.0, batch_size=64,
                  scheduler="cosine")
    right = c.run("3-softmax-fashion", c.cfg(dict(epochs=15), dict(QUICK, epochs=2), **common))
    with warnings.catch_warnings():  # numtorch warns about probabilities fed to cross_entropy: the point here
        warnings.simplefilter("ignore")
        wrong = c.run("3-softmax-fashion-double-softmax", c.cfg(dict(epochs=15), dict(QUICK, epochs=2),
                                                                model_args={"output_softmax": True}, **common))
    gap = right.test.accuracy - wrong.test.accuracy
    plot_runs({"correct (logits into CrossEntropyLoss)": right.history,
               "double softmax (probabilities into CrossEntropyLoss)": wrong.history},
              c.out / "3-double-softmax.png", "Softmax regression on Fashion-MNIST")
    floor = math.log(1 + 9 / math.e)
    c.report.heading("3. Softmax regression on Fashion-MNIST: the double-softmax mistake")
    c.report.table(["loss", "test accuracy", "test loss", "final train loss"],
                   [["correct: logits into CrossEntropyLoss", pct(right.test.accuracy), f"{right.test.loss:.4f}",
                     f"{right.history[-1]['train_loss']:.4f}"],
                    ["mistake: softmax, then CrossEntropyLoss", pct(wrong.test.accuracy), f"{wrong.test.loss:.4f}",
                     f"{wrong.history[-1]['train_loss']:.4f}"]])
    verdict = (f"The double softmax is **{100 * gap:.2f} percentage points worse** on the test set" if gap > 0
               else f"In this reduced run the double softmax is not worse ({100 * -gap:.2f} points better); "
               f"the full run shows the cost")
    c.report.para(f"{verdict} (same model, data, seed, optimizer and epochs; plain SGD, lr {common['lr']}). "
                  f"Why: `CrossEntropyLoss` applies log-softmax itself, so giving it probabilities computes "
                  f"`log_softmax(softmax(z))`. Its inputs are squashed into "
                  f"[0, 1], so even a perfect prediction cannot push the loss below log(1 + 9/e) = {floor:.3f} "
                  f"(compare the final train losses above), and every gradient passes through the softmax "
                  f"Jacobian, which shrinks as the probabilities saturate: learning is slow and confident correct "
                  f"answers are hardly rewarded. The fix: return logits from the model and let the loss do the "
                  f"softmax (or use `log_softmax` with `NLLLoss`).")
    c.report.image("3-double-softmax.png", "Correct loss against the double softmax")
    c.row(3, "Softmax regression (correct loss)", "Fashion-MNIST", right.test.accuracy, "softmax-fashion")
    c.row(3, "Softmax regression (double softmax)", "Fashion-MNIST", wrong.test.accuracy,
          note=f"{100 * abs(gap):.2f} points {'worse' if gap > 0 else 'better'} than the correct loss" if gap
          else "as good as the correct loss")


def exp4(c: Ctx) -> None:
    runs = [
        ("2-layer MLP 784-256-10", "4-mlp-fashion", dict(model="mlp", hidden=[256], epochs=10, lr=1e-3)),
        ("Residual MLP (BatchNorm, Dropout)", "4-resmlp-fashion",
         dict(model="resmlp", hidden=256, depth=2, dropout=0.2, batch_norm=True, epochs=10, lr=1e-3)),
        ("CNN (VGG-style, BatchNorm)", "4-cnn-fashion", dict(model="vgg", width=16, epochs=10, lr=2e-3,
                                                             scheduler="cosine")),
    ]
    c.report.heading("4. Three models on Fashion-MNIST")
    per_class, curves, table = {}, {}, []
    for label, name, spec in runs:
        spec = dict(spec)
        hidden = spec.pop("hidden", None)
        full = {"epochs": spec.pop("epochs")}
        res = c.run(name, c.cfg(full, dict(QUICK), dataset="fashion-mnist", optimizer="adam", batch_size=64,
                                hidden=[hidden] if isinstance(hidden, int) else hidden, **spec))
        per_class[label] = (list(res.test.classes), res.test.per_class)
        curves[label] = res.history
        table.append([label, f"{res.parameters:,}", pct(res.test.accuracy), *(pct(a) for a in res.test.per_class)])
        c.row(4, label, "Fashion-MNIST", res.test.accuracy, "cnn-fashion" if "CNN" in label else None)
    classes = next(iter(per_class.values()))[0]
    c.report.table(["model", "parameters", "test acc", *classes], table)
    plot_per_class(per_class, c.out / "4-per-class.png", "Fashion-MNIST: per-class test accuracy")
    plot_runs(curves, c.out / "4-curves.png", "Fashion-MNIST")
    c.report.image("4-per-class.png", "Per-class test accuracy of the three models")
    c.report.image("4-curves.png", "Validation curves of the three models")
    c.report.image("4-cnn-fashion/confusion_matrix.png", "CNN on Fashion-MNIST: confusion matrix")


def exp5(c: Ctx) -> None:
    cfg = c.cfg(dict(epochs=8), dict(QUICK, epochs=1), model="vgg", dataset="mnist", width=16, optimizer="adam",
                lr=2e-3, scheduler="cosine", batch_size=64)
    res = c.run("5-cnn-mnist", cfg)
    c.report.heading("5. CNN on MNIST")
    c.report.para(f"VGG-style CNN ({res.parameters:,} parameters), Adam with cosine decay, {cfg.epochs} epochs: "
                  f"test accuracy **{pct(res.test.accuracy)}**.")
    c.report.image("5-cnn-mnist/accuracy.png", "CNN on MNIST: accuracy per epoch")
    c.report.image("5-cnn-mnist/confusion_matrix.png", "CNN on MNIST: confusion matrix")
    c.row(5, "CNN (VGG-style)", "MNIST", res.test.accuracy, "cnn-mnist")


def exp6(c: Ctx) -> None:
    base = dict(model="mlp", dataset="mnist", hidden=[128], optimizer="sgd", momentum=0.0, lr=0.1, batch_size=64)
    sizes = c.sizes(dict(limit_train=10000, val_size=5000, limit_test=10000, epochs=5),
                    dict(limit_train=2000, val_size=500, limit_test=2000, epochs=2))
    grid = {"lr": [0.01, 0.03, 0.1, 0.3, 1.0], "hidden": [32, 64, 128, 256, 512], "batch_size": [16, 32, 64, 128, 256]}
    if c.quick or c.limit:
        grid = {k: v[::2] for k, v in grid.items()}
    groups, table, done = {}, [], {}
    for name, values in grid.items():
        points = []
        for v in values:
            spec = dict(base, **sizes)
            spec[name] = [v] if name == "hidden" else v
            key = json.dumps(spec, sort_keys=True)
            if key not in done:
                res = c.run(f"6-study/{name}={v}", TrainConfig(data=c.data, threads=c.threads, **spec))
                done[key] = res.test.accuracy
            points.append((v, done[key]))
            table.append([name, v, pct(done[key])])
        groups[name] = points
    plot_study(groups, c.out / "6-study.png", "MLP on MNIST")
    write_csv(c.out / "6-study.csv", ["hyperparameter", "value", "test_acc"], [[n, v, a] for n, v, a in
                                                                                 _flat(groups)])
    c.report.heading("6. Hyperparameter study: learning rate, hidden size, batch size")
    c.report.para(f"MLP on MNIST, one setting varied at a time around lr 0.1, hidden 128, batch 64 (plain SGD, "
                  f"{sizes['limit_train']} training images, {sizes['epochs']} epochs).")
    c.report.table(["hyperparameter", "value", "test accuracy"], table)
    c.report.image("6-study.png", "Test accuracy against each hyperparameter")
    best = max(_flat(groups), key=lambda t: t[2])
    c.row(6, f"MLP study (best: {best[0]}={best[1]})", "MNIST", best[2], note=f"{len(done)} runs")


def _flat(groups: dict) -> list:
    return [(n, v, a) for n, pts in groups.items() for v, a in pts]


EXPERIMENTS = {1: exp1, 2: exp2, 3: exp3, 4: exp4, 5: exp5, 6: exp6}


def run_reproduce(out: Path, quick: bool = False, only: Optional[list] = None, data: Optional[str] = None,
                  threads: Optional[int] = None, html: bool = False, progress: Optional[bool] = None,
                  log: Callable[[str], None] = echo, limit: Optional[int] = None) -> int:
    """Run the experiments (all, or ``only``) into ``out``; writes ``report.md`` and ``results.csv``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    set_threads(threads)
    title = "numtorch reproduce" + (" --quick (reduced data and epochs)" if quick else "")
    report = Report(title)
    c = Ctx(out, quick, data, progress, html, log, report, [], threads, limit)
    t0 = time.perf_counter()
    status = 0
    for k in only or sorted(EXPERIMENTS):
        log(f"=== experiment {k}")
        try:
            EXPERIMENTS[k](c)
        except KeyboardInterrupt:
            log("Interrupted: writing the report for the experiments finished so far.")
            status = 130
            break
    summary = Report(title)
    summary.para(f"{len(c.rows)} results in {time.perf_counter() - t0:.0f} s"
                 + (" (quick mode: targets apply to the full run)." if quick else "."))
    summary.heading("Results")
    summary.table(["#", "model", "dataset", "test accuracy", "target", "met", "note"],
                  [[r["experiment"], r["model"], r["dataset"], pct(r["test_acc"]),
                    "" if r["target"] is None else f">= {100 * r['target']:.1f}%", r["met"], r["note"]]
                   for r in c.rows])
    summary.blocks += report.blocks
    write_csv(out / "results.csv", ["experiment", "model", "dataset", "test_acc", "target", "met", "note"],
              [[r[k] for k in ("experiment", "model", "dataset", "test_acc", "target", "met", "note")] for r in c.rows])
    path = summary.write(out, html=html)
    log("\n" + "\n".join(f"{r['experiment']}. {r['model']:<48} {r['dataset']:<14} {pct(r['test_acc']):>7}"
                         f"  {r['met']}  {r['note']}" for r in c.rows))
    log(f"Report: {path}")
    return status
