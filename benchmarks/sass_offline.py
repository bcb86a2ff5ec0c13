#!/usr/bin/env python
"""Compile the fused SS2D / selective-scan Triton kernels for sm_90 on a machine without a GPU, and count the SASS of
their loops: registers, stack (spills) and the instruction mix per loop, from the cubin (`cuobjdump` that ships with
Triton). Used in session 5 to count instructions per scan step without device time; launches nothing.

    python benchmarks/sass_offline.py vm rm plain        # VM-UNet s1, ResMamba-ULite s1, a gated plain scan
    MEDSEGMAMBA_TRITON_FWD_CHUNK=1 python benchmarks/sass_offline.py vmf rmf   # their forward kernels only
    MEDSEGMAMBA_TRITON_VEC=0 python benchmarks/sass_offline.py rm   # B, C one value per load (session 7's A/B)

It sets a stand-in Triton driver (target cuda:90, warp 32), makes `JITFunction.run` compile only, and tells
`medsegmamba.kernels` it is on a GPU with 132 multiprocessors. Timings are of the local compile (this machine's
Triton, not necessarily the GPU machine's version). Results go to `$FC_OUT` (default /tmp/sass_offline).
"""

import collections, os, re, subprocess, sys, time

import torch, triton
import triton.runtime.jit as jit
from triton.backends.compiler import GPUTarget
from triton.backends.driver import DriverBase


class _Sm90(DriverBase):
    "A stand-in driver: Triton compiles for cuda:90 and never touches a GPU."
    @classmethod
    def is_active(cls): return True
    def map_python_to_cpp_type(self, ty): return "void*"
    def get_current_target(self): return GPUTarget("cuda", 90, 32)
    def get_active_torch_device(self): return torch.device("cpu")
    def get_benchmarker(self): return None
    def get_current_device(self): return 0
    def get_current_stream(self, device=None): return 0
    def set_current_device(self, d): pass
    def get_device_capability(self, d=0): return (9, 0)


triton.runtime.driver.set_active(_Sm90())
_run, compiled = jit.JITFunction.run, []
def _compile_only(self, *a, grid, warmup, **kw):
    k = _run(self, *a, grid=grid, warmup=True, **kw)
    compiled.append((self.fn.__name__, k))
    return k
jit.JITFunction.run = _compile_only

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from medsegmamba import kernels
kernels._interpreting = lambda: False
kernels._check_device = lambda *a, **k: None
torch.cuda.get_device_properties = lambda *a, **k: type("Props", (), {"multi_processor_count": 132})()
torch.Tensor.is_cuda = property(lambda self: True)



def ss2d(Bsz, Dm, H, W, N=16, dtype=torch.float32, backward=True):
    "Forward and backward launches of the fused SS2D scan at one shape (channels-last, as layers.SS2D passes them)."
    L = H * W
    u = torch.randn(Bsz, L, Dm).transpose(1, 2)                       # channels-last views
    dt = torch.randn(Bsz, 4, L, Dm).transpose(2, 3).to(dtype)
    Bm = torch.randn(Bsz, 4, L, N).transpose(2, 3).to(dtype)
    Cm = torch.randn(Bsz, 4, L, N).transpose(2, 3).to(dtype)
    A = -torch.rand(4 * Dm, N); D = torch.randn(4 * Dm); bias = torch.randn(4 * Dm)
    plan = kernels._plan(Bsz, 4, Dm, L, Dm, torch.device("cpu"), None, None, False, None)
    y = torch.zeros(Bsz, Dm, L)
    kernels._launch_fwd(u, dt, A, Bm.unsqueeze(2), Cm.unsqueeze(2), D, bias, None, y, 4, H, W, True, True, False, plan)
    if backward:
        planb = kernels._plan(Bsz, 4, Dm, L, Dm, torch.device("cpu"), None, None, True, None)
        kernels._launch_bwd(u, dt, A, Bm.unsqueeze(2), Cm.unsqueeze(2), D, bias, None, y, 4, H, W, True, True, planb)



