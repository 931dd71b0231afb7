"""Hyperparameter sweeps: a grid of training runs, a results table (Markdown and CSV) and comparison plots."""
from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Optional

from .config import ConfigError, TrainConfig, parse_value
from .reports import Report, pct, plot_runs, write_csv
from .training import echo

NOT_SWEEPABLE = ("model_args", "data", "threads")


def parse_grid(settings: list) -> dict:
    """``["lr=0.01,0.1", "hidden=64,128"]`` -> ``{"lr": [0.01, 0.1], "hidden": [[64], [128]]}``."""
    grid: dict = {}
    for item in settings:
        key, sep, values = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not values.strip():
            raise ConfigError(f"--set expects KEY=V1,V2,...; got '{item}'")
        if key in NOT_SWEEPABLE:
            raise ConfigError(f"'{key}' cannot be swept")
        if key in grid:
            raise ConfigError(f"'{key}' is set twice")
        grid[key] = [parse_value(key, v.strip()) for v in values.split(",") if v.strip()]
    return grid


def _label(combo: dict) -> str:
    parts = []
    for k, v in combo.items():
        v = "-".join(map(str, v)) if isinstance(v, list) else v
        parts.append(f"{k}={v}")
    return ",".join(parts)


def run_sweep(base: TrainConfig, grid: dict, out: Path, progress: Optional[bool] = None, html: bool = False,
              log=echo) -> int:
    """Train every combination of ``grid`` on top of ``base`` into ``out/runs/...``; write the comparison."""
    from .training import train
    out = Path(out)
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    configs = [base.replace(**combo) for combo in combos]  # validates every combination before training any
    log(f"Sweep of {len(configs)} runs into {out}")
    rows, curves = [], {}
    for i, (combo, cfg) in enumerate(zip(combos, configs), 1):
        label = _label(combo)
        log(f"[{i}/{len(configs)}] {label}")
        run_dir = out / "runs" / f"{i:02d}-{label.replace('=', '').replace(',', '_')}"
        res = train(cfg, run_dir, progress=progress, log=lambda s: None if s.startswith(("Run", "Model")) else log(s),
                    report=True, html=html)
        if res.status != "completed":
            log("Sweep interrupted; finished runs are in the table.")
            break
        curves[label] = res.history
        rows.append({**{k: ("-".join(map(str, v)) if isinstance(v, list) else v) for k, v in combo.items()},
                     "best_val_acc": res.best_val_acc, "test_acc": res.test.accuracy, "test_loss": res.test.loss,
                     "parameters": res.parameters, "seconds": round(res.seconds, 2),
                     "run": str(run_dir.relative_to(out))})
    if not rows:
        return 130
    keys = list(rows[0])
    write_csv(out / "results.csv", keys, [[r[k] for k in keys] for r in rows])
    (out / "results.json").write_text(json.dumps({"base": base.to_dict(), "grid": grid, "runs": rows}, indent=2))
    plot_runs(curves, out / "comparison.png", "sweep")
    best = max(rows, key=lambda r: r["test_acc"])
    rep = Report(f"Sweep: {base.model} on {base.dataset}")
    rep.para(f"{len(rows)} runs over {', '.join(grid)}; the base configuration is in `results.json`. "
             f"Best test accuracy **{pct(best['test_acc'])}** with {_label({k: best[k] for k in grid})}.")
    header = [*grid, "best val acc", "test acc", "test loss", "parameters", "time (s)", "run"]
    table = [[*(r[k] for k in grid), pct(r["best_val_acc"]), pct(r["test_acc"]), f"{r['test_loss']:.4f}",
              f"{r['parameters']:,}", r["seconds"], f"[report]({r['run']}/report.md)"] for r in rows]
    rep.table(header, table)
    (out / "results.md").write_text(Report(f"Sweep results: {base.model} on {base.dataset}").markdown().rstrip()
                                    + "\n\n" + _md_table(header, table))
    rep.image("comparison.png", "Validation accuracy and loss of every run")
    path = rep.write(out, html=html)
    log(f"Results: {out / 'results.md'}, {out / 'results.csv'}; report {path}")
    return 0 if len(rows) == len(configs) else 130


def _md_table(header, rows) -> str:
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"
