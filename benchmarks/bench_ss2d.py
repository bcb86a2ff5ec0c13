#!/usr/bin/env python
"""Time the fused Triton SS2D scan against mamba-ssm + PyTorch cross-scan/merge and our `torch` backend.

Shapes are those of the three models on 256x256 inputs (VM-UNet stages 1-4, ResMamba-ULite's SplitVSS stages, and
LightM-UNet's 1-direction Mamba layers). Forward and forward+backward, CUDA events, warm-up, median of repeats.
Prints a table with the forward memory floor (fewest bytes moved / measured copy bandwidth) and the forward's
multi-function-unit floor (its N + 2 `ex2`/`lg2` per channel and step, at the rate measured by `mufu_rate`), and writes a CSV.

    python benchmarks/bench_ss2d.py --out benchmarks/results/ss2d_h100.csv
    python benchmarks/bench_ss2d.py --only vmunet --sweep      # also try kernel tile sizes
    python benchmarks/bench_ss2d.py --no-torch --rounds 5      # Triton and mamba-ssm timed in alternation, 5 rounds
    python benchmarks/bench_ss2d.py --no-torch --rounds 5 --ab MEDSEGMAMBA_TRITON_BWD_PARTS=1   # + Triton with a switch
    python benchmarks/bench_ss2d.py --no-torch --rounds 5 \
        --ab MEDSEGMAMBA_TRITON_FWD_PIPE=3,MEDSEGMAMBA_TRITON_FWD_CHUNK=4   # + Triton with two switches at once

Columns for mamba-ssm are left empty (with a note) when it does not import.
"""
from __future__ import annotations
import argparse, csv, io, math, os, statistics, sys

import torch

from medsegmamba import kernels, layers, ops
from medsegmamba.core import atomic_write_text, optional_import, package_info

K = 4       # SS2D directions (VMamba v0)
N = 16      # d_state in all three models


def shapes(lightm_batch:int, resmamba_batch:int, vmunet_batch:int):
    "(model, stage, directions, batch, d_inner, H, W) for the three models at 256x256."
    out = []
    # VM-UNet (JCruan519/VM-UNet vmunet.py: dims 96, 192, 384, 768 at 1/4 .. 1/32; expand 2 -> d_inner 2*dim)
    for s, (hw, d) in enumerate(zip((64, 32, 16, 8), (192, 384, 768, 1536)), 1):
        out.append(("vmunet", s, K, vmunet_batch, d, hw, hw))
    # ResMamba-ULite SplitVSS: SS2D(d_model=C/4) on 4 weight-shared chunks -> batch 4*B; encoder C = 16..256 at
    # 256..16 (reference-spec section 1.1: d_model 4, 8, 16, 32, 64; expand 2)
    for s, (hw, dm) in enumerate(zip((256, 128, 64, 32, 16), (4, 8, 16, 32, 64)), 1):
        out.append(("resmamba_ulite", s, K, 4 * resmamba_batch, 2 * dm, hw, hw))
    # LightM-UNet: mamba_ssm.Mamba(d_model=C, expand 2), one raster scan; C = 32..256 at 1/1 .. 1/8 (spec section 2.1)
    for s, (hw, c) in enumerate(zip((256, 128, 64, 32), (32, 64, 128, 256)), 1):
        out.append(("lightm_unet", s, 1, lightm_batch, 2 * c, hw, hw))
    return out


def cuda_time(fn, warmup:int, reps:int) -> float:
    "Median milliseconds of `fn()` over `reps` runs after `warmup` runs (CUDA events); fewer reps for slow calls."
    for _ in range(warmup): fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); fn(); b.record(); torch.cuda.synchronize()
        times.append(a.elapsed_time(b))
        if sum(times) > 3000: break  # a slow method: stop after ~3 s
    return statistics.median(times)


