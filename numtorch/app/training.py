"""The training loop: run folders, checkpoints (last and best), exact resume, and Ctrl-C.

A run folder holds ``config.json``, ``metrics.csv``/``metrics.json`` (one row per epoch),
``checkpoints/last.pt`` and ``checkpoints/best.pt`` (``numtorch.save``), the plots and ``report.md``.

Exact resume: ``last.pt`` stores the model, optimizer and scheduler state, the global RNG state
(dropout), the data-order generator's state at the start of the current epoch, the epoch and the
number of batches already done in it. Resuming rebuilds everything, replays the epoch's order, skips
the batches done, and so ends with exactly the weights of an uninterrupted run.
Ctrl-C (SIGINT) sets a flag that the loop checks after every batch: it saves ``last.pt`` and returns
with status "interrupted"; a second Ctrl-C aborts at once.
"""
from __future__ import annotations

import json
import math
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import numtorch
from numtorch import nn

from ..models import build_model, count_parameters, used_options
from .config import TrainConfig
from .data import Splits, load_splits, train_loader
from .evaluation import EvalResult, evaluate

CHECKPOINT_DIR = "checkpoints"


def echo(message: str) -> None:
    """Print a progress line at once (also when stdout is a pipe or a file)."""
    print(message, flush=True)


FIELDS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")


@dataclass
class TrainResult:
    run_dir: Path
    status: str                                   # "completed" or "interrupted"
    history: list = field(default_factory=list)   # one dict per finished epoch (FIELDS)
    test: Optional[EvalResult] = None
    best_epoch: Optional[int] = None
    parameters: int = 0
    seconds: float = 0.0
    model: Optional[nn.Module] = None

    @property
    def best_val_acc(self) -> Optional[float]:
        return max((h["val_acc"] for h in self.history), default=None)


def set_threads(n: Optional[int]) -> int:
    """Use ``n`` BLAS threads (default: every core)."""
    n = int(n or os.cpu_count() or 1)
    numtorch.set_num_threads(n)
    return n


def make_optimizer(cfg: TrainConfig, params) -> "numtorch.optim.Optimizer":
    lr, opt, wd = cfg.resolved_lr, numtorch.optim, cfg.weight_decay
    if cfg.optimizer == "sgd":
        return opt.SGD(params, lr=lr, momentum=cfg.momentum, weight_decay=wd,
                       nesterov=cfg.nesterov and cfg.momentum > 0)
    if cfg.optimizer == "adam":
        return opt.Adam(params, lr=lr, weight_decay=wd)
    if cfg.optimizer == "adamw":
        return opt.AdamW(params, lr=lr, weight_decay=wd or 0.01)
    if cfg.optimizer == "rmsprop":
        return opt.RMSprop(params, lr=lr, momentum=cfg.momentum, weight_decay=wd)
    if cfg.optimizer == "adagrad":
        return opt.Adagrad(params, lr=lr, weight_decay=wd)
    return opt.Adadelta(params, lr=lr, weight_decay=wd)


def make_scheduler(cfg: TrainConfig, optimizer):
    sched = numtorch.optim.lr_scheduler
    if cfg.scheduler == "step":
        return sched.StepLR(optimizer, step_size=cfg.step_size, gamma=cfg.gamma)
    if cfg.scheduler == "cosine":
        return sched.CosineAnnealingLR(optimizer, T_max=cfg.epochs)
    if cfg.scheduler == "exponential":
        return sched.ExponentialLR(optimizer, gamma=cfg.gamma)
    return None


def make_model(cfg: TrainConfig, splits: Splits) -> nn.Module:
    return build_model(cfg.model, splits.in_shape, splits.num_classes, **cfg.model_options())


