"""Session 8's first probe (device calls 1-2): the fused SS2D scan at ResMamba-ULite's small-channel shapes, timed with
L cut into other numbers of segments (`--segs`: none = the plan's default, an int = `segments=`, col0 =
MEDSEGMAMBA_TRITON_COLSEG=0), outputs and gradients compared with the first setting's. `--profile` runs one
forward+backward per setting, for Nsight Compute:

    python benchmarks/session8/exp_seg.py --shape 32 8 256 256 --segs none 256 64
    ncu --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum -k regex:"_fwd|_bwd|_carry" \
        python benchmarks/session8/exp_seg.py --profile --segs none
"""
import os, sys, argparse, torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_ss2d import cuda_time, dt_rank, model_layout, runner, ss2d_inputs
from bench_triton_variants import outputs, rel, set_variant
from medsegmamba import kernels

p = argparse.ArgumentParser()
p.add_argument("--shape", nargs=4, type=int, default=[32, 8, 256, 256])
p.add_argument("--segs", nargs="*", default=["none", "256"])
p.add_argument("--profile", action="store_true", help="one fwd+bwd per setting (for ncu)")
p.add_argument("--dtype", default="float32")
a = p.parse_args()
Bsz, Dm, H, W = a.shape
dt = getattr(torch, a.dtype)
args = model_layout(ss2d_inputs(Bsz, Dm, H, W, dt, torch.device("cuda")), dt_rank(Dm))
ref = None
for sg in a.segs:
    set_variant("col0" if sg == "col0" else "default")
    seg = None if sg in ("none", "col0") else int(sg)
    fn = lambda **kw: kernels.ss2d_scan_triton(**kw, segments=seg)
    outs = outputs(args, fn)
    if ref is None: ref = outs
    err = max(rel(o, r) for o, r in zip(outs, ref))
    torch.cuda.synchronize()
    if a.profile: continue
    f = cuda_time(runner(fn, args, False), 5, 50); fb = cuda_time(runner(fn, args, True), 3, 20)
    print(f"shape {a.shape} {a.dtype} segments={sg}: fwd {f:.3f} ms  fwd+bwd {fb:.3f} ms  max rel diff vs first {err:.2e}", flush=True)
