#!/usr/bin/env python
"""A/B timings of the fused Triton SS2D scan's switches at the acceptance shapes, with parity between the variants.

The kernels read environment switches at each launch: `MEDSEGMAMBA_TRITON_XSUM=0` (`kernels._xsum_on`) sums the
backward's dB, dC over channels with one warp reduction per state instead of the transpose-reduce;
`MEDSEGMAMBA_TRITON_MIN_SEG` (`kernels._plan`) sets the shortest piece of L when the scan splits L;
`MEDSEGMAMBA_TRITON_BWD_CHUNK=1` / `MEDSEGMAMBA_TRITON_FWD_CHUNK=1` (`kernels._plan`) one backward / forward step per
load group instead of two (the backward: a quarter of the compile time; the forward: fewer registers); `MEDSEGMAMBA_TRITON_APPROX=0` (`kernels._approx`) takes softplus' log2 with Triton's accurate polynomial
instead of the multi-function unit; `MEDSEGMAMBA_TRITON_VEC=0` (`kernels._bcv`) reads B and C one value per load
instead of 16 bytes at a time; `MEDSEGMAMBA_TRITON_COLSEG=0` (`kernels._plan`) does not cut L into one column a segment;
`MEDSEGMAMBA_TRITON_BC_STORE=1` (`kernels._launch_bwd`) stores dB, dC rows instead of adding them atomically where a
program is their only writer (since session 10 the default where its lanes hold pairs of sums; `=0` forces atomics);
`MEDSEGMAMBA_TRITON_BCV2=0` (`kernels._bc_v2`) adds (stores) those pairs one value at a time;
`MEDSEGMAMBA_TRITON_BWD_PARTS=1` (`kernels._bwd_parts`) runs the backward as up to session 10 (the adjoint carries by
`_bwd_states_kernel`, both sweeps in one launch); `MEDSEGMAMBA_TRITON_BWD1_CHUNK` sets the load group of the
default's separate sweep 1 (one step since session 11's call 1; `bwd1_chunk2`: two); `MEDSEGMAMBA_TRITON_BWD_MAXNREG`
caps the backward kernel's registers;
`MEDSEGMAMBA_TRITON_SPLIT_N=1|2|4` (`kernels._split_n`) gives the forward 1, 2 or 4 lanes a channel, each holding 16,
8 or 4 of its states (without it: `kernels._lanes` picks); `MEDSEGMAMBA_TRITON_BWD_SPLIT_N` (`kernels._bwd_split_n`)
does the same for the backward. `PLAN` lists the variants each shape is timed with. Each variant is timed forward and
forward+backward (CUDA events, median; `--rounds R`: the variants in alternation, the median of R rounds; the
gradients by `torch.autograd.grad`, `bench_ss2d.runner`), and its outputs and gradients are compared with the
default's; the default is also compared with our `torch` backend (fp32) at batch 2.

Triton compiles each kernel variant on its first call (10-40 s each on a cold cache), so `--warm` first runs every
(shape, variant) once in parallel processes, filling the shared cache; the timed pass then compiles nothing.

    python benchmarks/bench_triton_variants.py --warm --out $OUT/triton_variants_h100.csv
"""
from __future__ import annotations
import argparse, csv, io, os, statistics, subprocess, sys, time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_ss2d import cuda_time, dt_rank, model_layout, runner, shapes, ss2d_inputs  # noqa: E402
from medsegmamba import kernels, ops  # noqa: E402
from medsegmamba.core import atomic_write_text  # noqa: E402

