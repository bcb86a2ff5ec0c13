#!/usr/bin/env python
"""Time every available selective-scan backend (forward, forward+backward) at the three models' scan shapes.

    python benchmarks/bench_scan.py                                   # CPU, small shapes, prints the table
    python benchmarks/bench_scan.py --out benchmarks/results/scan_h100.csv   # on the GPU: full shapes, mamba_ssm side by side

Shapes (reference-spec §1.1, §2.1, §3.1): VM-UNet's first SS2D (d_model 96 -> d_inner 192, 64x64 tokens for a 256x256
image), ResMamba-ULite's first SS2D (d_model 4 -> d_inner 8, 192x256 tokens, 4 channel chunks folded into the batch),
LightM-UNet's first Mamba (d_model 32 -> d_inner 64, one raster scan over a 128x128 map). The last line times one
SS2D(96) layer forward+backward at batch 2, 64x64 tokens, on the torch backend.
"""
from __future__ import annotations
import argparse, statistics, sys, time

import torch

from medsegmamba import ops
from medsegmamba.core import atomic_write_text, optional_import, package_info

# (name, kind, batch, d_inner, H, W, d_state); ss2d scans 4 directions of d_inner channels each
SHAPES = [
    ("vmunet_ss2d_stage0", "ss2d", 2, 192, 64, 64, 16),
    ("resmamba_ulite_ss2d_stage0", "ss2d", 4 * 2, 8, 192, 256, 16),
    ("lightm_unet_mamba_stage0", "scan", 2, 64, 128, 128, 16),
]


def _sync(device):
    if device.type == "cuda": torch.cuda.synchronize()


def _time(fn, device, repeats: int) -> float:
    "Median seconds of `repeats` calls after one warm-up."
    fn(); _sync(device)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); _sync(device); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def _inputs(kind, b, d, H, W, n, device, grad):
    g = torch.Generator().manual_seed(0)
    L = H * W
    r = lambda *s, lo=-1., hi=1.: (torch.rand(*s, generator=g) * (hi - lo) + lo).to(device).requires_grad_(grad)
    if kind == "ss2d":
        return dict(u=r(b, d, L), delta=r(b, 4, d, L, lo=-4., hi=-2.), A=(-torch.exp(torch.rand(4 * d, n, generator=g))).to(device).requires_grad_(grad),
                    B=r(b, 4, n, L), C=r(b, 4, n, L), D=r(4 * d), delta_bias=r(4 * d, lo=-1., hi=0.), H=H, W=W)
    return dict(u=r(b, d, L), delta=r(b, d, L, lo=-4., hi=-2.), A=(-torch.exp(torch.rand(d, n, generator=g))).to(device).requires_grad_(grad),
                B=r(b, n, L), C=r(b, n, L), D=r(d), z=r(b, d, L), delta_bias=r(d, lo=-1., hi=0.))


def bench(device: torch.device, repeats: int, scale: int, ref_max_len: int) -> list[dict]:
    rows = []
    for name, kind, b, d, H, W, n in SHAPES:
        H, W = max(1, H // scale), max(1, W // scale)
        reg = ops.SS2D_SCAN_BACKENDS if kind == "ss2d" else ops.SCAN_BACKENDS
        for be in ops.available_backends(device, reg):
            if be == "ref" and H * W > ref_max_len: continue
            a = _inputs(kind, b, d, H, W, n, device, grad=True)
            if kind == "ss2d": call = lambda: ops.ss2d_scan(**a, delta_softplus=True, backend=be)
            else: call = lambda: ops.selective_scan(**a, delta_softplus=True, backend=be)
            def fwd():
                with torch.no_grad(): call()
            def fwdbwd():
                call().sum().backward()
            row = dict(shape=name, kind=kind, batch=b, d_inner=d, H=H, W=W, d_state=n, backend=be, device=str(device))
            try:
                row["fwd_ms"] = 1e3 * _time(fwd, device, repeats)
                row["fwd_bwd_ms"] = 1e3 * _time(fwdbwd, device, repeats)
            except Exception as e:  # noqa: BLE001 - report and go on with the other backends
                row["error"] = f"{type(e).__name__}: {e}"[:120]
            rows.append(row)
            print(_fmt(row), flush=True)
    return rows


def ss2d_layer(device, backend="torch") -> float:
    from medsegmamba.layers import SS2D
    torch.manual_seed(0)
    m = SS2D(96, scan_backend=backend).to(device)
    x = torch.randn(2, 64, 64, 96, device=device, requires_grad=True)
    return _time(lambda: m(x).square().mean().backward(), device, 1)


def _fmt(r):
    if "error" in r: return f"{r['shape']:28s} {r['backend']:10s} ERROR {r['error']}"
    return f"{r['shape']:28s} {r['backend']:10s} B={r['batch']:<3d} D={r['d_inner']:<4d} {r['H']}x{r['W']:<5d} fwd {r['fwd_ms']:10.2f} ms   fwd+bwd {r['fwd_bwd_ms']:10.2f} ms"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per case (default 10 on GPU, 1 on CPU)")
    p.add_argument("--scale", type=int, default=None, help="divide H and W by this (default 1 on GPU, 4 on CPU)")
    p.add_argument("--ref-max-len", type=int, default=1024, help="skip the sequential ref backend above this many tokens")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads(N) first (default: leave torch's default)")
    p.add_argument("--out", default=None, help="CSV file to write (e.g. benchmarks/results/scan_h100.csv)")
    args = p.parse_args(argv)
    if args.threads: torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else ("cpu" if args.device == "auto" else args.device))
    optional_import("medsegmamba.kernels")  # registers the triton backends when that module exists
    gpu = device.type == "cuda"
    repeats = args.repeats or (10 if gpu else 1)
    scale = args.scale or (1 if gpu else 4)
    print(f"device {device}; backends: scan {ops.available_backends(device)}, ss2d {ops.available_backends(device, ops.SS2D_SCAN_BACKENDS)}; "
          f"repeats {repeats}; H, W divided by {scale}; {torch.get_num_threads()} threads")
    print({k: v for k, v in package_info().items()})
    rows = bench(device, repeats, scale, args.ref_max_len)
    t = ss2d_layer(device)
    print(f"SS2D(96) layer forward+backward, batch 2, 64x64 tokens, torch backend, {device}: {t:.2f} s (target on the CPU: < 5 s)")
    rows.append(dict(shape="ss2d_layer_96_64x64", kind="layer", batch=2, d_inner=192, H=64, W=64, d_state=16, backend="torch",
                     device=str(device), fwd_bwd_ms=1e3 * t))
    if args.out:
        cols = ["shape", "kind", "batch", "d_inner", "H", "W", "d_state", "backend", "device", "fwd_ms", "fwd_bwd_ms", "error"]
        lines = [",".join(cols)] + [",".join(str(r.get(c, "")).replace(",", ";") for c in cols) for r in rows]
        atomic_write_text("\n".join(lines) + "\n", args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    sys.exit(main())
