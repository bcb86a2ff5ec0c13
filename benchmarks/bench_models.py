#!/usr/bin/env python
"""Whole-model speed: batch-1 latency, large-batch throughput and one DSB2018 training epoch, per model x scan backend x mode.

At 256x256 (the papers' DSB2018 / ISIC size), for every registered model (unet, resmamba_ulite, vm_unet, sa_umamba,
lightm_unet when present), every scan backend available on the GPU (torch, triton, mamba_ssm) and every mode of
`medsegmamba.infer` (eager, cudagraph, compile, compile+cudagraph):
  latency_ms      median of batch-1 calls (CUDA events around each call, after warm-up), input already on the GPU
  throughput_ips  images/s at --tp-batch (halved on out-of-memory), back-to-back calls
  epoch_s         one training epoch over 447 DSB2018 images (the ResMamba-ULite 2/3 split of 670) from
                  .cache/dsb2018_256.npz (benchmarks/build_cache.py), random data of that size when the cache is absent;
                  bf16 autocast, channels-last, AdamW, BCE-with-logits, batch = the model's protocol batch (else 8);
                  eager and compile modes only (a CUDA graph of a training step is not built here)
  rel_err         ||opt - eager fp32|| / ||eager fp32|| of batch-1 logits (tolerance 1e-4 fp32, 2e-2 bf16)
Inference runs in bf16 autocast with channels-last unless --dtype float32 / --no-channels-last.

Work runs in priority order (the acceptance case first: resmamba_ulite, best backend, cudagraph) and stops starting
new work after --budget-s seconds; rows not reached say so. Prints the table last and writes a CSV.

    python benchmarks/bench_models.py --out benchmarks/results/models_h100.csv --epoch
    python benchmarks/bench_models.py --models resmamba_ulite --modes eager cudagraph --quick
    python benchmarks/bench_models.py --device cpu --img-size 32 --models unet --modes eager --tp-batch 2 --quick   # smoke
"""
from __future__ import annotations
import argparse, contextlib, copy, csv, gc, io, pkgutil, signal, statistics, sys, time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from medsegmamba import ops
from medsegmamba.core import MODELS, atomic_write_text, get_device, optional_import, package_info, seed_everything
from medsegmamba.infer import MODES, TOLERANCE, InferenceModel, as_dtype, rel_error, set_scan_backend, _registry_for

MODEL_ORDER = ("resmamba_ulite", "unet", "lightm_unet", "vm_unet", "sa_umamba")
EPOCH_IMAGES = 447
COLUMNS = ("device", "model", "backend", "mode", "dtype", "img_size", "latency_ms", "throughput_ips", "tp_batch", "epoch_s",
           "epoch_batch", "epoch_steps", "rel_err", "tol", "build_s", "params_m", "note")


# ----------------------------------------------------------------------------------------------------------- set-up
def load_models() -> list[str]:
    "Import every medsegmamba.models submodule (each registers into MODELS); returns the registered names."
    import medsegmamba.models as pkg
    for m in pkgutil.iter_modules(pkg.__path__):
        if optional_import(f"medsegmamba.models.{m.name}") is None:
            print(f"note: medsegmamba.models.{m.name} does not import; its models are skipped", file=sys.stderr)
    optional_import("medsegmamba.kernels")  # registers the triton backends
    return MODELS.names()


def protocol_batch(name:str) -> int:
    "The training batch of `name`'s protocol (its DSB2018 one if any), else 8."
    P = optional_import("medsegmamba.protocols")
    if P is None: return 8
    try:
        names = [n for n in P.list_protocols() if P.get_protocol(n).get("model") == name]
        names.sort(key=lambda n: (P.get_protocol(n).get("dataset") != "dsb2018", n))
        return int(P.get_protocol(names[0])["batch_size"]) if names else 8
    except Exception:  # noqa: BLE001 - protocols are optional here
        return 8


def scan_registries(model:nn.Module) -> set:
    "The scan registries the model's layers call (empty for a model without a scan)."
    return {id(r): r for r in (_registry_for(m) for m in model.modules()) if r is not None}.values()


def backends_for(model:nn.Module, device) -> list[str]:
    "Scan backends available on `device` for every scan layer of `model`, best first ('-' when it has none)."
    regs = list(scan_registries(model))
    if not regs: return ["-"]
    names = None
    for r in regs:
        avail = [n for n in ops.available_backends(device, r) if n != "ref" and not n.endswith("+nocompile")]
        names = avail if names is None else [n for n in names if n in avail]
    best = {ops.resolve_backend("auto", device, r) for r in regs}
    return sorted(names, key=lambda n: (n not in best, n))