VARIANTS = {"default": {}, "xsum0": {"MEDSEGMAMBA_TRITON_XSUM": "0"}, "min_seg256": {"MEDSEGMAMBA_TRITON_MIN_SEG": "256"},
            "bwd_chunk1": {"MEDSEGMAMBA_TRITON_BWD_CHUNK": "1"}, "fwd_chunk1": {"MEDSEGMAMBA_TRITON_FWD_CHUNK": "1"},
            "approx0": {"MEDSEGMAMBA_TRITON_APPROX": "0"}, "vec0": {"MEDSEGMAMBA_TRITON_VEC": "0"},
            "col0": {"MEDSEGMAMBA_TRITON_COLSEG": "0"}, "bc_store": {"MEDSEGMAMBA_TRITON_BC_STORE": "1"},
            "split1": {"MEDSEGMAMBA_TRITON_SPLIT_N": "1"}, "split2": {"MEDSEGMAMBA_TRITON_SPLIT_N": "2"},
            "split4": {"MEDSEGMAMBA_TRITON_SPLIT_N": "4"}, "bcv2_0": {"MEDSEGMAMBA_TRITON_BCV2": "0"},
            "bsplit2": {"MEDSEGMAMBA_TRITON_BWD_SPLIT_N": "2"}, "bsplit4": {"MEDSEGMAMBA_TRITON_BWD_SPLIT_N": "4"},
            "bc_store_chunk1": {"MEDSEGMAMBA_TRITON_BC_STORE": "1", "MEDSEGMAMBA_TRITON_BWD_CHUNK": "1"},
            "parts1": {"MEDSEGMAMBA_TRITON_BWD_PARTS": "1"}, "bwd1_chunk1": {"MEDSEGMAMBA_TRITON_BWD1_CHUNK": "1"},
            "bwd1_chunk2": {"MEDSEGMAMBA_TRITON_BWD1_CHUNK": "2"},
            "maxnreg168": {"MEDSEGMAMBA_TRITON_BWD_MAXNREG": "168"},
            "maxnreg168_c1": {"MEDSEGMAMBA_TRITON_BWD_MAXNREG": "168", "MEDSEGMAMBA_TRITON_BWD1_CHUNK": "1"},
            "parts1_maxnreg168": {"MEDSEGMAMBA_TRITON_BWD_PARTS": "1", "MEDSEGMAMBA_TRITON_BWD_MAXNREG": "168"},
            "fwd_bufs2": {"MEDSEGMAMBA_TRITON_FWD_BUFS": "2"}, "fwd_bufs3": {"MEDSEGMAMBA_TRITON_FWD_BUFS": "3"},
            "fwd_bufs3_q4t1": {"MEDSEGMAMBA_TRITON_FWD_BUFS": "3", "MEDSEGMAMBA_TRITON_SPLIT_N": "4",
                               "MEDSEGMAMBA_TRITON_FWD_CHUNK": "1"},
            "fwd_chunk4_q4": {"MEDSEGMAMBA_TRITON_FWD_CHUNK": "4", "MEDSEGMAMBA_TRITON_SPLIT_N": "4"}}
