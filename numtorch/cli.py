"""The ``numtorch`` command line: train, eval, sweep, reproduce, models, run and check.

``main(argv) -> int`` never raises for user errors: bad arguments print one line and return 2,
missing data prints the datasets' message and returns 1, Ctrl-C during training saves a
checkpoint and returns 130.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

USAGE_ERROR = 2


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit status 2."""

    def __init__(self, message: str, prog: str = "numtorch") -> None:
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line instead of usage + message
        raise UsageError(message, self.prog)


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'") from None
    if v <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {v}")
    return v


def _hidden(text: str) -> list:
    from .app.config import ConfigError, parse_hidden
    try:
        return parse_hidden(text)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_train_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``train`` and ``sweep``; all default to None so that explicit ones can be told apart."""
    S = argparse.SUPPRESS
    g = p.add_argument_group("model and data")
    g.add_argument("--model", "-m", default=S, help="softmax, mlp, resmlp, lenet5, cnn (default), vgg, resnet")
    g.add_argument("--dataset", "-d", default=S, help="mnist (default), fashion-mnist, cifar10")
    g.add_argument("--hidden", type=_hidden, default=S, help="hidden sizes, e.g. 128 or 256-128")
    g.add_argument("--depth", type=int, default=S, help="hidden layers (mlp) or residual blocks (resmlp, resnet)")
    g.add_argument("--width", type=_positive_int, default=S, help="base channel count of the CNNs")
    g.add_argument("--activation", default=S, help="relu, leaky_relu, elu, gelu, silu, sigmoid, tanh")
    g.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=S, help="use BatchNorm")
    g.add_argument("--dropout", type=float, default=S, help="dropout probability")
    g.add_argument("--data", default=S, help="data folder (default: $NUMTORCH_DATA, else ~/.cache/numtorch/data)")
    g.add_argument("--limit-train", type=_positive_int, default=S, help="use only N training images")
    g.add_argument("--limit-test", type=_positive_int, default=S, help="use only N test images")
    g.add_argument("--val-size", type=int, default=S, help="training images held out for validation (5000)")
    o = p.add_argument_group("optimisation")
    o.add_argument("--epochs", "-e", type=_positive_int, default=S, help="epochs (default 2)")
    o.add_argument("--batch-size", "-b", type=_positive_int, default=S, help="mini-batch size (default 64)")
    o.add_argument("--optimizer", default=S, help="sgd, adam (default), adamw, rmsprop, adagrad, adadelta")
    o.add_argument("--lr", type=float, default=S, help="learning rate (default depends on the optimizer)")
    o.add_argument("--momentum", type=float, default=S, help="SGD/RMSprop momentum (default 0.9)")
    o.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=S)
    o.add_argument("--weight-decay", type=float, default=S)
    o.add_argument("--scheduler", default=S, help="none (default), step, cosine, exponential")
    o.add_argument("--step-size", type=_positive_int, default=S, help="StepLR period in epochs")
    o.add_argument("--gamma", type=float, default=S, help="StepLR/ExponentialLR factor")
    o.add_argument("--label-smoothing", type=float, default=S)
    o.add_argument("--seed", type=int, default=S, help="random seed (default 0)")
    r = p.add_argument_group("run")
    r.add_argument("--threads", type=_positive_int, default=S, help="BLAS threads (default: all cores)")
    r.add_argument("--out", "-o", help="run folder (default runs/<model>-<dataset>-<time>)")
    r.add_argument("--html", action="store_true", help="also write report.html")
    r.add_argument("--no-progress", action="store_true", help="no progress bars")


CONFIG_KEYS = ("model", "dataset", "hidden", "depth", "width", "activation", "batch_norm", "dropout", "data",
               "limit_train", "limit_test", "val_size", "epochs", "batch_size", "optimizer", "lr", "momentum",
               "nesterov", "weight_decay", "scheduler", "step_size", "gamma", "label_smoothing", "seed", "threads")
RESUME_KEYS = ("epochs", "threads", "data")


def build_parser() -> _Parser:
    p = _Parser(prog="numtorch", description="numtorch: train, evaluate, sweep and reproduce experiments; run "
                "PyTorch scripts on numtorch; check hand-written layers.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    t = sub.add_parser("train", help="train a model and write a run folder with its report",
                       description="Train a model; the defaults train the CNN on MNIST (>= 98.5% test accuracy).",
                       epilog="examples: numtorch train | numtorch train --model mlp --hidden 256-128 --optimizer sgd "
                              "--lr 0.1 --epochs 10 | numtorch train --resume runs/cnn-mnist-20250101-120000")
    _add_train_options(t)
    t.add_argument("--resume", metavar="DIR", help="continue the interrupted run in DIR")
    t.add_argument("--stop-after-batches", type=int, help=argparse.SUPPRESS)  # simulated Ctrl-C (tests)

    e = sub.add_parser("eval", help="evaluate a run folder or checkpoint on a test set")
    e.add_argument("path", help="run folder or checkpoint file")
    e.add_argument("--dataset", "-d", help="dataset (default: the one it was trained on)")
    e.add_argument("--checkpoint", choices=("best", "last"), default="best", help="which checkpoint of a run folder")
    e.add_argument("--data", help="data folder")
    e.add_argument("--limit-test", type=_positive_int, help="use only N test images")
    e.add_argument("--batch-size", "-b", type=_positive_int, default=1000)
    e.add_argument("--threads", type=_positive_int)
    e.add_argument("--out", "-o", help="folder for the evaluation files (default PATH/eval-<dataset>)")

    s = sub.add_parser("sweep", help="train a grid of configurations and compare them")
    s.add_argument("--set", action="append", default=[], metavar="KEY=V1,V2", required=True,
                   help="a setting and its values, e.g. lr=0.01,0.1 (repeat for a grid)")
    _add_train_options(s)

    r = sub.add_parser("reproduce", help="run the course experiments into one report")
    r.add_argument("--quick", action="store_true", help="a reduced version that runs in a few minutes")
    r.add_argument("--only", help="experiments to run, e.g. 1,3 (default: all six)")
    r.add_argument("--out", "-o", help="output folder (default runs/reproduce[-quick])")
    r.add_argument("--data", help="data folder")
    r.add_argument("--threads", type=_positive_int)
    r.add_argument("--html", action="store_true", help="also write report.html")
    r.add_argument("--no-progress", action="store_true")
    r.add_argument("--limit-train", type=_positive_int, help="at most N training images and one epoch per run")

    sub.add_parser("models", help="list the models and their parameter counts")
    sub.add_parser("run", help="run an unmodified PyTorch script on numtorch: numtorch run script.py [args...]",
                   add_help=False)
    sub.add_parser("check", help="check a hand-written layer: numtorch check module:Class --input 4,3,8,8",
                   add_help=False)
    return p


def _config_from_args(args: argparse.Namespace, base: Optional[dict] = None):
    from .app.config import TrainConfig
    values = dict(base or {})
    values.update({k: getattr(args, k) for k in CONFIG_KEYS if hasattr(args, k)})
    return TrainConfig.from_dict(values)


def _new_run_dir(out: Optional[str], name: str) -> Path:
    if out:
        d = Path(out)
        if (d / "config.json").exists():
            raise UsageError(f"run folder {d} already holds a run; continue it with --resume {d} or pick another --out")
        return d
    d = Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    k = 1
    while d.exists():
        k += 1
        d = d.with_name(f"{d.name.rsplit('~', 1)[0]}~{k}")
    return d


def cmd_train(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .app.config import TrainConfig
    from .app.training import train
    progress = False if args.no_progress else None
    if args.resume:
        run_dir = Path(args.resume)
        if not (run_dir / "config.json").is_file() or not (run_dir / "checkpoints" / "last.pt").is_file():
            raise UsageError(f"no resumable run in {run_dir} (expected config.json and checkpoints/last.pt)",
                             "numtorch train")
        extra = [k for k in CONFIG_KEYS if hasattr(args, k) and k not in RESUME_KEYS]
        if extra:
            raise UsageError(f"--resume takes the run's own settings; only --epochs, --threads and --data may be "
                             f"given with it (got --{extra[0].replace('_', '-')})", "numtorch train")
        cfg = _config_from_args(args, TrainConfig.load(run_dir / "config.json").to_dict())
        result = train(cfg, run_dir, resume=True, progress=progress, html=args.html,
                       stop_after_batches=args.stop_after_batches)
    else:
        cfg = _config_from_args(args)
        run_dir = _new_run_dir(args.out, f"{cfg.model}-{cfg.dataset}")
        result = train(cfg, run_dir, progress=progress, html=args.html, stop_after_batches=args.stop_after_batches,
                       command=["numtorch", *argv])
    return 130 if result.status == "interrupted" else 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .app.evaluation import evaluate, format_eval
    from .app.config import TrainConfig
    from .app.data import canonical_dataset, load_raw, normalize
    from .app.reports import write_eval_files
    from .app.training import load_checkpoint, set_threads
    from .models import build_model
    import json
    import numtorch
    path = Path(args.path)
    if path.is_dir():
        ckpt_path = path / "checkpoints" / f"{args.checkpoint}.pt"
        if not ckpt_path.is_file():
            ckpt_path = path / "checkpoints" / "last.pt"
        if not ckpt_path.is_file():
            raise UsageError(f"no checkpoint in {path} (expected checkpoints/{args.checkpoint}.pt)", "numtorch eval")
        folder = path
    elif path.is_file():
        ckpt_path, folder = path, path.parent
    else:
        raise UsageError(f"no run folder or checkpoint at {path}", "numtorch eval")
    set_threads(args.threads)
    try:
        ckpt = load_checkpoint(ckpt_path)
    except Exception as e:  # not a checkpoint numtorch.load can read
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UsageError(f"cannot read checkpoint {ckpt_path}: {first}", "numtorch eval") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt or "config" not in ckpt:
        raise UsageError(f"{ckpt_path} is not a numtorch app checkpoint (needs 'model' and 'config')", "numtorch eval")
    cfg = TrainConfig.from_dict(ckpt["config"])
    try:
        dataset = canonical_dataset(args.dataset) if args.dataset else cfg.dataset
    except ValueError as e:
        raise UsageError(str(e), "numtorch eval") from None
    x, y, classes = load_raw(dataset, False, args.data or cfg.data)
    if args.limit_test:
        x, y = x[:args.limit_test], y[:args.limit_test]
    x = normalize(dataset, x)
    model = build_model(cfg.model, x.shape[1:], len(classes), **cfg.model_options())
    try:
        model.load_state_dict(ckpt["model"])
    except (RuntimeError, KeyError, ValueError) as e:
        first = str(e).strip().splitlines()[0]
        raise UsageError(f"the checkpoint does not fit {dataset} images {tuple(x.shape[1:])}: {first}",
                         "numtorch eval") from None
    result = evaluate(model, numtorch.from_numpy(x), numtorch.from_numpy(y), classes, batch_size=args.batch_size)
    print(format_eval(result, f"{cfg.model} ({ckpt_path.name}) on {dataset} test"))
    out = Path(args.out) if args.out else folder / f"eval-{dataset}"
    out.mkdir(parents=True, exist_ok=True)
    write_eval_files(out, result, f"{cfg.model} on {dataset}")
    (out / "eval.json").write_text(json.dumps({"checkpoint": str(ckpt_path), "dataset": dataset,
                                               **result.to_dict()}, indent=2) + "\n")
    print(f"Wrote {out / 'eval.json'}, per_class.csv, confusion.csv and plots")
    return 0


def cmd_sweep(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from .app.sweep import parse_grid, run_sweep
    from .app.config import ConfigError
    try:
        grid = parse_grid(args.set)
    except ConfigError as e:
        raise UsageError(str(e), "numtorch sweep") from None
    base = _config_from_args(args)
    out = _new_run_dir(args.out, "sweep") if not args.out else Path(args.out)
    return run_sweep(base, grid, out, progress=False if args.no_progress else None, html=args.html)


def cmd_reproduce(args: argparse.Namespace) -> int:
    from .app.reproduce import run_reproduce
    only = None
    if args.only:
        try:
            only = sorted({int(t) for t in args.only.split(",")})
        except ValueError:
            raise UsageError(f"--only expects experiment numbers like 1,3; got '{args.only}'",
                             "numtorch reproduce") from None
        if not only or min(only) < 1 or max(only) > 6:
            raise UsageError(f"--only expects experiment numbers 1 to 6; got '{args.only}'", "numtorch reproduce")
    out = Path(args.out or ("runs/reproduce-quick" if args.quick else "runs/reproduce"))
    return run_reproduce(out, quick=args.quick, only=only, data=args.data, threads=args.threads, html=args.html,
                         progress=False if args.no_progress else None, limit=args.limit_train)


def cmd_models() -> int:
    from .models import MODELS, build_model, count_parameters
    print(f"{'model':<10} {'class':<18} {'parameters (1x28x28)':>21} {'(3x32x32)':>10}")
    for name, cls in MODELS.items():
        a = count_parameters(build_model(name, (1, 28, 28)))
        b = count_parameters(build_model(name, (3, 32, 32)))
        print(f"{name:<10} {cls.__name__:<18} {a:>21,} {b:>10,}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``numtorch`` command line with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "run":
        from .compat import main as compat_main
        return int(compat_main(argv[1:]) or 0)
    if argv and argv[0] == "check":
        from .testing import check_main
        return int(check_main(argv[1:]) or 0)
    from .app.config import ConfigError
    from .app.data import DataError
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return USAGE_ERROR
        if args.command == "train":
            return cmd_train(args, argv)
        if args.command == "eval":
            return cmd_eval(args)
        if args.command == "sweep":
            return cmd_sweep(args, argv)
        if args.command == "reproduce":
            return cmd_reproduce(args)
        return cmd_models()
    except UsageError as e:
        print(f"{e.prog}: error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except ConfigError as e:
        print(f"numtorch {args.command}: error: {e}", file=sys.stderr)
        return USAGE_ERROR
    except DataError as e:
        print(f"numtorch: error: {e}", file=sys.stderr)
        return 1
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    except KeyboardInterrupt:
        print("\nnumtorch: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
