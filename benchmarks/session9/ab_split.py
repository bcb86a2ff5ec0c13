#!/usr/bin/env python
"""Alternating A/B of the forward's lanes per channel (`MEDSEGMAMBA_TRITON_SPLIT_N` = 1, 2, 4; `kernels._split_n`) at
a few shapes of bench_ss2d.py: R rounds, each timing every (shape, q) once (CUDA events, median of --reps after 2
warm-up calls), so that clock drift falls on all variants alike. Prints per (shape, q) the median and the range over
the rounds, and the programs per multiprocessor of q = 1 (`kernels._per_sm`). Forward only: the backward does not
depend on q.

    python benchmarks/session9/ab_split.py --rounds 5 --out $OUT/ab_split.csv
"""
from __future__ import annotations
import argparse, csv, io, os, statistics, sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_ss2d import cuda_time, dt_rank, mamba_layout, model_layout, runner, scan_inputs, shapes, ss2d_inputs  # noqa: E402
from medsegmamba import kernels  # noqa: E402
from medsegmamba.core import atomic_write_text  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shapes", nargs="*", default=["vmunet:1", "vmunet:2", "resmamba_ulite:1", "resmamba_ulite:2",
                                                  "lightm_unet:1", "lightm_unet:4"], help="MODEL:STAGE of bench_ss2d")
    p.add_argument("--qs", nargs="*", type=int, default=[1, 2, 4])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--out", default="benchmarks/results/ab_split.csv")
    a = p.parse_args(argv)
    if not torch.cuda.is_available(): sys.exit("ab_split.py: needs a CUDA GPU")
    dev = torch.device("cuda")
    cases = {}
    for sh in a.shapes:
        m, s = sh.split(":")
        model, stage, dirs, Bsz, Dm, H, W = next(r for r in shapes(8, 8, 32) if r[0] == m and r[1] == int(s))
        if dirs == 4:
            fn, args = kernels.ss2d_scan_triton, model_layout(ss2d_inputs(Bsz, Dm, H, W, torch.float32, dev), dt_rank(Dm))
        else:
            fn, args = kernels.selective_scan_triton, mamba_layout(scan_inputs(Bsz, Dm, H * W, torch.float32, dev), dt_rank(Dm))
        plan = kernels._plan(Bsz, dirs, Dm, H * W, Dm, dev, col=H if dirs == 4 else 0)
        cases[sh] = (runner(fn, args, False), kernels._per_sm(plan, Bsz, dirs, Dm, dev))
    times = {(sh, q): [] for sh in cases for q in a.qs}
    for r in range(a.rounds):
        for sh, (go, _) in cases.items():
            for q in a.qs:
                os.environ["MEDSEGMAMBA_TRITON_SPLIT_N"] = str(q)
                times[(sh, q)].append(cuda_time(go, 2, a.reps))
        print(f"round {r + 1}/{a.rounds} done", flush=True)
    os.environ.pop("MEDSEGMAMBA_TRITON_SPLIT_N", None)
    rows = []
    for (sh, q), ts in times.items():
        rows.append(dict(shape=sh, q=q, programs_per_sm_q1=round(cases[sh][1], 1), fwd_ms_median=round(statistics.median(ts), 4),
                         fwd_ms_min=round(min(ts), 4), fwd_ms_max=round(max(ts), 4), rounds=len(ts)))
        print(rows[-1], flush=True)
    buf = io.StringIO(); w = csv.DictWriter(buf, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
    atomic_write_text(buf.getvalue(), a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