# variants of the inputs' layout (bench_ss2d.model_layout): x_dbl rows padded to 8 values instead of 16; delta from
# (B, L, 4, D) rows; B, C from (B, 4, L, N) storage
LAYOUTS = {"pad8": dict(pad=8), "dt_rows": dict(dt_rows=True), "bc_dir": dict(bc_dir=True)}
# session 6 timed "prefetch8" here (an L2 prefetch of the per-channel rows, since removed: no gain forward, slower
# forward+backward; benchmarks/results/session6/)
# session 7: "vec0" reads B and C one value per load, as up to session 6 (the default now takes 16-byte loads; at
# ResMamba-ULite s1 its backward compiles for minutes, so it is timed at VM-UNet s1 only); the layout rows (LAYOUTS) run
# the default kernels on other input layouts
# session 8: "col0" cuts L as before (not one column a segment, `kernels._plan`), "bc_store" stores dB, dC rows where a
# program is their only writer (slower; session 8's first runs had it as the default); session 7's layout rows are
# in its results
# session 9: "split1", "split2", "split4": the forward with 1, 2 or 4 lanes a channel (`kernels._split_n`); the backward
# is the same kernel in all three
# session 10: "bcv2_0": dB, dC one 4-byte atomic a sum (up to session 9) instead of 8-byte pairs (`kernels._bc_v2`);
# "bsplit2", "bsplit4": the backward with 2 or 4 lanes a channel (`kernels._bwd_split_n`); "bc_store_chunk1": stores
# of dB, dC rows (where a program is their only writer) with one backward step a load group. --rounds times the
# variants in alternation; fwd+bwd takes the gradients by torch.autograd.grad (bench_ss2d.runner)
# session 11: "parts1": the backward as up to session 10 (`_bwd_states_kernel`, then one `_bwd_kernel` launch of both
# sweeps) against the default two launches, sweep 1 also running the segments' adjoints from zero
# (`kernels._bwd_parts`); "bwd1_chunk1": that sweep 1 with one step a load group (the default after call 1; then
# "bwd1_chunk2" is the A/B row: two steps, as sweep 2; "bwd1_chunk1" and "maxnreg168_c1" now time the same code as
# "default" and "maxnreg168"); "maxnreg168", "maxnreg168_c1", "parts1_maxnreg168": `_bwd_kernel` capped at 168
# registers (12 warps a multiprocessor instead of 8, against spills)
# session 12: "fwd_bufs2", "fwd_bufs3": the forward with 2 (sessions 5-11) or 3 load groups in flight
# (`kernels._fwd_bufs`; 3 is the default at VM-UNet s1 and ResMamba-ULite s1 since call 1, whose "default" rows still
# ran 2); "fwd_bufs3_q4t1": 3 groups of one step, 4 lanes a channel; "fwd_chunk4_q4": 2 groups of 4 steps, 4 lanes a
# channel (deeper prefetch at few registers: 64 and 128 in the local sm_90 compile, against 125 for 2 groups and 165
# for 3 at VM-UNet s1's two lanes a channel)
# session 13 timed, at commit e25e3fa (whose kernels had the switches; none was faster, so they were taken out and the
# variants with them): "fwd_polyP" (P of a lane's decays by a polynomial exp2 on the FMA pipes), "fwd_yc2" (y in two
# chains), "fwd_b2t3" and "fwd_dep_*" (a group's loads issued only after the loads before them arrived),
# "fwd_nb1_t2" and "fwd_pipeS_tT" (no prefetch in the source; Triton's pipeliner); benchmarks/results/session13/
PLAN = {("vmunet", 1): ("default", "split1", "split2", "split4"),
        ("resmamba_ulite", 1): ("default", "split1", "split2", "split4"),
        ("resmamba_ulite", 2): ("default", "split1", "split2", "split4")}


def set_variant(v:str):
    for env in VARIANTS.values():
        for k in env: os.environ.pop(k, None)
    os.environ.update(VARIANTS.get(v, {}))   # a layout row (LAYOUTS) runs the default switches


def shape_args(model:str, stage:int, batch_scale:float=1.0, **layout):
    row = next(r for r in shapes(8, 8, 32) if r[0] == model and r[1] == stage)
    _, _, _, Bsz, Dm, H, W = row
    Bsz = max(1, int(Bsz * batch_scale))
    return row, model_layout(ss2d_inputs(Bsz, Dm, H, W, torch.float32, torch.device("cuda")), dt_rank(Dm), **layout)


def outputs(args:dict, fn=kernels.ss2d_scan_triton) -> list:
    "y and the gradients of sum(y * w) for a fixed w (all fp32)."
    leaves = {k: (v.detach().requires_grad_(True) if torch.is_tensor(v) and v.is_floating_point() else v)
              for k, v in args.items()}
    y = fn(**leaves)
    w = torch.randn(y.shape, device=y.device, generator=torch.Generator(device=y.device).manual_seed(1))
    (y * w).sum().backward()
    return [y.detach()] + [leaves[k].grad for k in ("u", "delta", "A", "B", "C", "D", "delta_bias")]


def rel(a, b) -> float: return float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))