def dsb_data(path:Path, img_size:int, n:int, device):
    "(images (n, 3, S, S) float in [0, 1], masks (n, 1, S, S) {0, 1}) on `device`, and where they came from."
    if path.is_file():
        from medsegmamba.data import load_cache
        d = load_cache(path)
        img, msk = d["image"], d["mask"]
        if img.ndim == 3: img = np.repeat(img[..., None], 3, -1)
        idx = np.arange(n) % len(img)
        x = torch.from_numpy(np.ascontiguousarray(img[idx][..., :3])).permute(0, 3, 1, 2).float().div_(255)
        y = (torch.from_numpy(np.ascontiguousarray(msk[idx])) > 0).float().reshape(n, 1, *msk.shape[1:3])
        if x.shape[-1] != img_size:
            x = torch.nn.functional.interpolate(x, size=(img_size, img_size), mode="bilinear", align_corners=False)
            y = torch.nn.functional.interpolate(y, size=(img_size, img_size), mode="nearest")
        return x.to(device), y.to(device), f"{path} ({len(d['ids'])} images, first {n})"
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 3, img_size, img_size, generator=g)
    y = (torch.rand(n, 1, img_size, img_size, generator=g) > 0.7).float()
    return x.to(device), y.to(device), f"RANDOM data ({path} not found; build it with benchmarks/build_cache.py)"


# ---------------------------------------------------------------------------------------------------------- timing
class Timer:
    "Milliseconds of a callable: CUDA events on a GPU (synchronised), perf_counter on the CPU."
    def __init__(self, device): self.cuda = device.type == "cuda"
    def sync(self):
        if self.cuda: torch.cuda.synchronize()
    def __call__(self, fn, n:int=1) -> float:
        "Milliseconds for `n` back-to-back calls of `fn`."
        self.sync()
        if self.cuda:
            a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            a.record()
            for _ in range(n): fn()
            b.record(); b.synchronize()
            return a.elapsed_time(b)
        t = time.perf_counter()
        for _ in range(n): fn()
        return (time.perf_counter() - t) * 1e3


def median_ms(timer:Timer, fn, warmup:int, reps:int, cap_ms:float) -> float:
    "Median of single-call times after `warmup` calls; stops early once `cap_ms` is spent."
    for _ in range(warmup): fn()
    ts = []
    for _ in range(reps):
        ts.append(timer(fn))
        if sum(ts) > cap_ms and len(ts) >= 3: break
    return statistics.median(ts)


class Deadline(Exception): pass


@contextlib.contextmanager
def time_limit(seconds:float):
    "Raise `Deadline` in the main thread after `seconds` (SIGALRM; no-op where unavailable)."
    if seconds <= 0 or not hasattr(signal, "SIGALRM"): yield; return
    def handler(signum, frame): raise Deadline(f"over the {seconds:.0f} s limit of one job")
    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try: yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def is_oom(e:BaseException) -> bool:
    return isinstance(e, torch.OutOfMemoryError) or "out of memory" in str(e).lower()


def free(device):
    gc.collect()
    if device.type == "cuda": torch.cuda.empty_cache()


# ------------------------------------------------------------------------------------------------------------ jobs
def run_infer(a, base:nn.Module, backend:str, mode:str, row:dict, device, timer:Timer, ref:dict):
    "Latency, throughput and rel_err of one (model, backend, mode)."
    S, dtype = a.img_size, as_dtype(a.dtype)
    torch._dynamo.reset()
    t0 = time.perf_counter()
    kw = dict(device=device, dtype=dtype, channels_last=not a.no_channels_last, mode=mode,
              scan_backend=None if backend == "-" else backend)
    im = InferenceModel(base, (1, 3, S, S), **kw)
    row["build_s"] = round(time.perf_counter() - t0, 1)
    x1 = torch.randn(1, 3, S, S, generator=torch.Generator().manual_seed(0)).to(device)
    key = backend
    if key not in ref: ref[key] = im.eager(x1)
    row["rel_err"] = f"{rel_error(im(x1), ref[key]):.2e}"
    row["tol"] = TOLERANCE[dtype]
    if float(row["rel_err"]) > TOLERANCE[dtype]: row["note"] += f"FAIL rel_err > {TOLERANCE[dtype]:g}; "
    row["latency_ms"] = round(median_ms(timer, lambda: im(x1), a.warmup, a.reps, a.cap_ms), 3)
    bs = a.tp_batch
    while bs >= 1:
        try:
            xb = torch.randn(bs, 3, S, S, device=device)
            im.prepare(xb.shape)                            # compiles / captures this shape
            im(xb)                                          # one more untimed call (cuDNN autotuning in eager)
            ms = timer(lambda: im(xb))                      # one timed call sets how many fit in cap_ms
            n = max(1, min(200, int(a.cap_ms / max(ms, 1e-3))))
            if n > 1: ms = timer(lambda: im(xb), n)
            row["throughput_ips"], row["tp_batch"] = round(bs * n / ms * 1e3, 1), bs
            break
        except Exception as e:  # noqa: BLE001
            if not is_oom(e): raise
            im._graphs.pop((bs, 3, S, S), None); free(device)
            row["note"] += f"OOM at batch {bs}; "
            bs //= 2
    del im; free(device)