def plain(Bsz, Dm, L, N=16):
    "A gated 1-direction scan (LightM-UNet's Mamba layers), forward and backward."
    u = torch.randn(Bsz, Dm, L); dt = torch.randn(Bsz, 1, Dm, L); z = torch.randn(Bsz, Dm, L)
    Bm = torch.randn(Bsz, 1, 1, N, L); Cm = torch.randn(Bsz, 1, 1, N, L)
    A = -torch.rand(Dm, N); D = torch.randn(Dm); bias = torch.randn(Dm)
    plan = kernels._plan(Bsz, 1, Dm, L, Dm, torch.device("cpu"), None, None, False, None)
    out = torch.empty(Bsz, Dm, L)
    kernels._launch_fwd(u, dt, A, Bm, Cm, D, bias, z, out, 1, 1, 1, True, False, True, plan)
    planb = kernels._plan(Bsz, 1, Dm, L, Dm, torch.device("cpu"), None, None, True, None, gated=True)
    kernels._launch_bwd(u, dt, A, Bm, Cm, D, bias, z, out, 1, 1, 1, True, False, planb)

which = sys.argv[1:] or ["vm", "rm"]
for w in which:
    t, n0 = time.time(), len(compiled)
    if w == "vm": ss2d(32, 192, 64, 64)
    elif w == "rm": ss2d(32, 8, 256, 256)
    elif w == "rmbf": ss2d(32, 8, 256, 256, dtype=torch.bfloat16)
    elif w == "vmf": ss2d(32, 192, 64, 64, backward=False)
    elif w == "rmf": ss2d(32, 8, 256, 256, backward=False)
    elif w == "plain": plain(2, 64, 4096)
    else: sys.exit(f"sass_offline.py: unknown shape {w!r}; expected vm, rm, rmbf, vmf, rmf (forward only) or plain")
    print(w, "compiled", [name for name, _ in compiled[n0:]], f"in {time.time() - t:.0f} s", flush=True)

BIN = os.path.join(os.path.dirname(triton.__file__), "backends/nvidia/bin")
out_dir = os.environ.get("FC_OUT", "/tmp/sass_offline"); os.makedirs(out_dir, exist_ok=True)


def loops(name:str, cubin:bytes, top:int=4):
    "Registers, stack and the instruction mix of the `top` largest loops (backward branches) of a cubin."
    cub = os.path.join(out_dir, name + ".cubin"); open(cub, "wb").write(cubin)
    ru = subprocess.run([f"{BIN}/cuobjdump", "-res-usage", cub], capture_output=True, text=True).stdout
    sass = subprocess.run([f"{BIN}/cuobjdump", "-sass", cub], capture_output=True, text=True).stdout
    open(cub + ".sass", "w").write(sass)
    regs, stack = re.search(r"REG:(\d+)", ru), re.search(r"STACK:(\d+)", ru)
    ins = [(int(m.group(1), 16), m.group(2).strip()) for m in re.finditer(r"^\s+/\*([0-9a-f]+)\*/\s+(.*?);", sass, re.M)]
    at = {a: i for i, (a, _) in enumerate(ins)}
    found = []
    for i, (a, s) in enumerate(ins):
        m = re.search(r"BRA (?:`\(.*?\) )?0x([0-9a-f]+)", s)
        if m and int(m.group(1), 16) < a and int(m.group(1), 16) in at: found.append((at[int(m.group(1), 16)], i))
    print(name, "regs", regs and regs.group(1), "stack", stack and stack.group(1), "instrs", len(ins))
    for lo, hi in sorted(found, key=lambda x: x[0] - x[1])[:top]:
        ops = collections.Counter(re.sub(r"^@!?U?P\w+\s+", "", s).split()[0] for _, s in ins[lo:hi + 1])
        print(f"  loop {lo}-{hi}: {hi - lo + 1} instrs:", ", ".join(f"{o} {c}" for o, c in ops.most_common(18)))


for i, (name, k) in enumerate(compiled): loops(f"{i}_{name}", k.asm["cubin"])