def warm_one(model:str, stage:int, variant:str):
    "Compile every kernel this (shape, variant) launches: one forward+backward."
    set_variant(variant)
    _, a = shape_args(model, stage)
    outputs(a); torch.cuda.synchronize()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="benchmarks/results/triton_variants.csv")
    p.add_argument("--warm", action="store_true", help="compile every variant first, in parallel processes")
    p.add_argument("--warm-only", action="store_true", help="compile every variant, then stop")
    p.add_argument("--warm-one", nargs=3, metavar=("MODEL", "STAGE", "VARIANT"), help=argparse.SUPPRESS)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--rounds", type=int, default=1, help="time the variants of a shape in alternation this many times "
                   "(median of the rounds)")
    p.add_argument("--only", nargs=2, metavar=("MODEL", "STAGE"), help="one shape of PLAN")
    p.add_argument("--variants", nargs="*", default=None, help=f"variants to time at every shape instead of PLAN's "
                   f"(default first; of: {', '.join(list(VARIANTS) + list(LAYOUTS))})")
    p.add_argument("--no-torch-check", action="store_true",
                   help="skip the default-vs-torch check at batch 2 (minutes at ResMamba-ULite s1's L = 65,536)")
    a = p.parse_args(argv)
    if not torch.cuda.is_available(): sys.exit("bench_triton_variants.py: needs a CUDA GPU")
    if a.warm_one: return warm_one(a.warm_one[0], int(a.warm_one[1]), a.warm_one[2])
    bad = [v for v in a.variants or [] if v not in VARIANTS and v not in LAYOUTS]
    if bad: p.error(f"--variants {' '.join(bad)}: unknown; expected some of {', '.join(list(VARIANTS) + list(LAYOUTS))}")
    plan = PLAN if not a.variants else {k: tuple(dict.fromkeys(["default", *a.variants])) for k in PLAN}
    if a.warm or a.warm_only:
        t = time.perf_counter()
        procs = [subprocess.Popen([sys.executable, __file__, "--warm-one", m, str(s), v])
                 for (m, s), vs in plan.items() for v in vs if not a.only or (m, s) == (a.only[0], int(a.only[1]))]
        bad = [pr.args[-3:] for pr in procs if pr.wait() != 0]
        print(f"warm-up: {len(procs)} processes in {time.perf_counter() - t:.0f} s" + (f"; failed: {bad}" if bad else ""), flush=True)
        if a.warm_only: return
    rows = []
    for (model, stage), vs in plan.items():
        if a.only and (model, stage) != (a.only[0], int(a.only[1])): continue
        row, args0 = shape_args(model, stage)
        ref, errs, argv_ = None, {}, {}
        for v in vs:
            set_variant(v)
            args = shape_args(model, stage, **LAYOUTS[v])[1] if v in LAYOUTS else args0
            got = outputs(args)
            if v == "default":
                ref, err_torch = got, float("nan")
            if v == "default" and not a.no_torch_check:
                # the default against our torch backend (fp32 chunked scan) at batch 2
                _, small = shape_args(model, stage, 2 / row[3])
                mine = outputs(small)
                theirs = outputs(small, lambda **kw: ops.ss2d_scan(**kw, backend="torch"))
                err_torch = max(rel(x, y_) for x, y_ in zip(mine, theirs))
            errs[v] = (0.0 if v == "default" else max(rel(x, y_) for x, y_ in zip(got, ref)), err_torch)
            argv_[v] = args
        times = {(v, mode): [] for v in vs for mode in ("fwd", "fwd+bwd")}
        for r in range(a.rounds):
            for v in vs:
                set_variant(v)
                for mode in ("fwd", "fwd+bwd"):
                    times[(v, mode)].append(cuda_time(runner(kernels.ss2d_scan_triton, argv_[v], mode == "fwd+bwd"),
                                                      3 if r == 0 else 1, a.reps))
        for (v, mode), ts in times.items():
            rows.append(dict(model=model, stage=stage, batch=row[3], d_inner=row[4], H=row[5], W=row[6],
                             variant=v, mode=mode, ms=round(statistics.median(ts), 4), rounds=len(ts),
                             max_rel_vs_default=f"{errs[v][0]:.2e}", max_rel_default_vs_torch_b2=f"{errs[v][1]:.2e}"))
            print(rows[-1], flush=True)
    set_variant("default")
    buf = io.StringIO(); w = csv.DictWriter(buf, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
    atomic_write_text(buf.getvalue(), a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
