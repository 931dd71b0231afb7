"""The README's bar chart: numtorch time and peak RSS relative to PyTorch, per workload (matplotlib, Agg)."""
from __future__ import annotations

from pathlib import Path


def bar_chart(results: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta = results["meta"]
    paired = [e for e in results["workloads"] if "ratio_time" in e]
    if paired:
        fig, axes = plt.subplots(1, 2, figsize=(9, 0.45 * len(paired) + 1.4), sharey=True,
                                 gridspec_kw={"width_ratios": [3, 2]})
        labels = [e["name"] for e in paired]
        ys = range(len(paired))
        for ax, key, title, default_target in ((axes[0], "ratio_time", "time, numtorch / PyTorch", None),
                                               (axes[1], "ratio_peak_rss", "peak RSS, numtorch / PyTorch", 0.7)):
            vals = [e[key] for e in paired]
            targets = [e["target_ratio"] if default_target is None else default_target for e in paired]
            colors = ["#2a9d8f" if t is None or v <= t else "#e76f51" for v, t in zip(vals, targets)]
            ax.barh(list(ys), vals, color=colors, height=0.6)
            for y, v, t in zip(ys, vals, targets):
                ax.text(v, y, f" {v:.2f}", va="center", fontsize=8)
                if t is not None:
                    ax.plot([t, t], [y - 0.4, y + 0.4], color="black", lw=1.5)
            ax.axvline(1.0, color="grey", lw=0.8, ls="--")
            ax.set_title(title, fontsize=9)
            ax.set_xlim(0, max(max(vals) * 1.25, 1.3))
            ax.tick_params(labelsize=8)
        axes[0].set_yticks(list(ys))
        axes[0].set_yticklabels(labels)
        axes[0].invert_yaxis()
        fig.suptitle(f"numtorch vs PyTorch CPU, {meta['threads']} thread(s), {meta.get('clock', 'wall')} time, medians "
                     f"(green: target met; black tick: target) - {meta['started_utc']}", fontsize=8)
    else:
        fws = [fw for fw in ("numtorch", "torch") if any(e["results"].get(fw, {}).get("median_s")
                                                       for e in results["workloads"])]
        shown = [e for e in results["workloads"] if any(e["results"].get(fw, {}).get("median_s") for fw in fws)]
        fig, ax = plt.subplots(figsize=(7, 0.4 * max(len(shown), 1) + 1.2))
        h = 0.8 / max(len(fws), 1)
        for j, fw in enumerate(fws):
            vals = [e["results"].get(fw, {}).get("median_s") or 0 for e in shown]
            ax.barh([i + j * h for i in range(len(shown))], vals, height=h, label=fw)
        ax.set_yticks([i + h * (len(fws) - 1) / 2 for i in range(len(shown))])
        ax.set_yticklabels([e["name"] for e in shown])
        ax.invert_yaxis()
        if shown:
            ax.set_xscale("log")
        ax.legend(fontsize=8)
        ax.set_xlabel("median time, s", fontsize=8)
        fig.suptitle(f"{meta['threads']} thread(s) - {meta['started_utc']}", fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
