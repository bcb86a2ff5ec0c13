#!/usr/bin/env python
"""Session 14 A/B: the fused SS2D forward's loop as explicit load groups (`default`, `MEDSEGMAMBA_TRITON_FWD_PIPE=0`)
against its loads through Triton's pipeliner (`kernels._fwd_pipe`: cp.async into shared memory, S stages) at the
acceptance shapes, alternating rounds, with the largest difference from the default's output (relative to its
largest value).

    python benchmarks/session14/ab_fwdp.py --shapes vmunet:1 resmamba_ulite:1 --variants default p3_t4_q2 --rounds 5

A variant `pS_tT_qQ` is the pipelined loop with S stages, T steps a loop iteration (`MEDSEGMAMBA_TRITON_FWD_CHUNK`)
and Q lanes a channel (`MEDSEGMAMBA_TRITON_SPLIT_N`); `d_tT_qQ` the load-group loop with those settings; `default`
the kernels' defaults. Session 14's calls ran other code (`results/session14/README.md`): calls 1-2 commit 17d3483,
where S + 10 was the same loop with B, C copied through L1 and every lane copied its own B, C row; calls 3-4 that
commit with `results/session14/call3_4_kernels_17d3483.diff`, where S + 10 is the one-copy-a-segment form that the
package keeps as `FWD_PIPE=S`."""
from __future__ import annotations
import argparse, csv, os, re, statistics, sys, time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..")]
from bench_ss2d import cuda_time                      # noqa: E402
from bench_triton_variants import shape_args           # noqa: E402
from medsegmamba import kernels                        # noqa: E402

ENV = ("MEDSEGMAMBA_TRITON_FWD_CHUNK", "MEDSEGMAMBA_TRITON_SPLIT_N", "MEDSEGMAMBA_TRITON_FWD_PIPE")


def set_variant(v:str):
    "Switch the environment to variant v."
    for k in ENV: os.environ.pop(k, None)
    if v == "default": return
    m = re.fullmatch(r"(p(\d+)|d)_t(\d)_q(\d)", v)
    if not m: sys.exit(f"ab_fwdp.py: unknown variant {v!r}; expected default, pS_tT_qQ or d_tT_qQ")
    os.environ["MEDSEGMAMBA_TRITON_FWD_CHUNK"] = m.group(3)
    os.environ["MEDSEGMAMBA_TRITON_SPLIT_N"] = m.group(4)
    os.environ["MEDSEGMAMBA_TRITON_FWD_PIPE"] = m.group(2) or "0"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shapes", nargs="+", default=["vmunet:1", "resmamba_ulite:1"])
    p.add_argument("--variants", nargs="+", default=["default", "p3_t2_q2"])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--warm-only", action="store_true")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    for v in a.variants:                     # refuse unknown variants and bad values before any work
        set_variant(v)
        try: kernels._fwd_pipe()
        except ValueError as e: sys.exit(f"ab_fwdp.py: variant {v!r}: {e}")
    set_variant("default")
    if not torch.cuda.is_available(): sys.exit("ab_fwdp.py: needs a CUDA GPU (it times the Triton kernels)")
    rows = []
    for sh in a.shapes:
        model, stage = sh.split(":")
        row, args = shape_args(model, int(stage))
        fn = lambda: kernels.ss2d_scan_triton(**args)
        ref = None
        times = {v: [] for v in a.variants}
        diff = {}
        for v in a.variants:       # compile (and check) every variant first
            set_variant(v); t = time.time()
            y = fn(); torch.cuda.synchronize()
            if ref is None: set_variant("default"); ref = fn(); set_variant(v)
            diff[v] = float((y - ref).abs().max() / ref.abs().max())
            print(f"{sh} {v}: compiled/ran in {time.time() - t:.1f} s, rel. diff {diff[v]:.2e}", flush=True)
        if a.warm_only: continue
        for r in range(a.rounds):
            for v in (a.variants if r % 2 == 0 else a.variants[::-1]):
                set_variant(v)
                times[v].append(cuda_time(fn, 3, a.reps))
        for v in a.variants:
            ms = statistics.median(times[v])
            rows.append(dict(shape=sh, variant=v, ms=round(ms, 4), rounds=a.rounds, rel_diff=f"{diff[v]:.2e}",
                             all_ms=" ".join(f"{t:.4f}" for t in times[v])))
            print(f"{sh:18s} {v:10s} {ms:8.4f} ms  (rounds {' '.join(f'{t:.3f}' for t in times[v])})  diff {diff[v]:.1e}",
                  flush=True)
    set_variant("default")
    if a.out and rows:
        with open(a.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)


if __name__ == "__main__":
    main()
