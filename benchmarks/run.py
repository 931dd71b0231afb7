"""Run the benchmark suite: numtorch against PyTorch CPU, side by side.

    python -m benchmarks.run [--quick] [--threads N] [--only NAME ...] [--repeats R]

For each workload, one worker process per framework (see ``worker.py``) builds
the same model on the same in-memory data with the same thread count; the
parent warms both up, then alternates their timed repetitions (A B, B A, ...)
with a short pause between them, so that both frameworks see the same machine
load. It prints a table (medians, min-max, ratio numtorch/PyTorch, GFLOP/s,
peak RSS), writes JSON (benchmarks/results/latest.json) and a bar chart
(docs/benchmarks.png).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

if __package__ in (None, ""):  # run as a script: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "benchmarks"
    import benchmarks  # noqa: F401,E402

from .workloads import Workload, workloads  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FRAMEWORKS = ("numtorch", "torch")


class WorkerError(RuntimeError):
    pass


class Worker:
    """A running ``benchmarks.worker`` process for one framework and workload."""

    def __init__(self, framework: str, workload: Workload, threads: int, quick: bool,
                 extra_env: Optional[Dict[str, str]] = None) -> None:
        self.framework = framework
        env = dict(os.environ)
        env.update(extra_env or {})
        for var in ("NUMTORCH_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        self._err = tempfile.TemporaryFile(mode="w+")
        cmd = [sys.executable, "-m", "benchmarks.worker", framework, workload.name, str(threads)]
        self.proc = subprocess.Popen(cmd + (["--quick"] if quick else []), cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err)
        self.ready = self._read("ready")

    def _read(self, event: str) -> dict:
        for line in self.proc.stdout:
            if line.startswith("@@ "):
                rec = json.loads(line[3:])
                if rec.get("event") == event:
                    return rec
        self.proc.wait()
        self._err.seek(0)
        tail = self._err.read().strip().splitlines()[-12:]
        raise WorkerError(f"{self.framework} worker exited ({self.proc.returncode}) waiting for '{event}':\n    "
                          + "\n    ".join(tail))

    def ask(self, cmd: str) -> dict:
        try:
            self.proc.stdin.write(cmd + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        return self._read("done" if cmd == "quit" else cmd)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._err.close()


def _summary(times: List[float]) -> dict:
    return {"times_s": times, "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def bench_workload(w: Workload, frameworks: List[str], threads: int, quick: bool, repeats: int,
                   gap: float, clock: str = "wall", numtorch_env: Optional[Dict[str, str]] = None,
                   log=print) -> dict:
    """Run one workload on every framework with interleaved repetitions; returns its JSON record."""
    entry = {"name": w.name, "title": w.title, "unit": w.unit, "units": w.quick_units if quick else w.units,
             "target_ratio": w.target, "flops_per_item": w.flops_per_item, "notes": w.notes, "results": {}}
    workers: Dict[str, Worker] = {}
    res = entry["results"]
    try:
        for fw in frameworks:
            try:
                workers[fw] = Worker(fw, w, threads, quick, numtorch_env if fw == "numtorch" else None)
            except WorkerError as e:
                res[fw] = {"error": str(e)}
                log(f"  {fw}: FAILED\n    {e}")
        for fw, wk in list(workers.items()):
            try:
                time.sleep(gap)
                wk.ask("warmup")
            except WorkerError as e:
                res[fw] = {"error": str(e)}
                log(f"  {fw}: FAILED\n    {e}")
                wk.close()
                del workers[fw]
        times: Dict[str, List[float]] = {fw: [] for fw in workers}
        walls: Dict[str, List[float]] = {fw: [] for fw in workers}
        cpus: Dict[str, List[float]] = {fw: [] for fw in workers}
        items: Dict[str, int] = {}
        for r in range(repeats):
            order = list(workers) if r % 2 == 0 else list(workers)[::-1]
            for fw in order:
                if fw not in workers:
                    continue
                time.sleep(gap)  # let the other process's BLAS/OpenMP threads stop spinning
                try:
                    rec = workers[fw].ask("run")
                except WorkerError as e:
                    res[fw] = {"error": str(e)}
                    log(f"  {fw}: FAILED\n    {e}")
                    workers.pop(fw).close()
                    continue
                walls[fw].append(rec["seconds"])
                cpus[fw].append(rec["cpu_seconds"])
                times[fw].append(rec["cpu_seconds"] if clock == "cpu" else rec["seconds"])
                items[fw] = rec["items"]
        for fw, wk in workers.items():
            done = wk.ask("quit")
            s = _summary(times[fw])
            n = items[fw]
            s.update(clock=clock, wall_s=walls[fw], cpu_s=cpus[fw], items=n, threads=wk.ready["threads"], version=wk.ready["version"],
                     import_s=wk.ready["import_s"], import_rss_mb=wk.ready["import_rss_mb"],
                     setup_rss_mb=wk.ready["setup_rss_mb"], peak_rss_mb=done["peak_rss_mb"],
                     rss_above_import_mb=done["peak_rss_mb"] - wk.ready["import_rss_mb"],
                     items_per_s=n / s["median_s"],
                     gflops=w.flops_per_item * n / s["median_s"] / 1e9 if w.flops_per_item else None)
            res[fw] = s
    finally:
        for wk in workers.values():
            wk.close()
    nt, pt = res.get("numtorch", {}), res.get("torch", {})
    if "median_s" in nt and "median_s" in pt:
        entry["ratio_time"] = nt["median_s"] / pt["median_s"]
        entry["ratio_peak_rss"] = nt["peak_rss_mb"] / pt["peak_rss_mb"]
    return entry


def _fmt_time(s: dict) -> str:
    if "error" in s:
        return "error"
    if not s:
        return "-"
    return f"{s['median_s']:.3f} ({s['min_s']:.3f}-{s['max_s']:.3f})"


def table(entries: List[dict], frameworks: List[str], clock: str = "wall") -> str:
    """Markdown table of the results."""
    has_torch = "torch" in frameworks
    head = ["workload", "numtorch s, median (min-max)"]
    if has_torch:
        head += ["PyTorch s, median (min-max)", "ratio nt/pt", "target"]
    head[1:] = [h.replace(" s,", " CPU s,") if clock == "cpu" else h for h in head[1:]]
    head += ["GFLOP/s nt" + (" / pt" if has_torch else ""), "peak RSS MB nt" + (" / pt" if has_torch else "")]
    if has_torch:
        head += ["RSS ratio"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in entries:
        nt, pt = e["results"].get("numtorch", {}), e["results"].get("torch", {})
        row = [e["title"], _fmt_time(nt)]
        if has_torch:
            ratio = e.get("ratio_time")
            row += [_fmt_time(pt), f"{ratio:.2f}" if ratio else "-",
                    f"<= {e['target_ratio']}" if e["target_ratio"] else "-"]
        g = [f"{s['gflops']:.1f}" if s.get("gflops") else "-" for s in ([nt, pt] if has_torch else [nt])]
        m = [f"{s['peak_rss_mb']:.0f}" if "peak_rss_mb" in s else "-" for s in ([nt, pt] if has_torch else [nt])]
        row += [" / ".join(g), " / ".join(m)]
        if has_torch:
            rr = e.get("ratio_peak_rss")
            row += [f"{rr:.2f}" if rr else "-"]
        rows.append("| " + " | ".join(row) + " |")
    return "\n".join(rows)


def _import_baselines(entries: List[dict]) -> Dict[str, float]:
    out = {}
    for e in entries:
        for fw, s in e["results"].items():
            if "import_rss_mb" in s:
                out[fw] = min(out.get(fw, float("inf")), s["import_rss_mb"])
    return out


def _meta(args, frameworks: List[str]) -> dict:
    import numpy
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    from .data import mnist_dir
    return {"started_utc": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "threads": args.threads, "clock": args.clock, "quick": args.quick, "numtorch_env": args.numtorch_env, "repeats": args.repeats, "frameworks": frameworks,
            "python": platform.python_version(), "numpy": numpy.__version__, "platform": platform.platform(),
            "cpu": cpu, "cpu_count": os.cpu_count(), "load_avg_start": list(os.getloadavg()),
            "commit": commit, "data": str(mnist_dir() or "random data (MNIST not found)"),
            "optimizer": "SGD(lr=0.01, momentum=0.9)", "dtype": "float32"}


def main(argv: Optional[List[str]] = None) -> int:
    all_w = workloads()
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2, help="threads for both frameworks (default 2)")
    p.add_argument("--quick", action="store_true", help="tiny sizes, one repetition: a smoke run, not a measurement")
    p.add_argument("--repeats", type=int, default=None, help="timed repetitions per framework "
                   "(default: per workload, 3-5; 1 with --quick)")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=[w.name for w in all_w], help="workloads to run")
    p.add_argument("--frameworks", default="numtorch,torch", help="comma-separated: numtorch,torch")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="what is timed: wall time (default) or the worker's CPU time, which on a busy shared "
                        "machine leaves out the time other processes held the core (meaningful with --threads 1)")
    p.add_argument("--numtorch-env", nargs="*", default=[], metavar="VAR=VALUE",
                   help="extra environment for the numtorch workers only (A/B tests of runtime settings)")
    p.add_argument("--gap", type=float, default=None, help="pause between repetitions, s (default 0.2; 0 quick)")
    p.add_argument("--json", default=str(RESULTS / "latest.json"), help="where to write the JSON results")
    p.add_argument("--png", default=str(ROOT / "docs" / "benchmarks.png"), help="bar chart ('' to skip)")
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument("--from-json", metavar="PATH", help="print the table and redraw the chart of an earlier run")
    args = p.parse_args(argv)
    if args.from_json:
        old = json.loads(Path(args.from_json).read_text())
        m = old["meta"]
        print(f"{m['started_utc']}: {m['threads']} thread(s), {m.get('clock', 'wall')} time, load average "
              f"{m['load_avg_start'][0]:.2f}/{m['load_avg_end'][0]:.2f}")
        print(table(old["workloads"], m["frameworks"], m.get("clock", "wall")))
        if args.png:
            from .plot import bar_chart
            bar_chart(old, args.png)
        return 0
    if args.list:
        for w in all_w:
            print(f"{w.name:20s} {w.title}")
        return 0
    frameworks = [f for f in args.frameworks.split(",") if f]
    if "torch" in frameworks and importlib.util.find_spec("torch") is None:
        print("PyTorch is not installed: measuring numtorch alone.")
        frameworks.remove("torch")
    selected = [w for w in all_w if not args.only or w.name in args.only]
    gap = args.gap if args.gap is not None else (0.0 if args.quick else 0.2)
    try:
        nt_env = dict(kv.split("=", 1) for kv in args.numtorch_env)
    except ValueError:
        p.error("--numtorch-env takes VAR=VALUE pairs")
    meta = _meta(args, frameworks)
    if args.clock == "cpu" and args.threads != 1:
        print("warning: --clock cpu with more than one thread also counts threads spinning while they wait")
    print(f"numtorch benchmarks, {meta['started_utc']}: {args.threads} thread(s) for every framework, "
          f"{args.clock} time, "
          f"{meta['cpu_count']} CPUs ({meta['cpu']}), load average {meta['load_avg_start'][0]:.2f}"
          + (" [--quick: smoke sizes, not a measurement]" if args.quick else ""))
    entries = []
    t_start = time.perf_counter()
    for w in selected:
        repeats = args.repeats or (1 if args.quick else w.repeats)
        print(f"- {w.name}: {w.title} ({repeats} repeats)", flush=True)
        e = bench_workload(w, frameworks, args.threads, args.quick, repeats, gap, args.clock, nt_env)
        for fw, s in e["results"].items():
            if "median_s" in s:
                print(f"  {fw:8s} median {s['median_s']:.3f} s  min {s['min_s']:.3f}  max {s['max_s']:.3f}"
                      f"  peak RSS {s['peak_rss_mb']:.0f} MB", flush=True)
        if "ratio_time" in e:
            print(f"  ratio numtorch/PyTorch: time {e['ratio_time']:.2f}, peak RSS {e['ratio_peak_rss']:.2f}")
        entries.append(e)
    meta["load_avg_end"] = list(os.getloadavg())
    meta["wall_s"] = time.perf_counter() - t_start
    meta["import_rss_mb"] = _import_baselines(entries)
    out = {"meta": meta, "workloads": entries}
    print()
    print(table(entries, frameworks, args.clock))
    base = ", ".join(f"{fw} {mb:.0f} MB" for fw, mb in meta["import_rss_mb"].items())
    print(f"\nPeak RSS of each worker process includes the framework import (baseline: {base}) and the data.")
    print(f"Threads: {args.threads} for both frameworks; {args.clock} time. Load average start/end: "
          f"{meta['load_avg_start'][0]:.2f}/{meta['load_avg_end'][0]:.2f}. Wall time {meta['wall_s']:.0f} s.")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1))
        print(f"JSON: {args.json}")
    if args.png:
        try:
            from .plot import bar_chart
            bar_chart(out, args.png)
            print(f"chart: {args.png}")
        except ImportError as e:
            print(f"chart skipped ({e})")
    failed = [f"{e['name']}/{fw}" for e in entries for fw, s in e["results"].items() if "error" in s]
    if failed:
        print("FAILED: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
