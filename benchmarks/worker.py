"""One framework running one workload, in its own process, driven by the parent over stdin/stdout.

    python -m benchmarks.worker FRAMEWORK WORKLOAD THREADS [--quick]

Protocol: the worker imports the framework, sets its thread count, builds the
workload (untimed) and prints a ``ready`` record. Then, per line on stdin:
``warmup`` runs a few units, ``run`` runs one timed repetition (wall time and
the process's CPU time) and ``quit`` prints the final record (peak RSS) and exits. Records are JSON on lines
starting with ``@@ `` so that anything else a library prints is ignored.

Two workers (numtorch and PyTorch) are alive at once and the parent alternates
their repetitions, so both see the same machine load; a waiting worker blocks
on stdin and uses no CPU. Peak RSS is this process's ``ru_maxrss``: the
framework's import, the data and the workload, nothing of the other framework.
"""
from __future__ import annotations

import json
import resource
import sys
import time


def _maxrss_mb() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 1024 / 1024 if sys.platform == "darwin" else r / 1024  # bytes on macOS, KiB on Linux


def _current_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _emit(**record) -> None:
    sys.stdout.write("@@ " + json.dumps(record) + "\n")
    sys.stdout.flush()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    framework, name, threads = argv[0], argv[1], int(argv[2])
    quick = "--quick" in argv
    rss_start = _maxrss_mb()
    t0 = time.perf_counter()
    if framework == "torch":
        import torch as T
        T.set_num_threads(threads)
    else:
        import numtorch as T
        T.set_num_threads(threads)
    import_s = time.perf_counter() - t0
    import_rss = _maxrss_mb()
    from .workloads import by_name
    w = by_name()[name]
    units = w.quick_units if quick else w.units
    run = w.make(T, units, quick)
    _emit(event="ready", framework=framework, version=T.__version__, threads=T.get_num_threads(),
          import_s=import_s, python_rss_mb=rss_start, import_rss_mb=import_rss, setup_rss_mb=_maxrss_mb())
    for line in sys.stdin:
        cmd = line.strip()
        if cmd in ("warmup", "run"):
            t, c = time.perf_counter(), time.process_time()
            items = run(min(w.warmup_units, units) if cmd == "warmup" else units)
            _emit(event=cmd, seconds=time.perf_counter() - t, cpu_seconds=time.process_time() - c, items=items)
        elif cmd == "quit":
            break
    _emit(event="done", peak_rss_mb=_maxrss_mb(), rss_mb=_current_rss_mb())
    return 0


if __name__ == "__main__":
    sys.exit(main())
