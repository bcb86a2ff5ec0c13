#!/usr/bin/env python
"""Where a training step's time goes: wall time per step and the CUDA kernels that fill it, per model.

One model at a time, the way `fit` trains it on a GPU (bf16 autocast, Adam, cudnn.benchmark, the protocol's loss and
batch): after --warmup steps, --steps steps are timed with CUDA events (wall time per step, including the
launch overhead of eager mode), then --prof-steps more run under torch.profiler, whose CUDA kernel times are summed
by kernel name. The table says how much of a step the GPU is busy (sum of kernel times / wall time): a low share means
the step is bound by kernel launches on the CPU, so several runs can share one GPU (`run_many(parallel=N)`), and CUDA
graphs or torch.compile would help; a high share names the kernels to make faster.

    python benchmarks/profile_train_step.py --models resmamba_ulite --batch 4 --out $OUT/train_step_h100.csv
    python benchmarks/profile_train_step.py --models resmamba_ulite --infer --batch 64   # inference (no grad) instead
    python benchmarks/profile_train_step.py --device cpu --img-size 32 --models unet --steps 2 --prof-steps 1   # smoke
"""
from __future__ import annotations
import argparse, csv, io, sys, time
from collections import defaultdict

import torch

from medsegmamba.core import atomic_write_text, get_device, package_info, seed_everything
from medsegmamba.losses import create_loss
from medsegmamba.models import create_model


def step_fn(model, loss_fn, opt, x, y, device):
    "One training step as `fit` does it (bf16 autocast on CUDA)."
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)
    with ctx: loss = loss_fn(model(x).float(), y)
    opt.zero_grad(set_to_none=True); loss.backward(); opt.step()


def infer_fn(model, x, device):
    "One inference call as `medsegmamba.infer` eager mode runs it (no grad, bf16 autocast on CUDA)."
    ctx = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)
    with torch.no_grad(), ctx: model(x)


def timed_steps(fn, n:int, device) -> float:
    "Mean wall ms of `n` calls of `fn` (CUDA events on a GPU)."
    if device.type == "cuda":
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize(); s.record()
        for _ in range(n): fn()
        e.record(); torch.cuda.synchronize(); return s.elapsed_time(e) / n
    t = time.perf_counter()
    for _ in range(n): fn()
    return (time.perf_counter() - t) * 1e3 / n


def kernel_table(fn, n:int, device, top:int) -> tuple[list[dict], float, int]:
    "Profile `n` calls; returns (top kernels [{name, calls, ms_per_step}], busy ms per step, kernel launches per step)."
    from torch.profiler import ProfilerActivity, profile
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=acts) as prof:
        for _ in range(n): fn()
        if device.type == "cuda": torch.cuda.synchronize()
    tot, cnt = defaultdict(float), defaultdict(int)
    for ev in prof.events():
        dt = getattr(ev, "device_type", None)
        if device.type == "cuda" and str(dt).endswith("CUDA"):
            tot[ev.name] += ev.time_range.elapsed_us() / 1e3  # a kernel event: its own span on the GPU
            cnt[ev.name] += 1
        elif device.type != "cuda" and ev.name.startswith("aten::") and ev.cpu_parent is None:
            tot[ev.name] += ev.cpu_time_total / 1e3; cnt[ev.name] += 1
    rows = sorted(({"kernel": k, "calls": cnt[k] / n, "ms_per_step": v / n} for k, v in tot.items()),
                  key=lambda r: -r["ms_per_step"])
    return rows[:top], sum(tot.values()) / n, int(sum(cnt.values()) / n)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", default=["resmamba_ulite"])
    ap.add_argument("--batch", type=int, default=4, help="training batch (ResMamba-ULite's protocol: 4)")
    ap.add_argument("--img-size", type=int, default=256)
    ap.add_argument("--loss", default="marginal_dice", help="loss registry name (ResMamba-ULite's: marginal_dice)")
    ap.add_argument("--backend", default="auto", help="scan backend (auto: mamba_ssm when installed)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--prof-steps", type=int, default=5)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--infer", action="store_true", help="profile inference (eval mode, no grad) instead of a training step")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default=None, help="CSV of the kernel rows (one block per model)")
    a = ap.parse_args(argv)
    device = get_device(a.device)
    if device.type == "cuda": torch.backends.cudnn.benchmark = True
    info, out_rows = package_info(), []
    for name in a.models:
        seed_everything(0)
        model = create_model(name, scan_backend=a.backend).to(device)
        model.train(not a.infer)
        loss_fn = create_loss(a.loss)
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        x = torch.randn(a.batch, 3, a.img_size, a.img_size, device=device)
        y = (torch.rand(a.batch, 1, a.img_size, a.img_size, device=device) > 0.7).float()
        fn = (lambda: infer_fn(model, x, device)) if a.infer else (lambda: step_fn(model, loss_fn, opt, x, y, device))
        for _ in range(a.warmup): fn()
        wall = timed_steps(fn, a.steps, device)
        rows, busy, launches = kernel_table(fn, a.prof_steps, device, a.top)
        print(f"\n{name} ({'inference' if a.infer else 'training step'}): batch {a.batch}, {a.img_size}px, {device.type} ({info.get('gpu') or 'cpu'}): "
              f"{wall:.1f} ms/step wall, {busy:.1f} ms/step in kernels ({100 * busy / wall:.0f}% busy), "
              f"{launches} kernels/step")
        print(f"{'ms/step':>8} {'calls':>6}  kernel")
        for r in rows: print(f"{r['ms_per_step']:8.2f} {r['calls']:6.1f}  {r['kernel'][:110]}")
        out_rows += [{"model": name, "what": "infer" if a.infer else "train_step", "batch": a.batch, "img_size": a.img_size, "device": info.get("gpu") or "cpu",
                      "wall_ms_per_step": round(wall, 3), "busy_ms_per_step": round(busy, 3), "kernels_per_step": launches,
                      "rank": i + 1, "kernel": r["kernel"], "calls_per_step": r["calls"], "kernel_ms_per_step": round(r["ms_per_step"], 4)}
                     for i, r in enumerate(rows)]
        del model, opt
        if device.type == "cuda": torch.cuda.empty_cache()
    if a.out and out_rows:
        buf = io.StringIO(); w = csv.DictWriter(buf, fieldnames=list(out_rows[0])); w.writeheader(); w.writerows(out_rows)
        atomic_write_text(buf.getvalue(), a.out)
    return out_rows


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)
