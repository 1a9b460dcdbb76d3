#!/usr/bin/env python3
"""Turn every figure CSV under the given results folders into a PNG beside it.

    python3 scripts/plot.py results/paper-fig2-error-vs-budget [more folders or CSV files]
    python3 scripts/plot.py            # every folder under results/

Knows: u_vs_cosine.csv, summary.csv, summary_by_concentration.csv, summary_by_layer.csv (mean relative L2
per layer, one line per configuration), replay*.csv (bench replay),
attention*.csv (bench attention: ms per decode step vs context), accuracy.csv (task score vs cost: the
paper's Figure 1 — TopK over its budgets as a line, MagicPIG and oracle sampling as points, exact dashed).
"""
import csv
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

METHOD_STYLE = {"exact": ("k", "s"), "topk": ("tab:blue", "o"), "oracle_sampling": ("tab:green", "^"),
                "magicpig": ("tab:red", "D")}


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def save(fig, csv_path):
    png = os.path.splitext(csv_path)[0] + ".png"
    tmp = png + ".tmp.png"
    fig.savefig(tmp, dpi=120, bbox_inches="tight")
    os.replace(tmp, png)
    plt.close(fig)
    print(png)


def plot_u_curve(path):
    rows = read(path)
    fig, ax = plt.subplots(figsize=(6, 4))
    curves = defaultdict(list)
    for r in rows:
        curves[(int(r["K"]), int(r["L"]))].append((float(r["cosine"]), float(r["u"])))
    for (k, l), pts in sorted(curves.items()):
        ax.plot([p[0] for p in pts], [p[1] for p in pts], label=f"K={k}, L={l}")
    ax.set_xlabel("cosine(q, k)")
    ax.set_ylabel("u: probability of being sampled")
    ax.set_title("MagicPIG sampling probability (≥%s collisions)" % rows[0]["threshold"])
    ax.grid(alpha=0.3)
    ax.legend()
    save(fig, path)


def error_vs_cost(ax, rows, title):
    by_method = defaultdict(list)
    for r in rows:
        c, e = num(r["cost_fraction"]), num(r["rel_l2_mean"])
        if c is None or e is None:
            continue
        by_method[r["method"]].append((c, e, r))
    for method, pts in by_method.items():
        color, marker = METHOD_STYLE.get(method, ("tab:gray", "x"))
        if method == "magicpig":
            # One line per K, points along L: the K×L sweep reads as a family of curves.
            by_k = defaultdict(list)
            for p in pts:
                by_k[p[2]["K"]].append(p)
            cmap = plt.get_cmap("autumn")
            for i, (k, kp) in enumerate(sorted(by_k.items(), key=lambda kv: int(kv[0] or 0))):
                kp.sort()
                shade = cmap(0.8 * i / max(1, len(by_k) - 1)) if len(by_k) > 1 else color
                ax.plot([p[0] for p in kp], [p[1] for p in kp], color=shade, marker=marker, ms=4, lw=1,
                        label=f"magicpig K={k} (L varies)")
        else:
            pts.sort()
            ax.plot([p[0] for p in pts], [p[1] for p in pts], color=color, marker=marker, ms=4, label=method)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("cost fraction (authors' definition)")
    ax.set_ylabel("relative L2 error of attention output (mean)")
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)


def plot_summary(path):
    rows = [r for r in read(path) if r["method"] != "exact"]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(6, 4.5))
    error_vs_cost(ax, rows, os.path.basename(os.path.dirname(path)))
    save(fig, path)


def plot_by_concentration(path):
    rows = [r for r in read(path) if r["method"] != "exact"]
    classes = ["spread", "mixed", "concentrated"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), sharey=True)
    for ax, c in zip(axes, classes):
        sub = [r for r in rows if r["concentration"] == c]
        if sub:
            n = int(sub[0]["n_queries"]) // max(1, int(sub[0]["n_seeds"]))
            error_vs_cost(ax, sub, f"{c} attention ({n} queries)")
    save(fig, path)


def plot_by_layer(path):
    rows = [r for r in read(path) if r["method"] != "exact" and r["layer"] != "all"]
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(8, 4.5))
    by_config = defaultdict(list)
    for r in rows:
        by_config[r["config"]].append(r)
    dashes = ["-", "--", ":", "-."]
    seen = defaultdict(int)
    for config, group in by_config.items():
        group.sort(key=lambda r: int(r["layer"]))
        method = group[0]["method"]
        color, marker = METHOD_STYLE.get(method, ("gray", "x"))
        # Several configurations of one method share its colour and differ in line style.
        style = dashes[seen[method] % len(dashes)]
        seen[method] += 1
        costs = [c for c in (num(r["cost_fraction"]) for r in group) if c is not None]
        label = f"{config} (mean cost {sum(costs) / len(costs):.3f})" if costs else config
        ax.plot([int(r["layer"]) for r in group], [num(r["rel_l2_mean"]) for r in group], marker=marker,
                color=color, linestyle=style, label=label, markersize=4)
    ax.set_xlabel("layer")
    ax.set_ylabel("mean relative L2 of the attention output")
    ax.set_title(os.path.basename(os.path.dirname(path)) + ": error by layer")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    save(fig, path)


