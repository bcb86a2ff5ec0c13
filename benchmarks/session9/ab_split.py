#!/usr/bin/env python
"""Alternating A/B of the forward's lanes per channel (`MEDSEGMAMBA_TRITON_SPLIT_N` = 1, 2, 4; `kernels._split_n`) at
a few shapes of bench_ss2d.py: R rounds, each timing every (shape, q) once (CUDA events, median of --reps after 2
warm-up calls), so that clock drift falls on all variants alike. Prints per (shape, q) the median and the range over
the rounds, and the programs per multiprocessor of q = 1 (`kernels._per_sm`). Without `--backward`, forward only: the
backward does not depend on the forward's q.

Since session 10, `--backward` times forward+backward and sets the backward's lanes per channel instead
(`MEDSEGMAMBA_TRITON_BWD_SPLIT_N`, `kernels._bwd_split_n`; the forward keeps its default), and every q's output and
gradients are compared with q = 1's (`max_rel_vs_q1`). The backward is timed as `bench_ss2d.runner` does it (since
session 10 by `torch.autograd.grad`; session 10's call 1 ran before that change, with `.backward()`).

    python benchmarks/session9/ab_split.py --rounds 5 --out $OUT/ab_split.csv
    python benchmarks/session9/ab_split.py --backward --rounds 5 --out $OUT/ab_bwd_split.csv
"""
from __future__ import annotations
import argparse, csv, io, os, statistics, sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_ss2d import cuda_time, dt_rank, mamba_layout, model_layout, runner, scan_inputs, shapes, ss2d_inputs  # noqa: E402
from bench_triton_variants import outputs, rel  # noqa: E402
from medsegmamba import kernels  # noqa: E402
from medsegmamba.core import atomic_write_text  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shapes", nargs="*", default=["vmunet:1", "vmunet:2", "resmamba_ulite:1", "resmamba_ulite:2",
                                                  "lightm_unet:1", "lightm_unet:4"], help="MODEL:STAGE of bench_ss2d")
    p.add_argument("--qs", nargs="*", type=int, default=[1, 2, 4])
    p.add_argument("--rounds", type=int, default=5, help="0: compile every (shape, q) and stop (no parity, no timing)")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--out", default="benchmarks/results/ab_split.csv")
    p.add_argument("--backward", action="store_true", help="forward+backward, the backward's lanes per channel set")
    a = p.parse_args(argv)
    var = "MEDSEGMAMBA_TRITON_BWD_SPLIT_N" if a.backward else "MEDSEGMAMBA_TRITON_SPLIT_N"
    if not torch.cuda.is_available(): sys.exit("ab_split.py: needs a CUDA GPU")
    dev = torch.device("cuda")
    cases, errs = {}, {}
    for sh in a.shapes:
        m, s = sh.split(":")
        model, stage, dirs, Bsz, Dm, H, W = next(r for r in shapes(8, 8, 32) if r[0] == m and r[1] == int(s))
        if dirs == 4:
            fn, args = kernels.ss2d_scan_triton, model_layout(ss2d_inputs(Bsz, Dm, H, W, torch.float32, dev), dt_rank(Dm))
        else:
            fn, args = kernels.selective_scan_triton, mamba_layout(scan_inputs(Bsz, Dm, H * W, torch.float32, dev), dt_rank(Dm))
        plan = kernels._plan(Bsz, dirs, Dm, H * W, Dm, dev, col=H if dirs == 4 else 0, backward=a.backward,
                             gated=dirs == 1)
        cases[sh] = (runner(fn, args, a.backward), kernels._per_sm(plan, Bsz, dirs, Dm, dev))
        if a.rounds == 0:   # compile only (parallel warm-up processes, one per shape and q)
            for q in a.qs:
                os.environ[var] = str(q)
                outputs(args, fn) if a.backward else cases[sh][0]()
            torch.cuda.synchronize()
            continue
        if a.backward:      # parity: every q against q = 1 (outputs and all gradients)
            got = {}
            for q in a.qs:
                os.environ[var] = str(q)
                got[q] = outputs(args, fn)
            errs[sh] = {q: max(rel(x, y) for x, y in zip(got[q], got[a.qs[0]])) for q in a.qs}
            print(sh, "max rel vs q =", a.qs[0], {q: f"{e:.1e}" for q, e in errs[sh].items()}, flush=True)
            del got
    if a.rounds == 0: return print("compiled", a.shapes, "q =", a.qs)
    times = {(sh, q): [] for sh in cases for q in a.qs}
    for r in range(a.rounds):
        for sh, (go, _) in cases.items():
            for q in a.qs:
                os.environ[var] = str(q)
                times[(sh, q)].append(cuda_time(go, 2, a.reps))
        print(f"round {r + 1}/{a.rounds} done", flush=True)
    os.environ.pop(var, None)
    rows = []
    for (sh, q), ts in times.items():
        m = "fwd_bwd" if a.backward else "fwd"
        rows.append({"shape": sh, "q": q, "programs_per_sm_q1": round(cases[sh][1], 1),
                     f"{m}_ms_median": round(statistics.median(ts), 4), f"{m}_ms_min": round(min(ts), 4),
                     f"{m}_ms_max": round(max(ts), 4), "rounds": len(ts),
                     **({"max_rel_vs_q1": f"{errs[sh][q]:.1e}"} if a.backward else {})})
        print(rows[-1], flush=True)
    buf = io.StringIO(); w = csv.DictWriter(buf, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
    atomic_write_text(buf.getvalue(), a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