def copy_bandwidth(dev) -> float:
    "Measured device-to-device copy bandwidth in bytes/ms (read + write of 1 GiB)."
    x = torch.empty(2**28, device=dev, dtype=torch.float32); y = torch.empty_like(x)
    ms = cuda_time(lambda: y.copy_(x), 3, 20)
    return 2 * x.numel() * 4 / ms


if kernels.HAS_TRITON:
    import triton, triton.language as tl

    @triton.jit
    def _mufu_kernel(out_ptr, n_iter, R: tl.constexpr, BLOCK: tl.constexpr):
        "R independent chains x <- exp2(-x/2) per thread (FMUL + MUFU.EX2 each), n_iter times; no memory traffic."
        i = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        x = ()
        for r in tl.static_range(R):
            x = x + ((i % 7 + r).to(tl.float32) * 0.01,)
        for _ in range(n_iter):
            x2 = ()
            for r in tl.static_range(R):
                x2 = x2 + (tl.exp2(x[r] * -0.5),)
            x = x2
        acc = x[0]
        for r in tl.static_range(1, R):
            acc += x[r]
        tl.store(out_ptr + i, acc)


def mufu_rate(dev, n_iter:int=1024) -> float:
    """Measured rate of the multi-function unit, in `ex2` per ms: `_mufu_kernel` in 16 four-warp programs per
    multiprocessor (64 warps on each, the most it holds), 16 chains a thread: the rate a kernel of nothing but these
    operations reaches (on the H100 ~91% of the datasheet's 16 per clock per multiprocessor at the 1.98 GHz boost
    clock). The scan's forward needs N `ex2` per state update and 2 (softplus: `ex2` + `lg2`) per channel and step."""
    sms = torch.cuda.get_device_properties(dev).multi_processor_count
    BLOCK, R, progs = 128, 16, 16 * sms
    out = torch.empty(progs * BLOCK, device=dev)
    ms = cuda_time(lambda: _mufu_kernel[(progs,)](out, n_iter, R=R, BLOCK=BLOCK, num_warps=BLOCK // 32), 3, 20)
    return progs * BLOCK * R * n_iter / ms


def ss2d_inputs(Bsz, Dm, H, W, dtype, dev, seed=0):
    "SS2D scan inputs in spatial order, initialised like VMamba (A = -(1..N), dt bias = inv-softplus of dt in [1e-3, 0.1])."
    g = torch.Generator(device=dev).manual_seed(seed)
    L = H * W
    r = lambda *s: torch.randn(*s, device=dev, generator=g)
    dt0 = torch.exp(torch.rand(K * Dm, device=dev, generator=g) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
    return dict(u=r(Bsz, Dm, L).to(dtype), delta=(0.1 * r(Bsz, K, Dm, L)).to(dtype),
                A=-torch.arange(1, N + 1, device=dev, dtype=torch.float32).repeat(K * Dm, 1),
                B=r(Bsz, K, N, L).to(dtype), C=r(Bsz, K, N, L).to(dtype), D=torch.ones(K * Dm, device=dev),
                delta_bias=dt0 + torch.log(-torch.expm1(-dt0)), H=H, W=W)


def authors_ss2d(sel, u, dts, A, Bs, Cs, D, delta_bias, H, W):
    """VM-UNet's SS2D.forward_corev0 around mamba-ssm's selective_scan_fn (JCruan519/VM-UNet
    models/vmunet/vmamba.py): cross-scan copies of u, one (B, 4*D, L) scan, flips/transposes back, sum.
    `dts`, `Bs`, `Cs` are already in scan order there (x_proj runs on the cross-scanned copies)."""
    Bsz, Dm, L = u.shape
    x_hwwh = torch.stack([u, u.view(Bsz, Dm, H, W).transpose(2, 3).contiguous().view(Bsz, Dm, L)], 1)
    xs = torch.cat([x_hwwh, torch.flip(x_hwwh, dims=[-1])], 1).view(Bsz, -1, L)
    out = sel(xs, dts, A, Bs, Cs, D, None, delta_bias, True).view(Bsz, K, -1, L)
    inv = torch.flip(out[:, 2:4], dims=[-1]).view(Bsz, 2, -1, L)
    wh = out[:, 1].view(Bsz, -1, W, H).transpose(2, 3).contiguous().view(Bsz, -1, L)
    invwh = inv[:, 1].view(Bsz, -1, W, H).transpose(2, 3).contiguous().view(Bsz, -1, L)
    return out[:, 0] + inv[:, 0] + wh + invwh


def model_layout(a, R:int, pad:int=16, dt_rows:bool=False, bc_dir:bool=False):
    """The same inputs laid out as `layers.SS2D` hands them to the fused scan (dt_rank R): u (B, D, L) a view of
    (B, L, D) storage; delta (B, 4, D, L) a view of (4, B, L, D) storage (one bmm over the directions); B and C
    (B, 4, N, L) views of one x_dbl row per token, [B_0 C_0 ... B_3 C_3 | 4R dt values | zero pad to a multiple of
    16] (`layers.x_proj_bc_first`): 16-byte aligned, so the kernels read them with 16-byte loads (`kernels._bcv`).
    A/B layouts (session 7): `pad` 8 (B rows not 64-byte aligned); `dt_rows`: delta from (B, L, 4, D) storage (what
    torch.einsum gave the layer for R = 1); `bc_dir`: B, C from (B, 4, L, N) storage (the benchmark's layout up to
    session 6, which the layer never produced)."""
    Bv, Cv = layers.x_proj_rows(a["B"], a["C"], R, pad)
    if bc_dir: Bv, Cv = (x.transpose(-1, -2).contiguous().transpose(-1, -2) for x in (a["B"], a["C"]))
    dt = a["delta"]
    dt = (dt.permute(0, 3, 1, 2).contiguous().permute(0, 2, 3, 1) if dt_rows else
          dt.permute(1, 0, 3, 2).contiguous().permute(1, 0, 3, 2))
    return dict(a, u=a["u"].transpose(1, 2).contiguous().transpose(1, 2), delta=dt, B=Bv, C=Cv)


def mamba_layout(a, R:int):
    """1-direction scan inputs with B and C (B, N, L) as views of Mamba's projected row per token, [B C | R dt values |
    zero pad to a multiple of 16] (`layers.Mamba` with `layers.x_proj_bc_first`); the rest as `scan_inputs` makes them."""
    Bv, Cv = layers.x_proj_rows(a["B"], a["C"], R)
    return dict(a, B=Bv, C=Cv)


def dt_rank(Dm:int) -> int:
    "SS2D's dt_rank 'auto' (ceil(d_model / 16)) at d_inner = 2 * d_model, as all three models build it."
    return math.ceil(Dm / 2 / 16)


def to_scan_order(a):
    "dts (B, 4*D, L), Bs, Cs (B, 4, N, L) in each direction's scan order, as the authors' x_proj produces them."
    H, W = a["H"], a["W"]
    dts = torch.stack([ops.to_direction(a["delta"][:, k], k, H, W) for k in range(K)], 1).flatten(1, 2).contiguous()
    Bs = torch.stack([ops.to_direction(a["B"][:, k], k, H, W) for k in range(K)], 1).contiguous()
    Cs = torch.stack([ops.to_direction(a["C"][:, k], k, H, W) for k in range(K)], 1).contiguous()
    return dict(u=a["u"], dts=dts, A=a["A"], Bs=Bs, Cs=Cs, D=a["D"], delta_bias=a["delta_bias"], H=H, W=W)


def scan_inputs(Bsz, Din, L, dtype, dev, seed=0):
    "1-direction Mamba scan inputs (with gate z and D), mamba-ssm Mamba's init ranges."
    g = torch.Generator(device=dev).manual_seed(seed)
    r = lambda *s: torch.randn(*s, device=dev, generator=g)
    return dict(u=r(Bsz, Din, L).to(dtype), delta=(0.1 * r(Bsz, Din, L)).to(dtype),
                A=-torch.arange(1, N + 1, device=dev, dtype=torch.float32).repeat(Din, 1),
                B=r(Bsz, N, L).to(dtype), C=r(Bsz, N, L).to(dtype), D=torch.ones(Din, device=dev),
                z=r(Bsz, Din, L).to(dtype), delta_bias=torch.full((Din,), -4.0, device=dev), delta_softplus=True)


def runner(fn, args:dict, backward:bool, grads:str="autograd"):
    """A closure running fn(**args) (and a backward with a fixed dy when `backward`). The backward returns the
    gradients of every floating-point input: `grads="autograd"` as `torch.autograd.grad` hands them over (the op's
    forward and backward, nothing else; the default since session 10), `"leaves"` by `.backward()` into the inputs'
    `.grad` (sessions 1-9). "leaves" adds autograd's layout rule for `.grad`: a gradient whose strides differ from its
    input's (or, for an input with gaps, that is not contiguous) is copied. The fused SS2D's dB, dC are laid out as
    the layer's x_dbl rows, N values a step side by side, while `model_layout`'s B, C are views of those rows with gaps:
    two transposing copies (1.25 ms at ResMamba-ULite s1, H100, session 10) that a model never makes, since there B
    and C are views of x_dbl and their gradients go to x_dbl's (`benchmarks/session10/prof_bwd.py`)."""
    if grads not in ("autograd", "leaves"): raise ValueError(f"grads={grads!r}: expected 'autograd' or 'leaves'")
    if not backward:
        def go():
            with torch.no_grad(): fn(**args)
        return go
    leaves = {k: (v.detach().requires_grad_(True) if torch.is_tensor(v) and v.is_floating_point() else v)
              for k, v in args.items()}
    wrt = [v for v in leaves.values() if torch.is_tensor(v) and v.requires_grad]
    y = fn(**leaves); dy = torch.randn_like(y); del y
    def go():
        if grads == "autograd":
            return torch.autograd.grad(fn(**leaves), wrt, dy)
        for v in wrt: v.grad = None
        fn(**leaves).backward(dy)
    return go


def with_env(go, env:dict):
    "`go` with the environment variables `env` set while it runs (the kernels read their switches at launch)."
    def run():
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try: return go()
        finally:
            for k, v in old.items():
                if v is None: os.environ.pop(k, None)
                else: os.environ[k] = v
    return run


def parse_ab(specs) -> list:
    """`--ab`'s methods: each spec is VAR=VALUE or several joined by commas (set together); returns (name, env) pairs,
    or raises ValueError naming the spec that is not of that form."""
    out = []
    for spec in specs:
        kvs = [x.split("=", 1) for x in spec.split(",")]
        if any(len(kv) != 2 or not kv[0].startswith("MEDSEGMAMBA_") or not kv[1] for kv in kvs):
            raise ValueError(f"--ab {spec}: expected VAR=VALUE[,VAR=VALUE...] with MEDSEGMAMBA_ variables")
        name = ",".join(f"{k.removeprefix('MEDSEGMAMBA_TRITON_')}={v}" for k, v in kvs)
        out.append((f"triton[{name}]", dict(kvs)))
    return out


def floor_bytes(model_dirs, Bsz, Dm, L, s, backward:bool) -> int:
    "Fewest bytes a scan must move: read inputs once, write outputs once (elements of size s, params ignored)."
    if model_dirs == K:   # u (B,D,L), delta (B,4,D,L), B, C (B,4,N,L) -> y (B,D,L)
        ins = Bsz * Dm * L + Bsz * K * Dm * L + 2 * Bsz * K * N * L
        outs = Bsz * Dm * L
    else:                 # u, delta, z (B,D,L), B, C (B,N,L) -> out (B,D,L)
        ins, outs = 3 * Bsz * Dm * L + 2 * Bsz * N * L, Bsz * Dm * L
    fwd = (ins + outs) * s
    # backward: read the inputs and dy, write a gradient per input
    return fwd + (ins + outs + ins) * s if backward else fwd


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="benchmarks/results/ss2d.csv", help="CSV to write")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    p.add_argument("--vmunet-batch", type=int, default=32)
    p.add_argument("--resmamba-batch", type=int, default=8, help="images per batch (SS2D sees 4x: the 4 chunks)")
    p.add_argument("--lightm-batch", type=int, default=8)
    p.add_argument("--only", nargs="*", default=None, help="models to run: vmunet resmamba_ulite lightm_unet")
    p.add_argument("--stages", nargs="*", type=int, default=None, help="stages to run (default: all)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--reps", type=int, default=20)
    p.add_argument("--rounds", type=int, default=1, help="time the methods in alternation this many times per shape and "
                   "mode and report the median of the rounds (each round: the median of --reps calls)")
    p.add_argument("--no-torch", action="store_true", help="skip our `torch` backend column (slow at big shapes)")
    p.add_argument("--grads", default="autograd", choices=["autograd", "leaves"],
                   help="fwd+bwd: the gradients as torch.autograd.grad returns them, or .backward() into the inputs' "
                        ".grad (sessions 1-9; see `runner`)")
    p.add_argument("--ab", nargs="*", action="extend", default=[], metavar="VAR=VALUE[,VAR=VALUE]",
                   help="also time the Triton method with these environment switches set (one method per argument, "
                        "e.g. MEDSEGMAMBA_TRITON_BWD_PARTS=1; switches joined by commas are set together), in "
                        "alternation with the others; given twice, both lists")
    p.add_argument("--sweep", action="store_true", help="also time the Triton load group (chunk 1, 2, 4) per shape, fwd")
    a = p.parse_args(argv)
    try: ab = parse_ab(a.ab)
    except ValueError as e: p.error(str(e))
    if not torch.cuda.is_available(): sys.exit("bench_ss2d.py needs a CUDA GPU (the Triton and mamba-ssm kernels are CUDA-only)")
    if not kernels.HAS_TRITON: sys.exit("bench_ss2d.py needs triton: pip install triton")
    dev, dtype = torch.device("cuda"), getattr(torch, a.dtype)
    s = torch.finfo(dtype).bits // 8
    sif = optional_import("mamba_ssm.ops.selective_scan_interface")
    sel = getattr(sif, "selective_scan_fn", None)
    info = package_info()
    print(f"# {info['gpu']} | torch {info['torch']} | triton {info['triton']} | mamba_ssm {info['mamba_ssm']} | {a.dtype}")
    if sel is None: print("# mamba_ssm not importable: its columns are skipped (pip install mamba-ssm causal-conv1d)")
    bw = copy_bandwidth(dev)
    print(f"# measured copy bandwidth: {bw / 1e6:.0f} GB/s")
    mufu = mufu_rate(dev)
    print(f"# measured multi-function unit rate: {mufu / 1e9:.2f} ex2 per ns")
    rows = []
    for model, stage, dirs, Bsz, Dm, H, W in shapes(a.lightm_batch, a.resmamba_batch, a.vmunet_batch):
        if (a.only and model not in a.only) or (a.stages and stage not in a.stages): continue
        L = H * W
        if dirs == K:
            x = ss2d_inputs(Bsz, Dm, H, W, dtype, dev)
            methods = {"triton": (kernels.ss2d_scan_triton, model_layout(x, dt_rank(Dm)))}
            if sel is not None: methods["mamba_ssm"] = (lambda **k: authors_ss2d(sel, **k), to_scan_order(x))
            if not a.no_torch: methods["torch"] = (lambda **k: ops.ss2d_scan(**k, backend="torch"), x)
        else:
            x = scan_inputs(Bsz, Dm, L, dtype, dev)
            methods = {"triton": (kernels.selective_scan_triton, mamba_layout(x, dt_rank(Dm)))}
            if sel is not None: methods["mamba_ssm"] = (sel, x)
            if not a.no_torch: methods["torch"] = (lambda **k: ops.selective_scan(**k, backend="torch"), x)
        for backward in (False, True):
            mode = "fwd+bwd" if backward else "fwd"
            floor = floor_bytes(dirs, Bsz, Dm, L, s, backward) / bw
            mfloor = None if backward else Bsz * dirs * Dm * L * (N + 2) / mufu   # forward: N ex2 + softplus' 2
            res = {name: [] for name in methods}
            runs = {}
            for name, (fn, args) in methods.items():
                try: runs[name] = runner(fn, args, backward, a.grads)
                except torch.cuda.OutOfMemoryError:
                    res[name].append(float("nan")); print(f"  {model} {stage} {name} {mode}: out of memory")
            for name, env in ab:    # --ab: the Triton method again, with its switches set while it runs
                if "triton" not in runs: continue
                go = with_env(runs["triton"], env)
                try: go()      # a switch this shape refuses (e.g. a load group above the plan's) drops its column here
                except (ValueError, torch.cuda.OutOfMemoryError) as e:
                    print(f"  {model} {stage} {name} {mode}: not run: {type(e).__name__}: {e}"); continue
                res[name], runs[name] = [], go
            for r in range(a.rounds):       # the methods in alternation: drift of the clocks falls on all alike
                for name, go in runs.items():
                    try: res[name].append(cuda_time(go, a.warmup if r == 0 else 1, a.reps))
                    except torch.cuda.OutOfMemoryError:
                        res[name].append(float("nan")); print(f"  {model} {stage} {name} {mode}: out of memory")
            res = {name: statistics.median(ts) for name, ts in res.items()}
            del runs; torch.cuda.empty_cache()
            ms_ref = res.get("mamba_ssm")
            for name, ms in res.items():
                rows.append(dict(model=model, stage=stage, directions=dirs, batch=Bsz, d_inner=Dm, H=H, W=W, L=L,
                                 d_state=N, dtype=a.dtype, mode=mode, method=name, ms=round(ms, 4), rounds=a.rounds,
                                 grads=a.grads if backward else "",
                                 floor_ms=round(floor, 4), x_floor=round(ms / floor, 2),
                                 mufu_floor_ms=round(mfloor, 4) if mfloor else "", x_mufu=round(ms / mfloor, 2) if mfloor else "",
                                 speedup_vs_mamba_ssm=round(ms_ref / ms, 2) if ms_ref else ""))
            cols = "  ".join(f"{n} {res[n]:8.3f}" for n in res)
            sp = f"  triton speed-up {ms_ref / res['triton']:.2f}x" if ms_ref else ""
            mf = f" mufu {mfloor:6.3f}" if mfloor else " " * 12
            print(f"{model:15s} s{stage} B{Bsz:<3d} D{Dm:<5d} {H}x{W:<4d} {mode:8s} floor {floor:7.3f}{mf}  {cols}{sp}")
        if a.sweep and dirs == K:
            fn, args = methods["triton"]
            best = []
            for ch in (1, 2, 4):   # steps per group of loads: 4 spills (see nbs/01a_kernels.ipynb)
                try: ms = cuda_time(runner(lambda **k: fn(**k, chunk=ch), args, False), 2, 10)
                except Exception as e: print(f"  sweep chunk={ch}: {type(e).__name__}: {e}"); continue
                best.append((ms, ch))
                rows.append(dict(model=model, stage=stage, directions=dirs, batch=Bsz, d_inner=Dm, H=H, W=W, L=L,
                                 d_state=N, dtype=a.dtype, mode="fwd", method=f"triton[chunk={ch}]",
                                 ms=round(ms, 4), rounds=1, floor_ms="", x_floor="", mufu_floor_ms="", x_mufu="",
                                 speedup_vs_mamba_ssm=""))
            best.sort()
            print("  sweep best (ms, chunk):", best[:3])
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["model"]); w.writeheader(); w.writerows(rows)
    atomic_write_text(buf.getvalue(), a.out)
    print(f"# wrote {a.out} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
