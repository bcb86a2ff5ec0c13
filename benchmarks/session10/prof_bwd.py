#!/usr/bin/env python
"""Where the fused SS2D's forward+backward spends its time: torch.profiler's CUDA kernel table for the Triton scan at
one shape of `bench_ss2d.py` (its inputs and layout: `ss2d_inputs`, `model_layout`, `runner`), fp32.

    python benchmarks/session10/prof_bwd.py --shape resmamba_ulite 1 [--reps 5] [--out table.txt]
"""
from __future__ import annotations
import argparse, os, sys

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_ss2d import dt_rank, model_layout, runner, shapes, ss2d_inputs  # noqa: E402
from medsegmamba import kernels  # noqa: E402
from medsegmamba.core import atomic_write_text  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", nargs=2, default=["resmamba_ulite", "1"], metavar=("MODEL", "STAGE"))
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--fwd", action="store_true", help="the forward alone")
    p.add_argument("--grads", default="autograd", choices=["autograd", "leaves"], help="as bench_ss2d.py's --grads")
    p.add_argument("--out", default=None, help="also write the table here")
    a = p.parse_args(argv)
    dev = torch.device("cuda")
    rows = [s for s in shapes(8, 8, 32) if s[0] == a.shape[0] and s[1] == int(a.shape[1]) and s[2] == 4]
    if not rows: sys.exit(f"prof_bwd.py: no 4-direction shape {a.shape[0]} s{a.shape[1]} in bench_ss2d.shapes")
    model, stage, dirs, Bsz, Dm, H, W = rows[0]
    x = model_layout(ss2d_inputs(Bsz, Dm, H, W, torch.float32, dev), dt_rank(Dm))
    go = runner(kernels.ss2d_scan_triton, x, not a.fwd, a.grads)
    for _ in range(3): go()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(a.reps): go()
        torch.cuda.synchronize()
    head = f"# {model} s{stage} B{Bsz} D{Dm} {H}x{W} fp32 {'fwd' if a.fwd else 'fwd+bwd (grads: ' + a.grads + ')'}, {a.reps} calls; times per call = total / {a.reps}"
    table = prof.key_averages().table(sort_by="cuda_time_total", row_limit=25, max_name_column_width=60)
    print(head); print(table)
    if a.out: atomic_write_text(head + "\n" + table, a.out)


if __name__ == "__main__":
    main()