def run_epoch(a, base:nn.Module, backend:str, mode:str, row:dict, device, timer:Timer, data):
    "Seconds of one training epoch (eager or compile mode), after untimed warm-up steps of both batch shapes."
    X, Y, _ = data
    bsz = row["epoch_batch"] = protocol_batch(row["model"]) if a.epoch_batch is None else a.epoch_batch
    torch._dynamo.reset()
    m = copy.deepcopy(base).to(device).train()
    cl = not a.no_channels_last
    if cl: m = m.to(memory_format=torch.channels_last)
    set_scan_backend(m, None if backend == "-" else backend, device, opaque=mode == "compile")
    fn = torch.compile(m, fullgraph=False, dynamic=False) if mode == "compile" else m
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=1e-2)
    loss_fn = nn.BCEWithLogitsLoss()
    amp = torch.autocast(device.type, dtype=torch.bfloat16, enabled=as_dtype(a.dtype) == torch.bfloat16)
    n = len(X)
    starts = list(range(0, n, bsz))
    row["epoch_steps"] = len(starts)
    def step(i):
        x, y = X[i:i + bsz], Y[i:i + bsz]
        if cl: x = x.contiguous(memory_format=torch.channels_last)
        with amp: loss = loss_fn(fn(x).float(), y)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    for i in (0, 0, starts[-1]): step(i)                   # warm-up: compile / JIT for both batch shapes
    row["epoch_s"] = round(timer(lambda: [step(i) for i in starts]) / 1e3, 2)
    del m, fn, opt; free(device)


# ------------------------------------------------------------------------------------------------------------ main
def plan(a, models:dict, device) -> list[tuple]:
    "(priority, kind, model, backend, mode) jobs: cheap and important first."
    jobs = []
    for mi, name in enumerate(models):
        bks = models[name]["backends"]
        for bi, bk in enumerate(bks):
            other = bi > 0
            for mode in a.modes:
                compiled = mode.startswith("compile")
                # tiers: 0 best backend eager/cudagraph; 1 best compile+cudagraph; 2 other backends eager/cudagraph;
                # 3 epochs (best backend eager); 4 the rest of compile; 5 other epochs
                tier = (2 if other else 0) if not compiled else (1 if mode == "compile+cudagraph" and not other else 4)
                jobs.append((tier, mi, bi, "infer", name, bk, mode))
            if a.epoch:
                for mode in [m for m in ("eager", "compile") if m in a.modes]:
                    if a.quick and (other or mode == "compile"): continue
                    jobs.append((3 if (not other and mode == "eager") else 5, mi, bi, "epoch", name, bk, mode))
    return sorted(jobs)


