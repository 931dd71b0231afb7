"""Where a numtorch training step spends its time: per op (forward and backward, ms/step), the autograd
engine, the optimizer and the Python glue around them, next to the time the same GEMMs take in bare NumPy.

    python -m benchmarks.profile mlp_b64 [--steps 200] [--threads 1] [--cprofile 25]

Every ``numtorch.autograd.Function`` subclass's ``forward``/``backward`` is wrapped with a timer for the
run (nothing is edited on disk). "GEMM floor" replays the model's matrix products (forward, weight
gradient, input gradient; convolutions as their im2col GEMMs) with contiguous float32 NumPy arrays:
what the step would cost if everything but the GEMMs were free.

With one thread (the default) every number is the calling thread's CPU time (``time.thread_time``), not
wall time: on a shared machine wall time also counts the time other processes held the core, which
inflates long operations far more than short ones. With more threads, wall time (``perf_counter``).
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np

from . import workloads as W

# (kind, dims): linear (n_in, n_out) or conv (c_in, c_out, k, h_out, w_out), per model, in order
LAYERS = {
    "mlp": [("linear", (784, 128)), ("linear", (128, 10))],
    "small_cnn": [("conv", (1, 16, 3, 28, 28)), ("conv", (16, 32, 3, 14, 14)), ("linear", (1568, 10))],
    "classic_cnn": [("conv", (1, 32, 3, 26, 26)), ("conv", (32, 64, 3, 24, 24)), ("linear", (9216, 128)),
                    ("linear", (128, 10))],
}
WORKLOAD_MODEL = {"mlp_b64": ("mlp", 64, True), "mlp_b256": ("mlp", 256, True),
                  "small_cnn_train": ("small_cnn", 64, True), "classic_cnn_train": ("classic_cnn", 64, True),
                  "small_cnn_infer": ("small_cnn", 1000, False), "classic_cnn_infer": ("classic_cnn", 1000, False)}


def gemm_shapes(model: str, batch: int, train: bool) -> List[Tuple[str, int, int, int]]:
    """(label, M, K, N) of every GEMM in one step: forward, and when training dW and dX (not for layer 1)."""
    out = []
    for i, (kind, d) in enumerate(LAYERS[model]):
        if kind == "linear":
            m, k, n = batch, d[0], d[1]
        else:
            m, k, n = batch * d[3] * d[4], d[0] * d[2] * d[2], d[1]
        name = f"{kind}{i + 1}"
        out.append((name + " fwd", m, k, n))
        if train:
            out.append((name + " dW", n, m, k))
            if i > 0:
                out.append((name + " dX", m, n, k))
    return out


def gemm_floor(shapes, repeats: int = 20, clock=time.perf_counter) -> Dict[str, float]:
    """Fastest seconds of each GEMM (a (M,K) @ (K,N), contiguous float32) in bare NumPy."""
    rng = np.random.default_rng(0)
    res = {}
    for label, m, k, n in shapes:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        out = np.empty((m, n), dtype=np.float32)
        np.matmul(a, b, out=out)
        ts = []
        for _ in range(repeats):
            t = clock()
            np.matmul(a, b, out=out)
            ts.append(clock() - t)
        res[label] = min(ts)
    return res


class OpTimer:
    """Wraps forward/backward of every autograd Function subclass, and a few named callables, with timers."""

    def __init__(self, clock=time.perf_counter) -> None:
        self.clock = clock
        self.t: Dict[Tuple[str, str], float] = defaultdict(float)
        self.n: Dict[Tuple[str, str], int] = defaultdict(int)
        self._undo = []

    def _wrap(self, owner, attr: str, key: Tuple[str, str], static: bool) -> None:
        orig = owner.__dict__[attr]
        fn = orig.__func__ if isinstance(orig, staticmethod) else orig
        t, n, clock = self.t, self.n, self.clock

        def timed(*a, **k):
            s = clock()
            try:
                return fn(*a, **k)
            finally:
                t[key] += clock() - s
                n[key] += 1
        setattr(owner, attr, staticmethod(timed) if static else timed)
        self._undo.append((owner, attr, orig))

    def install(self, T, extra: Dict[str, Tuple[object, str]]) -> None:
        from numtorch.autograd.function import Function
        seen, todo = set(), [Function]
        while todo:
            cls = todo.pop()
            for sub in cls.__subclasses__():
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
                    for attr in ("forward", "backward"):
                        if attr in sub.__dict__ and isinstance(sub.__dict__[attr], staticmethod):
                            self._wrap(sub, attr, (sub.__name__, attr), True)
        for label, (owner, attr) in extra.items():
            self._wrap(owner, attr, ("*", label), False)

    def install_module(self, module_name: str) -> None:
        """Also time every top-level function of a module (calls through its globals see the wrapper)."""
        import importlib
        import types
        mod = importlib.import_module(module_name)
        short = module_name.rsplit(".", 1)[-1]
        for attr, obj in list(vars(mod).items()):
            if isinstance(obj, types.FunctionType) and obj.__module__ == module_name and not attr.startswith("__"):
                self._wrap(mod, attr, ("*", f"{short}.{attr}"), False)

    def uninstall(self) -> None:
        for owner, attr, orig in reversed(self._undo):
            setattr(owner, attr, orig)
        self._undo.clear()

    def reset(self) -> None:
        self.t.clear()
        self.n.clear()


def profile(name: str, steps: int, threads: int, cprof: int = 0, rounds: int = 3, detail=()) -> str:
    import numtorch as T
    T.set_num_threads(threads)
    w = W.by_name()[name]
    run = w.make(T, steps)
    run(min(w.warmup_units, steps))
    clock = time.thread_time if threads == 1 else time.perf_counter
    timer = OpTimer(clock)
    from numtorch.tensor import Tensor
    extra = {"Tensor.backward (engine + all backward fns)": (Tensor, "backward")}
    opt_cls = T.optim.SGD
    for attr in ("step", "zero_grad"):
        owner = next(c for c in opt_cls.__mro__ if attr in c.__dict__)
        extra[f"optimizer.{attr}"] = (owner, attr)
    # plain and instrumented runs alternate; the fastest of each is kept (the least disturbed on a busy machine)
    plain, instrumented, best_t, best_n = float("inf"), float("inf"), {}, {}
    for _ in range(rounds):
        t0 = clock()
        run(steps)
        plain = min(plain, clock() - t0)
        timer.install(T, extra)
        for m in detail:
            timer.install_module(m)
        try:
            timer.reset()
            t0 = clock()
            run(steps)
            took = clock() - t0
        finally:
            timer.uninstall()
        if took < instrumented:
            instrumented, best_t, best_n = took, dict(timer.t), dict(timer.n)
    timer.t, timer.n = defaultdict(float, best_t), defaultdict(int, best_n)
    what = "thread CPU time" if threads == 1 else "wall time"
    lines = [f"## {w.title}: numtorch, {threads} thread(s), {what}, best of {rounds} runs of {steps} {w.unit}s",
             f"plain {plain / steps * 1e3:.2f} ms/{w.unit}; instrumented {instrumented / steps * 1e3:.2f} ms/{w.unit}",
             "", "| op | forward ms | backward ms | calls/step |", "|---|---|---|---|"]
    ops = defaultdict(lambda: [0.0, 0.0, 0])
    for (cls, attr), secs in timer.t.items():
        if cls != "*":
            ops[cls][0 if attr == "forward" else 1] += secs
            if attr == "forward":
                ops[cls][2] += timer.n[(cls, attr)]
    fwd_sum = sum(v[0] for v in ops.values())
    bwd_sum = sum(v[1] for v in ops.values())
    for cls, (f, b, c) in sorted(ops.items(), key=lambda kv: -(kv[1][0] + kv[1][1])):
        lines.append(f"| {cls} | {f / steps * 1e3:.3f} | {b / steps * 1e3:.3f} | {c / steps:.1f} |")
    per = {label: timer.t[("*", label)] / steps * 1e3 for (_, label) in [k for k in timer.t if k[0] == "*"]}
    bwd_total = per.get("Tensor.backward (engine + all backward fns)", 0.0)
    opt = per.get("optimizer.step", 0.0) + per.get("optimizer.zero_grad", 0.0)
    total = instrumented / steps * 1e3
    glue = total - fwd_sum / steps * 1e3 - bwd_total - opt
    lines += ["", f"- op forwards (array math): {fwd_sum / steps * 1e3:.2f} ms",
              f"- op backwards (array math): {bwd_sum / steps * 1e3:.2f} ms",
              f"- autograd engine around them: {bwd_total - bwd_sum / steps * 1e3:.2f} ms",
              f"- optimizer step + zero_grad: {opt:.2f} ms",
              f"- Python glue (modules, functional checks, apply, Tensor wrapping, data slicing): {glue:.2f} ms"]
    inner = sorted(((label, secs) for (c, label), secs in timer.t.items() if c == "*" and "." in label
                    and not label.startswith(("Tensor.", "optimizer."))), key=lambda kv: -kv[1])
    if inner:
        lines += ["", "Functions inside the ops (inclusive times, ms/step; nested calls count in both):", ""]
        lines += [f"- {label}: {secs / steps * 1e3:.3f} ms ({timer.n[('*', label)] / steps:.1f} calls)"
                  for label, secs in inner]
    if name in WORKLOAD_MODEL:
        model, batch, train = WORKLOAD_MODEL[name]
        floor = gemm_floor(gemm_shapes(model, batch, train), clock=clock)
        g = sum(floor.values()) * 1e3
        lines += [f"- GEMM floor (same GEMMs in bare NumPy): {g:.2f} ms = {g / (plain / steps * 1e3):.0%} of the "
                  f"plain step; " + ", ".join(f"{k} {v * 1e3:.2f}" for k, v in floor.items())]
    if cprof:
        pr = cProfile.Profile()
        pr.enable()
        run(steps)
        pr.disable()
        import io
        s = io.StringIO()
        pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(cprof)
        lines += ["", "```", s.getvalue().strip(), "```"]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.split("\n\n")[0])
    p.add_argument("workload", nargs="+", choices=list(W.by_name()))
    p.add_argument("--steps", type=int, default=None, help="units per measured run (default: workload's, max 200)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3, help="runs per measurement; the fastest is kept")
    p.add_argument("--detail", nargs="*", default=[], metavar="MODULE",
                   help="also time the top-level functions of these modules, e.g. numtorch.nn._im2col")
    p.add_argument("--cprofile", type=int, default=0, metavar="N", help="also print cProfile's top N by own time")
    args = p.parse_args(argv)
    for name in args.workload:
        steps = args.steps or min(W.by_name()[name].units, 200)
        print(profile(name, steps, args.threads, args.cprofile, args.rounds, args.detail))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
