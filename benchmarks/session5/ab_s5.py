#!/usr/bin/env python
"""Session-5 A/B of the fused Triton SS2D kernels: session 4's module against the current one, in one run.

Variants (current code unless said): `s4` = commit 6bcec8a's `medsegmamba/kernels.py`, which this script imports
from `benchmarks/session5/kernels_s4.py` (git-ignored; make it with
`git show 6bcec8a:medsegmamba/kernels.py | sed 's/^from \\.core import/from medsegmamba.core import/; s/^_registered = register_backends()/_registered = []/' > benchmarks/session5/kernels_s4.py`);
`default`; `bwd_chunk1` = the backward with one step per load group; `bwd_seg2_chunk1` = that, with L split in 2
segments in the backward; `approx0` = softplus' log2 by Triton's polynomial; `prefetch8` = L2 prefetch 8 steps ahead.

Mapping to the committed result files (benchmarks/results/session5/):
* `call3_ab.csv` (the `gpu_s5b.sh` call) ran an earlier state of this script, whose labels were: `new` = today's
  `bwd_chunk1`, `bwdT2` = today's `default`, `bwdseg2` = today's `bwd_seg2_chunk1`. The kernel code then differed
  from today's only in ways that do not change what runs with the defaults: the prefetch code (off by default), the
  backward loads' row/stride tuples, and the gated plain scan's backward chunk (not an SS2D shape).
* `call2_ab.csv` (`gpu_s5a.sh`) ran an intermediate kernel that was never committed (forward as today; backward
  without the second group of loads in flight); its rows are kept as measured, and no command reproduces them.

    python benchmarks/session5/ab_s5.py --warm            # compile in parallel first
    python benchmarks/session5/ab_s5.py --out $OUT/ab_s5.csv
"""
import argparse, csv, io, os, subprocess, sys, time
import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_ss2d import cuda_time, runner  # noqa
from bench_triton_variants import outputs, rel, shape_args  # noqa
from medsegmamba import kernels  # noqa
import kernels_s4  # noqa

SHAPES = [("vmunet", 1), ("resmamba_ulite", 1), ("resmamba_ulite", 2), ("vmunet", 4), ("resmamba_ulite", 4)]
VARIANTS = ["s4", "default", "bwd_chunk1", "bwd_seg2_chunk1"]
_plan_orig = kernels._plan


def fn_for(v):
    "The SS2D function of variant v (sets the environment and the backward plan it needs)."
    if v == "s4": return kernels_s4.ss2d_scan_triton
    for k in ("MEDSEGMAMBA_TRITON_APPROX", "MEDSEGMAMBA_TRITON_PREFETCH"): os.environ.pop(k, None)
    if v == "approx0": os.environ["MEDSEGMAMBA_TRITON_APPROX"] = "0"
    if v == "prefetch8": os.environ["MEDSEGMAMBA_TRITON_PREFETCH"] = "8"
    seg = 2 if v == "bwd_seg2_chunk1" else None
    chunk = 1 if v.startswith(("bwd_chunk1", "bwd_seg2")) else None

    def plan(Bsz, K, Dm, L, dpg, device, block_d=None, segments=None, backward=False, chunk_=None):
        if backward: segments, chunk_ = segments or seg, chunk_ or chunk
        return _plan_orig(Bsz, K, Dm, L, dpg, device, block_d, segments, backward, chunk_)
    kernels._plan = plan
    return kernels.ss2d_scan_triton


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--warm", action="store_true"); p.add_argument("--one", nargs=3)
    p.add_argument("--out", default="/tmp/ab_s5.csv"); p.add_argument("--reps", type=int, default=20)
    a = p.parse_args()
    skip = lambda m, s, v: v.startswith("bwd_seg") and (m, s) not in SHAPES[:2]
    if a.one:
        f = fn_for(a.one[2]); _, args = shape_args(a.one[0], int(a.one[1])); outputs(args, f); torch.cuda.synchronize(); return
    if a.warm:
        t = time.time()
        ps = [subprocess.Popen([sys.executable, __file__, "--one", m, str(s), v]) for m, s in SHAPES for v in VARIANTS
              if not skip(m, s, v)]
        bad = [q.args[-3:] for q in ps if q.wait()]
        print(f"warm {len(ps)} in {time.time()-t:.0f}s bad={bad}", flush=True); return
    rows = []
    for m, s in SHAPES:
        row, args = shape_args(m, s)
        ref = outputs(args, kernels_s4.ss2d_scan_triton)
        for v in VARIANTS:
            if skip(m, s, v): continue
            f = fn_for(v)
            err = max(rel(x, y) for x, y in zip(outputs(args, f), ref))
            for mode in ("fwd", "fwd+bwd"):
                ms = cuda_time(runner(f, args, mode == "fwd+bwd"), 3, a.reps)
                rows.append(dict(model=m, stage=s, variant=v, mode=mode, ms=round(ms, 4), rel_vs_s4=f"{err:.1e}"))
                print(rows[-1], flush=True)
        fn_for("default")
    buf = io.StringIO(); w = csv.DictWriter(buf, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
    open(a.out, "w").write(buf.getvalue())


if __name__ == "__main__":
    main()