class _Interrupt:
    """SIGINT handler for the duration of training: first Ctrl-C sets ``requested``, the second aborts."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.requested = False
        self.log = log
        self._previous = None

    def __enter__(self) -> "_Interrupt":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        self.log("\nInterrupted: saving a checkpoint after this step (Ctrl-C again to abort at once).")

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _write_metrics(run_dir: Path, history: list, extra: Optional[dict] = None) -> None:
    lines = [",".join(FIELDS)]
    for h in history:
        lines.append(",".join(repr(h[k]) if isinstance(h[k], float) else str(h[k]) for k in FIELDS))
    (run_dir / "metrics.csv").write_text("\n".join(lines) + "\n")
    (run_dir / "metrics.json").write_text(json.dumps({"epochs": history, **(extra or {})}, indent=2) + "\n")


def load_checkpoint(path: Path) -> dict:
    return numtorch.load(str(path))


def train(cfg: TrainConfig, run_dir: Path, *, resume: bool = False, progress: Optional[bool] = None,
          log: Callable[[str], None] = echo, stop_after_batches: Optional[int] = None, report: bool = True,
          html: bool = False, splits: Optional[Splits] = None, command: Optional[list] = None) -> TrainResult:
    """Train ``cfg`` into ``run_dir`` (or continue it with ``resume=True``); returns the result.

    ``stop_after_batches`` simulates a Ctrl-C after that many batches of this call (for tests).
    """
    from tqdm import tqdm

    run_dir = Path(run_dir)
    ckpt_dir = run_dir / CHECKPOINT_DIR
    set_threads(cfg.threads)
    splits = splits or load_splits(cfg.dataset, cfg.data, cfg.val_size, cfg.limit_train, cfg.limit_test)
    ckpt_dir.mkdir(parents=True, exist_ok=True)  # only once the data is there

    numtorch.manual_seed(cfg.seed)
    model = make_model(cfg, splits)
    optimizer = make_optimizer(cfg, model.parameters())
    scheduler = make_scheduler(cfg, optimizer)
    criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing) if cfg.label_smoothing \
        else nn.CrossEntropyLoss()
    data_gen = numtorch.Generator()
    data_gen.manual_seed(cfg.seed)
    n_params = count_parameters(model)

    history: list = []
    start_epoch, start_batch, partial = 0, 0, None
    best_acc, best_epoch, elapsed = -1.0, None, 0.0
    if resume:
        ckpt = load_checkpoint(ckpt_dir / "last.pt")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        if scheduler is not None and ckpt.get("scheduler") is not None:
            scheduler.load_state_dict(ckpt["scheduler"])
        numtorch.set_rng_state(ckpt["rng_state"])
        data_gen.set_state(ckpt["data_gen_state"])
        start_epoch, start_batch = int(ckpt["epoch"]), int(ckpt["batch"])
        partial = ckpt.get("partial")
        history = list(ckpt["history"])
        best_acc = float(ckpt.get("best_val_acc", -1.0))
        best_epoch = ckpt.get("best_epoch")
        elapsed = float(ckpt.get("seconds", 0.0))
        where = f"epoch {start_epoch + 1}, batch {start_batch}" if start_batch else f"epoch {start_epoch + 1}"
        cfg_path = run_dir / "config.json"
        if cfg_path.is_file():  # record settings changed on resume (--epochs, --threads, --data)
            saved = json.loads(cfg_path.read_text())
            if saved.get("config") != cfg.to_dict():
                saved["config"] = cfg.to_dict()
                cfg_path.write_text(json.dumps(saved, indent=2) + "\n")
        log(f"Resuming {run_dir} at {where}")
    else:
        resolved = {"lr": cfg.resolved_lr, "model_options": used_options(cfg.model, cfg.model_options()),
                    "in_shape": list(splits.in_shape), "classes": list(splits.classes), "parameters": n_params,
                    "train_size": len(splits.y_train), "val_size": len(splits.y_val),
                    "test_size": len(splits.y_test), "numtorch_version": getattr(numtorch, "__version__", "?")}
        cfg.save(run_dir / "config.json", {"resolved": resolved, "command": command})
        log(f"Run folder: {run_dir}")
        log(f"Model {cfg.model} ({n_params:,} parameters) on {cfg.dataset}: {len(splits.y_train)} training, "
            f"{len(splits.y_val)} validation, {len(splits.y_test)} test images")

    def checkpoint(epoch: int, batch: int, gen_state, part: Optional[dict]) -> None:
        state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "scheduler": scheduler.state_dict() if scheduler is not None else None,
                 "rng_state": numtorch.get_rng_state(), "data_gen_state": gen_state, "epoch": epoch, "batch": batch,
                 "partial": part, "history": history, "best_val_acc": best_acc, "best_epoch": best_epoch,
                 "seconds": elapsed, "config": cfg.to_dict()}
        numtorch.save(state, str(ckpt_dir / "last.pt"))

    done_batches = 0
    status = "completed"
    with _Interrupt(log) as interrupt:
        for epoch in range(start_epoch, cfg.epochs):
            t0 = time.perf_counter()
            gen_state = data_gen.get_state()
            loader = train_loader(splits.x_train, splits.y_train, cfg.batch_size, data_gen)
            loss_sum, correct, seen = (partial["loss_sum"], partial["correct"], partial["seen"]) if partial \
                else (0.0, 0, 0)
            partial = None
            model.train()
            bar = tqdm(loader, total=len(loader), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch",
                       disable=(not progress) if progress is not None else None, leave=False, dynamic_ncols=True)
            stopped = False
            for i, (xb, yb) in enumerate(bar):
                if i < start_batch:       # resumed mid-epoch: these batches were done before the interrupt
                    continue
                optimizer.zero_grad()
                out = model(xb)
                loss = criterion(out, yb)
                loss.backward()
                optimizer.step()
                n = len(yb)
                loss_sum += float(loss.item()) * n
                correct += int((out.argmax(dim=1) == yb).sum().item())
                seen += n
                done_batches += 1
                if i % 10 == 0 or i == len(loader) - 1:
                    bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{100 * correct / seen:.2f}%")
                if interrupt.requested or (stop_after_batches is not None and done_batches >= stop_after_batches):
                    if i + 1 < len(loader):
                        elapsed += time.perf_counter() - t0
                        checkpoint(epoch, i + 1, gen_state,
                                   {"loss_sum": loss_sum, "correct": correct, "seen": seen})
                        stopped = True
                        break
                    interrupt.requested = True   # last batch of the epoch: finish the epoch, then stop
            bar.close()
            start_batch = 0
            if stopped:
                status = "interrupted"
                break
            val = evaluate(model, splits.x_val, splits.y_val, splits.classes, criterion) if len(splits.y_val) \
                else None
            lr = float(optimizer.param_groups[0]["lr"])
            if scheduler is not None:
                scheduler.step()
            elapsed += time.perf_counter() - t0
            row = {"epoch": epoch + 1, "train_loss": loss_sum / max(seen, 1), "train_acc": correct / max(seen, 1),
                   "val_loss": val.loss if val else math.nan, "val_acc": val.accuracy if val else math.nan,
                   "lr": lr, "seconds": time.perf_counter() - t0}
            history.append(row)
            score = row["val_acc"] if val else -row["train_loss"]
            if score > best_acc or best_epoch is None:
                best_acc, best_epoch = score, epoch + 1
                numtorch.save({"model": model.state_dict(), "epoch": epoch + 1, "val_acc": row["val_acc"],
                               "config": cfg.to_dict()}, str(ckpt_dir / "best.pt"))
            checkpoint(epoch + 1, 0, data_gen.get_state(), None)
            _write_metrics(run_dir, history)
            log(f"epoch {epoch + 1}/{cfg.epochs}  train loss {row['train_loss']:.4f} acc {100 * row['train_acc']:.2f}%"
                f"  val loss {row['val_loss']:.4f} acc {100 * row['val_acc']:.2f}%  lr {lr:.3g}  "
                f"{row['seconds']:.1f}s")
            if interrupt.requested and epoch + 1 < cfg.epochs:
                status = "interrupted"
                break

    result = TrainResult(run_dir, status, history, None, best_epoch, n_params, elapsed, model)
    if status == "interrupted":
        log(f"Checkpoint saved to {ckpt_dir / 'last.pt'}; continue with: numtorch train --resume {run_dir}")
        return result
    if best_epoch is not None and (ckpt_dir / "best.pt").exists():
        model.load_state_dict(load_checkpoint(ckpt_dir / "best.pt")["model"])
    result.test = evaluate(model, splits.x_test, splits.y_test, splits.classes, criterion)
    _write_metrics(run_dir, history, {"test": result.test.to_dict(), "best_epoch": best_epoch,
                                      "parameters": n_params, "seconds": elapsed})
    log(f"test accuracy {100 * result.test.accuracy:.2f}%  loss {result.test.loss:.4f}  "
        f"(best epoch {best_epoch}, {elapsed:.1f}s training)")
    if report:
        from .reports import write_run_report
        path = write_run_report(run_dir, cfg, result, html=html)
        log(f"Report: {path}")
    return result
