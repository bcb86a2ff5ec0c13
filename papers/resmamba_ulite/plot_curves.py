#!/usr/bin/env python
"""Learning curves of the committed DSB2018 runs: the selection score (per-image soft Dice, the paper's DSC) per epoch.

Reads `results/runs/*/history.csv` (the 7-epoch grid) and `results/long/runs/*/history.csv` (the 29/38-epoch pair),
the records that `reproduce.ipynb` copied from each run, and draws one line per run against the paper's 91.91 on test.
Under `strict` the score is on the held-out validation ids, under `faithful` on the test ids (the authors' selection).

    python papers/resmamba_ulite/plot_curves.py            # writes papers/resmamba_ulite/results/learning_curves.png
"""
import argparse
from pathlib import Path

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from medsegmamba.core import atomic_savefig

HERE = Path(__file__).resolve().parent
PAPER_DSC = 91.91  # paper_tables/resmamba_ulite_dsb2018.csv, ResMamba-ULite DSC


def load_curves(results:Path) -> pd.DataFrame:
    "One row per (run, epoch): the run's name parts, its grid ('grid' or 'long') and the selection score in percent."
    rows = []
    for grid, folder in (("grid", results / "runs"), ("long", results / "long" / "runs")):
        for h in sorted(folder.glob("dsb2018__*/history.csv")):
            _, model, protocol, seed = h.parent.name.split("__")
            d = pd.read_csv(h)
            col = next(c for c in d.columns if c.endswith("/soft/dsc"))  # val/soft/dsc (strict) or test/soft/dsc (faithful)
            rows += [{"run": f"{grid}:{h.parent.name}", "model": model, "protocol": protocol, "seed": seed, "grid": grid,
                      "epoch": int(e) + 1, "score": 100 * float(s), "lr": float(lr)}
                     for e, s, lr in zip(d["epoch"], d[col], d["lr"])]
    if not rows: raise FileNotFoundError(f"no DSB2018 history.csv under {results}/runs or {results}/long/runs")
    return pd.DataFrame(rows)


def plot(df:pd.DataFrame):
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), sharey=True)
    rm = df[df.model == "resmamba_ulite"]
    sns.lineplot(rm, x="epoch", y="score", hue="protocol", style="grid", units="run", estimator=None, ax=axes[0])
    axes[0].set_title("ResMamba-ULite: selection score per epoch (7-epoch grid, 29/38-epoch pair)")
    base = df[(df.grid == "grid") & (df.protocol == "strict")]
    sns.lineplot(base, x="epoch", y="score", hue="model", units="run", estimator=None, ax=axes[1])
    axes[1].set_title("strict runs of the grid, every model (validation)")
    for ax in axes:
        ax.axhline(PAPER_DSC, color="k", ls="--", lw=1, label="paper 91.91 (test)")
        ax.set_ylabel("per-image soft Dice, % (the paper's DSC)"); ax.set_ylim(40, 95); ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(HERE / "results"))
    ap.add_argument("--out", default=None, help="PNG path (default: <results>/learning_curves.png)")
    a = ap.parse_args(argv)
    df = load_curves(Path(a.results))
    out = Path(a.out or Path(a.results) / "learning_curves.png")
    atomic_savefig(plot(df), out, dpi=110)
    last = df.sort_values("epoch").groupby("run").tail(1).set_index("run")[["grid", "epoch", "score", "lr"]]
    last["score"] = last["score"].round(2); print(last.to_string()); print(f"wrote {out}")


if __name__ == "__main__":
    main()