def plot_bench(path):
    rows = read(path)
    configs = list(dict.fromkeys(r["config"] for r in rows))
    engines = list(dict.fromkeys(r["engine"] for r in rows))
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / max(1, len(engines))
    for i, engine in enumerate(engines):
        vals = []
        for c in configs:
            v = [num(r["queries_per_s"]) for r in rows if r["config"] == c and r["engine"] == engine]
            vals.append(v[0] if v else 0)
        ax.bar([j + i * width for j in range(len(configs))], vals, width, label=engine)
    ax.set_xticks([j + width * (len(engines) - 1) / 2 for j in range(len(configs))])
    ax.set_xticklabels(configs, rotation=20, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("queries / s")
    ax.set_title(f"replay throughput, {rows[0]['tokens']} tokens, {rows[0]['threads']} thread(s)")
    ax.legend()
    save(fig, path)


def plot_attention(path):
    """ms per decode step (all heads of one layer) vs context, log-log, one line per method."""
    rows = read(path)
    if not rows:
        return
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    by_method = defaultdict(list)
    for r in rows:
        label = r["method"] + (f" K{r['K']} L{r['L']}" if r.get("K") else "")
        by_method[(r["method"], label)].append((int(r["context"]), float(r["ms_per_step"])))
    for (method, label), pts in by_method.items():
        pts.sort()
        color, marker = METHOD_STYLE.get(method, ("tab:gray", "x"))
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=color, marker=marker, label=label)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("context (tokens)")
    ax.set_ylabel("ms per decode step (one layer, all heads)")
    r0 = rows[0]
    ax.set_title(f"CPU attention, {r0['heads']}/{r0['kv_heads']} heads × {r0['head_dim']}, {r0['dtype']}, "
                 f"{r0['threads']} thread(s); read bw {float(r0['read_bandwidth_gb_per_s']):.1f} GB/s", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    save(fig, path)


def task_group(task):
    return "niah (mean)" if task.startswith("niah_") else task


def plot_accuracy(path):
    rows = read(path)
    if not rows:
        return
    panels = sorted({(r["context"], r["setup"]) for r in rows}, key=lambda p: (int(p[0]), p[1]))
    groups = []
    for r in rows:
        g = task_group(r["task"])
        if g not in groups:
            groups.append(g)
    fig, axes = plt.subplots(len(panels), len(groups), figsize=(3.2 * len(groups), 3 * len(panels)), squeeze=False)
    for pi, (context, setup) in enumerate(panels):
        for gi, group in enumerate(groups):
            ax = axes[pi][gi]
            # (method_id) -> [(cost, score)] averaged over the tasks of the group
            pooled = defaultdict(list)
            meta = {}
            for r in rows:
                if r["context"] != context or r["setup"] != setup or task_group(r["task"]) != group:
                    continue
                pooled[r["method_id"]].append((num(r["cost_fraction"]), float(r["score"])))
                meta[r["method_id"]] = r["method"]
            topk = []
            for mid, pts in pooled.items():
                score = sum(p[1] for p in pts) / len(pts)
                costs = [p[0] for p in pts if p[0] is not None]
                cost = sum(costs) / len(costs) if costs else None
                method = meta[mid]
                if mid == "reference":
                    ax.axhline(score, color="k", ls="--", lw=1, label="exact")
                elif method == "topk" and cost is not None:
                    topk.append((cost, score))
                elif method in ("magicpig", "oracle_sampling") and cost is not None:
                    color, _ = METHOD_STYLE[method]
                    # One marker per configuration of the method, the same in every panel.
                    configs = sorted({m for m, meth in meta.items() if meth == method})
                    marker = "D^PXv*"[configs.index(mid) % 6]
                    ax.scatter([cost], [score], color=color, marker=marker, zorder=3,
                               label=mid.replace("_budget", " ").replace("magicpig_", "MagicPIG ").replace("_", ""))
            if topk:
                topk.sort()
                ax.plot([p[0] for p in topk], [p[1] for p in topk], "o-", color=METHOD_STYLE["topk"][0], label="TopK")
            ax.set_xscale("log")
            ax.set_ylim(-5, 105)
            ax.set_title(f"{group} · {context} tok · setup {setup}", fontsize=9)
            ax.set_xlabel("cost fraction (keys read / keys)")
            if gi == 0:
                ax.set_ylabel("score")
            ax.grid(alpha=0.3)
    handles, labels = {}, {}
    for ax in axes.flat:
        for h, l in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(l, h)
    fig.tight_layout()
    # Below the panels (the saved figure grows to hold it), clear of the x labels.
    fig.legend(list(handles.values()), list(handles.keys()), loc="upper center", ncol=min(6, len(handles)),
               bbox_to_anchor=(0.5, 0.0), fontsize=8)
    save(fig, path)


PLOTTERS = {"accuracy.csv": plot_accuracy, "u_vs_cosine.csv": plot_u_curve, "summary.csv": plot_summary,
            "summary_by_concentration.csv": plot_by_concentration, "summary_by_layer.csv": plot_by_layer,
            "replay.csv": plot_bench}


def main(args):
    targets = args or [os.path.join("results", d) for d in sorted(os.listdir("results"))
                       if os.path.isdir(os.path.join("results", d))]
    for t in targets:
        files = [t] if os.path.isfile(t) else [os.path.join(t, f) for f in sorted(os.listdir(t))]
        for f in files:
            name = os.path.basename(f)
            plotter = PLOTTERS.get(name)
            if plotter is None and name.endswith(".csv") and name.startswith("attention"):
                plotter = plot_attention
            if plotter is None and name.endswith(".csv") and name.startswith("replay"):
                plotter = plot_bench
            if plotter:
                plotter(f)


if __name__ == "__main__":
    main(sys.argv[1:])
