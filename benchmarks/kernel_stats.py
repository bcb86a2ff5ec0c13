#!/usr/bin/env python
"""Registers, spills and shared memory of the fused Triton SS2D kernels at one acceptance shape, and one launch of
each for a profiler (Nsight Compute) to read.

Triton compiles on the first call; the script then runs the forward (and with --backward, the forward+backward)
`--reps` more times, so a profiler can skip the compile-time launches:

    python benchmarks/kernel_stats.py --shape vmunet 1
    ncu --clock-control none --kernel-name regex:'_fwd_kernel' --launch-skip 1 --launch-count 1 \\
        --set full python benchmarks/kernel_stats.py --shape vmunet 1 --reps 1
"""
from __future__ import annotations
import argparse, json, os, sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_triton_variants import outputs, shape_args  # noqa: E402
from medsegmamba import kernels  # noqa: E402


def compiled(fn) -> list:
    "(name, n_regs, n_spills, shared bytes, num_warps) of every compiled variant of a Triton JIT function."
    out = []
    for cache in getattr(fn, "device_caches", {}).values():
        for k in (cache[0] if isinstance(cache, tuple) else cache).values():
            md = getattr(k, "metadata", None)
            out.append(dict(kernel=fn.__name__ if hasattr(fn, "__name__") else str(fn), n_regs=getattr(k, "n_regs", None),
                            n_spills=getattr(k, "n_spills", None), shared=getattr(md, "shared", None),
                            num_warps=getattr(md, "num_warps", None)))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", nargs=2, default=["vmunet", "1"], metavar=("MODEL", "STAGE"))
    p.add_argument("--backward", action="store_true")
    p.add_argument("--reps", type=int, default=1)
    p.add_argument("--json", default=None, help="write the kernel table here")
    a = p.parse_args(argv)
    row, args = shape_args(a.shape[0], int(a.shape[1]))
    print("shape", row, flush=True)
    for _ in range(1 + a.reps):
        if a.backward: outputs(args)
        else: kernels.ss2d_scan_triton(**args)
    torch.cuda.synchronize()
    table = [r for f in (kernels._fwd_kernel, kernels._bwd_states_kernel, kernels._bwd_kernel) for r in compiled(f)]
    for r in table: print(r)
    if a.json:
        with open(a.json, "w") as f: json.dump(dict(shape=list(row), kernels=table), f, indent=1)


if __name__ == "__main__":
    main()