def fmt_table(rows:list[dict], cols) -> str:
    w = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in cols}
    line = lambda r: "  ".join(str(r.get(c, "")).rjust(w[c]) if c not in ("model", "backend", "mode", "note") else
                               str(r.get(c, "")).ljust(w[c]) for c in cols)
    return "\n".join([line({c: c for c in cols}), line({c: "-" * w[c] for c in cols})] + [line(r) for r in rows])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="benchmarks/results/models.csv", help="CSV to write")
    p.add_argument("--models", nargs="*", default=None, help=f"models (default: all registered, in the order {MODEL_ORDER})")
    p.add_argument("--backends", nargs="*", default=None, help="scan backends (default: all available on the device but ref)")
    p.add_argument("--modes", nargs="*", default=list(MODES), choices=MODES)
    p.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float32"], help="inference / training autocast dtype")
    p.add_argument("--no-channels-last", action="store_true")
    p.add_argument("--img-size", type=int, default=256)
    p.add_argument("--tp-batch", type=int, default=64, help="throughput batch (halved on out-of-memory)")
    p.add_argument("--epoch", action="store_true", help="also time one training epoch per model (x backend x eager/compile)")
    p.add_argument("--epoch-images", type=int, default=EPOCH_IMAGES)
    p.add_argument("--epoch-batch", type=int, default=None, help="training batch (default: the protocol's, else 8)")
    p.add_argument("--cache", default=".cache/dsb2018_256.npz", help="DSB2018 cache from benchmarks/build_cache.py")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--reps", type=int, default=50, help="latency repeats (throughput uses reps/4 calls or more)")
    p.add_argument("--cap-ms", type=float, default=2000, help="stop repeating a measurement after this many ms")
    p.add_argument("--quick", action="store_true", help="fewer repeats; epochs only for the best backend, eager")
    p.add_argument("--budget-s", type=float, default=400, help="start no new job after this many seconds")
    p.add_argument("--job-limit-s", type=float, default=120, help="abandon one job after this many seconds")
    p.add_argument("--device", default="auto")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if a.quick: a.warmup, a.reps, a.cap_ms = min(a.warmup, 3), min(a.reps, 20), min(a.cap_ms, 1000)
    t_start = time.perf_counter()
    device = get_device(a.device)
    if device.type != "cuda": print(f"warning: running on {device}: timings are not GPU timings (smoke run)", file=sys.stderr)
    if device.type == "cuda": torch.backends.cudnn.benchmark = True
    timer = Timer(device)
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    registered = load_models()
    names = a.models or [n for n in MODEL_ORDER if n in registered] + [n for n in registered if n not in MODEL_ORDER]
    rows, models = {}, {}
    for name in names:
        if name not in registered:
            rows[(name, "-", "-")] = dict(device=dev_name, model=name, backend="-", mode="-", note=f"not registered (have: {', '.join(registered)})")
            continue
        seed_everything(a.seed)
        base = MODELS.get(name)(in_channels=3, num_classes=1).eval()
        if any(isinstance(m, nn.Conv3d) for m in base.modules()):   # e.g. lightm_unet_3d: (B, C, D, H, W) volumes
            rows[(name, "-", "-")] = dict(device=dev_name, model=name, backend="-", mode="-",
                                          note="3D model: not timed on this benchmark's 2D images")
            continue
        bks = backends_for(base, device)
        if a.backends: bks = [b for b in bks if b in a.backends or b == "-"]
        models[name] = dict(base=base, backends=bks, params_m=round(sum(p.numel() for p in base.parameters()) / 1e6, 2))
    for name, m in models.items():
        for bk in m["backends"]:
            for mode in a.modes:
                rows[(name, bk, mode)] = dict(device=dev_name, model=name, backend=bk, mode=mode, dtype=a.dtype, img_size=a.img_size,
                                              params_m=m["params_m"], note="")
    data = dsb_data(Path(a.cache), a.img_size, a.epoch_images, device) if a.epoch else None
    refs = {n: {} for n in models}
    for tier, _, _, kind, name, bk, mode in plan(a, models, device):
        row = rows[(name, bk, mode)]
        left = a.budget_s - (time.perf_counter() - t_start)
        if left <= (60 if mode.startswith("compile") else 5):
            row["note"] += f"{kind} skipped (time budget); "
            continue
        print(f"[{time.perf_counter() - t_start:6.0f} s] {kind:5s} {name} backend={bk} mode={mode}", file=sys.stderr, flush=True)
        try:
            with time_limit(min(a.job_limit_s, left + 30)):
                if kind == "infer": run_infer(a, models[name]["base"], bk, mode, row, device, timer, refs[name])
                else: run_epoch(a, models[name]["base"], bk, mode, row, device, timer, data)
        except Exception as e:  # noqa: BLE001 - one failing configuration must not stop the table
            msg = str(e).strip().splitlines()[0][:160] if str(e).strip() else ""
            row["note"] += f"{kind} failed: {type(e).__name__}: {msg}; "
            print(f"   {kind} failed: {type(e).__name__}: {msg}", file=sys.stderr, flush=True)
            free(device)
    for r in rows.values():
        if "epoch" not in r.get("note", "") and a.epoch and r.get("mode") in ("cudagraph", "compile+cudagraph"):
            r["epoch_s"] = "n/a"
        r["note"] = r.get("note", "").strip().rstrip(";")
    table = list(rows.values())
    buf = io.StringIO()
    wr = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore")
    wr.writeheader(); wr.writerows(table)
    atomic_write_text(buf.getvalue(), a.out)
    info = package_info()
    print(f"\ndevice: {info['gpu'] or device}  torch {info['torch']}  triton {info['triton']}  mamba_ssm {info['mamba_ssm']}  "
          f"dtype {a.dtype}  channels_last {not a.no_channels_last}  {a.img_size}x{a.img_size}")
    if data is not None: print(f"epoch data: {data[2]}")
    print(f"wrote {a.out}; {time.perf_counter() - t_start:.0f} s in all\n")
    print(fmt_table(table, COLUMNS[1:]))   # the device is in the header line
    return table


if __name__ == "__main__":
    main()
